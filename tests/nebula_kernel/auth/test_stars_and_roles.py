"""Stars, claims and roles: an attack table of who may do what where."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import nebula_kernel as nk
from nebula_kernel.auth import star_matches


def test_star_id_parses_and_prints() -> None:
    star = nk.StarId.parse("acme.analytics.sales-dash")
    assert (star.universe, star.galaxy, star.star) == ("acme", "analytics", "sales-dash")
    assert str(star) == "acme.analytics.sales-dash"


@pytest.mark.parametrize(
    ("pattern", "star", "matches"),
    [
        ("*", "a.b.c", True),
        ("acme.*", "acme.x.y", True),
        ("acme.*", "acmex.x.y", False),
        ("acme.sales.*", "acme.sales.dash", True),
        ("acme.sales.*", "acme.salesx.dash", False),
        ("acme.sales.dash", "acme.sales.dash", True),
        ("acme.sales.dash", "acme.sales.dash2", False),
    ],
)
def test_star_patterns(pattern: str, star: str, matches: bool) -> None:
    assert star_matches(pattern, nk.StarId.parse(star)) is matches


@pytest.mark.parametrize(
    "pattern", ["", "acme", "acme.*.x", "*.sales.*", "acme.sales.dash.*", "ACME.*", "acme..*"]
)
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(nk.InvalidIdentifier, match="star pattern"):
        nk.Principal("p", {pattern: nk.Role.VIEWER})


def test_most_specific_claim_wins() -> None:
    p = nk.Principal("p", {"acme.*": "admin", "acme.sales.secret": "viewer"})
    assert p.role_on(nk.StarId.parse("acme.sales.dash")) == nk.Role.ADMIN
    assert p.role_on(nk.StarId.parse("acme.sales.secret")) == nk.Role.VIEWER
    assert p.role_on(nk.StarId.parse("other.sales.dash")) is None


VIEWER = nk.Principal("vera", {"acme.sales.*": "viewer"})
EDITOR = nk.Principal("ed", {"acme.sales.dash": "editor"})
ADMIN = nk.Principal("ada", {"acme.sales.dash": "admin"})
STRANGER = nk.Principal("sam", {"other.*": "owner"})
STAR = "acme.sales.dash"


@pytest.fixture
def acme(store: nk.ResourceStore) -> nk.ResourceStore:
    store.create_star(STAR)
    store.define_type("Task", json_schema={"type": "object"}, star=STAR)
    store.put("Task", "t", {"title": "x"}, star=STAR)
    return store


@pytest.mark.parametrize(
    ("principal", "action", "allowed"),
    [
        (VIEWER, "read", True),
        (VIEWER, "write", False),
        (VIEWER, "define", False),
        (EDITOR, "read", True),
        (EDITOR, "write", True),
        (EDITOR, "define", False),
        (ADMIN, "read", True),
        (ADMIN, "write", True),
        (ADMIN, "define", True),
        (STRANGER, "read", False),
        (STRANGER, "write", False),
        (STRANGER, "subscribe", False),
        (VIEWER, "subscribe", True),
        (EDITOR, "create_star", False),
    ],
)
def test_authorization_matrix(
    acme: nk.ResourceStore, principal: nk.Principal, action: str, allowed: bool
) -> None:
    actions: dict[str, Callable[[], object]] = {
        "read": lambda: acme.get("Task", "t", star=STAR, principal=principal),
        "write": lambda: acme.put("Task", "t2", {}, star=STAR, principal=principal),
        "define": lambda: acme.define_type(
            "Other", json_schema={"type": "object"}, star=STAR, principal=principal
        ),
        "subscribe": lambda: acme.subscribe(print, star=STAR, principal=principal).close(),
        "create_star": lambda: acme.create_star("acme.sales.new", principal=principal),
    }
    if allowed:
        actions[action]()
    else:
        with pytest.raises(nk.Forbidden) as caught:
            actions[action]()
        assert principal.id in caught.value.message


def test_stars_lists_only_what_the_principal_may_read(acme: nk.ResourceStore) -> None:
    assert acme.stars(principal=VIEWER) == [STAR]
    assert acme.stars(principal=STRANGER) == []
    assert acme.stars() == [STAR, "local.lab.default"]
