"""Principals, roles and the one authorization check every entry point makes."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from nebula_kernel.auth._stars import StarId, check_star_pattern, star_matches
from nebula_kernel.errors import Forbidden, InvalidIdentifier

__all__ = ["LOCAL_PRINCIPAL", "Principal", "Role", "authorize"]


class Role(enum.IntEnum):
    """Roles on a star, each granting everything the ones below it grant."""

    VIEWER = 10
    EDITOR = 20
    ADMIN = 30
    OWNER = 40

    @classmethod
    def parse(cls, text: str | Role) -> Role:
        if isinstance(text, Role):
            return text
        try:
            return cls[text.upper()]
        except KeyError:
            names = ", ".join(r.name.lower() for r in cls)
            raise InvalidIdentifier(f"Unknown role {text!r}; use one of {names}.") from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and the stars their claims reach.

    ``claims`` maps a star pattern (``acme.analytics.sales``, ``acme.analytics.*``, ``acme.*``,
    ``*``) to a role. The most specific matching pattern wins, so a narrower claim can lower a
    broader one.
    """

    id: str
    claims: Mapping[str, Role | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 200:
            raise InvalidIdentifier("A principal id must be 1-200 characters.")
        for pattern in self.claims:
            check_star_pattern(pattern)  # a malformed claim fails here, not on first use
        object.__setattr__(
            self, "claims", MappingProxyType({p: Role.parse(r) for p, r in self.claims.items()})
        )

    def role_on(self, star: StarId) -> Role | None:
        best: tuple[int, Role] | None = None
        for pattern, claimed in self.claims.items():
            role = Role.parse(claimed)
            if star_matches(pattern, star):
                specificity = 0 if pattern == "*" else len(pattern.split("."))
                specificity = specificity * 2 + (0 if pattern.endswith("*") else 1)
                if best is None or specificity > best[0]:
                    best = (specificity, role)
        return None if best is None else best[1]


LOCAL_PRINCIPAL = Principal("local", {"*": Role.OWNER})
"""The single user of an embedded store or a personal JupyterLab: owner of every star."""


def authorize(principal: Principal, star: StarId, needed: Role) -> None:
    """Raise :class:`Forbidden` unless ``principal`` holds ``needed`` (or more) on ``star``."""
    role = principal.role_on(star)
    if role is None or role < needed:
        held = "no role" if role is None else f"the {role.name.lower()} role"
        raise Forbidden(
            f"Principal {principal.id!r} has {held} on star {str(star)!r}; this needs "
            f"{needed.name.lower()} or above. Ask an owner of the star for a claim that grants it.",
            star=str(star),
            principal=principal.id,
            needed=needed.name.lower(),
        )
