"""The AWS experiment's documents: the pipeline's "is an experiment running?" check (RecordDeployment answers
it before a challenger is deployed), and the experiment Lambda's request and answer (the schedule analyses,
`slipstream experiment ... --stage` promotes or stops).

Only pydantic: the RecordDeployment Lambda has no pandas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.base import Document

ExperimentLambdaAction = Literal["analyse", "promote", "stop"]
# Who decided when no person did: the scheduled run with `auto_decide` on.
EXPERIMENT_LAMBDA = "experiment-lambda"


class ExperimentCheckRequest(Document):
    """CheckExperiment's request: may this run's passing model start an experiment?"""

    run_id: str
    check: Literal["experiment"] = "experiment"


class ExperimentSlot(Document):
    """CheckExperiment's answer. `running`: a challenger is being tested, so a new one is refused."""

    running: bool
    version: str | None = Field(description="The running challenger's version, when one runs.")
    endpoint: str | None = Field(description="The running challenger's endpoint, when one runs.")
    message: str = Field(description="The answer in one sentence, for the notification and the execution's cause.")


class ExperimentRequest(Document):
    """The experiment Lambda's event: the schedule sends `analyse`; a person sends `promote` or `stop`."""

    action: ExperimentLambdaAction = "analyse"
    decided_by: str | None = Field(
        default=None,
        max_length=256,
        description="Who asked (the CLI sends the caller's IAM identity); the schedule leaves it empty.",
    )


class ExperimentAnswer(Document):
    """What the experiment Lambda did. `acted`: promote or stop when it changed the endpoints, else none."""

    running: bool = Field(description="False when no challenger was deployed (nothing analysed, nothing changed).")
    acted: Literal["promote", "stop", "none"]
    decided_by: str | None = None
    decision: str | None = None
    reason: str
    champion_version: str | None = None
    challenger_version: str | None = None
    data_points: int = Field(default=0, description="CloudWatch data points published.")
