"""The resources store's write and read paths, each beside the same work done in plain DuckDB SQL.

Writes go to fresh DuckDB files in a temporary directory, so every commit is durable (WAL on
disk). Reads use the cached dataset of :mod:`benchmarks._store_data` (1,000,000 snapshots, one
resource with 100,000 of them). Each ``sql:`` row is the floor for the store row that names it
as baseline: the minimum SQL that does the same work on the same schema and settings (a write
closes one snapshot and inserts one; a read is one point SELECT), so the ratio is the API's
overhead. ``--quick`` shrinks every size to a smoke run of a few seconds.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._runner import Row, Suite
from benchmarks._store_data import (
    BENCH_STAR,
    HOT_ID,
    Item,
    StepClock,
    item_value,
    store_dataset,
)
from nebula_kernel._embedded import open_store
from nebula_kernel._json import dumps
from nebula_kernel.drivers.duckdb import SCHEMA_STATEMENTS, DuckDbResourceRepo, open_duckdb
from nebula_kernel.resources import ResourceStore
from nebula_kernel.resources._model import CURRENT_VALID_TO, Put

if TYPE_CHECKING:
    import duckdb

__all__ = ["run"]

WRITERS = 16
# A snapshot with its place in the change log (seq), as the store writes one.
_INSERT_SNAPSHOT = "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_CLOSE_SNAPSHOT = "UPDATE snapshots SET valid_to = ? WHERE sid = ?"


@dataclass(frozen=True, slots=True)
class _Sizes:
    sequential: int
    per_writer: int
    rounds: int
    batch: int
    batch_repeat: int
    reads: int

    @classmethod
    def of(cls, suite: Suite) -> _Sizes:
        if suite.quick:
            return cls(sequential=40, per_writer=5, rounds=2, batch=1_000, batch_repeat=2, reads=30)
        return cls(
            sequential=500, per_writer=100, rounds=5, batch=10_000, batch_repeat=7, reads=300
        )


def run(suite: Suite) -> None:
    sizes = _Sizes.of(suite)
    with tempfile.TemporaryDirectory(prefix="nebula-bench-store-") as tmp:
        _sequential(suite, Path(tmp), sizes)
        _concurrent(suite, Path(tmp), sizes)
        _batched(suite, Path(tmp), sizes)
    _reads(suite, sizes)


# -- writes ------------------------------------------------------------------------------------


def _new_store(path: Path) -> ResourceStore:
    store = open_store(path, default_star=BENCH_STAR)
    store.define_type("Item", Item)
    return store


def _plain_db(path: Path) -> duckdb.DuckDBPyConnection:
    """A database with the store's schema and settings, written with plain SQL."""
    con = open_duckdb(path)
    for statement in SCHEMA_STATEMENTS:
        con.execute(statement)
    return con


class _PlainWriter:
    """Appends versions of one entity with plain SQL: close the previous snapshot, insert one."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, eid: int) -> None:
        self._cur = cur
        self._eid = eid
        self._sid = eid * 1_000_000_000
        self._number = 0

    def write(self) -> None:
        cur = self._cur
        at = datetime.now(UTC)
        self._sid += 1
        self._number += 1
        value = item_value(self._number)
        cur.execute("BEGIN")
        if self._number > 1:
            cur.execute(_CLOSE_SNAPSHOT, [at, self._sid - 1])
        cur.execute(
            _INSERT_SNAPSHOT,
            [
                self._sid,
                self._eid,
                BENCH_STAR,
                "Item",
                f"e{self._eid}",
                self._number,
                at,
                CURRENT_VALID_TO,
                dumps(value),
                "{}",
                uuid.uuid4().hex,
                "bench",
                1,
                self._number,
            ],
        )
        cur.execute("COMMIT")


def _sequential(suite: Suite, tmp: Path, sizes: _Sizes) -> None:
    con = _plain_db(tmp / "plain-sequential.duckdb")
    try:
        suite.measure(
            "sql: close+insert tx, 1 writer",
            _PlainWriter(con.cursor(), 1).write,
            repeat=sizes.sequential,
            warmup=10,
        )
    finally:
        con.close()
    with _new_store(tmp / "sequential.duckdb") as store:
        last = [store.put("Item", "seq", item_value(0))]

        def put() -> None:
            last[0] = store.put(
                "Item", "seq", item_value(last[0].snapshot_number), etag=last[0].etag
            )

        suite.measure(
            "put with eTag, 1 writer",
            put,
            repeat=sizes.sequential,
            warmup=10,
            baseline="sql: close+insert tx, 1 writer",
            target="median < 5 ms",
            check=lambda row: row.median_s < 0.005,
            note="median = commit latency",
        )


def _in_threads(work: Callable[[int], None]) -> float:
    """Run ``work(i)`` in :data:`WRITERS` threads started together; the wall time they took."""
    gate = threading.Barrier(WRITERS + 1)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        gate.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def _concurrent(suite: Suite, tmp: Path, sizes: _Sizes) -> None:
    ops = WRITERS * sizes.per_writer
    two_thousand: Callable[[Row], bool] = lambda row: row.ops_per_s >= 2_000  # noqa: E731
    con = _plain_db(tmp / "plain-concurrent.duckdb")
    try:
        writers = [_PlainWriter(con.cursor(), i + 1) for i in range(WRITERS)]

        def plain(i: int) -> None:
            for _ in range(sizes.per_writer):
                writers[i].write()

        suite.record(
            f"sql: close+insert tx, {WRITERS} writers",
            [_in_threads(plain) for _ in range(sizes.rounds)],
            ops=ops,
            note="one DuckDB transaction each",
        )
    finally:
        con.close()
    with _new_store(tmp / "concurrent.duckdb") as store:
        owned = [store.put("Item", f"w{i}", item_value(0)) for i in range(WRITERS)]

        def own(i: int) -> None:
            for _ in range(sizes.per_writer):
                last = owned[i]
                owned[i] = store.put(
                    "Item", f"w{i}", item_value(last.snapshot_number), etag=last.etag
                )

        suite.record(
            f"put with eTag, {WRITERS} writers",
            [_in_threads(own) for _ in range(sizes.rounds)],
            ops=ops,
            baseline=f"sql: close+insert tx, {WRITERS} writers",
            target=">= 2,000/s",
            check=two_thousand,
            note="each writer its own resource",
        )

        def shared(i: int) -> None:
            for n in range(sizes.per_writer):
                store.put("Item", f"shared{i % 4}", item_value(n))

        suite.record(
            f"put, {WRITERS} writers on 4 resources",
            [_in_threads(shared) for _ in range(sizes.rounds)],
            ops=ops,
            baseline=f"sql: close+insert tx, {WRITERS} writers",
            target=">= 2,000/s",
            check=two_thousand,
            note="contended; no eTag, so every put wins",
        )


def _batched(suite: Suite, tmp: Path, sizes: _Sizes) -> None:
    import pyarrow as pa

    n = sizes.batch
    rounds = sizes.batch_repeat + 1
    con = _plain_db(tmp / "plain-batched.duckdb")
    try:
        # Built before timing: the floor is DuckDB's own work on ready Arrow tables.
        tables = [_arrow_round(pa, n, r) for r in range(rounds)]
        cur = con.cursor()

        def plain() -> None:
            r, table = tables.pop(0)
            cur.execute("BEGIN")
            if r > 0:
                cur.execute(
                    "UPDATE snapshots SET valid_to = ? FROM (SELECT unnest(?::BIGINT[]) AS sid) c "
                    "WHERE snapshots.sid = c.sid",
                    [datetime.now(UTC), [(r - 1) * n + i + 1 for i in range(n)]],
                )
            cur.register("bench_new", table)
            cur.execute("INSERT INTO snapshots SELECT * FROM bench_new")
            cur.unregister("bench_new")
            cur.execute("COMMIT")

        suite.measure(
            f"sql: {n:,} closes+inserts, 1 tx",
            plain,
            repeat=sizes.batch_repeat,
            warmup=1,
            ops=n,
        )
    finally:
        con.close()
    with _new_store(tmp / "batched.duckdb") as store:
        # Built before timing, as the floor's tables are: the values are the input; validating,
        # diffing, encoding and writing them is the store's work.
        batches = [
            [Put("Item", f"b{i:05d}", item_value(r + i)) for i in range(n)]
            for r in range(1, rounds + 1)
        ]

        def commit() -> None:
            store.commit(batches.pop(0))

        suite.measure(
            f"commit {n:,} puts, 1 tx",
            commit,
            repeat=sizes.batch_repeat,
            warmup=1,
            ops=n,
            baseline=f"sql: {n:,} closes+inserts, 1 tx",
            target=">= 100,000 snapshots/s",
            check=lambda row: row.ops_per_s >= 100_000,
            note="updates of existing resources",
        )


def _arrow_round(pa: Any, n: int, r: int) -> tuple[int, Any]:
    at = datetime.now(UTC) + timedelta(seconds=r)
    values = [item_value(r + i) for i in range(n)]
    ts = pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            "sid": pa.array([r * n + i + 1 for i in range(n)], pa.int64()),
            "eid": pa.array([i + 1 for i in range(n)], pa.int64()),
            "star": pa.array([BENCH_STAR] * n, pa.string()),
            "type": pa.array(["Item"] * n, pa.string()),
            "id": pa.array([f"b{i:05d}" for i in range(n)], pa.string()),
            "snapshot_number": pa.array([r + 1] * n, pa.int32()),
            "valid_from": pa.array([at] * n, ts),
            "valid_to": pa.array([CURRENT_VALID_TO] * n, ts),
            "value": pa.array([dumps(v) for v in values], pa.string()),
            "previous_values": pa.array(["{}"] * n, pa.string()),
            "etag": pa.array([uuid.uuid4().hex for _ in range(n)], pa.string()),
            "changed_by": pa.array(["bench"] * n, pa.string()),
            "schema_version": pa.array([1] * n, pa.int32()),
            "seq": pa.array([r * n + i + 1 for i in range(n)], pa.int64()),
        }
    )
    return r, table


# -- reads -------------------------------------------------------------------------------------


def _reads(suite: Suite, sizes: _Sizes) -> None:
    data = store_dataset(quick=suite.quick)
    under_2ms: Callable[[Row], bool] = lambda row: row.median_s < 0.002  # noqa: E731
    store = ResourceStore(
        DuckDbResourceRepo(data.path), clock=StepClock(datetime.now(UTC)), default_star=BENCH_STAR
    )
    with store:
        store.define_type("Item", Item)
        cur = store.repo.connection_for_queries()
        hot = store.get("Item", HOT_ID)
        assert hot.snapshot_number == data.hot_snapshots, "the cached dataset is not as built"
        eid = cur.execute(
            "SELECT eid FROM heads WHERE star = ? AND type = 'Item' AND id = ?",
            [BENCH_STAR, HOT_ID],
        ).fetchall()[0][0]
        # Instants spread over the whole hot history, visited in a scattered order.
        moments = [data.hot_valid_at((k * 7_919) % data.hot_snapshots) for k in range(sizes.reads)]
        mid = data.hot_snapshots // 2
        found = store.get("Item", HOT_ID, as_of=data.hot_valid_at(mid))
        assert found.snapshot_number == mid + 1, "as-of read found the wrong snapshot"
        scale = f"{data.hot_snapshots:,} of {data.snapshots:,} snapshots"

        next_moment = itertools.cycle(moments).__next__
        next_moment_sql = itertools.cycle(moments).__next__

        def plain_as_of() -> None:
            at = next_moment_sql()
            cur.execute(
                "SELECT value::VARCHAR, etag FROM snapshots "
                "WHERE eid = ? AND valid_from <= ? AND valid_to > ?",
                [eid, at, at],
            ).fetchall()

        def as_of() -> None:
            store.get("Item", HOT_ID, as_of=next_moment())

        suite.measure("sql: point select as of", plain_as_of, repeat=sizes.reads, warmup=5)
        suite.measure(
            "get as_of",
            as_of,
            repeat=sizes.reads,
            warmup=5,
            baseline="sql: point select as of",
            target="median < 2 ms",
            check=under_2ms,
            note=scale,
        )
        ids = [f"r{(k * 7_919) % data.others:05d}" for k in range(sizes.reads)]
        next_rkey = itertools.cycle([f"{BENCH_STAR}/Item/{id_}" for id_ in ids]).__next__
        next_id = itertools.cycle(ids).__next__

        def plain_current() -> None:
            cur.execute(
                "SELECT s.value::VARCHAR, s.etag FROM heads h JOIN snapshots s ON s.sid = h.sid "
                "WHERE h.rkey = ?",
                [next_rkey()],
            ).fetchall()

        def current() -> None:
            store.get("Item", next_id())

        suite.measure("sql: point select current", plain_current, repeat=sizes.reads, warmup=5)
        suite.measure(
            "get current",
            current,
            repeat=sizes.reads,
            warmup=5,
            baseline="sql: point select current",
            target="median < 2 ms",
            check=under_2ms,
            note=f"{data.snapshots:,} snapshots",
        )
