"""The smoke Lambda's environment: the project config, and the prediction API it calls as a caller would."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lambdas.common.env import ConfigEnv


class SmokeEnv(ConfigEnv):
    api_url: str = Field(alias="API_URL", pattern=r"^https?://")
    api_auth: Literal["api_key", "iam"] = Field(alias="API_AUTH")
    api_key_id: str | None = Field(default=None, alias="API_KEY_ID")
    aws_region: str = Field(alias="AWS_REGION")
