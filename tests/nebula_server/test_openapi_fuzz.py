"""Schemathesis against the OpenAPI document the server publishes: generated requests to every
operation, valid and not, must never make the server fail (5xx) or answer outside JSON.

A header value with control characters is not HTTP: Tornado refuses the request with a bare 400
before any handler runs, so only that status is asked of it."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from nebula_server._openapi import openapi_document
from tests._server import RunningServer

schema = schemathesis.openapi.from_dict(openapi_document())
# RFC 9110 field-value characters: visible ASCII, space, tab and obs-text.
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: Any, jupyter_server: RunningServer) -> None:
    response = case.call(base_url=jupyter_server.url.rstrip("/"), headers=jupyter_server.headers)
    if not all(_FIELD_VALUE.fullmatch(str(v)) for v in (case.headers or {}).values()):
        assert response.status_code == 400, response.status_code
        return
    case.validate_response(response, checks=[checks.not_a_server_error])
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (response.status_code, response.text[:200])
    assert "Traceback" not in response.text
