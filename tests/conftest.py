"""Shared fixtures. No test may reach real AWS: fake credentials and a fixed region for every test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("SLIPSTREAM_DEBUG", raising=False)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True, scope="session")
def _strict_emulated_aws() -> None:
    """Every moto account in the tests refuses what AWS refuses (slipstream/local/strict): parameters, IAM and
    KMS, trust policies, from the first test on, so a test's outcome never depends on which tests ran before it
    in the same worker. Installed only when a collected test module uses moto, so suites without it skip the
    import; mock_aws starts a new boto3 session, which picks the checks up."""
    if "moto" in sys.modules:
        from slipstream.local.stepfunctions import moto_extensions

        moto_extensions.install()
