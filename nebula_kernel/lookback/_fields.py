"""Fields that aggregations read: a dotted path (see ``_paths``) as text or as a number in SQL."""

from __future__ import annotations

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._paths import MetaKind, parse_path
from nebula_kernel.lookback._source import JSON_SOURCE, Extract, FieldSource
from nebula_kernel.lookback._sql import Sql

__all__ = ["number_sql", "text_sql"]


def text_sql(dotted: str, location: str, source: FieldSource = JSON_SOURCE) -> Sql:
    """VARCHAR SQL for the field (a JSON string unquoted, other JSON as its text; null if
    absent), e.g. a dimension or a group-by field."""
    path = parse_path(dotted, location)
    if path.meta is not None:
        return Sql("CAST(" + path.meta.column + " AS VARCHAR)")
    return source.read(path, Extract.STRING)


def number_sql(dotted: str, location: str, source: FieldSource = JSON_SOURCE) -> Sql:
    """DOUBLE SQL for the field; a value that is not a number reads as null."""
    path = parse_path(dotted, location)
    if path.meta is not None:
        if path.meta.kind is not MetaKind.INTEGER:
            raise InvalidQuery(
                f"{location}: {dotted} is not a number; aggregate a numeric field",
                path=location,
            )
        return Sql("CAST(" + path.meta.column + " AS DOUBLE)")
    return source.read(path, Extract.LOOSE_NUMBER)
