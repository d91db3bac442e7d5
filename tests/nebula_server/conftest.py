"""A real Jupyter server with the Nebula extension, on a temporary root directory."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.websocket import WebSocketClientConnection

from tests.nebula_server._live import Connect

Fetch = Callable[..., Awaitable[Any]]


@pytest.fixture
def nebula_config() -> dict[str, Any]:
    """Overridden by tests that need other claims."""
    return {}


@pytest.fixture
def jp_server_config(nebula_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"nebula_server": True}},
        # Many servers share this test process: freezing its heap would keep them all alive,
        # and the collector's settings are the test process's own.
        "NebulaApp": {"freeze_gc": False, "full_gc_threshold": 0, **nebula_config},
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


@pytest.fixture
def browser_cookie(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str, jp_http_port: int
) -> Callable[[], Awaitable[str]]:
    """Gets the login cookie a browser has after opening the server's URL with its token.

    Jupyter names the cookie after the host, so it is asked for as ``localhost``, the host the
    WebSocket fixtures use.
    """

    async def login() -> str:
        token = jp_serverapp.identity_provider.token
        response = await http_server_client.fetch(
            f"{jp_base_url}api/me?token={token}", headers={"Host": f"localhost:{jp_http_port}"}
        )
        cookies = [c.split(";")[0] for c in response.headers.get_list("Set-Cookie")]
        assert cookies, "the server set no login cookie"
        return "; ".join(cookies)

    return login


@pytest.fixture
def connect(jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]]) -> Connect:
    """Open a gateway socket as a client with the given id."""

    async def open_socket(client_id: str = "test-client") -> WebSocketClientConnection:
        return await jp_ws_fetch(
            "nebula",
            "api",
            "v1",
            "live",
            subprotocols=["nebula.v1", f"nebula.client.{client_id}"],
        )

    return open_socket
