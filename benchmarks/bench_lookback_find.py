"""Lookback ``find``: the state at an instant with two filters, against the same in pandas.

The data is the shared Lookback dataset (``_lookback_data``: 1,000,000 snapshots of 10,000
entities over two years; ``--quick``: 20,000 of 200). ``find`` reads the DuckDB file; the
pandas baseline starts from the Parquet export already in memory (flattened columns, so no
JSON parsing) and does what a user would write: keep the rows valid at ``t``, then the two
conditions. Both must count the same rows.

Timed for ``find``: the whole call on a read-only connection: parsing the query, checking that
the Lookback projection is current (one statement), the page query with the total, fetching the
page's 100 records from ``snapshots`` and decoding them. Not timed: building the projection,
done once with the dataset as the first query on a writable store would. Timed for pandas: the
two boolean masks and ``len``; it builds no records. Not timed: ``read_parquet``, shown apart.

Two floor rows time what ``find`` cannot avoid, in DuckDB alone, each one statement with nothing
around it: the matches' sids and total on the projection (sorted and cut to the page), and the
page's 100 documents (value and previous values) fetched by primary key. Their sum beside the
target says whether the target is within DuckDB's reach at all on this layout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from benchmarks._lookback_data import lookback_dataset
from benchmarks._runner import Suite
from nebula_kernel.lookback import find

if TYPE_CHECKING:
    import duckdb

__all__ = ["run"]

# The find's query in SQL, on the projection's columns for State (slot text) and Points (number).
_MATCHES_SQL = (
    "SELECT sid, count(*) OVER () FROM lookback_projection WHERE star = ? AND valid_from <= ? "
    "AND valid_to > ? AND {state}_s = ? AND {points}_n >= ? ORDER BY sid LIMIT 100"
)
_DOCUMENTS_SQL = (
    "SELECT sid, value::VARCHAR, previous_values::VARCHAR FROM snapshots WHERE sid IN ({marks})"
)


def run(suite: Suite) -> None:
    import pandas

    data = lookback_dataset(quick=suite.quick)
    at = data.start + timedelta(days=540)
    query: dict[str, Any] = {
        "find": {"State": "In Progress", "Points": {"$gte": 5}},
        "__At": at.isoformat(),
    }
    frame = pandas.read_parquet(data.parquet_path)

    def in_pandas() -> int:
        valid = frame[(frame["valid_from"] <= at) & (frame["valid_to"] > at)]
        return len(valid[(valid["State"] == "In Progress") & (valid["Points"] >= 5)])

    with data.connect() as con:
        total = find(con, data.star, query).total
        if total != in_pandas() or total == 0:
            raise AssertionError(f"find counted {total} rows, pandas {in_pandas()}")
        repeat = 5 if suite.quick else 20
        suite.measure("pandas: valid at t, then 2 conditions", in_pandas, repeat=repeat)
        suite.measure(
            "find: __At + 2 filters (first page)",
            lambda: find(con, data.star, query),
            repeat=repeat,
            baseline="pandas: valid at t, then 2 conditions",
            target="< 1 s and ≥ 5x faster than pandas",
            check=lambda row: row.median_s < 1.0 and _ratio(suite, row.median_s) <= 0.2,
            note=f"{data.snapshots:,} snapshots, {total:,} matches",
        )
        narrow = {**query, "fields": ["_Id", "State", "Points", "_ValidFrom"]}
        suite.measure(
            "find: same, fields = 4 of them",
            lambda: find(con, data.star, narrow),
            repeat=repeat,
            baseline="pandas: valid at t, then 2 conditions",
        )
        _measure_floor(suite, con, data.star, at, repeat)
        point = find(con, data.star, query).read_point
        suite.measure(
            "find: next page (read_point)",
            lambda: find(con, data.star, {**query, "start": 100, "read_point": point}),
            repeat=repeat,
            baseline="pandas: valid at t, then 2 conditions",
        )
        # Last: its gigabyte of allocations would weigh on whatever is measured after it.
        suite.measure(
            "pandas: read_parquet (the load alone)",
            lambda: pandas.read_parquet(data.parquet_path).shape,
            repeat=3,
            warmup=1,
            note="context: the frame's load, outside the baseline above",
        )


def _measure_floor(
    suite: Suite, con: duckdb.DuckDBPyConnection, star: str, at: datetime, repeat: int
) -> None:
    slots = dict(
        con.execute(
            "SELECT key, 'f' || slot FROM lookback_projection_fields WHERE document = 'value'"
        ).fetchall()
    )
    matches = _MATCHES_SQL.format(state=slots["State"], points=slots["Points"])
    params = [star, at, at, "In Progress", 5]
    sids = [row[0] for row in con.execute(matches, params).fetchall()]
    documents = _DOCUMENTS_SQL.format(marks=", ".join("?" * len(sids)))
    floors = [
        suite.measure(
            case,
            _statement(con, sql, args),
            repeat=repeat,
            baseline="pandas: valid at t, then 2 conditions",
        )
        for case, sql, args in (
            ("floor: DuckDB alone, the matches' sids + total", matches, params),
            ("floor: DuckDB alone, the page's 100 documents by sid", documents, sids),
        )
    ]
    total = sum(row.median_s for row in floors)
    floors[-1].note = f"the two floors: {total * 1e3:.2f} ms = {_ratio(suite, total):.2f}x pandas"


def _statement(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Callable[[], object]:
    return lambda: con.execute(sql, params).fetchall()


def _ratio(suite: Suite, median_s: float) -> float:
    base = suite.find("pandas: valid at t, then 2 conditions")
    assert base is not None
    return median_s / base.median_s
