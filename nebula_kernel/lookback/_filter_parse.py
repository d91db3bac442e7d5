"""Parse a MongoDB-style filter document into a :class:`Filter`, or say exactly what is wrong.

Errors are :class:`InvalidQuery` whose message starts with, and whose ``details["path"]`` is,
the location of the offending part, e.g. ``find.State.$gtx`` or ``find.$or.1.Points.$in``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._filter_tree import (
    And,
    Compare,
    CompareOp,
    Exists,
    Filter,
    In,
    Node,
    Not,
    Operand,
    Or,
    Regex,
)
from nebula_kernel.lookback._paths import FieldPath, MetaKind, parse_path, parse_timestamp
from nebula_kernel.lookback._regex import parse_regex

__all__ = ["MAX_FILTER_DEPTH", "MAX_FILTER_NODES", "MAX_IN_OPERANDS", "parse_filter"]

MAX_FILTER_DEPTH: Final = 12
MAX_FILTER_NODES: Final = 500
MAX_IN_OPERANDS: Final = 1000
_MAX_STRING: Final = 10_000

_COMPARE_OPS: Final[Mapping[str, CompareOp]] = {
    "$eq": "eq",
    "$gt": "gt",
    "$gte": "gte",
    "$lt": "lt",
    "$lte": "lte",
}
_FIELD_OPS: Final = (*_COMPARE_OPS, "$ne", "$in", "$nin", "$exists", "$regex", "$options", "$not")
_LOGICAL_OPS: Final = ("$and", "$or", "$nor", "$not")


def parse_filter(doc: Mapping[str, Any], *, location: str = "find") -> Filter:
    """Validate ``doc`` and build its tree; ``location`` prefixes every error path."""
    parser = _Parser()
    root = parser.document(doc, location, 1)
    return Filter(root, tuple(parser.paths.values()))


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0
        self.paths: dict[str, FieldPath] = {}

    def count(self, location: str, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_FILTER_NODES:
            raise InvalidQuery(
                f"{location}: filter has more than {MAX_FILTER_NODES} conditions; simplify it",
                path=location,
            )
        if depth > MAX_FILTER_DEPTH:
            raise InvalidQuery(
                f"{location}: filter is nested deeper than {MAX_FILTER_DEPTH} levels",
                path=location,
            )

    def document(self, doc: object, location: str, depth: int) -> Node:
        if not isinstance(doc, Mapping):
            raise InvalidQuery(f"{location}: a filter must be an object", path=location)
        self.count(location, depth)
        terms = [self.term(str(key), doc[key], f"{location}.{key}", depth) for key in doc]
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def term(self, key: str, operand: object, location: str, depth: int) -> Node:
        if key.startswith("$"):
            if key == "$not":
                return Not(self.document(operand, location, depth + 1))
            if key not in _LOGICAL_OPS:
                raise _unknown(key, location, _LOGICAL_OPS, "at this level")
            if not isinstance(operand, list) or not operand:
                raise InvalidQuery(
                    f"{location}: {key} needs a non-empty list of filters", path=location
                )
            children = tuple(
                self.document(item, f"{location}.{n}", depth + 1) for n, item in enumerate(operand)
            )
            if key == "$and":
                return And(children)
            return Or(children) if key == "$or" else Not(Or(children))  # $nor
        path = parse_path(key, location)
        self.paths.setdefault(path.dotted, path)
        if isinstance(operand, Mapping) and any(str(k).startswith("$") for k in operand):
            return self.operators(path, operand, location, depth + 1)
        return self.compare(path, "eq", operand, location)

    def operators(self, path: FieldPath, ops: Mapping[Any, Any], location: str, depth: int) -> Node:
        self.count(location, depth)
        if "$options" in ops and "$regex" not in ops:
            raise InvalidQuery(
                f"{location}.$options: $options goes with $regex", path=f"{location}.$options"
            )
        terms: list[Node] = []
        for raw_key, operand in ops.items():
            key = str(raw_key)
            here = f"{location}.{key}"
            if key not in _FIELD_OPS:
                hint = "field operators" if key.startswith("$") else "operators (not field names)"
                raise _unknown(key, here, _FIELD_OPS, f"in {hint}")
            if key in _COMPARE_OPS:
                terms.append(self.compare(path, _COMPARE_OPS[key], operand, here))
            elif key == "$ne":
                terms.append(Not(self.compare(path, "eq", operand, here)))
            elif key in ("$in", "$nin"):
                found = self.in_list(path, operand, here)
                terms.append(found if key == "$in" else Not(found))
            elif key == "$exists":
                if not isinstance(operand, bool):
                    raise InvalidQuery(f"{here}: $exists needs true or false", path=here)
                terms.append(Exists(path, operand))
            elif key == "$regex":
                terms.append(self.regex(path, operand, ops.get("$options", ""), here))
            elif key == "$not":
                if not isinstance(operand, Mapping) or not operand:
                    raise InvalidQuery(f"{here}: $not needs an object of operators", path=here)
                terms.append(Not(self.operators(path, operand, here, depth + 1)))
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def in_list(self, path: FieldPath, operand: object, location: str) -> In:
        if not isinstance(operand, list):
            raise InvalidQuery(f"{location}: needs a list of values", path=location)
        if len(operand) > MAX_IN_OPERANDS:
            raise InvalidQuery(f"{location}: at most {MAX_IN_OPERANDS} values", path=location)
        values = tuple(
            _operand(path, item, f"{location}.{n}", "eq") for n, item in enumerate(operand)
        )
        return In(path, values)

    def compare(self, path: FieldPath, op: CompareOp, operand: object, location: str) -> Compare:
        return Compare(path, op, _operand(path, operand, location, op))

    def regex(self, path: FieldPath, operand: object, options: object, location: str) -> Regex:
        if path.meta is not None and path.meta.kind is not MetaKind.STRING:
            raise InvalidQuery(
                f"{location}: $regex applies to text, not {path.dotted}", path=location
            )
        return Regex(path, parse_regex(operand, options, location))


def _operand(path: FieldPath, value: object, location: str, op: CompareOp) -> Operand:
    """Check ``value`` for ``path`` and return it in the form both evaluators compare."""
    if path.meta is None:
        return _json_operand(value, location, op)
    kind = path.meta.kind
    if kind is MetaKind.TIMESTAMP:
        return parse_timestamp(value, location)
    wanted = str if kind is MetaKind.STRING else int
    if isinstance(value, bool) or not isinstance(value, wanted):
        what = "a string" if kind is MetaKind.STRING else "an integer"
        raise InvalidQuery(f"{location}: {path.dotted} compares with {what}", path=location)
    return value


def _json_operand(value: object, location: str, op: CompareOp) -> Operand:
    if isinstance(value, bool):
        if op != "eq":
            raise InvalidQuery(f"{location}: booleans only compare for equality", path=location)
        return value
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise InvalidQuery(f"{location}: number out of range", path=location)
        return number
    if isinstance(value, str):
        if len(value) > _MAX_STRING:
            raise InvalidQuery(f"{location}: string longer than {_MAX_STRING}", path=location)
        return value
    if value is None:
        if op != "eq":
            raise InvalidQuery(
                f"{location}: null only compares for equality; use $exists or $eq null",
                path=location,
            )
        return None
    raise InvalidQuery(
        f"{location}: compare with a string, number, boolean or null (arrays and objects are "
        "not supported; use a dotted path such as 'tags.0' or 'owner.team')",
        path=location,
    )


def _unknown(key: str, location: str, known: tuple[str, ...], where: str) -> InvalidQuery:
    return InvalidQuery(
        f"{location}: unknown operator {key!r} {where}; use one of {', '.join(known)}",
        path=location,
    )
