"""A Python way to write workflows that reads naturally in a notebook::

    wf = Workflow("etl", grants=Grants(network=("api.example.com",)))
    fetch = wf.node("fetch", "http.request@1", url="https://api.example.com/items")
    load = wf.node("load", "resource.put", type="Items", id="latest",
                   value=expr("$nodes.fetch.result.body"))
    fetch >> load                      # or fetch.to(load, when="$nodes.fetch.result.status == 200")
    definition = wf.build()            # a WorkflowDefinition, validated by the runtime

``node`` keywords are the action's parameters, except ``retry``, ``timeout_s``,
``concurrency`` and ``description``; pass ``params={...}`` for a parameter with one of those names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nebula_kernel.workflows._definition import (
    EXPR_KEY,
    Concurrency,
    Connection,
    Grants,
    NodeDefinition,
    RetryPolicy,
    WorkflowDefinition,
)

__all__ = ["NodeHandle", "Workflow", "expr", "parse_action_ref"]


def expr(source: str) -> dict[str, str]:
    """A parameter value computed by an expression, e.g. ``expr("$nodes.a.result.x")``."""
    return {EXPR_KEY: source}


def parse_action_ref(ref: str) -> tuple[str, str]:
    """``"http.request@1"`` → ``("http.request", "1")``; no ``@`` means version ``"1"``."""
    action, _, version = ref.partition("@")
    return action, version or "1"


class NodeHandle:
    """A node being built; ``a >> b`` connects it to ``b`` (and returns ``b``, to chain)."""

    def __init__(self, workflow: Workflow, node_id: str) -> None:
        self.workflow = workflow
        self.id = node_id

    def to(self, other: NodeHandle, *, when: str | None = None) -> NodeHandle:
        """Connect to ``other``; with ``when`` (an expression), only if it is truthy."""
        self.workflow.connect(self, other, when=when)
        return other

    def __rshift__(self, other: NodeHandle | Sequence[NodeHandle]) -> Any:
        if isinstance(other, NodeHandle):
            return self.to(other)
        for target in other:
            self.to(target)
        return other

    def __rrshift__(self, other: Sequence[NodeHandle]) -> NodeHandle:
        for source in other:
            source.to(self)
        return self

    def __repr__(self) -> str:
        return f"NodeHandle({self.id!r})"


class Workflow:
    def __init__(
        self,
        id: str,
        *,
        name: str = "",
        version: int = 1,
        description: str = "",
        grants: Grants | None = None,
        concurrency: Concurrency | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.version = version
        self.description = description
        self.grants = grants or Grants()
        self.concurrency = concurrency or Concurrency()
        self.timeout_s = timeout_s
        self._nodes: list[NodeDefinition] = []
        self._connections: list[Connection] = []

    def node(
        self,
        node_id: str,
        action: str,
        *,
        params: dict[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float | None = None,
        concurrency: int | None = None,
        description: str = "",
        **parameters: Any,
    ) -> NodeHandle:
        action_id, version = parse_action_ref(action)
        self._nodes.append(
            NodeDefinition(
                id=node_id,
                action=action_id,
                version=version,
                parameters={**(params or {}), **parameters},
                retry=retry or RetryPolicy(),
                timeout_s=timeout_s,
                concurrency=concurrency,
                description=description,
            )
        )
        return NodeHandle(self, node_id)

    def connect(self, source: NodeHandle, target: NodeHandle, *, when: str | None = None) -> None:
        self._connections.append(
            Connection.model_validate({"from": source.id, "to": target.id, "condition": when})
        )

    def build(self) -> WorkflowDefinition:
        return WorkflowDefinition(
            id=self.id,
            name=self.name or self.id,
            version=self.version,
            description=self.description,
            nodes=tuple(self._nodes),
            connections=tuple(self._connections),
            grants=self.grants,
            concurrency=self.concurrency,
            timeout_s=self.timeout_s,
        )
