"""SQL fragments of ``find``: projected fields, sort keys and the ``__At`` predicate.

As in ``_filter_sql``, every fragment is a constant or a whitelisted column; JSON paths and
values are ``?`` parameters. Sort keys read the query's source (the documents or their
projection); output fields always read the documents of the page's rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from nebula_kernel.lookback._paths import (
    META_FIELDS,
    PREVIOUS_VALUES,
    MetaKind,
    parse_path,
)
from nebula_kernel.lookback._source import JSON_SOURCE, Extract, FieldSource

__all__ = ["Decode", "OutputField", "SortKey", "output_fields", "sort_keys"]

# Mongo's order across types: missing/null, numbers, strings, objects, arrays, booleans.
_TYPE_RANK: Final = (
    " WHEN 'BIGINT' THEN 1 WHEN 'UBIGINT' THEN 1 WHEN 'DOUBLE' THEN 1 "
    "WHEN 'VARCHAR' THEN 2 WHEN 'OBJECT' THEN 3 WHEN 'ARRAY' THEN 4 WHEN 'BOOLEAN' THEN 5 "
    "ELSE 0 END"
)
_DIRECTIONS: Final = {1: "ASC NULLS FIRST", -1: "DESC NULLS LAST"}


class Decode(Enum):
    """How a selected column becomes part of a record."""

    PLAIN = "plain"  # a string or integer column, as is
    TIMESTAMP = "timestamp"  # a TIMESTAMPTZ column
    JSON = "json"  # JSON text under the field's key; SQL NULL (absent) leaves the key out
    VALUE = "value"  # the whole value: its fields are spread into the record


@dataclass(frozen=True, slots=True)
class OutputField:
    key: str
    sql: str
    params: tuple[Any, ...]
    decode: Decode


def _meta_field(name: str) -> OutputField:
    meta = META_FIELDS[name]
    decode = Decode.TIMESTAMP if meta.kind is MetaKind.TIMESTAMP else Decode.PLAIN
    return OutputField(name, meta.column, (), decode)


_PREVIOUS: Final = OutputField(PREVIOUS_VALUES, "previous_values::VARCHAR", (), Decode.JSON)
ALL_FIELDS: Final = (
    OutputField("", "value::VARCHAR", (), Decode.VALUE),
    *(_meta_field(name) for name in META_FIELDS),
    _PREVIOUS,
)


def output_fields(fields: Sequence[str] | None) -> tuple[OutputField, ...]:
    """What to select from ``snapshots`` for ``fields`` (``None``: the whole record)."""
    if fields is None:
        return ALL_FIELDS
    chosen: dict[str, OutputField] = {}
    for n, name in enumerate(fields):
        if name == PREVIOUS_VALUES:
            chosen[name] = _PREVIOUS
            continue
        path = parse_path(name, f"fields.{n}")
        if path.meta is not None:
            chosen[name] = _meta_field(path.meta.name)
        else:
            text = JSON_SOURCE.read(path, Extract.TEXT)
            chosen[name] = OutputField(name, text.text, text.params, Decode.JSON)
    return tuple(chosen.values())


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ORDER BY expression and its direction (``ASC NULLS FIRST`` or ``DESC NULLS LAST``)."""

    sql: str
    params: tuple[Any, ...]
    direction: str


def sort_keys(sort: Mapping[str, int], source: FieldSource = JSON_SOURCE) -> tuple[SortKey, ...]:
    """The keys of ``sort``, most significant first; a JSON field sorts by three keys."""
    keys: list[SortKey] = []
    for name, direction in sort.items():
        suffix = _DIRECTIONS[direction]
        path = parse_path(name, f"sort.{name}")
        if path.meta is not None:
            keys.append(SortKey(path.meta.column, (), suffix))
            continue
        # Mongo's type order, then numbers (NULL for a string), then text.
        for key in (
            source.read(path, Extract.TYPE).wrap("CASE ", _TYPE_RANK),
            source.read(path, Extract.NUMBER),
            source.read(path, Extract.STRING),
        ):
            keys.append(SortKey(key.text, key.params, suffix))
    return tuple(keys)
