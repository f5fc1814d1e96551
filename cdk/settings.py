"""slipstream.toml + a stage name -> the values the stacks need. The only place stacks learn about the config."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from slipstream.config import Config, load_config
from slipstream.stage_config import StageConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeploySettings:
    config: Config
    stage_name: str
    stage: StageConfig

    @property
    def prefix(self) -> str:
        """`<name>-<stage>`: stack names and the endpoint name; unique per project and stage in one account."""
        return f"{self.config.name}-{self.stage_name}"

    @property
    def job_prefix(self) -> str:
        """Short prefix for SageMaker job/model names (63 characters at most, run id appended)."""
        short = re.sub(r"-+$", "", self.config.name[:16])
        return f"{short}-{self.stage_name[:4]}"

    @property
    def endpoint_name(self) -> str:
        return self.prefix

    @property
    def challenger_endpoint_name(self) -> str | None:
        """Only when the config sends traffic to a challenger (`[serving] challenger_weight` > 0). 63 characters
        at most, like every SageMaker endpoint name."""
        if self.config.serving.challenger_weight <= 0:
            return None
        return f"{self.prefix[:52]}-challenger"

    @property
    def model_package_group(self) -> str:
        return self.prefix

    @property
    def env_account(self) -> str | None:
        return self.stage.account

    @property
    def env_region(self) -> str | None:
        return self.stage.region


def load_settings(stage_name: str, config_path: Path | str | None = None) -> DeploySettings:
    config = load_config(config_path or PROJECT_ROOT / "slipstream.toml")
    return DeploySettings(config=config, stage_name=stage_name, stage=config.stage(stage_name))
