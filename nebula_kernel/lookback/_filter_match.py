"""Evaluate a :class:`Filter` on one Lookback record in Python, with the SQL's exact semantics.

The rules mirror ``_filter_sql``: a value matches an operand only if both have the same JSON
type (``bool`` is not a number here); numbers compare as floats; strings by code point (the
same order as DuckDB's byte-wise UTF-8 comparison); a missing field equals ``null`` and matches
nothing else. Meta timestamps may be ISO strings or datetimes (naive ones are read as UTC).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from nebula_kernel.lookback._filter_tree import (
    And,
    Compare,
    Exists,
    Filter,
    In,
    Node,
    Not,
    Operand,
    Or,
    Regex,
)
from nebula_kernel.lookback._paths import ABSENT, FieldPath, MetaKind

__all__ = ["filter_matches"]

_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def filter_matches(f: Filter, record: Mapping[str, Any]) -> bool:
    """Whether ``record`` (value fields plus ``_`` meta fields) satisfies ``f``."""
    return _holds(f.root, record)


def _holds(node: Node, record: Mapping[str, Any]) -> bool:
    match node:
        case And(children):
            return all(_holds(child, record) for child in children)
        case Or(children):
            return any(_holds(child, record) for child in children)
        case Not(child):
            return not _holds(child, record)
        case Exists(path, present):
            return (_value(path, record) is not ABSENT) == present
        case Compare(path, op, operand):
            return _compare(_value(path, record), op, operand)
        case In(path, operands):
            actual = _value(path, record)
            return any(_compare(actual, "eq", operand) for operand in operands)
        case Regex(path, pattern):
            actual = _value(path, record)
            return isinstance(actual, str) and pattern.search(actual)
    raise AssertionError(node)  # pragma: no cover - the match above is exhaustive


def _value(path: FieldPath, record: Mapping[str, Any]) -> Any:
    found = path.lookup(record)
    if path.meta is not None and path.meta.kind is MetaKind.TIMESTAMP and found is not ABSENT:
        return _as_datetime(found)
    return found


def _as_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        raise TypeError(f"a timestamp meta field holds {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _compare(actual: Any, op: str, operand: Operand) -> bool:
    if operand is None:
        return actual is None or actual is ABSENT
    if isinstance(operand, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(operand, bool) and actual == operand
    if isinstance(operand, (int, float)) and not isinstance(operand, bool):
        if not isinstance(actual, (int, float)):
            return False
        return _OPERATORS[op](float(actual), float(operand))
    if isinstance(operand, str):
        return isinstance(actual, str) and _OPERATORS[op](actual, operand)
    return isinstance(actual, datetime) and _OPERATORS[op](actual, operand)
