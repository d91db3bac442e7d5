"""A batch is just a batch: committing ops as one transaction leaves the same history as
committing them one at a time, big transactions (the bulk write path) included, and a crash in
the middle of writing a batch leaves nothing behind."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nebula_kernel as nk
from nebula_kernel.drivers.duckdb import DuckDbResourceRepo
from nebula_kernel.drivers.duckdb._repo import _BatchWriter
from nebula_kernel.resources import ETagPrecondition, ResourceStore, WriteOp
from tests._helpers import ManualClock, Task

IDS = ("a", "b", "c", "d", "e")
TYPES = ("Doc", "Task")
STALE_ETAG = "0" * 32

Kind = Literal["put", "delete"]
Precondition = Literal["none", "absent", "current", "stale"]
KINDS: tuple[Kind, ...] = ("put", "put", "put", "delete")
PRECONDITIONS: tuple[Precondition, ...] = ("none", "none", "absent", "current", "stale")


@dataclass(frozen=True)
class Step:
    """One op of a generated transaction, its precondition named rather than given."""

    kind: Kind
    type: str
    id: str
    value: dict[str, Any] | None
    precondition: Precondition


class CrashingRepo(DuckDbResourceRepo):
    """Fails the next batch at its COMMIT, after every close, snapshot and head of it was
    written inside the DuckDB transaction (as a disk that fills up while the log is flushed)."""

    crash_next = False

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        cursor = cast("duckdb.DuckDBPyConnection", _FailingCommit(self._writer, self))
        self._batches = _BatchWriter(cursor)


class _FailingCommit:
    """The committer's cursor, refusing COMMIT once when its repository says so."""

    def __init__(self, cursor: Any, repo: CrashingRepo) -> None:
        self._cursor = cursor
        self._repo = repo

    def execute(self, sql: str, *params: Any) -> Any:
        if sql == "COMMIT" and self._repo.crash_next:
            self._repo.crash_next = False
            raise OSError("No space left on device")
        return self._cursor.execute(sql, *params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextmanager
def fresh_store() -> Iterator[tuple[ResourceStore, CrashingRepo]]:
    with tempfile.TemporaryDirectory(prefix="nebula-batch-") as tmp:
        repo = CrashingRepo(Path(tmp) / "store.duckdb")
        with ResourceStore(repo, clock=ManualClock()) as store:
            store.define_type(
                "Doc",
                json_schema={
                    "type": "object",
                    "properties": {"n": {"type": "integer"}, "tag": {"type": ["string", "null"]}},
                    "required": ["n"],
                },
            )
            store.define_type("Task", Task)
            yield store, repo


def _value(type_name: str, n: int, tag: str | None, bad: bool, drop_tag: bool) -> dict[str, Any]:
    if type_name == "Doc":
        doc: dict[str, Any] = {"n": "not a number" if bad else n}
        if not drop_tag:
            doc["tag"] = tag
        return doc
    task: dict[str, Any] = {"title": f"t{n}", "points": "many" if bad else n}
    if not drop_tag:
        task["state"] = tag or "Ready"
    return task


@st.composite
def steps(draw: st.DrawFn, *, invalid: bool) -> Step:
    type_name = draw(st.sampled_from(TYPES))
    kind = draw(st.sampled_from(KINDS))
    value = None
    if kind == "put":
        value = _value(
            type_name,
            draw(st.integers(0, 3)),
            draw(st.sampled_from([None, "x", "y"])),
            invalid and draw(st.integers(0, 9)) == 0,
            draw(st.booleans()),
        )
    precondition = draw(st.sampled_from(PRECONDITIONS))
    return Step(kind, type_name, draw(st.sampled_from(IDS)), value, precondition)


def transactions(*, invalid: bool) -> st.SearchStrategy[list[Step]]:
    return st.lists(
        steps(invalid=invalid), min_size=1, max_size=8, unique_by=lambda s: (s.type, s.id)
    )


def _etag(store: ResourceStore, type_name: str, id_: str) -> str | None:
    try:
        return store.get(type_name, id_).etag
    except nk.ResourceNotFound:
        return None


def _ops(store: ResourceStore, tx: Sequence[Step]) -> list[WriteOp]:
    """The steps as ops for ``store``, each precondition resolved against its current state."""
    ops: list[WriteOp] = []
    for step in tx:
        etag: ETagPrecondition = None
        if step.precondition == "absent":
            etag = nk.MUST_NOT_EXIST
        elif step.precondition == "current":
            etag = _etag(store, step.type, step.id) or STALE_ETAG
        elif step.precondition == "stale":
            etag = STALE_ETAG
        if step.kind == "put":
            assert step.value is not None
            ops.append(nk.Put(step.type, step.id, step.value, etag))
        else:
            ops.append(nk.Delete(step.type, step.id, etag))
    return ops


def history(store: ResourceStore) -> dict[str, Any]:
    """Everything but the instants and eTags (random): every snapshot and the change log."""
    snapshots = {}
    for type_name in TYPES:
        for id_ in IDS:
            try:
                rows = store.history(type_name, id_)
            except nk.ResourceNotFound:
                continue
            snapshots[(type_name, id_)] = [
                (
                    r.snapshot_number,
                    dict(r.value),
                    dict(r.previous_values),
                    r.is_current,
                    r.schema_version,
                )
                for r in rows
            ]
    changes = [
        (c.seq, c.op, c.type, c.id, c.resource.snapshot_number)
        for c in store.replay(store.default_star, 0, 10_000)
    ]
    return {"snapshots": snapshots, "changes": changes, "last_seq": store.last_seq()}


def _outcome(store: ResourceStore, ops: Sequence[WriteOp]) -> nk.NebulaError | None:
    try:
        store.commit(ops)
    except nk.NebulaError as exc:
        return exc
    return None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    script=st.lists(st.tuples(transactions(invalid=True), st.booleans()), min_size=1, max_size=6)
)
def test_one_transaction_leaves_the_history_of_its_ops_committed_one_by_one(
    script: list[tuple[list[Step], bool]],
) -> None:
    with fresh_store() as (batched, repo), fresh_store() as (single, _):
        for tx, crash in script:
            before = history(batched)
            if crash:
                # A crash while the batch is written: nothing of it stays, the store goes on.
                repo.crash_next = True
                failed = _outcome(batched, _ops(batched, tx))
                if not repo.crash_next:  # the write was reached (the ops were acceptable)
                    assert isinstance(failed, nk.StoreError)
                    assert "nothing of this transaction was written" in failed.message
                repo.crash_next = False
                assert history(batched) == before
            error = _outcome(batched, _ops(batched, tx))
            if error is None:
                # Keys are unique within a transaction, so each op one at a time meets the
                # same state its precondition met in the transaction.
                for op in _ops(single, tx):
                    single.commit([op])
                assert history(batched) == history(single)
                continue
            # Refused as a whole: nothing written, and every failed item is named.
            assert history(batched) == before
            _check_refusal(error, tx, batched)


def _check_refusal(error: nk.NebulaError, tx: Sequence[Step], state: ResourceStore) -> None:
    """``error`` is what the transaction's ops deserve against ``state`` (the same history)."""
    bad_values = [s for s in tx if s.kind == "put" and _invalid(s)]
    if bad_values:
        assert isinstance(error, nk.ValidationFailed)
        assert {e.path[0] for e in error.errors} == {f"{s.type}/{s.id}" for s in bad_values}
        return
    failing = set()
    for step in tx:
        current = _etag(state, step.type, step.id)
        holds = (
            step.precondition == "none"
            or (step.precondition == "absent" and current is None)
            or (step.precondition == "current" and current is not None)
        )
        if not holds:
            failing.add((step.type, step.id, current))
        elif step.kind == "delete" and current is None:
            # A delete of what does not exist is refused as soon as it is met.
            assert isinstance(error, nk.ResourceNotFound)
            return
    assert isinstance(error, nk.TransactionConflict)
    assert {(i.type, i.id, i.current_etag) for i in error.items} == failing


def _invalid(step: Step) -> bool:
    assert step.value is not None
    field = "n" if step.type == "Doc" else "points"
    return isinstance(step.value.get(field), str)


def _big_transaction(store: ResourceStore, size: int) -> list[WriteOp]:
    """``size`` ops over resources created before: updates (with and without eTags), deletes,
    and creates that must not exist."""
    ops: list[WriteOp] = []
    for i in range(size):
        id_ = f"r{i:05d}"
        if i % 10 == 0:
            ops.append(nk.Delete("Doc", id_))
        elif i % 10 == 1:
            ops.append(nk.Put("Doc", f"new{i:05d}", {"n": i}, etag=nk.MUST_NOT_EXIST))
        elif i % 10 == 2:
            ops.append(nk.Put("Doc", id_, {"n": i, "tag": "etag"}, _etag(store, "Doc", id_)))
        else:
            ops.append(nk.Put("Doc", id_, {"n": i + 1} if i % 3 else {"n": i, "tag": None}))
    return ops


def _stored(store: ResourceStore) -> dict[str, Any]:
    """Every stored row but instants and eTags, read in bulk: snapshots, heads, change log."""
    cur = store.repo.connection_for_queries()
    snapshots = cur.execute(
        "SELECT type, id, snapshot_number, value::VARCHAR, previous_values::VARCHAR, "
        "year(valid_to) = 9999 FROM snapshots ORDER BY type, id, snapshot_number"
    ).fetchall()
    heads = cur.execute(
        "SELECT h.rkey, h.deleted, s.snapshot_number, s.value::VARCHAR, year(s.valid_to) = 9999 "
        "FROM heads h JOIN snapshots s ON s.sid = h.sid ORDER BY h.rkey"
    ).fetchall()
    log = store.repo.read_changes(store.default_star, 0, 1_000_000)
    changes = [(c.seq, c.op, c.type, c.id, c.sid) for c, _ in log]
    return {
        "snapshots": [(*r[:3], json.loads(r[3]), json.loads(r[4]), r[5]) for r in snapshots],
        "heads": [(*r[:3], json.loads(r[3]), r[4]) for r in heads],
        "changes": changes,
    }


@pytest.mark.parametrize("crash", [False, True])
def test_a_big_transaction_matches_the_same_ops_in_small_ones(crash: bool) -> None:
    """1,500 ops in one transaction go through the bulk write path; in transactions of 100,
    through the small one. Both leave the same history; a crash in the bulk write, nothing."""
    size = 1_500
    with fresh_store() as (big, repo), fresh_store() as (small, _):
        for store in (big, small):
            store.commit([nk.Put("Doc", f"r{i:05d}", {"n": i, "tag": "x"}) for i in range(size)])
        before = _stored(big) if crash else None
        if crash:
            repo.crash_next = True
            with pytest.raises(nk.StoreError, match="nothing of this transaction was written"):
                big.commit(_big_transaction(big, size))
            assert _stored(big) == before
        results = big.commit(_big_transaction(big, size))
        assert [r.id for r in results] == [
            op.id for op in _big_transaction(small, size)
        ]  # one result per op, in order
        ops = _big_transaction(small, size)
        for start in range(0, size, 100):
            small.commit(ops[start : start + 100])
        assert _stored(big) == _stored(small)
