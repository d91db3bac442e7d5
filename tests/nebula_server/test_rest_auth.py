"""Authorization over HTTP: no token, stars outside the caller's claims, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_requests_without_a_token_are_refused(
    http_server_client: Any, jp_base_url: str, method: str
) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await http_server_client.fetch(
            f"{jp_base_url}nebula/api/v1/stars",
            method=method,
            body="{}" if method == "POST" else None,
            follow_redirects=False,
        )
    assert caught.value.code == 403


@pytest.fixture
def nebula_config() -> dict[str, Any]:
    return {
        "default_star": "acme.sales.dash",
        "default_claims": {"acme.sales.*": "editor", "acme.hr.*": "viewer"},
    }


async def test_claims_decide_what_each_star_allows(api: Api) -> None:
    status, _, body = await api("GET", "stars")
    assert body["stars"] == ["acme.sales.dash"]
    # An editor cannot define types (admin) nor create stars (owner).
    status, _, body = await api(
        "PUT", "stars/acme.sales.dash/types/Task", {"json_schema": {"type": "object"}}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, body = await api("POST", "stars", {"star": "acme.sales.new"})
    assert status == 403
    # Nothing at all outside the claims, and the message names the star, not internals.
    for method, path in [
        ("GET", "stars/other.team.star/resources/Task"),
        ("GET", "stars/acme.hr.people/types"),
    ]:
        status, _, body = await api(method, path)
        assert status in (403, 404)
    status, _, body = await api("GET", "stars/other.team.star/resources/Task/x")
    assert status == 403 and "other.team.star" in body["error"]["message"]
