"""slipstream.toml + a stage name -> the values the stacks need. The only place stacks learn about the config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdk.shared import naming
from slipstream import lineage
from slipstream.config import Config, load_config
from slipstream.observability_config import DatadogConfig
from slipstream.stage_config import StageConfig
from slipstream.steps.run_ids import MAX_RUN_ID_LENGTH

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LONGEST_JOB_SUFFIX = "-train"  # of the suffixes cdk/pipeline_*.py append to per-run names ("-train", "-eval", "")


@dataclass(frozen=True)
class LambdaDefaults:
    """What every Lambda function of a stage shares (cdk/shared/lambda_function.py), from the stage config."""

    powertools_version: str  # the Powertools layer release, the same as aws-lambda-powertools in requirements.lock
    log_retention_days: int

    @classmethod
    def of(cls, stage: StageConfig) -> LambdaDefaults:
        return cls(powertools_version=stage.powertools_version, log_retention_days=stage.log_retention_days)


@dataclass(frozen=True)
class DeploySettings:
    config: Config
    stage_name: str
    stage: StageConfig
    # The commit the stack is deployed from (slipstream/lineage.py git_commit), set by app.py or `-c code_version`;
    # every model package carries it. "unknown" where nothing set it (tests pin it: templates stay deterministic).
    code_version: str = "unknown"

    @property
    def config_sha256(self) -> str:
        """The effective config's fingerprint, the same function (and value, for the same file) as the local run."""
        return lineage.config_sha256(self.config)

    @property
    def prefix(self) -> str:
        """`<name>-<stage>`: stack names and the endpoint name; unique per project and stage in one account."""
        return f"{self.config.name}-{self.stage_name}"

    @property
    def job_prefix(self) -> str:
        """Prefix of the per-run SageMaker names `<job prefix>-<run id><suffix>` (jobs, models, endpoint
        configs), short enough for SageMaker's 63 characters with the longest run id and suffix."""
        room = naming.SAGEMAKER - len("-") - MAX_RUN_ID_LENGTH - len(LONGEST_JOB_SUFFIX)
        return naming.bounded(self.prefix, room)

    @property
    def endpoint_name(self) -> str:
        return naming.bounded(self.prefix, naming.SAGEMAKER)

    @property
    def challenger_endpoint_name(self) -> str | None:
        """When the config sends traffic to a challenger (`[experiment] weight` or `shadow_share` > 0), or deploys
        passing models as challengers (`gate.promote = "challenger"`, even with weight 0)."""
        config = self.config
        if (
            config.challenger_weight <= 0
            and config.experiment.shadow_share <= 0
            and config.gate.promote != "challenger"
        ):
            return None
        return naming.with_suffix(self.prefix, "-challenger", naming.SAGEMAKER)

    @property
    def model_package_group(self) -> str:
        return naming.bounded(self.prefix, naming.SAGEMAKER)

    @property
    def state_machine_name(self) -> str:
        return naming.with_suffix(self.prefix, "-training", naming.STATE_MACHINE)

    @property
    def github_deploy_role_name(self) -> str:
        return naming.with_suffix(self.prefix, "-github-deploy", naming.IAM_ROLE)

    @property
    def lambda_defaults(self) -> LambdaDefaults:
        return LambdaDefaults.of(self.stage)

    @property
    def datadog(self) -> DatadogConfig | None:
        """The stage's effective Datadog settings, or None when Datadog is off for it."""
        effective = self.stage.datadog.applied_to(self.config.observability.datadog)
        return effective if effective.enabled else None

    @property
    def warehouse_database(self) -> str:
        """The Glue database of this project and stage (the `captures` and `feedback` tables)."""
        return naming.glue_name(self.prefix)

    @property
    def athena_workgroup(self) -> str:
        return naming.bounded(self.prefix, naming.ATHENA_WORKGROUP)

    @property
    def env_account(self) -> str | None:
        return self.stage.account

    @property
    def env_region(self) -> str | None:
        return self.stage.region


def load_settings(
    stage_name: str, config_path: Path | str | None = None, *, code_version: str = "unknown"
) -> DeploySettings:
    config = load_config(config_path or PROJECT_ROOT / "slipstream.toml")
    stage = config.stage(stage_name)
    return DeploySettings(config=config, stage_name=stage_name, stage=stage, code_version=code_version)
