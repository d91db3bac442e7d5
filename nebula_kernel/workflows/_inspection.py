"""What hosts show of executions: summaries, per-node details and events, all read from the
journal (the truth) and the execution rows (its index).

Times are those the journal recorded: a node starts with its first attempt and finishes with
the entry that settled it (completed, failed for good, or skipped); its duration spans its
retries and their backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nebula_kernel.ports import ExecutionRow
from nebula_kernel.workflows._journal import (
    ATTEMPT_COMPLETED,
    ATTEMPT_FAILED,
    ATTEMPT_STARTED,
    EXECUTION_CANCELLED,
    EXECUTION_COMPLETED,
    EXECUTION_FAILED,
    EXECUTION_STARTED,
    NODE_SKIPPED,
    JournalEntry,
)
from nebula_kernel.workflows._plan import ExecutionPlan
from nebula_kernel.workflows._replay import ExecutionStatus, NodeStatus, replay

__all__ = [
    "MAX_SHOWN_BYTES",
    "ExecutionDetail",
    "ExecutionEvent",
    "ExecutionSummary",
    "NodeDetail",
    "entry_json",
    "inspect_execution",
    "status_after",
]

MAX_SHOWN_BYTES = 1 << 20
"""Spilled values above this are not loaded into a detail (``omitted`` names them)."""

# Loads a value of an entry's body by name (from the blob store when it was spilled).
ValueLoader = Callable[[dict[str, Any], str], Any]

_SETTLED = {NodeStatus.COMPLETED, NodeStatus.FAILED, NodeStatus.SKIPPED}
_STATUS_AFTER = {
    EXECUTION_COMPLETED: ExecutionStatus.COMPLETED.value,
    EXECUTION_FAILED: ExecutionStatus.FAILED.value,
    EXECUTION_CANCELLED: ExecutionStatus.CANCELLED.value,
}


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def status_after(entry: JournalEntry) -> str:
    """The execution's status once ``entry`` is written: only terminal entries change it."""
    return _STATUS_AFTER.get(entry.kind, ExecutionStatus.RUNNING.value)


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as clients read it."""
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "node_id": entry.node_id,
        "attempt": entry.attempt,
        "written_at": entry.at.isoformat(),
        "body": entry.body,
    }


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    id: str
    workflow_id: str
    star: str
    status: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ExecutionRow) -> ExecutionSummary:
        return cls(row.id, row.workflow_id, row.star, row.status, row.created_at, row.updated_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow_id": self.workflow_id,
            "star": self.star,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NodeDetail:
    status: NodeStatus
    attempts: int
    failures: int
    started_at: datetime | None
    finished_at: datetime | None
    input: Any
    output: Any
    error: dict[str, Any] | None
    omitted: tuple[str, ...] = ()  # "input"/"output" too big to show: read the journal's blob

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "attempts": self.attempts,
            "failures": self.failures,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_ms": self.duration_ms,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "omitted": list(self.omitted),
        }


@dataclass(frozen=True, slots=True)
class ExecutionDetail:
    execution: ExecutionSummary
    plan: ExecutionPlan
    input: Any
    result: dict[str, Any] | None  # the outputs of the final nodes, once completed
    error: dict[str, Any] | None
    nodes: dict[str, NodeDetail]

    def to_json(self) -> dict[str, Any]:
        return {
            "execution": self.execution.to_json(),
            "plan": {
                "nodes": [
                    {"id": n.id, "action": n.action, "version": n.version} for n in self.plan.nodes
                ],
                "edges": [
                    {"from": e.source, "to": e.target, "condition": e.condition}
                    for n in self.plan.nodes
                    for e in n.incoming
                ],
            },
            "input": self.input,
            "result": self.result,
            "error": self.error,
            "nodes": {node_id: node.to_json() for node_id, node in self.nodes.items()},
        }


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    """One durable journal entry, with the execution it belongs to and its status after it."""

    entry: JournalEntry
    star: str
    workflow_id: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "execution_id": self.entry.execution_id,
            "workflow_id": self.workflow_id,
            "entry": entry_json(self.entry),
            "status": self.status,
        }


class _Shown:
    """Values of entry bodies as a detail shows them: spilled ones loaded unless too big."""

    def __init__(self, load: ValueLoader) -> None:
        self._load = load
        self.omitted: list[str] = []

    def value(self, body: dict[str, Any] | None, name: str, shown_as: str) -> Any:
        if body is None:
            return None
        ref = body.get(f"{name}_blob")
        if isinstance(ref, dict) and ref.get("size", 0) > MAX_SHOWN_BYTES:
            self.omitted.append(shown_as)
            return None
        return self._load(body, name)


def inspect_execution(
    row: ExecutionRow, entries: Sequence[JournalEntry], load: ValueLoader
) -> ExecutionDetail:
    """Fold ``entries`` (an execution's whole journal) into what a host shows of it."""
    state = replay(entries)
    first_start: dict[str, datetime] = {}
    settled_at: dict[str, datetime] = {}
    last_inputs: dict[str, dict[str, Any]] = {}
    for entry in entries:
        node_id = entry.node_id
        if node_id is None:
            continue
        if entry.kind == ATTEMPT_STARTED:
            first_start.setdefault(node_id, entry.at)
            last_inputs[node_id] = entry.body
        elif entry.kind in (ATTEMPT_COMPLETED, ATTEMPT_FAILED, NODE_SKIPPED):
            settled_at[node_id] = entry.at
    nodes: dict[str, NodeDetail] = {}
    for node_id, node in state.nodes.items():
        shown = _Shown(load)
        completed = node.status is NodeStatus.COMPLETED
        error = None if completed or node.body is None else node.body.get("error")
        nodes[node_id] = NodeDetail(
            node.status,
            node.attempts,
            node.failures,
            first_start.get(node_id),
            settled_at.get(node_id) if node.status in _SETTLED else None,
            shown.value(last_inputs.get(node_id), "inputs", "input"),
            shown.value(node.body, "output", "output") if completed else None,
            error,
            tuple(shown.omitted),
        )
    result = None
    if state.status is ExecutionStatus.COMPLETED:
        result = {
            n.id: nodes[n.id].output
            for n in state.plan.nodes
            if not n.outgoing and nodes[n.id].status is NodeStatus.COMPLETED
        }
    start = entries[0]
    assert start.kind == EXECUTION_STARTED  # replay checked it
    return ExecutionDetail(
        ExecutionSummary.of(row),
        state.plan,
        load(start.body, "input"),
        result,
        state.error,
        nodes,
    )
