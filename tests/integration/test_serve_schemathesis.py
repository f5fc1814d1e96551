"""Schemathesis against the running API, from the committed OpenAPI document: no 5xx, ever.

The served model is trained on the bundled dataset, so docs/openapi.json describes it exactly.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from slipstream.local.serving.openapi import DOCUMENT

pytestmark = pytest.mark.slow
schema = schemathesis.openapi.from_path(DOCUMENT)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, served) -> None:
    case.call_and_validate(base_url=served.url, checks=[not_a_server_error], timeout=10)
