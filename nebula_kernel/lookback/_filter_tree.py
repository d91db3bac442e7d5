"""The parsed form of a Lookback filter: a small tree of frozen nodes.

Operands are typed when the filter is parsed: JSON scalars (``str``, ``float``, ``bool``,
``None``) for value paths; for meta fields, the column's type (``str``, ``int``/``float``,
aware ``datetime``). ``$ne`` and ``$nin`` are ``Not`` around ``$eq`` / ``$in``, so a missing
field matches them, as in MongoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from nebula_kernel.lookback._paths import FieldPath
from nebula_kernel.lookback._regex import RegexPattern

__all__ = [
    "And",
    "Compare",
    "CompareOp",
    "Exists",
    "Filter",
    "In",
    "Node",
    "Not",
    "Operand",
    "Or",
    "Regex",
]

Operand = str | float | int | bool | datetime | None
CompareOp = Literal["eq", "gt", "gte", "lt", "lte"]


@dataclass(frozen=True, slots=True)
class Compare:
    """``path <op> operand``; only values of the operand's JSON type can match."""

    path: FieldPath
    op: CompareOp
    operand: Operand


@dataclass(frozen=True, slots=True)
class In:
    """``path`` equals one of ``operands`` (``None`` among them also matches a missing field)."""

    path: FieldPath
    operands: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Exists:
    """``path`` is present (a JSON null counts as present) when ``present``, else absent."""

    path: FieldPath
    present: bool


@dataclass(frozen=True, slots=True)
class Regex:
    """``path`` is a string that the pattern matches somewhere."""

    path: FieldPath
    pattern: RegexPattern


@dataclass(frozen=True, slots=True)
class And:
    """All children hold; no children means true."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Compare | In | Exists | Regex | And | Or | Not


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed, validated filter; build one with ``parse_filter``.

    ``paths`` lists every field path the filter reads, in first-use order.
    """

    root: Node
    paths: tuple[FieldPath, ...]

    @property
    def is_always_true(self) -> bool:
        """True for the empty filter ``{}``."""
        return self.root == And(())
