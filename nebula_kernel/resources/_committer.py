"""Group commit: one thread turns every concurrent transaction into as few DuckDB commits as it can.

Writers hand a prepared transaction to :meth:`Committer.submit` and wait. The committer thread
takes whatever has queued up while the previous commit was running, checks every transaction's
eTag preconditions against the latest state (the second check of the double eTag check), and
writes all that passed in one storage transaction. Transactions in a batch are applied in queue
order: a later one sees the earlier ones' writes, so two writers racing on one eTag cannot both
win. A transaction either commits with its batch or fails on its own; a storage failure fails
the whole batch and leaves nothing behind.

The committer is the only writer, so the heads it caches stay authoritative.
"""

from __future__ import annotations

import enum
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import repeat
from typing import Any, TypeVar, cast

from nebula_kernel._json import dumps, loads_many
from nebula_kernel._time import ONE_MICROSECOND
from nebula_kernel.errors import (
    ConflictItem,
    NebulaError,
    StoreClosed,
    StoreError,
    TransactionConflict,
)
from nebula_kernel.ports import ChangeRow, Clock, HeadRow, ResourceRepo, SnapshotRow, WriteBatch
from nebula_kernel.resources._gc import collector_paused
from nebula_kernel.resources._history import previous_values
from nebula_kernel.resources._model import (
    CURRENT_VALID_TO,
    Change,
    ETagPrecondition,
    Resource,
    describe_precondition,
    precondition_holds,
)
from nebula_kernel.resources._staged import StagedTx, changes_of

__all__ = ["Committer", "Publish", "PreparedTx", "Retry"]

Key = tuple[str, str, str]
_Row = TypeVar("_Row", bound=tuple[Any, ...])
log = logging.getLogger("nebula.resources")


def _new_etags(count: int) -> list[str]:
    """``count`` fresh eTags: 128 random bits each as 32 hex digits (a uuid4's length), drawn
    from the OS in one call rather than one call per snapshot."""
    drawn = os.urandom(16 * count).hex()
    return [drawn[i : i + 32] for i in range(0, 32 * count, 32)]


@dataclass(frozen=True, slots=True)
class PreparedTx:
    """One validated, guard-approved transaction, column by column (one entry per op).

    ``deletes`` says which ops delete; ``values`` holds each put's value (``None`` for a delete)
    and ``texts`` that value as stored, encoded once when its size was checked. ``expected`` is
    the eTag precondition; ``observed`` the eTag the writer saw when it ran guards (``None`` =
    absent), which the commit also requires unchanged where ``guarded`` is set, because a guard
    decided on it.
    """

    star: str
    principal: str
    keys: Sequence[Key]
    deletes: Sequence[bool]
    values: Sequence[dict[str, Any] | None]
    texts: Sequence[str]
    schema_versions: Sequence[int]
    expected: Sequence[ETagPrecondition]
    observed: Sequence[str | None]
    guarded: Sequence[bool]
    future: Future[list[Resource]] = field(default_factory=Future, compare=False)


Publish = Callable[[Mapping[str, int], Callable[[], list[Change]]], None]
"""Told after each commit: every star's last sequence, and how to build the commit's changes
(built only if someone listens)."""


class Retry(Exception):
    """The state a guard decided on changed before the commit; prepare the transaction again."""


@dataclass(slots=True)
class _Rewrite:
    key: Key
    sid: int
    value: str
    schema_version: int
    future: Future[bool] = field(default_factory=Future)


class _Idle(enum.Enum):
    IDLE = enum.auto()


# A transaction to commit, a migrated value to store, or None to stop.
_Job = PreparedTx | _Rewrite | None
# How long the committer waits for the writers it expects before committing without them.
_LINGER = 0.002


class Committer:
    def __init__(
        self,
        repo: ResourceRepo,
        clock: Clock,
        publish: Publish,
        *,
        max_batch: int = 256,
        cache_size: int = 100_000,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._publish = publish
        self._max_batch = max_batch
        self._cache: OrderedDict[Key, HeadRow] = OrderedDict()
        self._cache_size = cache_size
        self._sid, self._eid, self._seq = repo.counters()
        self._last_at: dict[str, datetime] = {}
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        # Transactions in the previous batch: how many to expect in the next one.
        self._expected = 1
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="nebula-committer", daemon=True)
        self._thread.start()

    # -- API for writers ------------------------------------------------------------------------

    def last_seqs(self) -> dict[str, int]:
        return dict(self._seq)

    def cached_heads(self, keys: Sequence[Key]) -> tuple[dict[Key, HeadRow], list[Key]]:
        """The heads the cache holds for ``keys``, and the keys it does not hold.

        For any thread: the cache changes only after a commit is in storage and before its
        writers are answered, so it is never behind what a writer has been told, nor ahead of
        storage. Lookups leave the recency order alone; only the committer thread changes it.
        """
        if self._closed:
            # Storage answers, and says the store is closed.
            return {}, list(keys)
        return self._split(keys)

    def _split(self, keys: Sequence[Key]) -> tuple[dict[Key, HeadRow], list[Key]]:
        """The cached heads of ``keys`` and the keys not cached."""
        found: dict[Key, HeadRow] = {}
        missing: list[Key] = []
        for key in keys:
            head = self._cache.get(key)
            if head is None:
                missing.append(key)
            else:
                found[key] = head
        return found, missing

    def submit(self, tx: PreparedTx) -> list[Resource]:
        if self._closed:
            raise StoreClosed("The store is closed; open it again to write.")
        self._queue.put(tx)
        return tx.future.result()

    def rewrite(self, key: Key, sid: int, value: str, schema_version: int) -> bool:
        """Store a migrated value in the current snapshot ``sid``, if it is still current."""
        if self._closed:
            return False
        job = _Rewrite(key, sid, value, schema_version)
        self._queue.put(job)
        return job.future.result()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    # -- the committer thread -------------------------------------------------------------------

    def _run(self) -> None:
        job = self._queue.get()
        while job is not None:
            if isinstance(job, _Rewrite):
                self._rewrite(job)
                job = self._queue.get()
                continue
            batch, after = self._collect(job)
            self._expected = len(batch)
            self._commit(batch)
            job = self._queue.get() if after is _Idle.IDLE else after

    def _collect(self, first: PreparedTx) -> tuple[list[PreparedTx], _Job | _Idle]:
        """``first`` and the transactions queued behind it; then the job that ended the batch,
        or ``IDLE`` if none came."""
        batch = [first]
        deadline: float | None = None
        while len(batch) < self._max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                if len(batch) >= self._expected:
                    return batch, _Idle.IDLE
                # As many writers as the previous commit answered are most likely preparing
                # their next transactions: wait a moment so that they share this commit rather
                # than each paying for one (a commit costs milliseconds, however small).
                if deadline is None:
                    deadline = time.monotonic() + _LINGER
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return batch, _Idle.IDLE
                try:
                    job = self._queue.get(timeout=remaining)
                except queue.Empty:
                    return batch, _Idle.IDLE
            if not isinstance(job, PreparedTx):
                return batch, job
            batch.append(job)
        return batch, _Idle.IDLE

    def _heads(self, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        # Hits keep their place in the recency order: the heads a commit writes are made the
        # most recent once it is stored (_remember), which is all the order needs.
        found, missing = self._split(keys)
        if missing:
            loaded = self._repo.read_heads_for_write(missing)
            found.update(loaded)
            self._remember(loaded)
        return found

    def _remember(self, heads: Mapping[Key, HeadRow]) -> None:
        cache = self._cache
        recent = cache.move_to_end
        for key, head in heads.items():
            cache[key] = head
            recent(key)
        while len(cache) > self._cache_size:
            cache.popitem(last=False)

    def _now(self, star: str) -> datetime:
        # Strictly increasing per star, so "as of" any instant names one snapshot per resource.
        now = self._clock.now()
        last = self._last_at.get(star)
        if last is not None and now <= last:
            now = last + ONE_MICROSECOND
        self._last_at[star] = now
        return now

    def _commit(self, batch: list[PreparedTx]) -> None:
        with collector_paused():
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[PreparedTx]) -> None:
        saved = (self._sid, self._eid, dict(self._seq), dict(self._last_at))
        try:
            staging = _Staging(self._heads(list({key: None for tx in batch for key in tx.keys})))
            outcomes: list[tuple[PreparedTx, StagedTx | BaseException]] = []
            for tx in batch:
                heads = [staging.head(key) for key in tx.keys]
                failed = self._check(tx, heads)
                outcomes.append((tx, self._stage(tx, heads, staging) if failed is None else failed))
            staged = [s for _, s in outcomes if isinstance(s, StagedTx)]
            results = self._write(staging, staged)
        except Exception as exc:
            # Whatever failed (storage, or a bug while staging), this batch is refused as a
            # whole and the committer carries on with the next one: no writer is left waiting.
            self._sid, self._eid, self._seq, self._last_at = saved
            self._fail(batch, exc)
            return
        if staged:
            self._remember(staging.overlay)
            self._announce(staged, results)
        answers = iter(results)
        for tx, outcome in outcomes:
            if isinstance(outcome, BaseException):
                tx.future.set_exception(outcome)
            else:
                tx.future.set_result(next(answers))

    def _write(self, staging: _Staging, staged: list[StagedTx]) -> list[list[Resource]]:
        """Write what is staged; return each staged transaction's resources."""
        if staging.changes:
            self._repo.apply(staging.batch())
        return [tx.resources() for tx in staged]

    def _announce(self, staged: list[StagedTx], results: list[list[Resource]]) -> None:
        last_seqs = {tx.star: tx.last_seq for tx in staged}
        try:
            self._publish(last_seqs, lambda: changes_of(list(zip(staged, results, strict=True))))
        except Exception:  # the commit stands; subscribers can resume from the change log
            log.exception("publishing committed changes failed")

    @staticmethod
    def _check(tx: PreparedTx, heads: list[HeadRow | None]) -> BaseException | None:
        conflicts = []
        retry = False
        for key, head, delete, expected, observed, guarded in zip(
            tx.keys, heads, tx.deletes, tx.expected, tx.observed, tx.guarded, strict=True
        ):
            current = None if head is None or head.deleted else head.snapshot.etag
            if (expected is not None and not precondition_holds(expected, current)) or (
                delete and current is None
            ):
                conflicts.append(
                    ConflictItem(key[1], key[2], describe_precondition(expected), current)
                )
            elif guarded and current != observed:
                retry = True
        if conflicts:
            return TransactionConflict(tx.star, conflicts)
        return Retry() if retry else None

    def _stage(self, tx: PreparedTx, heads: list[HeadRow | None], staging: _Staging) -> StagedTx:
        """Stage every op of ``tx`` at one instant, column by column: a big transaction is
        staged in a few passes over its ops rather than op by op."""
        at = self._now(tx.star)
        star, principal = tx.star, tx.principal
        # Keys are unique within a transaction, so no op of it changes another's head: its
        # deletes and its puts are staged apart.
        deleting = [n for n, delete in enumerate(tx.deletes) if delete]
        closed = [staging.delete(tx.keys[n], _live(heads[n]), at) for n in deleting]
        putting = [n for n, delete in enumerate(tx.deletes) if not delete] if deleting else None
        snapshots, changed = self._stage_puts(
            tx if putting is None else _pick(tx, putting),
            heads if putting is None else [heads[n] for n in putting],
            at,
            staging,
        )
        if putting is None:
            rows: list[SnapshotRow] = snapshots
            changes: list[Mapping[str, Any]] = list(changed)
        else:
            put_rows, deleted_rows = iter(snapshots), iter(closed)
            rows = [next(deleted_rows) if delete else next(put_rows) for delete in tx.deletes]
            put_changes = iter(changed)
            changes = [_NOTHING if delete else next(put_changes) for delete in tx.deletes]
        first_seq = self._seq.get(star, 0) + 1
        self._seq[star] = first_seq + len(rows) - 1
        staging.changes.extend(
            _rows(
                ChangeRow,
                repeat(star),
                range(first_seq, first_seq + len(rows)),
                ["delete" if delete else "put" for delete in tx.deletes],
                [key[1] for key in tx.keys],
                [key[2] for key in tx.keys],
                [row.sid for row in rows],
                repeat(at),
                repeat(principal),
            )
        )
        return StagedTx(star, principal, at, first_seq, rows, tx.values, changes)

    def _stage_puts(
        self, tx: PreparedTx, heads: list[HeadRow | None], at: datetime, staging: _Staging
    ) -> tuple[list[SnapshotRow], list[dict[str, Any]]]:
        """The snapshots the puts of ``tx`` open, and what each changed; the values they
        replace are decoded together, their eTags drawn together."""
        live = [None if head is None or head.deleted else head for head in heads]
        replaced = [head.snapshot.value for head in live if head is not None]
        decoded = iter(loads_many(replaced) if replaced else ())
        values = cast("list[dict[str, Any]]", tx.values)  # puts only: none is None
        changed = list(
            map(previous_values, [None if h is None else next(decoded) for h in live], values)
        )
        new_eids = iter(range(self._eid + 1, self._eid + 1 + len(heads)))
        eids = [next(new_eids) if head is None else head.snapshot.eid for head in heads]
        self._eid += heads.count(None)
        first_sid = self._sid + 1
        self._sid += len(heads)
        snapshots = _rows(
            SnapshotRow,
            range(first_sid, first_sid + len(heads)),
            eids,
            repeat(tx.star),
            [key[1] for key in tx.keys],
            [key[2] for key in tx.keys],
            [1 if head is None else head.snapshot.snapshot_number + 1 for head in heads],
            repeat(at),
            repeat(CURRENT_VALID_TO),
            tx.texts,
            map(dumps, changed),
            _new_etags(len(heads)),
            repeat(tx.principal),
            tx.schema_versions,
        )
        staging.close_all([head for head in live if head is not None], at)
        staging.open_all(tx.keys, snapshots)
        return snapshots, changed

    def _rewrite(self, job: _Rewrite) -> None:
        try:
            head = self._heads([job.key]).get(job.key)
            if head is None or head.deleted or head.snapshot.sid != job.sid:
                job.future.set_result(False)
                return
            self._repo.rewrite_current(job.key, job.sid, job.value, job.schema_version)
        except Exception as exc:
            self._cache.pop(job.key, None)
            job.future.set_exception(_storage_error(exc))
            return
        rewritten = head.snapshot._replace(value=job.value, schema_version=job.schema_version)
        self._remember({job.key: HeadRow(rewritten, deleted=False)})
        job.future.set_result(True)

    def _fail(self, batch: list[PreparedTx], exc: Exception) -> None:
        # The cache may hold what the failed commit was about to write: forget it all.
        self._cache.clear()
        error = _storage_error(exc)
        for tx in batch:
            tx.future.set_exception(error)


# A delete's previous values: it has none of its own (its resource is the snapshot it closed).
_NOTHING: Mapping[str, Any] = {}


def _live(head: HeadRow | None) -> HeadRow:
    # _check refused deletes of what is gone.
    assert head is not None and not head.deleted
    return head


def _rows(row: type[_Row], *columns: Iterable[Any]) -> list[_Row]:
    """Rows (NamedTuples) from their columns; endless ones (``repeat``) fill in a constant.

    Made by ``tuple.__new__``, which is what a NamedTuple's own constructor calls after binding
    its arguments in Python: a big commit makes tens of thousands of rows, this twice as fast.
    """
    return list(map(tuple.__new__, repeat(row), zip(*columns, strict=False)))


def _pick(tx: PreparedTx, ops: Sequence[int]) -> PreparedTx:
    """The ops of ``tx`` at the positions ``ops``."""
    return replace(
        tx,
        keys=[tx.keys[n] for n in ops],
        deletes=[tx.deletes[n] for n in ops],
        values=[tx.values[n] for n in ops],
        texts=[tx.texts[n] for n in ops],
        schema_versions=[tx.schema_versions[n] for n in ops],
        expected=[tx.expected[n] for n in ops],
        observed=[tx.observed[n] for n in ops],
        guarded=[tx.guarded[n] for n in ops],
    )


class _Staging:
    """What one group commit will write, and the state its later transactions must see."""

    def __init__(self, heads: dict[Key, HeadRow]) -> None:
        self._heads = heads
        self.overlay: dict[Key, HeadRow] = {}
        self.closes: dict[int, datetime] = {}
        self.snapshots: dict[int, SnapshotRow] = {}
        self.changes: list[ChangeRow] = []

    def head(self, key: Key) -> HeadRow | None:
        return self.overlay.get(key) or self._heads.get(key)

    def open_all(self, keys: Sequence[Key], snapshots: Sequence[SnapshotRow]) -> None:
        """Make each snapshot the head of its key."""
        self.snapshots.update((snapshot.sid, snapshot) for snapshot in snapshots)
        self.overlay.update(zip(keys, _rows(HeadRow, snapshots, repeat(False)), strict=True))

    def close(self, head: HeadRow, at: datetime) -> None:
        """End the validity of the head's snapshot at ``at``."""
        self.close_all([head], at)

    def close_all(self, heads: Sequence[HeadRow], at: datetime) -> None:
        """End the validity of the heads' snapshots at ``at``."""
        sids = [head.snapshot.sid for head in heads]
        opened = self.snapshots.keys() & sids
        for sid in opened:
            # Opened earlier in this same batch: it is inserted already closed.
            self.snapshots[sid] = self.snapshots[sid]._replace(valid_to=at)
        self.closes.update(
            dict.fromkeys(sids if not opened else [s for s in sids if s not in opened], at)
        )

    def delete(self, key: Key, head: HeadRow, at: datetime) -> SnapshotRow:
        """Close the head's snapshot with no successor; return it closed."""
        self.close(head, at)
        closed = self.snapshots.get(head.snapshot.sid) or head.snapshot._replace(valid_to=at)
        self.overlay[key] = HeadRow(closed, True)
        return closed

    def batch(self) -> WriteBatch:
        return WriteBatch(
            closes=list(self.closes.items()),
            snapshots=list(self.snapshots.values()),
            heads=list(self.overlay.values()),
            changes=self.changes,
        )


def _storage_error(exc: Exception) -> NebulaError:
    if isinstance(exc, NebulaError):
        return exc
    return StoreError(
        f"The store could not commit ({type(exc).__name__}); nothing of this transaction was "
        "written. Check the disk and retry.",
    )
