"""Named exports of the serving stack's API, imported by the pipeline stack, whose SmokeTest calls the API as a
caller would (slipstream/steps/front_door.py). Explicit names, as StorageExports: readable IAM resources."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn


@dataclass(frozen=True)
class FrontDoorExports:
    prefix: str

    def name(self, what: str) -> str:
        return f"{self.prefix}-serving-{what}"

    @property
    def url(self) -> str:
        return Fn.import_value(self.name("api-url"))

    @property
    def api_id(self) -> str:
        return Fn.import_value(self.name("api-id"))

    @property
    def api_key_id(self) -> str:
        return Fn.import_value(self.name("api-key-id"))
