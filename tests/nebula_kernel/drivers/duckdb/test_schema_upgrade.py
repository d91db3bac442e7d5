"""A store written by an older Nebula opens upgraded, with nothing of its history lost.

The version 1 image is made from a real store: its history is written through the API, then the
file is put back in version 1's shape exactly (the change log in a table of its own, snapshots
without log columns, heads that copy their snapshots). That shape is spelled out here, as the
older Nebula wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import nebula_kernel as nk
from nebula_kernel.drivers.duckdb import DuckDbResourceRepo
from nebula_kernel.drivers.duckdb._lookback_projection import project_star
from nebula_kernel.drivers.duckdb._schema import SCHEMA_VERSION
from nebula_kernel.lookback import cube, find
from nebula_kernel.resources import ResourceStore
from tests._helpers import ManualClock

STAR = "acme.eng.web"
_V1_SNAPSHOTS = """CREATE TABLE snapshots (
    sid BIGINT PRIMARY KEY, eid BIGINT NOT NULL, star VARCHAR NOT NULL, type VARCHAR NOT NULL,
    id VARCHAR NOT NULL, snapshot_number INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ NOT NULL, value JSON NOT NULL, previous_values JSON NOT NULL,
    etag VARCHAR NOT NULL, changed_by VARCHAR NOT NULL, schema_version INTEGER NOT NULL)"""
_V1_CHANGES = """CREATE TABLE changes (
    star VARCHAR NOT NULL, seq BIGINT NOT NULL, op VARCHAR NOT NULL, type VARCHAR NOT NULL,
    id VARCHAR NOT NULL, sid BIGINT NOT NULL, committed_at TIMESTAMPTZ NOT NULL,
    changed_by VARCHAR NOT NULL)"""
_V1_HEADS = """CREATE TABLE heads (
    rkey VARCHAR PRIMARY KEY, deleted BOOLEAN NOT NULL, sid BIGINT NOT NULL, eid BIGINT NOT NULL,
    star VARCHAR NOT NULL, type VARCHAR NOT NULL, id VARCHAR NOT NULL,
    snapshot_number INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ NOT NULL, value JSON NOT NULL, previous_values JSON NOT NULL,
    etag VARCHAR NOT NULL, changed_by VARCHAR NOT NULL, schema_version INTEGER NOT NULL)"""
_V1_COLUMNS = (
    "sid, eid, star, type, id, snapshot_number, valid_from, valid_to, value, previous_values, "
    "etag, changed_by, schema_version"
)
CUBE = {"dimensions": [{"field": "state"}], "metrics": [{"as": "n", "f": "count"}]}


def _open(path: Path, clock: ManualClock) -> ResourceStore:
    store = ResourceStore(DuckDbResourceRepo(path), clock=clock, default_star=STAR)
    store.define_type("Story", json_schema={"type": "object"})
    return store


def _write_history(store: ResourceStore, clock: ManualClock) -> None:
    """Puts, updates, a delete, a re-creation, in two stars."""
    for n in range(6):
        store.put("Story", f"s{n}", {"state": "Ready", "n": n})
        clock.advance(minutes=1)
    store.put("Story", "s1", {"state": "Done", "n": 1})
    store.delete("Story", "s2")
    clock.advance(minutes=1)
    store.commit([nk.Put("Story", "s3", {"state": "Done", "n": 3}), nk.Delete("Story", "s4")])
    store.put("Story", "s2", {"state": "Ready", "n": 22})
    store.create_star("acme.eng.api")
    store.define_type("Story", json_schema={"type": "object"}, star="acme.eng.api")
    store.put("Story", "x", {"state": "Ready"}, star="acme.eng.api")
    store.delete("Story", "x", star="acme.eng.api")


@contextmanager
def _store_with_history(tmp_path: Path) -> Iterator[tuple[Path, ManualClock, ResourceStore]]:
    """A store file with :func:`_write_history` in it, open; closed when the block ends."""
    path = tmp_path / "store.duckdb"
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    with _open(path, clock) as store:
        _write_history(store, clock)
        yield path, clock, store


def _as_version_1(path: Path) -> None:
    """Give the store file the shape version 1 wrote: the log apart, snapshots without it."""
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN")
        con.execute(_V1_CHANGES)
        con.execute(
            "INSERT INTO changes SELECT star, seq, 'put', type, id, sid, valid_from, changed_by "
            "FROM snapshots UNION ALL SELECT d.star, d.seq, 'delete', s.type, s.id, s.sid, "
            "d.deleted_at, d.deleted_by FROM deletions d JOIN snapshots s USING (sid)"
        )
        con.execute(
            "CREATE TABLE v1_heads AS SELECT h.rkey, h.deleted, s.* EXCLUDE (seq) "
            "FROM heads h JOIN snapshots s ON s.sid = h.sid"
        )
        con.execute("DROP TABLE heads")
        con.execute(_V1_HEADS)
        con.execute("INSERT INTO heads SELECT * FROM v1_heads")
        con.execute("DROP TABLE v1_heads")
        con.execute("CREATE TABLE v1 AS SELECT " + _V1_COLUMNS + " FROM snapshots")
        con.execute("DROP TABLE snapshots")
        con.execute(_V1_SNAPSHOTS)
        con.execute("INSERT INTO snapshots SELECT * FROM v1")
        con.execute("DROP TABLE v1")
        con.execute("DROP TABLE deletions")
        con.execute("UPDATE nebula_meta SET value = '1' WHERE key = 'schema_version'")
        con.execute("COMMIT")


def _everything(store: ResourceStore) -> dict[str, Any]:
    """What a reader can see: each star's log replayed, its last sequence, every history."""
    seen: dict[str, Any] = {}
    for star in ("acme.eng.web", "acme.eng.api"):
        log = store.replay(star, 0, 1_000)
        seen[star] = (
            [(c.seq, c.op, c.id, c.resource.snapshot_number, c.resource.etag) for c in log],
            store.last_seq(star=star),
            {
                (c.id, r.snapshot_number, r.etag, str(r.valid_from), str(r.valid_to))
                for c in log
                for r in store.history("Story", c.id, star=star)
            },
        )
    return seen


def test_a_version_1_store_opens_upgraded_with_its_history_and_log_as_they_were(
    tmp_path: Path,
) -> None:
    with _store_with_history(tmp_path) as (path, clock, store):
        before = _everything(store)
        at = (clock.now() - timedelta(minutes=1)).isoformat()
        found_before = find(store.repo.connection_for_queries(), STAR, {"__At": at}).results
    _as_version_1(path)
    with duckdb.connect(str(path)) as con:  # the image is version 1's, log and all
        assert con.execute("SELECT count(*) FROM changes").fetchone() == (13,)

    with _open(path, clock) as store:
        assert _everything(store) == before
        con = store.repo.connection_for_queries()
        assert con.execute("SELECT value FROM nebula_meta").fetchone() == (str(SCHEMA_VERSION),)
        assert find(con, STAR, {"__At": at}).results == found_before
        # The log goes on where it stopped, and a subscriber resuming mid-log gets the rest.
        last = before[STAR][1]
        written = store.put("Story", "s5", {"state": "Done", "n": 5})
        assert store.last_seq(star=STAR) == last + 1
        tail = store.replay(STAR, last - 1, 10)
        assert [(c.seq, c.op, c.id) for c in tail] == [
            (last, "put", "s2"),
            (last + 1, "put", "s5"),
        ]
        assert tail[-1].resource.etag == written.etag


def test_an_upgrade_drops_the_lookback_projection_and_the_next_query_makes_it_again(
    tmp_path: Path,
) -> None:
    with _store_with_history(tmp_path) as (path, clock, store):
        con = store.repo.connection_for_queries()
        project_star(con, STAR)
        expected = list(cube(con, STAR, CUBE).rows)
    _as_version_1(path)
    with _open(path, clock) as store:
        con = store.repo.connection_for_queries()
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert not any(name.startswith("lookback_") for name in tables)
        assert list(cube(con, STAR, CUBE).rows) == expected
        project_star(con, STAR)
        assert con.execute("SELECT count(*) FROM lookback_current").fetchone() == (5,)
        assert list(cube(con, STAR, CUBE).rows) == expected


def test_an_upgrade_that_fails_leaves_the_store_as_it_was_and_the_file_free(
    tmp_path: Path,
) -> None:
    with _store_with_history(tmp_path) as (path, _, _):
        pass
    _as_version_1(path)
    with duckdb.connect(str(path)) as con:
        # A log that names one snapshot's put twice: the upgrade would give it two rows.
        con.execute("INSERT INTO changes SELECT * FROM changes WHERE seq = 1 LIMIT 1")
        image = con.execute("SELECT * FROM snapshots ORDER BY sid").fetchall()
    with pytest.raises(nk.StoreError, match=r"Could not upgrade the store .* left as it was"):
        DuckDbResourceRepo(path)
    with duckdb.connect(str(path)) as con:  # not locked: the failed open let go of it
        assert con.execute("SELECT value FROM nebula_meta").fetchone() == ("1",)
        assert con.execute("SELECT * FROM snapshots ORDER BY sid").fetchall() == image
        assert con.execute("SELECT count(*) FROM changes").fetchone() == (14,)


def test_a_store_from_a_newer_nebula_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    DuckDbResourceRepo(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE nebula_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(nk.StoreError, match=r"written by a newer Nebula .* Upgrade Nebula"):
        DuckDbResourceRepo(path)
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT value FROM nebula_meta").fetchone() == ("99",)
