"""Star identifiers: ``universe.galaxy.star``, and the patterns claims use to name them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nebula_kernel.errors import InvalidIdentifier

__all__ = ["StarId", "check_star_pattern", "star_matches"]

_PART = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_STAR_RE = re.compile(rf"^{_PART}\.{_PART}\.{_PART}$")
_PART_RE = re.compile(rf"^{_PART}$")


@dataclass(frozen=True, slots=True, order=True)
class StarId:
    """A validated ``universe.galaxy.star`` address."""

    universe: str
    galaxy: str
    star: str

    @classmethod
    def parse(cls, text: str) -> StarId:
        if not isinstance(text, str) or not _STAR_RE.match(text):
            raise InvalidIdentifier(
                f"{text!r} is not a star id. A star id is 'universe.galaxy.star': three parts of "
                "lowercase letters, digits and inner hyphens (1-63 characters each), e.g. "
                "'acme.analytics.sales-dash'.",
                star=str(text)[:200],
            )
        universe, galaxy, star = text.split(".")
        return cls(universe, galaxy, star)

    def __str__(self) -> str:
        return f"{self.universe}.{self.galaxy}.{self.star}"


def check_star_pattern(pattern: str) -> list[str]:
    """Validate a claim's star pattern; return its parts."""
    parts = pattern.split(".")
    ok = pattern == "*" or (
        1 <= len(parts) <= 3
        and all(_PART_RE.match(p) for p in parts[:-1])
        and (
            parts[-1] == "*" if len(parts) < 3 else (parts[-1] == "*" or _PART_RE.match(parts[-1]))
        )
    )
    if not ok:
        raise InvalidIdentifier(
            f"{pattern!r} is not a star pattern. Use a star id ('acme.analytics.sales'), a galaxy "
            "wildcard ('acme.analytics.*'), a universe wildcard ('acme.*') or '*'.",
            pattern=pattern[:200],
        )
    return parts


def star_matches(pattern: str, star: StarId) -> bool:
    """Whether a claim's star pattern covers ``star``; wildcards only at the end."""
    parts = check_star_pattern(pattern)
    if parts == ["*"]:
        return True
    target = [star.universe, star.galaxy, star.star]
    for i, part in enumerate(parts):
        if part == "*":
            return True
        if part != target[i]:
            return False
    return True
