"""Aggregation results: a small table of named columns, as records, Arrow or pandas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["ResultTable"]


@dataclass(frozen=True, slots=True)
class ResultTable:
    """Rows of values under ``columns``; small enough to hold in Python (it is an aggregate)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_records(cls, columns: Sequence[str], records: Sequence[dict[str, Any]]) -> ResultTable:
        return cls(tuple(columns), tuple(tuple(r.get(c) for c in columns) for r in records))

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row, keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_arrow(self) -> pyarrow.Table:
        import pyarrow

        return pyarrow.table({name: self.column(name) for name in self.columns})

    def to_pandas(self) -> pandas.DataFrame:
        import pandas

        return pandas.DataFrame.from_records(list(self.rows), columns=list(self.columns))
