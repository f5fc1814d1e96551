"""Errors a user can act on. The CLI prints their message and exits with their code; never a traceback."""

from __future__ import annotations

EXCERPT_CHARS = 300  # the most of any one value (a label, a path, a cell) an error message quotes
MAX_DETAILS = 50


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` cut to `limit` characters, saying how much was left out (a message must stay readable)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


class SlipstreamError(Exception):
    """Base for every error that is the user's input, not our bug. The message and each detail are bounded
    (quoting a 10 MB value would flood the terminal and every file the error is written to)."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        message = excerpt(message, 4 * EXCERPT_CHARS)
        super().__init__(message)
        self.message = message
        shown = [excerpt(str(d), 2 * EXCERPT_CHARS) for d in (details or [])[:MAX_DETAILS]]
        if details and len(details) > MAX_DETAILS:
            shown.append(f"… and {len(details) - MAX_DETAILS} more")
        self.details = shown

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
