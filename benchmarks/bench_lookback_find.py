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
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchmarks._lookback_data import lookback_dataset
from benchmarks._runner import Suite
from nebula_kernel.lookback import find

__all__ = ["run"]


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
            "pandas: read_parquet (the load alone)",
            lambda: pandas.read_parquet(data.parquet_path).shape,
            repeat=3,
            warmup=1,
            note="context: the frame's load, outside the baseline above",
        )
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
        point = find(con, data.star, query).read_point
        suite.measure(
            "find: next page (read_point)",
            lambda: find(con, data.star, {**query, "start": 100, "read_point": point}),
            repeat=repeat,
            baseline="pandas: valid at t, then 2 conditions",
        )


def _ratio(suite: Suite, median_s: float) -> float:
    base = suite.find("pandas: valid at t, then 2 conditions")
    assert base is not None
    return median_s / base.median_s
