"""The execution plan: everything a run needs, fixed before it starts and journaled with it.

A plan is self-contained (node actions and versions, raw parameters, retry and timeout policies,
edges with their conditions, limits), so an execution can be resumed from its journal alone,
by another process, without the definition it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nebula_kernel.workflows._actions import ActionRegistry
from nebula_kernel.workflows._definition import Grants, RetryPolicy, WorkflowDefinition
from nebula_kernel.workflows._graph import topological_order
from nebula_kernel.workflows._validate import validate_workflow

__all__ = ["PLAN_FORMAT", "ExecutionPlan", "PlannedEdge", "PlannedNode", "build_plan"]

PLAN_FORMAT = 1


@dataclass(frozen=True, slots=True)
class PlannedEdge:
    source: str
    target: str
    condition: str | None


@dataclass(frozen=True, slots=True)
class PlannedNode:
    id: str
    action: str
    version: str
    parameters: dict[str, Any]
    retry: RetryPolicy
    timeout_s: float | None
    incoming: tuple[PlannedEdge, ...]
    outgoing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    workflow_id: str
    workflow_version: int
    nodes: tuple[PlannedNode, ...]  # in topological order
    grants: Grants
    max_parallel: int
    per_action: dict[str, int]
    timeout_s: float | None

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def node(self, node_id: str) -> PlannedNode:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "workflow_id": self.workflow_id,
            "workflow_version": self.workflow_version,
            "grants": self.grants.model_dump(mode="json"),
            "max_parallel": self.max_parallel,
            "per_action": dict(self.per_action),
            "timeout_s": self.timeout_s,
            "nodes": [
                {
                    "id": n.id,
                    "action": n.action,
                    "version": n.version,
                    "parameters": n.parameters,
                    "retry": n.retry.model_dump(mode="json"),
                    "timeout_s": n.timeout_s,
                    "incoming": [[e.source, e.condition] for e in n.incoming],
                    "outgoing": list(n.outgoing),
                }
                for n in self.nodes
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionPlan:
        nodes = tuple(
            PlannedNode(
                n["id"],
                n["action"],
                n["version"],
                n["parameters"],
                RetryPolicy.model_validate(n["retry"]),
                n["timeout_s"],
                tuple(PlannedEdge(src, n["id"], cond) for src, cond in n["incoming"]),
                tuple(n["outgoing"]),
            )
            for n in data["nodes"]
        )
        return cls(
            data["workflow_id"],
            data["workflow_version"],
            nodes,
            Grants.model_validate(data["grants"]),
            data["max_parallel"],
            dict(data["per_action"]),
            data["timeout_s"],
        )


def build_plan(definition: WorkflowDefinition, registry: ActionRegistry) -> ExecutionPlan:
    """Validate ``definition`` (raising :class:`InvalidDefinition` with every problem) and plan."""
    validate_workflow(definition, registry)
    ids = [n.id for n in definition.nodes]
    edges = [(c.source, c.target) for c in definition.connections]
    incoming: dict[str, list[PlannedEdge]] = {i: [] for i in ids}
    outgoing: dict[str, list[str]] = {i: [] for i in ids}
    for conn in definition.connections:
        incoming[conn.target].append(PlannedEdge(conn.source, conn.target, conn.condition))
        if conn.target not in outgoing[conn.source]:
            outgoing[conn.source].append(conn.target)
    by_id = {n.id: n for n in definition.nodes}
    nodes = tuple(
        PlannedNode(
            i,
            by_id[i].action,
            by_id[i].version,
            dict(by_id[i].parameters),
            by_id[i].retry,
            by_id[i].timeout_s,
            tuple(incoming[i]),
            tuple(outgoing[i]),
        )
        for i in topological_order(ids, edges)
    )
    per_action = dict(definition.concurrency.per_action)
    for node in definition.nodes:
        if node.concurrency is not None:
            per_action[node.action] = min(
                per_action.get(node.action, node.concurrency), node.concurrency
            )
    return ExecutionPlan(
        definition.id,
        definition.version,
        nodes,
        definition.grants,
        definition.concurrency.max_parallel,
        per_action,
        definition.timeout_s,
    )
