"""Field paths of Lookback filters: what a dotted name refers to, in SQL and in a record.

A path is either a meta field (``_Id``, ``_ValidFrom``, …: a column of ``snapshots``) or a
dotted path into a JSON document: the value (``owner.team``) or the previous values
(``_PreviousValues.State``). Segments are identifiers (letters, digits, ``_``, ``-``, not
starting with ``$``); a segment made only of digits is an array index, so ``tags.0`` is the
first tag. Object keys made only of digits cannot be addressed (they read as absent).
Other names starting with ``_`` are reserved for meta fields and rejected, which catches typos
such as ``_validFrom``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final, Literal

from nebula_kernel.errors import InvalidQuery

__all__ = [
    "ABSENT",
    "MAX_PATH_SEGMENTS",
    "META_FIELDS",
    "PREVIOUS_VALUES",
    "FieldPath",
    "JsonColumn",
    "MetaField",
    "MetaKind",
    "Segment",
    "parse_path",
    "parse_timestamp",
]

MAX_PATH_SEGMENTS: Final = 16
_MAX_INDEX: Final = 1_000_000
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,127}")
_INDEX = re.compile(r"[0-9]{1,7}")

Segment = str | int
JsonColumn = Literal["value", "previous_values"]
_JSON_COLUMNS: Final = ("value", "previous_values")


class _Absent:
    """The marker of a path that leads nowhere (distinct from a JSON null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


class MetaKind(Enum):
    STRING = "string"
    INTEGER = "integer"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class MetaField:
    """A meta field of a Lookback record and the ``snapshots`` column that holds it."""

    name: str
    column: str
    kind: MetaKind


META_FIELDS: Final[Mapping[str, MetaField]] = {
    m.name: m
    for m in (
        MetaField("_Id", "id", MetaKind.STRING),
        MetaField("_Type", "type", MetaKind.STRING),
        MetaField("_ETag", "etag", MetaKind.STRING),
        MetaField("_ChangedBy", "changed_by", MetaKind.STRING),
        MetaField("_SnapshotNumber", "snapshot_number", MetaKind.INTEGER),
        MetaField("_SchemaVersion", "schema_version", MetaKind.INTEGER),
        MetaField("_ValidFrom", "valid_from", MetaKind.TIMESTAMP),
        MetaField("_ValidTo", "valid_to", MetaKind.TIMESTAMP),
    )
}
PREVIOUS_VALUES: Final = "_PreviousValues"


@dataclass(frozen=True, slots=True)
class FieldPath:
    """Where a filter looks: a meta column, or ``segments`` inside a JSON column.

    ``json_column`` (``value`` or ``previous_values``, checked: SQL names it) is the document
    when ``meta`` is ``None``.
    """

    dotted: str
    meta: MetaField | None = None
    json_column: JsonColumn = "value"
    segments: tuple[Segment, ...] = ()

    def __post_init__(self) -> None:
        if self.json_column not in _JSON_COLUMNS:
            raise ValueError(f"not a JSON column: {self.json_column!r}")

    @property
    def json_path(self) -> str:
        """The DuckDB JSON path, e.g. ``$."owner"."team"`` or ``$."tags"[0]``.

        Segments are validated identifiers, so quoting them is enough to make this safe; it
        still travels to DuckDB as a parameter.
        """
        return "$" + "".join(f"[{s}]" if isinstance(s, int) else f'."{s}"' for s in self.segments)

    def lookup(self, record: Mapping[str, Any]) -> Any:
        """The value at this path in a Lookback record, or :data:`ABSENT`."""
        if self.meta is not None:
            return record.get(self.meta.name, ABSENT)
        node: Any = record if self.json_column == "value" else record.get(PREVIOUS_VALUES, {})
        for segment in self.segments:
            if isinstance(segment, int):
                if not isinstance(node, list) or segment >= len(node):
                    return ABSENT
                node = node[segment]
            else:
                if not isinstance(node, Mapping) or segment not in node:
                    return ABSENT
                node = node[segment]
        return node


def parse_path(dotted: str, location: str) -> FieldPath:
    """Validate a dotted field name; ``location`` names it in error messages."""
    if not isinstance(dotted, str) or not dotted:
        raise InvalidQuery(f"{location}: a field name must be a non-empty string", path=location)
    parts = dotted.split(".")
    if len(parts) > MAX_PATH_SEGMENTS:
        raise InvalidQuery(
            f"{location}: field path has {len(parts)} segments; at most {MAX_PATH_SEGMENTS}",
            path=location,
        )
    head = parts[0]
    if head in META_FIELDS:
        if len(parts) > 1:
            raise InvalidQuery(f"{location}: meta field {head} has no sub-fields", path=location)
        return FieldPath(dotted, meta=META_FIELDS[head])
    column: JsonColumn = "value"
    if head == PREVIOUS_VALUES:
        if len(parts) == 1:
            raise InvalidQuery(
                f"{location}: name a field of {PREVIOUS_VALUES}, e.g. '{PREVIOUS_VALUES}.State'",
                path=location,
            )
        column, parts = "previous_values", parts[1:]
    elif head.startswith("_"):
        raise InvalidQuery(
            f"{location}: unknown meta field {head!r}; use one of "
            f"{', '.join([*META_FIELDS, PREVIOUS_VALUES])}",
            path=location,
        )
    return FieldPath(
        dotted, json_column=column, segments=tuple(_segment(p, location) for p in parts)
    )


def _segment(part: str, location: str) -> Segment:
    if _INDEX.fullmatch(part):
        index = int(part)
        if index < _MAX_INDEX:
            return index
    elif _SEGMENT.fullmatch(part):
        return part
    raise InvalidQuery(
        f"{location}: invalid path segment {part!r}; segments are letters, digits, '_' and '-' "
        f"(at most 128 characters), or an array index below {_MAX_INDEX}",
        path=location,
    )


def parse_timestamp(text: object, location: str) -> datetime:
    """An ISO 8601 timestamp with a time zone (``Z`` or an offset), as an aware datetime."""
    if isinstance(text, str) and "T" in text:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
    raise InvalidQuery(
        f"{location}: expected an ISO 8601 timestamp with a time zone, e.g. "
        f"'2025-03-01T00:00:00Z'; got {text!r:.80}",
        path=location,
    )
