"""Following an execution as it runs: its journal folded into node states, kept current by its
events, and handed to a view (see ``_workflows_views``) at every change.

The fold is a projection for display (the journal is the truth): it starts from the journal
read once, applies each event whose ``seq`` is newer, and reads the journal again whenever
events stop coming for a while or the server says some were missed, so a lost event delays the
view but never leaves it wrong.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nebula_kernel.client._workflows_backend import Backend, Entry
from nebula_kernel.client._workflows_models import NodeLabel, node_label
from nebula_kernel.errors import NebulaError

__all__ = ["ExecutionProgress", "Follower", "NodeProgress", "ProgressView"]

ProgressView = Callable[["ExecutionProgress", list[str]], None]

_TERMINAL = {
    "execution_completed": "completed",
    "execution_failed": "failed",
    "execution_cancelled": "cancelled",
}
# Without events for this long, the journal is read again (the truth; events are a projection);
# more often when there are no events to wait for.
_REREAD_S = 2.0
_POLL_S = 0.2

_log = logging.getLogger("nebula.workflows.client")


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(slots=True)
class NodeProgress:
    id: str
    action: str
    status: str = "pending"
    attempts: int = 0
    failures: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str = ""

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000


class ExecutionProgress:
    """An execution's node states, folded from its journal entries in ``seq`` order."""

    def __init__(self, execution_id: str) -> None:
        self.execution_id = execution_id
        self.workflow_id = ""
        self.status = "running"
        self.error = ""
        self.last_seq = 0
        self.nodes: dict[str, NodeProgress] = {}

    @property
    def concluded(self) -> bool:
        return self.status != "running"

    def label(self, node: NodeProgress) -> NodeLabel:
        return node_label(node.status, node.failures, self.status)

    def labels(self) -> dict[str, NodeLabel]:
        return {node_id: self.label(node) for node_id, node in self.nodes.items()}

    def apply_all(self, entries: Iterable[Entry]) -> list[str]:
        """Apply entries newer than the last seen; the ids of nodes whose label changed."""
        before = self.labels()
        for entry in entries:
            if int(entry["seq"]) > self.last_seq:
                self._apply(entry)
                self.last_seq = int(entry["seq"])
        after = self.labels()
        return [node_id for node_id, label in after.items() if before.get(node_id) != label]

    def _apply(self, entry: Entry) -> None:
        kind = str(entry["kind"])
        body: Mapping[str, Any] = entry.get("body") or {}
        at = _when(entry.get("written_at"))
        if kind == "execution_started":
            plan = body.get("plan") or {}
            self.workflow_id = str(plan.get("workflow_id", ""))
            for planned in plan.get("nodes", ()):
                self.nodes[planned["id"]] = NodeProgress(planned["id"], planned["action"])
            return
        if kind in _TERMINAL:
            self.status = _TERMINAL[kind]
            error = body.get("error") or {}
            self.error = str(error.get("message", "") or body.get("reason", ""))
            return
        node = self.nodes.get(str(entry.get("node_id")))
        if node is None:
            return
        if kind == "attempt_started":
            node.status = "running"
            node.attempts = max(node.attempts, int(entry.get("attempt") or 0))
            if node.started_at is None:
                node.started_at = at
        elif kind == "attempt_failed":
            node.failures += 1
            node.error = str((body.get("error") or {}).get("message", ""))
            if body.get("will_retry"):
                node.status = "pending"
            else:
                node.status, node.finished_at = "failed", at
        elif kind == "attempt_completed":
            node.status, node.finished_at = "completed", at
        elif kind == "node_skipped":
            node.status, node.finished_at = "skipped", at


class Follower:
    """One execution's progress, kept current; ``view`` is told of every change.

    Without ``notify``, whoever waits calls :meth:`pump` (a cell blocked in ``run()``: the
    kernel's loop cannot run callbacks then). With ``notify``, events are applied where
    ``notify`` runs them (a widget: on the kernel's loop, between cells).
    """

    def __init__(
        self,
        backend: Backend,
        execution_id: str,
        view: ProgressView,
        notify: Callable[[None], None] | None = None,
    ) -> None:
        self._backend = backend
        self._view = view
        self._notify = notify
        self._events: queue.SimpleQueue[Entry | None] = queue.SimpleQueue()
        self.progress = ExecutionProgress(execution_id)
        # Watch before reading the journal: an entry written in between is in one or both.
        self._unwatch: Callable[[], None] | None = None
        self._closing = threading.Lock()
        self._applying = threading.Lock()
        self._reread_s = _REREAD_S
        try:
            self._unwatch = backend.watch(execution_id, self._arrived)
        except NebulaError as exc:  # no live events (the gateway is unreachable): poll instead
            _log.debug("following execution %s by polling: %s", execution_id, exc)
            self._reread_s = _POLL_S
            if notify is not None:  # nobody pumps: a timer asks for a read of the journal
                self._unwatch = _every(_POLL_S, lambda: self._arrived(None))
        try:
            self._reread()
        except BaseException:
            self.close()
            raise
        self._show(list(self.progress.nodes))

    def _arrived(self, entry: Entry | None) -> None:
        self._events.put(entry)
        if self._notify is not None:
            self._notify(None)

    def _reread(self) -> list[str]:
        progress = self.progress
        return progress.apply_all(self._backend.journal(progress.execution_id, progress.last_seq))

    def drain(self, first: Entry | None = None, *, waited: bool = False) -> None:
        """Apply every event that has arrived (without waiting)."""
        arrived: list[Entry | None] = [first] if waited else []
        while True:
            try:
                arrived.append(self._events.get_nowait())
            except queue.Empty:
                break
        with self._applying:  # the first drain of a widget may race its event thread's
            changed = self.progress.apply_all(e for e in arrived if e is not None)
            if None in arrived:  # the server could not replay what was missed: read the truth
                changed += self._reread()
            self._show(changed)

    def pump(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for news and apply it; with none, read the journal."""
        first: Entry | None
        try:
            first = self._events.get(timeout=min(timeout, self._reread_s))
        except queue.Empty:
            first = None  # nothing came: read the journal
        self.drain(first, waited=True)

    def _show(self, changed: list[str]) -> None:
        if changed or self.progress.concluded:
            self._view(self.progress, changed)
        if self.progress.concluded:
            self.close()

    def close(self) -> None:
        # Both the waiting thread and the one applying the final event may get here.
        with self._closing:
            unwatch, self._unwatch = self._unwatch, None
        if unwatch is not None:
            unwatch()


def _every(interval_s: float, tick: Callable[[], None]) -> Callable[[], None]:
    """Call ``tick`` every ``interval_s`` seconds on a thread until the returned stop is called."""
    stopped = threading.Event()

    def run() -> None:
        while not stopped.wait(interval_s):
            try:
                tick()
            except Exception:  # a failed read (the server away for a moment): try next time
                _log.exception("following an execution failed a poll")

    threading.Thread(target=run, name="nebula-execution-poll", daemon=True).start()
    return stopped.set
