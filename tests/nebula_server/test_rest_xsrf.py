"""Browser-style (cookie) requests: XSRF protection stays on."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError


async def test_cookie_requests_need_the_xsrf_token(
    browser_cookie: Callable[[], Awaitable[str]],
    http_server_client: Any,
    jp_base_url: str,
    jp_http_port: int,
) -> None:
    cookie = await browser_cookie()
    url = f"{jp_base_url}nebula/api/v1/stars"
    host = {"Host": f"localhost:{jp_http_port}"}
    body = json.dumps({"star": "acme.sales.xsrf"})
    with pytest.raises(HTTPClientError) as caught:
        await http_server_client.fetch(
            url, method="POST", body=body, headers={**host, "Cookie": cookie}
        )
    assert caught.value.code == 403
    xsrf = "a" * 32
    ok = await http_server_client.fetch(
        url,
        method="POST",
        body=body,
        headers={**host, "Cookie": f"{cookie}; _xsrf={xsrf}", "X-XSRFToken": xsrf},
    )
    assert ok.code == 201


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "stars/local.lab.default/executions", {"source": "id: x\n"}),
        ("POST", "stars/local.lab.default/executions/x/cancel", {}),
        ("POST", "stars/local.lab.default/executions/x/resume", {}),
        ("PUT", "workflows/file", {"path": "x.workflow.yaml", "source": "id: x\n"}),
        ("POST", "workflows/validate", {"source": "id: x\n"}),
        ("POST", "expressions/check", {"text": "1"}),
    ],
)
async def test_workflow_routes_refuse_cookie_requests_without_the_xsrf_token(
    browser_cookie: Callable[[], Awaitable[str]],
    http_server_client: Any,
    jp_base_url: str,
    jp_http_port: int,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    cookie = await browser_cookie()
    with pytest.raises(HTTPClientError) as caught:
        await http_server_client.fetch(
            f"{jp_base_url}nebula/api/v1/{path}",
            method=method,
            body=json.dumps(body),
            headers={"Host": f"localhost:{jp_http_port}", "Cookie": cookie},
        )
    assert caught.value.code == 403
