"""A group commit is its transactions one after another: staging several transactions in one
batch (later ones closing, replacing or deleting what earlier ones opened) leaves the same
snapshots, heads and change log, and answers each writer the same, as committing each alone.
And a commit builds the change events of subscribers only when there are any."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import nebula_kernel as nk
from nebula_kernel._json import dumps
from nebula_kernel.ports import ChangeRow, HeadRow, SnapshotRow, WriteBatch
from nebula_kernel.resources import ETagPrecondition, Resource
from nebula_kernel.resources._committer import Committer, PreparedTx
from nebula_kernel.resources._subscriptions import Scope, SubscriptionHub
from tests._helpers import ManualClock

STAR = "local.lab.default"
IDS = ("a", "b", "c")
STALE_ETAG = "0" * 32

Key = tuple[str, str, str]


class MemoryRepo:
    """Just what the committer reads and writes, kept in dicts."""

    def __init__(self) -> None:
        self.snapshots: dict[int, SnapshotRow] = {}
        self.heads: dict[Key, HeadRow] = {}
        self.changes: list[ChangeRow] = []

    def counters(self) -> tuple[int, int, dict[str, int]]:
        return 0, 0, {}

    def read_heads_for_write(self, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        return {key: self.heads[key] for key in keys if key in self.heads}

    def apply(self, batch: WriteBatch) -> None:
        for sid, at in batch.closes:
            self.snapshots[sid] = self.snapshots[sid]._replace(valid_to=at)
        for snapshot in batch.snapshots:
            assert snapshot.sid not in self.snapshots
            self.snapshots[snapshot.sid] = snapshot
        self.heads.update((head.key, head) for head in batch.heads)
        self.changes.extend(batch.changes)


# One op: (id, put value or None for a delete, precondition).
Op = tuple[str, int | None, str]


def _tx(ops: Sequence[Op]) -> PreparedTx:
    expected: dict[str, ETagPrecondition] = {
        "none": None,
        "absent": nk.MUST_NOT_EXIST,
        "stale": STALE_ETAG,
    }
    values = [None if n is None else {"n": n} for _, n, _ in ops]
    return PreparedTx(
        STAR,
        "ann",
        [(STAR, "Doc", id_) for id_, _, _ in ops],
        [n is None for _, n, _ in ops],
        values,
        ["" if value is None else dumps(value) for value in values],
        [1 for _ in ops],
        [expected[precondition] for _, _, precondition in ops],
        [None for _ in ops],
        [False for _ in ops],
    )


@contextmanager
def committer() -> Iterator[tuple[Committer, MemoryRepo]]:
    repo = MemoryRepo()
    done = Committer(repo, ManualClock(), lambda seqs, changes: None)  # type: ignore[arg-type]  # the repo has only what the committer uses
    try:
        yield done, repo
    finally:
        done.close()


def _without_etags(row: SnapshotRow) -> tuple[Any, ...]:
    return row._replace(etag="")


def _state(repo: MemoryRepo) -> tuple[Any, ...]:
    return (
        sorted(_without_etags(s) for s in repo.snapshots.values()),
        sorted((k, _without_etags(h.snapshot), h.deleted) for k, h in repo.heads.items()),
        repo.changes,
    )


def _answer(tx: PreparedTx) -> Any:
    error = tx.future.exception()
    if isinstance(error, nk.TransactionConflict):
        return [(i.id, i.expected, i.current_etag is None) for i in error.items]
    assert error is None
    resources: list[Resource] = tx.future.result()
    return [(r.id, dict(r.value), dict(r.previous_values), r.snapshot_number) for r in resources]


transactions = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(IDS),
            st.one_of(st.none(), st.integers(0, 2)),
            st.sampled_from(["none", "none", "absent", "stale"]),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda op: op[0],
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(first=transactions, then=transactions)
def test_a_group_commit_equals_its_transactions_committed_one_by_one(
    first: list[list[Op]], then: list[list[Op]]
) -> None:
    with committer() as (grouped, grouped_repo), committer() as (alone, alone_repo):
        # ``first`` sets up some state one by one; ``then`` is committed as one group.
        for ops in first:
            grouped._commit_batch([_tx(ops)])
            alone._commit_batch([_tx(ops)])
        group = [_tx(ops) for ops in then]
        grouped._commit_batch(group)
        singles = [_tx(ops) for ops in then]
        for tx in singles:
            alone._commit_batch([tx])
        assert _state(grouped_repo) == _state(alone_repo)
        assert [_answer(tx) for tx in group] == [_answer(tx) for tx in singles]


def test_changes_are_built_only_for_listeners() -> None:
    built: list[int] = []

    def changes() -> list[nk.Change]:
        built.append(1)
        return []

    hub = SubscriptionHub(lambda star, after, limit: [], {}, max_replay=10, max_buffer=10)
    try:
        hub.publish({STAR: 3}, changes)
        assert hub.last_seq(STAR) == 3 and not built
        scope = Scope(STAR, None, None, None, lambda change: change)
        subscription = hub.subscribe(scope, since=None, callback=lambda event: None)
        hub.publish({STAR: 4}, changes)
        subscription.close()
    finally:
        hub.close()
    assert hub.last_seq(STAR) == 4 and built == [1]
