"""The Lambda's environment as a typed model, validated once per cold start.

The CDK construct (cdk/shared/lambda_function.py) writes each value; `load_env` parses them back. The project
config travels as ONE variable, SLIPSTREAM_CONFIG, holding `Config.model_dump(mode="json")`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Json

if TYPE_CHECKING:
    from slipstream.config import Config

Env = TypeVar("Env", bound="BaseEnv")


class BaseEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    powertools_service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME")


class ConfigEnv(BaseEnv):
    slipstream_config: Json[dict[str, Any]] = Field(alias="SLIPSTREAM_CONFIG")

    def config(self, base_dir: Path = Path("/tmp")) -> Config:
        # Imported here: the config's ~15 pydantic models cost ~0.15 s to build, and the predict Lambda's cold
        # start (which never needs them) imports this module too.
        from slipstream.config import parse_config

        return parse_config(self.slipstream_config, base_dir=base_dir, source="SLIPSTREAM_CONFIG")


@cache
def load_env(model: type[Env]) -> Env:
    """Parse os.environ into `model`; a missing or malformed variable fails the cold start, naming it."""
    return model.model_validate(dict(os.environ))
