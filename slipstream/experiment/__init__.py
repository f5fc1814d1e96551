"""Champion/challenger experiments on live traffic: outcomes, an always-valid sequential test, the
sample-ratio check, guardrails, and the decision (docs/experiments.md). `outcomes` needs pandas; the rest
only numpy and pydantic."""
