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


class TestTokenHolder:
    """Callers known only by the shared token are one principal: its holder."""

    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {
            "default_star": "acme.sales.dash",
            "token_holder": "ada",
            # The holder's own claims apply to them; the default ones to other users.
            "claims": {"ada": {"acme.*": "owner"}},
            "default_claims": {},
        }

    async def test_each_tokened_request_is_the_same_holder_with_the_holders_claims(
        self, api: Api
    ) -> None:
        status, _, body = await api(
            "PUT", "stars/acme.sales.dash/types/Task", {"json_schema": {"type": "object"}}
        )
        assert status in (200, 201), body
        writers = []
        for n in range(2):  # no cookies kept: jupyter_server makes up a new user each time
            status, _, body = await api("PUT", "stars/acme.sales.dash/resources/Task/t", {"n": n})
            assert status in (200, 201), body
            writers.append(body["changed_by"])
        assert writers == ["ada", "ada"]


def test_a_named_user_stays_themselves_and_a_made_up_one_is_the_holder() -> None:
    from jupyter_server.auth import User

    from nebula_kernel.auth import Role
    from nebula_server._principals import ClaimsMap

    claims = ClaimsMap({"ada": {"*": "owner"}}, {"acme.*": "viewer"}, token_holder="ada")
    made_up = User("0123456789abcdef0123456789abcdef", "Anonymous Io", "Anonymous Io")
    assert claims.principal_of(made_up) == claims.principal("ada")
    named = User("grace", "Grace Hopper", "Grace Hopper")
    assert claims.principal_of(named).id == "grace"
    assert dict(claims.principal_of(named).claims) == {"acme.*": Role.VIEWER}
