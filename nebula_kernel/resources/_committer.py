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
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from nebula_kernel._json import dumps, loads_many
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
from nebula_kernel.resources._snapshots import to_resource

__all__ = ["Committer", "PreparedOp", "PreparedTx", "Retry"]

Key = tuple[str, str, str]
log = logging.getLogger("nebula.resources")
_ONE_MICROSECOND = timedelta(microseconds=1)


def _new_etags(count: int) -> list[str]:
    """``count`` fresh eTags: 128 random bits each as 32 hex digits (a uuid4's length), drawn
    from the OS in one call rather than one call per snapshot."""
    drawn = os.urandom(16 * count).hex()
    return [drawn[i : i + 32] for i in range(0, 32 * count, 32)]


@dataclass(frozen=True, slots=True)
class PreparedOp:
    """One validated, guard-approved write.

    ``observed`` is the eTag the writer saw when it ran guards (``None`` = absent); when
    ``check_observed`` is set the commit also requires it unchanged, because a guard decided on it.
    ``value_json`` is ``value`` as stored, encoded once when its size was checked.
    """

    key: Key
    op: Literal["put", "delete"]
    value: dict[str, Any] | None
    expected: ETagPrecondition
    observed: str | None
    check_observed: bool
    schema_version: int
    value_json: str


@dataclass(slots=True)
class PreparedTx:
    star: str
    principal: str
    ops: Sequence[PreparedOp]
    future: Future[list[Change]] = field(default_factory=Future)


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
        publish: Any,
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
        return self._split(keys, touch=False)

    def _split(self, keys: Sequence[Key], *, touch: bool) -> tuple[dict[Key, HeadRow], list[Key]]:
        """The cached heads of ``keys`` and the keys not cached; ``touch`` marks hits as recent
        (only the committer thread may reorder the cache)."""
        found: dict[Key, HeadRow] = {}
        missing: list[Key] = []
        for key in keys:
            head = self._cache.get(key)
            if head is None:
                missing.append(key)
            else:
                if touch:
                    self._cache.move_to_end(key)
                found[key] = head
        return found, missing

    def submit(self, tx: PreparedTx) -> list[Change]:
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
        found, missing = self._split(keys, touch=True)
        if missing:
            loaded = self._repo.read_heads_for_write(missing)
            found.update(loaded)
            self._remember(loaded.values())
        return found

    def _remember(self, heads: Any) -> None:
        for head in heads:
            self._cache[head.key] = head
            self._cache.move_to_end(head.key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _now(self, star: str) -> datetime:
        # Strictly increasing per star, so "as of" any instant names one snapshot per resource.
        now = self._clock.now()
        last = self._last_at.get(star)
        if last is not None and now <= last:
            now = last + _ONE_MICROSECOND
        self._last_at[star] = now
        return now

    def _commit(self, batch: list[PreparedTx]) -> None:
        with collector_paused():
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[PreparedTx]) -> None:
        saved = (self._sid, self._eid, dict(self._seq), dict(self._last_at))
        try:
            staging = _Staging(self._heads(list({op.key: None for tx in batch for op in tx.ops})))
            outcomes: list[tuple[PreparedTx, list[Change] | BaseException]] = []
            for tx in batch:
                failed = self._check(tx, staging)
                outcomes.append((tx, failed if failed is not None else self._stage(tx, staging)))
            if staging.changes:
                self._repo.apply(staging.batch())
        except Exception as exc:
            # Whatever failed (storage, or a bug while staging), this batch is refused as a
            # whole and the committer carries on with the next one: no writer is left waiting.
            self._sid, self._eid, self._seq, self._last_at = saved
            self._fail(batch, exc)
            return
        if staging.changes:
            self._remember(staging.overlay.values())
            try:
                self._publish([c for _, r in outcomes if isinstance(r, list) for c in r])
            except Exception:  # the commit stands; subscribers can resume from the change log
                log.exception("publishing committed changes failed")
        self._resolve(outcomes)

    def _check(self, tx: PreparedTx, staging: _Staging) -> BaseException | None:
        conflicts = []
        retry = False
        for op in tx.ops:
            head = staging.head(op.key)
            current = None if head is None or head.deleted else head.snapshot.etag
            if not precondition_holds(op.expected, current) or (
                op.op == "delete" and current is None
            ):
                conflicts.append(
                    ConflictItem(op.key[1], op.key[2], describe_precondition(op.expected), current)
                )
            elif op.check_observed and current != op.observed:
                retry = True
        if conflicts:
            return TransactionConflict(tx.star, conflicts)
        return Retry() if retry else None

    def _stage(self, tx: PreparedTx, staging: _Staging) -> list[Change]:
        """Stage every op of ``tx`` at one instant; the work that is the same for each op is done
        once for all of them (decoding the values they replace, drawing their eTags)."""
        at = self._now(tx.star)
        star, principal = tx.star, tx.principal
        # Keys are unique within a transaction, so no op of it changes another's head.
        heads = [staging.head(op.key) for op in tx.ops]
        replaced = [
            head.snapshot.value
            for op, head in zip(tx.ops, heads, strict=True)
            if op.op == "put" and head is not None and not head.deleted
        ]
        old_values = iter(loads_many(replaced) if replaced else ())
        etags = _new_etags(len(tx.ops))
        changes: list[Change] = []
        for n, (op, head) in enumerate(zip(tx.ops, heads, strict=True)):
            live = head if head is not None and not head.deleted else None
            _, type_name, id_ = op.key
            seq = self._seq.get(star, 0) + 1
            self._seq[star] = seq
            if op.op == "delete":
                assert live is not None  # _check refused deletes of what is gone
                closed = staging.delete(live, at)
                staging.changes.append(
                    ChangeRow(star, seq, "delete", type_name, id_, closed.sid, at, principal)
                )
                resource = to_resource(closed)
                changes.append(Change(star, seq, "delete", type_name, id_, resource, at, principal))
                continue
            value = op.value
            assert value is not None
            old = None
            if live is not None:
                old = next(old_values)
                staging.close(live, at)
            if head is None:
                self._eid += 1
                eid, number = self._eid, 1
            else:
                eid, number = head.snapshot.eid, head.snapshot.snapshot_number + 1
            self._sid += 1
            changed = previous_values(old, value)
            snapshot = SnapshotRow(
                self._sid,
                eid,
                star,
                type_name,
                id_,
                number,
                at,
                CURRENT_VALID_TO,
                op.value_json,
                dumps(changed),
                etags[n],
                principal,
                op.schema_version,
            )
            staging.open(snapshot)
            staging.changes.append(
                ChangeRow(star, seq, "put", type_name, id_, snapshot.sid, at, principal)
            )
            resource = Resource(
                star,
                type_name,
                id_,
                value,
                snapshot.etag,
                number,
                at,
                CURRENT_VALID_TO,
                changed,
                principal,
                op.schema_version,
            )
            changes.append(Change(star, seq, "put", type_name, id_, resource, at, principal))
        return changes

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
        self._remember([HeadRow(rewritten, deleted=False)])
        job.future.set_result(True)

    def _fail(self, batch: list[PreparedTx], exc: Exception) -> None:
        # The cache may hold what the failed commit was about to write: forget it all.
        self._cache.clear()
        error = _storage_error(exc)
        for tx in batch:
            tx.future.set_exception(error)

    @staticmethod
    def _resolve(outcomes: list[tuple[PreparedTx, list[Change] | BaseException]]) -> None:
        for tx, result in outcomes:
            if isinstance(result, BaseException):
                tx.future.set_exception(result)
            else:
                tx.future.set_result(result)


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

    def open(self, snapshot: SnapshotRow) -> None:
        self.snapshots[snapshot.sid] = snapshot
        self.overlay[(snapshot.star, snapshot.type, snapshot.id)] = HeadRow(snapshot, False)

    def close(self, head: HeadRow, at: datetime) -> None:
        """End the validity of the head's snapshot at ``at``; its successor is opened next."""
        sid = head.snapshot.sid
        opened = self.snapshots.get(sid)
        if opened is not None:
            # Opened earlier in this same batch: it is inserted already closed.
            self.snapshots[sid] = _replace_valid_to(opened, at)
        else:
            self.closes[sid] = at

    def delete(self, head: HeadRow, at: datetime) -> SnapshotRow:
        """Close the head's snapshot with no successor; return it closed."""
        self.close(head, at)
        closed = self.snapshots.get(head.snapshot.sid) or _replace_valid_to(head.snapshot, at)
        self.overlay[head.key] = HeadRow(closed, True)
        return closed

    def batch(self) -> WriteBatch:
        return WriteBatch(
            closes=list(self.closes.items()),
            snapshots=list(self.snapshots.values()),
            heads=list(self.overlay.values()),
            changes=self.changes,
        )


def _replace_valid_to(row: SnapshotRow, valid_to: datetime) -> SnapshotRow:
    return row._replace(valid_to=valid_to)


def _storage_error(exc: Exception) -> NebulaError:
    if isinstance(exc, NebulaError):
        return exc
    return StoreError(
        f"The store could not commit ({type(exc).__name__}); nothing of this transaction was "
        "written. Check the disk and retry.",
    )
