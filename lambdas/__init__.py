"""Lambda functions: one folder each; `handler.py` is a thin adapter, the logic lives beside it or in slipstream/."""
