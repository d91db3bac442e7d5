"""SQL built from constant fragments with ``?`` parameters carried alongside, never spliced in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Sql", "sql_join"]


@dataclass(frozen=True, slots=True)
class Sql:
    """A fragment of SQL and the values of its ``?`` placeholders, in order."""

    text: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)

    def wrap(self, before: str, after: str) -> Sql:
        return Sql(before + self.text + after, self.params)


def sql_join(separator: str, parts: Iterable[Sql]) -> Sql:
    """The fragments one after another with ``separator`` (a constant) between them."""
    items = list(parts)
    return Sql(separator.join(p.text for p in items), tuple(v for p in items for v in p.params))
