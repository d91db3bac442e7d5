"""The shared Lookback benchmark dataset: work items with two years of history, built in DuckDB.

``lookback_dataset()`` returns a DuckDB file holding ``SCHEMA_STATEMENTS`` tables with
1,000,000 snapshots of 10,000 entities (``quick=True``: 20,000 snapshots of 200 entities) in star
:data:`BENCH_STAR`, and a Parquet export of the same rows for the pandas baselines. Files live in
``benchmarks/.data/`` and are reused while their recorded recipe matches :data:`RECIPE_VERSION`.

Every entity has 100 snapshots between its creation (in the first 18 months) and the end of the
two years; every snapshot changes ``Rank`` and sometimes more:

- ``State`` walks Backlog → Ready → In Progress → Done at an entity-specific pace; about 4% of
  snapshots step back one state.
- ``Points`` (1, 2, 3, 5, 8, 13) is re-estimated every 25 snapshots, ``Priority`` (P1-P4) every
  10; ``Team`` and ``Project`` are fixed; ``Org`` is the team's materialized path, e.g.
  ``/acme/eng/platform/``; ``Blocked`` is true on about 10% of snapshots.
- As in the store, ``sid`` counts snapshots in time order (so the table is laid out by time and
  DuckDB's zone maps can skip old row groups) and ``snapshot_number`` starts at 1.
- Every fifth entity is a ``Defect``, the others ``Story``; about 5% of entities are deleted
  after their last snapshot (it is closed with no successor).

The file also holds the Lookback projection of the star
(``nebula_kernel.drivers.duckdb._lookback_projection``), built as the store builds it on the
first query of a writable connection.

Randomness is an integer hash of (row, salt) in SQL, so the data is the same on every machine and
DuckDB version. The Parquet file has the snapshot columns plus the value's fields flattened into
columns (``State``, ``Points``, …): the pandas baselines then skip JSON parsing, which makes them
stronger, not weaker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from nebula_kernel.drivers.duckdb._lookback_projection import project_star
from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS

if TYPE_CHECKING:
    import duckdb

__all__ = ["BENCH_STAR", "RECIPE_VERSION", "LookbackDataset", "lookback_dataset"]

BENCH_STAR = "acme.eng.bench"
RECIPE_VERSION = "lookback-data-v6"
SNAPSHOTS_PER_ENTITY = 100
DATA_START = datetime(2024, 1, 1, tzinfo=UTC)
DATA_END = datetime(2026, 1, 1, tzinfo=UTC)
_DATA_DIR = Path(__file__).parent / ".data"
_META_KEY = "bench_dataset"


@dataclass(frozen=True, slots=True)
class LookbackDataset:
    """Where the dataset is and what it holds."""

    duckdb_path: Path
    parquet_path: Path
    star: str
    entities: int
    snapshots: int
    start: datetime
    end: datetime

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the DuckDB file."""
        import duckdb

        return duckdb.connect(str(self.duckdb_path), read_only=True)


def lookback_dataset(*, quick: bool = False) -> LookbackDataset:
    """The dataset, built on first use (a few seconds) and reused while its recipe matches."""
    entities = 200 if quick else 10_000
    snapshots = entities * SNAPSHOTS_PER_ENTITY
    stem = _DATA_DIR / f"lookback-{snapshots}"
    dataset = LookbackDataset(
        duckdb_path=stem.with_suffix(".duckdb"),
        parquet_path=stem.with_suffix(".parquet"),
        star=BENCH_STAR,
        entities=entities,
        snapshots=snapshots,
        start=DATA_START,
        end=DATA_END,
    )
    marker = f"{RECIPE_VERSION}:{snapshots}"
    if not (_recorded_marker(dataset.duckdb_path) == marker and dataset.parquet_path.exists()):
        _build(dataset, marker)
    else:  # as a writable store's first query would: a no-op unless the projection's layout grew
        import duckdb

        with duckdb.connect(str(dataset.duckdb_path)) as con:
            con.execute("SET enable_progress_bar = false")
            project_star(con, BENCH_STAR)
    return dataset


def _recorded_marker(path: Path) -> str | None:
    import duckdb

    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT value FROM nebula_meta WHERE key = ?", [_META_KEY]).fetchone()
    except duckdb.Error:
        return None
    return None if row is None else str(row[0])


# A 32-bit integer hash (multiply / xor-shift rounds) mapped to [0, 1): deterministic everywhere.
_MACROS = (
    "SET enable_progress_bar = false",
    """CREATE OR REPLACE TEMP MACRO mix32(h) AS
        xor((h * 2246822507::UBIGINT) % 4294967296, ((h * 2246822507::UBIGINT) % 4294967296) >> 13)
    """,
    """CREATE OR REPLACE TEMP MACRO u01(x, salt) AS
        mix32(mix32(xor(((x::UBIGINT * 2654435761 + salt * 40503) % 4294967296),
                        ((x::UBIGINT * 2654435761 + salt * 40503) % 4294967296) >> 16)))
        / 4294967296.0
    """,
)

# Entity e has snapshots k = 0..99, keyed e * 100 + k for the hash; sid numbers them in time
# order, as the store's counter does. All constants come in as parameters.
_ROWS_SQL = """
CREATE TEMP TABLE gen AS
WITH ent AS (
    SELECT e,
           ?::TIMESTAMPTZ + to_microseconds((u01(e, 1) * 540 * 86400)::BIGINT * 1000000) AS created,
           0.6 + 0.4 * u01(e, 2) AS span_share,
           u01(e, 4) < 0.05 AS deleted,
           0.6 + 0.8 * u01(e, 5) AS pace,
           floor(u01(e, 9) * 8)::INTEGER AS team_no,
           1 + floor(u01(e, 10) * 20)::INTEGER AS project_no
    FROM range(?) r(e)
), snap AS (
    SELECT ent.*, k, e * ? + k AS rk,
           epoch_us(?::TIMESTAMPTZ) - epoch_us(created) AS room_us
    FROM ent, range(?) s(k)
), timed AS (
    SELECT *,
           created + to_microseconds(((room_us * span_share)
               * (CASE WHEN k = 0 THEN 0 ELSE k + 0.8 * u01(rk, 3) END) / ? / 1e6)::BIGINT
               * 1000000) AS valid_from,
           least(3, floor(k * pace / 25))::INTEGER AS stage
    FROM snap
)
SELECT row_number() OVER (ORDER BY valid_from, e) AS sid, e AS eid, k + 1 AS snapshot_number,
       valid_from,
       CASE WHEN k < ? - 1 THEN lead(valid_from) OVER (PARTITION BY e ORDER BY k)
            WHEN deleted THEN valid_from + INTERVAL 3 DAY
            ELSE TIMESTAMPTZ '9999-01-01 00:00:00+00' END AS valid_to,
       CASE WHEN e % 5 = 0 THEN 'Defect' ELSE 'Story' END AS type,
       printf('W%05d', e) AS id,
       ['Backlog', 'Ready', 'In Progress', 'Done'][
           1 + CASE WHEN stage > 0 AND u01(rk, 6) < 0.04 THEN stage - 1 ELSE stage END
       ] AS State,
       [1, 2, 3, 5, 8, 13][1 + floor(u01(e * 4 + k // 25, 7) * 6)::INTEGER] AS Points,
       'P' || (1 + floor(u01(e * 10 + k // 10, 8) * 4)::INTEGER) AS Priority,
       ['Platform', 'Data', 'Web', 'Mobile', 'EMEA', 'Americas', 'Brand', 'Growth'][team_no + 1]
           AS Team,
       ['/acme/eng/platform/', '/acme/eng/data/', '/acme/eng/web/', '/acme/eng/mobile/',
        '/acme/sales/emea/', '/acme/sales/americas/', '/acme/marketing/brand/',
        '/acme/marketing/growth/'][team_no + 1] AS Org,
       'Project ' || project_no AS Project,
       u01(rk, 11) < 0.1 AS Blocked,
       round(u01(rk, 12) * 1000, 3) AS Rank,
       'user' || floor(u01(rk, 13) * 50)::INTEGER AS changed_by
FROM timed
"""

_PREVIOUS = """CASE WHEN {col} IS DISTINCT FROM lag({col}) OVER w
                   THEN '"{col}":' || coalesce(to_json(lag({col}) OVER w)::VARCHAR, 'null') END"""
_FIELDS = ("State", "Points", "Priority", "Team", "Org", "Project", "Blocked", "Rank")

_INSERT_SQL = (
    """
INSERT INTO snapshots
SELECT sid, eid, ?, type, id, snapshot_number, valid_from, valid_to,
       json_object('State', State, 'Points', Points, 'Priority', Priority, 'Team', Team,
                   'Org', Org, 'Project', Project, 'Blocked', Blocked, 'Rank', Rank),
       CASE WHEN snapshot_number = 1 THEN '{}' ELSE '{' || concat_ws(',', """
    + ", ".join(_PREVIOUS.format(col=c) for c in _FIELDS)
    + """) || '}' END,
       'e' || sid, changed_by, 1, sid
FROM gen
WINDOW w AS (PARTITION BY eid ORDER BY snapshot_number)
ORDER BY sid
"""
)

_PARQUET_ROWS = """
SELECT s.*, g.State, g.Points, g.Priority, g.Team, g.Org, g.Project, g.Blocked, g.Rank
FROM snapshots s JOIN gen g USING (sid) ORDER BY sid
"""


def _build(dataset: LookbackDataset, marker: str) -> None:
    """Write to temporary names and rename, so a concurrent reader never sees half a file."""
    import duckdb

    _DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp_db = dataset.duckdb_path.with_name(f"{dataset.duckdb_path.name}.{os.getpid()}.tmp")
    tmp_parquet = dataset.parquet_path.with_name(f"{dataset.parquet_path.name}.{os.getpid()}.tmp")
    try:
        with duckdb.connect(str(tmp_db)) as con:
            for statement in (*SCHEMA_STATEMENTS, *_MACROS):
                con.execute(statement)
            con.execute(
                _ROWS_SQL,
                [
                    DATA_START,
                    dataset.entities,
                    SNAPSHOTS_PER_ENTITY,
                    DATA_END,
                    SNAPSHOTS_PER_ENTITY,
                    SNAPSHOTS_PER_ENTITY,
                    SNAPSHOTS_PER_ENTITY,
                ],
            )
            con.execute(_INSERT_SQL, [dataset.star])
            # What the first query on a writable store would do; the benchmarks read the file
            # read-only, where the projection is used only if it is already current.
            project_star(con, dataset.star)
            con.sql(_PARQUET_ROWS).write_parquet(str(tmp_parquet))
            con.execute("INSERT INTO stars VALUES (?, ?, 'bench')", [dataset.star, DATA_START])
            con.execute("INSERT INTO nebula_meta VALUES (?, ?)", [_META_KEY, marker])
            con.execute("CHECKPOINT")
        tmp_parquet.replace(dataset.parquet_path)
        tmp_db.replace(dataset.duckdb_path)
    finally:
        for leftover in (tmp_db, tmp_parquet):
            leftover.unlink(missing_ok=True)
