"""One page of a ``find``: Lookback records, with Arrow and pandas views."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from nebula_kernel.lookback._find_sql import Decode, OutputField

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["FindResult", "decode_rows", "iso_utc"]

_TIMESTAMP_KEYS: Final = frozenset({"_ValidFrom", "_ValidTo"})


@dataclass(frozen=True, slots=True)
class FindResult:
    """``results`` is one page of ``total`` matching snapshots, from ``start``.

    Pass ``read_point`` back with the next page's query to read the same moment of history.
    Timestamps are ISO 8601 strings in UTC (``…Z``) in records, timestamps in Arrow/pandas.
    """

    total: int
    start: int
    pagesize: int
    results: tuple[dict[str, Any], ...]
    read_point: str

    def records(self) -> list[dict[str, Any]]:
        """The page as Lookback records (copies: changing them changes nothing here)."""
        return [dict(record) for record in self.results]

    def to_dict(self) -> dict[str, Any]:
        """The JSON response shape."""
        return {
            "total": self.total,
            "start": self.start,
            "pagesize": self.pagesize,
            "results": self.records(),
            "read_point": self.read_point,
        }

    def to_arrow(self) -> pyarrow.Table:
        """One column per record key, in first-seen order.

        A column holds JSON text when it has objects (an Arrow struct would turn a missing key
        into null) or values that share no Arrow type (a number here, a string there).
        """
        import pyarrow

        names = list(dict.fromkeys(key for record in self.results for key in record))
        columns = {}
        for name in names:
            values = [record.get(name) for record in self.results]
            if name in _TIMESTAMP_KEYS:
                values = [None if v is None else datetime.fromisoformat(v) for v in values]
            columns[name] = _arrow_column(values)
        return pyarrow.table(columns)

    def to_pandas(self) -> pandas.DataFrame:
        """The Arrow table as a DataFrame."""
        frame: pandas.DataFrame = self.to_arrow().to_pandas()
        return frame


def _arrow_column(values: list[Any]) -> pyarrow.Array:
    import pyarrow

    if not any(isinstance(v, dict) for v in values):
        try:
            return pyarrow.array(values)
        except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
            pass
    return pyarrow.array([None if v is None else json.dumps(v) for v in values], pyarrow.string())


def decode_rows(
    fields: Sequence[OutputField], rows: Sequence[tuple[Any, ...]]
) -> tuple[dict[str, Any], ...]:
    """Records from rows selected by :func:`output_fields`, column for column."""
    return tuple(_decode(fields, row) for row in rows)


def _decode(fields: Sequence[OutputField], row: tuple[Any, ...]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field, cell in zip(fields, row, strict=True):
        if field.decode is Decode.VALUE:
            record.update(json.loads(cell))
        elif field.decode is Decode.JSON:
            if cell is not None:
                record[field.key] = json.loads(cell)
        elif field.decode is Decode.TIMESTAMP:
            record[field.key] = iso_utc(cell)
        else:
            record[field.key] = cell
    return record


def iso_utc(instant: datetime) -> str:
    """``2025-03-01T12:00:00Z`` (with microseconds when there are any)."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
