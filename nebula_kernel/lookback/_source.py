"""Where a query reads its rows and fields: the ``snapshots`` JSON, or the typed projection.

Every JSON read of a query goes through :meth:`FieldSource.read`, as one of five extractions
(:class:`Extract`) of a path. :data:`JSON_SOURCE` writes them as JSON functions over the
``value`` / ``previous_values`` documents of ``snapshots``. A projected source (see
``nebula_kernel.drivers.duckdb._lookback_projection``) names a column of ``lookback_projection``
instead, which holds the same expression evaluated once when the snapshot was projected; so
both sources give the same results by construction. A path the projection lacks (a nested path,
or a field beyond its limit) raises :class:`NotProjected`, and the query is built again on
:data:`JSON_SOURCE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Final, TypeVar

from nebula_kernel.lookback._paths import FieldPath
from nebula_kernel.lookback._read_point import LATEST_POINT_SQL
from nebula_kernel.lookback._sql import Sql

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "COLUMN_SUFFIXES",
    "JSON_SOURCE",
    "Extract",
    "FieldSource",
    "NotProjected",
    "with_source",
]

T = TypeVar("T")
_NOTHING: Final = Sql("")


class Extract(Enum):
    """One reading of the JSON at a path, and its template over a document column ``{col}``."""

    TYPE = "json_type({col}, ?)"  # NULL when absent, 'NULL' for a JSON null
    TEXT = "json_extract({col}, ?)::VARCHAR"  # the JSON text: strings keep their quotes
    STRING = "json_extract_string({col}, ?)"  # strings unquoted, other values as JSON text
    NUMBER = "TRY_CAST(json_extract({col}, ?)::VARCHAR AS DOUBLE)"  # numbers only
    LOOSE_NUMBER = "TRY_CAST(json_extract({col}, ?) AS DOUBLE)"  # also "5" and true


class NotProjected(Exception):
    """The projection has no column for a path this query reads."""


@dataclass(frozen=True, slots=True)
class FieldSource:
    """``relation`` holds the rows (the meta columns of ``snapshots``); ``point_sql`` gives the
    star's read point (one row ``sid, at_us``; parameter: star); ``columns`` maps a (document,
    top-level key) to the prefix of its projected columns, or is ``None`` when the documents
    themselves are in ``relation``; ``unprojected`` lists the keys seen but given no columns
    (beyond the projection's limit)."""

    relation: str
    point_sql: str
    columns: Mapping[tuple[str, str], str] | None = None
    unprojected: frozenset[tuple[str, str]] = frozenset()
    before_change: bool = False
    current_relation: str | None = None

    def rows(self, *, current: bool) -> str:
        """The relation to read: the open rows' own when the query reads only those."""
        if current and self.current_relation is not None:
            return self.current_relation
        return self.relation

    @property
    def changed_nothing_sql(self) -> str:
        """Whether a snapshot changed no field (a creation, or a write of the same value)."""
        return _CHANGED_NOTHING if self.columns is None else "changed_nothing"

    def has_prior_sql(self, row: str, earlier: Sql = _NOTHING) -> Sql:
        """Whether snapshot ``row`` (an alias) has a version before it: it changed something,
        or an earlier snapshot of its entity ends where it starts (an unchanged write, not a
        (re)creation). ``earlier`` narrows the earlier snapshots looked at (``AND e.…``), to
        let DuckDB skip the rest; the projection holds the answer in a column."""
        if self.columns is not None:
            return Sql(row + ".has_prior")
        return Sql(_HAS_PRIOR.format(row=row + ".")) + earlier + "))"

    def prior(self) -> FieldSource:
        """Reads of the version before each snapshot: its value with the changed top-level
        fields put back from ``previous_values`` (a null there: the field was absent). On the
        JSON, the caller rebuilds that value itself (see ``_transitions``)."""
        return self if self.columns is None else replace(self, before_change=True)

    @property
    def has_documents(self) -> bool:
        """Whether ``relation`` has the ``value`` and ``previous_values`` columns."""
        return self.columns is None

    def read(self, path: FieldPath, extract: Extract) -> Sql:
        """SQL for ``extract`` of a JSON path (``path.meta`` must be ``None``)."""
        if self.columns is None:
            return Sql(extract.value.format(col=path.json_column), (path.json_path,))
        if len(path.segments) != 1 or not isinstance(path.segments[0], str):
            raise NotProjected(path.dotted)
        key = path.segments[0]
        now = self.columns.get((path.json_column, key))
        old = self.columns.get(("previous_values", key)) if path.json_column == "value" else None
        if self.before_change and ("previous_values", key) in self.unprojected:
            raise NotProjected(path.dotted)
        if not self.before_change or old is None:
            if now is None:
                raise NotProjected(path.dotted)
            return Sql(now + COLUMN_SUFFIXES[extract])
        # An object put back goes through json_merge_patch, which drops its null members.
        patched = extract.value.format(col="json_merge_patch('{}', " + old + "_t)")
        return Sql(
            "CASE WHEN "
            + old
            + "_j IS NULL THEN "
            + ("NULL" if now is None else now + COLUMN_SUFFIXES[extract])
            + " WHEN "
            + old
            + "_j = 'NULL' THEN NULL WHEN "
            + old
            + "_j = 'OBJECT' THEN "
            + patched
            + " ELSE "
            + old
            + COLUMN_SUFFIXES[extract]
            + " END",
            ("$",),
        )


COLUMN_SUFFIXES: Final = {
    Extract.TYPE: "_j",
    Extract.TEXT: "_t",
    Extract.STRING: "_s",
    Extract.NUMBER: "_n",
    Extract.LOOSE_NUMBER: "_d",
}

# Whether a snapshot changed nothing, its columns prefixed by ``{row}`` (an alias and a dot).
_NO_CHANGE: Final = "CAST({row}previous_values AS VARCHAR) = '{{}}'"
_CHANGED_NOTHING: Final = _NO_CHANGE.format(row="")
# Ends open (``… AND e.valid_to = {row}valid_from``) for the narrowing and the two ``)``.
_HAS_PRIOR: Final = (
    "(NOT " + _NO_CHANGE + " OR EXISTS (SELECT 1 FROM snapshots e "  # noqa: S608 - constants
    "WHERE e.star = {row}star AND e.eid = {row}eid AND e.valid_to = {row}valid_from"
)
JSON_SOURCE: Final = FieldSource("snapshots", LATEST_POINT_SQL)


def with_source(con: duckdb.DuckDBPyConnection, star: str, build: Callable[[FieldSource], T]) -> T:
    """``build`` on the projection when it is current for ``star`` and has every path the
    query reads, else on :data:`JSON_SOURCE`."""
    # Imported here: the projection's module imports this one (Extract, FieldSource).
    from nebula_kernel.drivers.duckdb._lookback_projection import projected_source

    source = projected_source(con, star)
    if source is not None:
        try:
            return build(source)
        except NotProjected:
            pass
    return build(JSON_SOURCE)
