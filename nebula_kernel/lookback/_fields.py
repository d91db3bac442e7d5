"""Fields that aggregations read: a dotted path (see ``_paths``) as text or as a number in SQL."""

from __future__ import annotations

from typing import Final

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._paths import FieldPath, MetaKind, parse_path
from nebula_kernel.lookback._sql import Sql

__all__ = ["number_sql", "text_sql"]

_JSON_COLUMNS: Final = frozenset({"value", "previous_values"})


def _json_column(path: FieldPath) -> str:
    if path.json_column not in _JSON_COLUMNS:  # pragma: no cover - FieldPath only makes these
        raise AssertionError(path.json_column)
    return path.json_column


def text_sql(dotted: str, location: str) -> Sql:
    """VARCHAR SQL for the field (a JSON string unquoted, other JSON as its text; null if
    absent), e.g. a dimension or a group-by field."""
    path = parse_path(dotted, location)
    if path.meta is not None:
        return Sql("CAST(" + path.meta.column + " AS VARCHAR)")
    return Sql("json_extract_string(" + _json_column(path) + ", ?)", (path.json_path,))


def number_sql(dotted: str, location: str) -> Sql:
    """DOUBLE SQL for the field; a value that is not a number reads as null."""
    path = parse_path(dotted, location)
    if path.meta is not None:
        if path.meta.kind is not MetaKind.INTEGER:
            raise InvalidQuery(
                f"{location}: {dotted} is not a number; aggregate a numeric field",
                path=location,
            )
        return Sql("CAST(" + path.meta.column + " AS DOUBLE)")
    return Sql("TRY_CAST(json_extract(" + _json_column(path) + ", ?) AS DOUBLE)", (path.json_path,))
