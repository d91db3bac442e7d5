"""A real Jupyter server with the Nebula extension, on a temporary root directory."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

Fetch = Callable[..., Awaitable[Any]]


@pytest.fixture
def nebula_config() -> dict[str, Any]:
    """Overridden by tests that need other claims."""
    return {}


@pytest.fixture
def jp_server_config(nebula_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"nebula_server": True}},
        "NebulaApp": nebula_config,
    }


@pytest.fixture
def api(jp_fetch: Fetch) -> Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]:
    """Call the REST API; returns (status, headers, JSON body) for errors as well."""
    from tornado.httpclient import HTTPClientError

    async def call(
        method: str, path: str, body: Any = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any], Any]:
        parts = ["nebula", "api", "v1", *[p for p in path.split("/") if p]]
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        try:
            response = await jp_fetch(*parts, method=method, **kwargs)
        except HTTPClientError as exc:
            assert exc.response is not None
            return exc.code, dict(exc.response.headers), json.loads(exc.response.body)
        return response.code, dict(response.headers), json.loads(response.body)

    return call
