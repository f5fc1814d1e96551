"""Errors a user can act on. The CLI prints their message and exits with their code; never a traceback."""

from __future__ import annotations


class SlipstreamError(Exception):
    """Base for every error that is the user's input, not our bug."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {d}" for d in self.details)])


class ConfigError(SlipstreamError):
    """The config file is missing, unreadable, or names something impossible."""

    exit_code = 2


class DataError(SlipstreamError):
    """The dataset cannot be read or breaks an absolute rule (empty, single class, ...)."""

    exit_code = 3


class ContractViolation(DataError):
    """The dataset no longer matches the data contract written by an earlier run."""


class StepFailed(SlipstreamError):
    """A pipeline step (training or evaluation script) failed; details hold its stderr tail."""

    exit_code = 4


class GateRejected(SlipstreamError):
    """The challenger did not pass the quality gate; the champion is unchanged."""

    exit_code = 5
