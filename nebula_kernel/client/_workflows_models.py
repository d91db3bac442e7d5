"""What the notebook API returns about workflows: pydantic models read from the contract's JSON.

Both modes produce the same JSON (the embedded client asks :class:`WorkflowService` for it,
the remote one gets it over REST), so one set of readers serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ActionInfo",
    "ExecutionInfo",
    "NodeLabel",
    "NodeRun",
    "RunResult",
    "WorkflowProblem",
    "node_label",
    "nodes_html",
]

NodeLabel = Literal["queued", "running", "retrying", "done", "failed", "skipped", "cancelled"]
NodeStatusName = Literal["pending", "running", "completed", "failed", "skipped"]
ExecutionStatusName = Literal["running", "completed", "failed", "cancelled"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


def node_label(status: str, failures: int, execution_status: str) -> NodeLabel:
    """How a node shows: the contract's mapping (pending → queued, running or pending after a
    failed attempt → retrying, completed → done); a node an ended execution never settled
    shows as cancelled (its attempt was cut short, or the whole run was) or skipped."""
    if status == "completed":
        return "done"
    if status in ("failed", "skipped"):
        return "failed" if status == "failed" else "skipped"
    if execution_status != "running":  # ended: an attempt cut short, or a node never run
        cut_short = execution_status == "cancelled" or status == "running"
        return "cancelled" if cut_short else "skipped"
    if failures > 0:
        return "retrying"
    return "running" if status == "running" else "queued"


class WorkflowProblem(_Model):
    """One thing to fix in a workflow: where (``path``, ``node``, file ``line``) and what."""

    message: str
    node: str | None = None
    path: tuple[str | int, ...] = ()
    line: int | None = None

    @property
    def location(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<workflow>"
        if self.node is not None:
            where = f"node {self.node!r}: {where}"
        return where if self.line is None else f"{where} (line {self.line})"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ActionInfo(_Model):
    """An action a workflow node can use, with the JSON Schemas of its input and output."""

    id: str
    version: str
    description: str = ""
    capabilities: tuple[str, ...] = ()
    input_schema: dict[str, Any] = {}
    output_schema: dict[str, Any] | None = None


class ExecutionInfo(_Model):
    id: str
    workflow_id: str
    star: str
    status: ExecutionStatusName
    created_at: datetime
    updated_at: datetime


class NodeRun(_Model):
    """One node of an execution: its state, attempts, times, and last input and output."""

    id: str
    action: str
    status: NodeStatusName
    label: NodeLabel
    attempts: int = 0
    failures: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None


class RunResult(_Model):
    """Where an execution stands: its status, each node's state, the completed nodes' outputs
    (``results``) and, when it failed or was cancelled, the ``error``."""

    execution: ExecutionInfo
    results: dict[str, Any]
    nodes: dict[str, NodeRun]
    error: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return self.execution.id

    @property
    def status(self) -> str:
        return self.execution.status

    @property
    def ok(self) -> bool:
        return self.execution.status == "completed"

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes.values() if n.status == "skipped")

    @property
    def failed_node(self) -> str | None:
        return next((n.id for n in self.nodes.values() if n.status == "failed"), None)

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> RunResult:
        """Read ``GET executions/{id}``'s answer (the contract's shape)."""
        execution = ExecutionInfo.model_validate(detail["execution"])
        actions = {n["id"]: n["action"] for n in detail["plan"]["nodes"]}
        nodes: dict[str, NodeRun] = {}
        for node_id, action in actions.items():
            node = detail["nodes"][node_id]
            nodes[node_id] = NodeRun(
                id=node_id,
                action=action,
                label=node_label(node["status"], node["failures"], execution.status),
                **{k: node.get(k) for k in _NODE_FIELDS},
            )
        results = {n.id: n.output for n in nodes.values() if n.status == "completed"}
        return cls(execution=execution, results=results, nodes=nodes, error=detail.get("error"))

    def _repr_html_(self) -> str:
        error = self.error or {}
        message = f" — {escape(str(error.get('message', '')))}" if error else ""
        return (
            f"<div><strong>{escape(self.execution.workflow_id)}</strong> "
            f"<small>execution {escape(self.id)}</small>: <b>{escape(self.status)}</b>{message}"
            f"{nodes_html(self.nodes.values())}</div>"
        )


_NODE_FIELDS = (
    "status",
    "attempts",
    "failures",
    "started_at",
    "finished_at",
    "duration_ms",
    "input",
    "output",
    "error",
)


def _duration(ms: float | None) -> str:
    return "" if ms is None else f"{ms / 1000:.2f} s"


def nodes_html(nodes: Iterable[NodeRun]) -> str:
    """A table of node rows; every value escaped (outputs and errors are data, never markup)."""
    rows = "".join(
        f"<tr><td>{escape(n.id)}</td><td>{escape(n.action)}</td><td>{escape(n.label)}</td>"
        f"<td>{n.attempts}</td><td>{escape(_duration(n.duration_ms))}</td>"
        f"<td>{escape(str((n.error or {}).get('message', '')))}</td></tr>"
        for n in nodes
    )
    head = "".join(
        f"<th style='text-align:left'>{h}</th>"
        for h in ("node", "action", "state", "attempts", "duration", "error")
    )
    return f"<table><tr>{head}</tr>{rows}</table>"
