"""Replay: an execution's state, rebuilt from its journal alone.

The same fold serves resuming after a crash, showing an execution, and the golden-journal
tests: if a journal replays to the same state, an old journal still means what it meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from nebula_kernel.errors import StoreError
from nebula_kernel.workflows._journal import (
    ATTEMPT_COMPLETED,
    ATTEMPT_FAILED,
    ATTEMPT_STARTED,
    CANCELLATION_REQUESTED,
    EXECUTION_CANCELLED,
    EXECUTION_COMPLETED,
    EXECUTION_FAILED,
    EXECUTION_RESUMED,
    EXECUTION_STARTED,
    FORMAT_VERSION,
    NODE_SKIPPED,
    JournalEntry,
)
from nebula_kernel.workflows._plan import ExecutionPlan

__all__ = ["ExecutionState", "ExecutionStatus", "NodeState", "NodeStatus", "replay"]


class ExecutionStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NodeStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # an attempt started and has no outcome (yet, or ever: interrupted)
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(slots=True)
class NodeState:
    status: NodeStatus = NodeStatus.PENDING
    attempts: int = 0  # attempts started
    failures: int = 0  # attempts that failed
    body: dict[str, Any] | None = None  # the completing (or last failing) entry's body
    idempotency_key: str | None = None

    @property
    def interrupted(self) -> int:
        """Attempts that started and never reported: their worker stopped."""
        done = self.failures + (1 if self.status is NodeStatus.COMPLETED else 0)
        return self.attempts - done - (1 if self.status is NodeStatus.RUNNING else 0)


@dataclass(slots=True)
class ExecutionState:
    execution_id: str
    status: ExecutionStatus
    input: Any
    plan: ExecutionPlan
    started_at: datetime
    nodes: dict[str, NodeState]
    cancel_requested: bool = False
    error: dict[str, Any] | None = None
    resumes: int = 0
    entries: int = 0


def _start(entry: JournalEntry) -> ExecutionState:
    if entry.kind != EXECUTION_STARTED:
        raise StoreError(
            f"The journal of execution {entry.execution_id} does not begin with "
            f"{EXECUTION_STARTED} (found {entry.kind}); it is damaged.",
            execution=entry.execution_id,
        )
    plan = ExecutionPlan.from_json(entry.body["plan"])
    return ExecutionState(
        entry.execution_id,
        ExecutionStatus.RUNNING,
        entry.body["input"],
        plan,
        entry.at,
        {n.id: NodeState() for n in plan.nodes},
    )


def replay(entries: Iterable[JournalEntry]) -> ExecutionState:
    """Fold a journal (in ``seq`` order) into the state it describes."""
    state: ExecutionState | None = None
    for entry in entries:
        if entry.format_version > FORMAT_VERSION:
            raise StoreError(
                f"Execution {entry.execution_id} was journaled by a newer Nebula (format "
                f"{entry.format_version}); upgrade to read it.",
                execution=entry.execution_id,
            )
        if state is None:
            state = _start(entry)
        else:
            _apply(state, entry)
        state.entries += 1
    if state is None:
        raise StoreError("An empty journal describes no execution.")
    return state


def _apply(state: ExecutionState, entry: JournalEntry) -> None:
    kind = entry.kind
    node = state.nodes.get(entry.node_id) if entry.node_id is not None else None
    if kind == ATTEMPT_STARTED and node is not None:
        node.status = NodeStatus.RUNNING
        node.attempts = max(node.attempts, entry.attempt or 0)
        node.idempotency_key = entry.body.get("idempotency_key")
    elif kind == ATTEMPT_COMPLETED and node is not None:
        node.status = NodeStatus.COMPLETED
        node.body = entry.body
    elif kind == ATTEMPT_FAILED and node is not None:
        # Inputs that do not resolve fail an attempt before it could start.
        node.attempts = max(node.attempts, entry.attempt or 0)
        node.failures += 1
        node.body = entry.body
        node.status = NodeStatus.PENDING if entry.body.get("will_retry") else NodeStatus.FAILED
    elif kind == NODE_SKIPPED and node is not None:
        node.status = NodeStatus.SKIPPED
    elif kind == CANCELLATION_REQUESTED:
        state.cancel_requested = True
    elif kind == EXECUTION_RESUMED:
        state.resumes += 1
    elif kind == EXECUTION_COMPLETED:
        state.status = ExecutionStatus.COMPLETED
    elif kind == EXECUTION_FAILED:
        state.status = ExecutionStatus.FAILED
        state.error = entry.body.get("error")
    elif kind == EXECUTION_CANCELLED:
        state.status = ExecutionStatus.CANCELLED
        state.error = {"code": "cancelled", "message": entry.body.get("reason", "")}
    # Unknown kinds from the same format version are ignored: readers of an older minor
    # writer must not break on additions that do not change the state.
