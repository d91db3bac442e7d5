"""Group commit for the journal: one thread turns concurrent appends into few transactions.

Callers hand over operations (appends, execution creation, status compare-and-set, leases) and,
when they need to, wait for their durability. The writer thread takes everything queued while
its previous commit ran and writes it in one storage transaction. Operations are written in
the order they were submitted, so an entry that is durable implies every entry submitted
before it is durable too; the runtime relies on that to wait only where it matters (before it
reports an outcome), not after every append.

A storage failure fails the batch and every later operation: after a gap in the journal, the
runs of this process can no longer vouch for it. Their leases lapse and another worker resumes
them from what is durable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from nebula_kernel.errors import NebulaError, StoreClosed, StoreError
from nebula_kernel.ports import (
    AcquireLease,
    AppendEntry,
    CreateExecution,
    ExecutionRepo,
    ExecutionRow,
    JournalOp,
    JournalRow,
    ReleaseLease,
    Transition,
)
from nebula_kernel.workflows._journal import FORMAT_VERSION

__all__ = ["JournalWriter", "Listener"]

Listener = Callable[[Sequence[JournalRow]], None]


@dataclass(slots=True)
class _Job:
    op: JournalOp
    future: Future[bool] | None


class JournalWriter:
    def __init__(self, repo: ExecutionRepo, *, max_batch: int = 8192) -> None:
        self._repo = repo
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._failed: NebulaError | None = None
        self._closed = False
        self._listeners: list[Listener] = []
        self._thread = threading.Thread(target=self._run, name="nebula-journal", daemon=True)
        self._thread.start()

    # -- API ------------------------------------------------------------------------------------

    @property
    def failed(self) -> NebulaError | None:
        return self._failed

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with entries once they are durable (on the journal thread)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _submit(self, op: JournalOp, wait: bool) -> Future[bool] | None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise StoreClosed("The workflow runtime is closed; open it again to run workflows.")
        future: Future[bool] | None = Future() if wait else None
        self._queue.put(_Job(op, future))
        return future

    def _row(
        self,
        execution_id: str,
        kind: str,
        body: str,
        at: datetime,
        node: str | None,
        attempt: int | None,
    ) -> JournalRow:
        seq = self._repo.allocate_seq()
        return JournalRow(seq, execution_id, kind, node, attempt, FORMAT_VERSION, at, body)

    def append(
        self,
        execution_id: str,
        kind: str,
        body: str,
        at: datetime,
        *,
        node: str | None = None,
        attempt: int | None = None,
        wait: bool = False,
    ) -> Future[bool] | None:
        # The lock makes sequence order and queue order the same.
        with self._lock:
            row = self._row(execution_id, kind, body, at, node, attempt)
            return self._submit(AppendEntry(row), wait)

    def create(self, row: ExecutionRow, kind: str, body: str) -> Future[bool]:
        with self._lock:
            entry = self._row(row.id, kind, body, row.created_at, None, None)
            future = self._submit(CreateExecution(row, entry), True)
        assert future is not None
        return future

    def transition(
        self, execution_id: str, expected: str, to: str, kind: str, body: str, at: datetime
    ) -> Future[bool]:
        with self._lock:
            entry = self._row(execution_id, kind, body, at, None, None)
            future = self._submit(Transition(execution_id, expected, to, at, entry), True)
        assert future is not None
        return future

    def acquire_lease(
        self, execution_id: str, holder: str, until: datetime, now: datetime
    ) -> Future[bool]:
        with self._lock:
            future = self._submit(AcquireLease(execution_id, holder, until, now), True)
        assert future is not None
        return future

    def release_lease(self, execution_id: str, holder: str) -> Future[bool]:
        with self._lock:
            future = self._submit(ReleaseLease(execution_id, holder), True)
        assert future is not None
        return future

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    # -- the journal thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Job]) -> None:
        if self._failed is not None:
            self._fail(batch, self._failed)
            return
        try:
            applied = self._repo.write([job.op for job in batch])
        except Exception as exc:
            self._failed = (
                exc
                if isinstance(exc, NebulaError)
                else StoreError(
                    f"The workflow journal could not be written ({type(exc).__name__}); runs "
                    "of this runtime stop here and resume elsewhere once their leases lapse. "
                    "Check the disk, then open the runtime again.",
                )
            )
            self._fail(batch, self._failed)
            return
        if self._listeners:
            self._notify(batch, applied)
        for job, done in zip(batch, applied, strict=True):
            if job.future is not None:
                job.future.set_result(done)

    def _notify(self, batch: list[_Job], applied: list[bool]) -> None:
        rows: list[JournalRow] = []
        for job, done in zip(batch, applied, strict=True):
            op = job.op
            if done and isinstance(op, (AppendEntry, CreateExecution, Transition)):
                rows.append(op.entry)
        for listener in list(self._listeners):
            listener(rows)

    @staticmethod
    def _fail(batch: list[_Job], error: NebulaError) -> None:
        for job in batch:
            if job.future is not None:
                job.future.set_exception(error)
