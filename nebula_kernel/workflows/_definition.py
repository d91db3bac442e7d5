"""Workflow definitions: the pydantic models that files, the editor and the builder produce.

**Parameters.** A parameter value is one of:

- a literal: any JSON value, used as is;
- an expression: an object with exactly one key ``"$expr"``, e.g.
  ``{"$expr": "$nodes.fetch.result.items"}``; its value keeps its type;
- a template: a string containing ``{{ … }}``, e.g. ``"Hello {{ $input.name }}"``.

Expressions and templates may sit anywhere inside a literal (``{"headers": {"X-Id":
{"$expr": "$input.id"}}}``). A string that merely starts with ``=`` is a literal: the one
convention keeps every other string safe to write.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nebula_kernel.workflows._trigger_specs import TriggerSpec

__all__ = [
    "EXPR_KEY",
    "Concurrency",
    "Connection",
    "Grants",
    "NodeDefinition",
    "NodePosition",
    "RetryPolicy",
    "WorkflowDefinition",
]

EXPR_KEY = "$expr"
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
_ACTION_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_id(value: str, what: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not valid: use letters, digits, '_' and '-', starting with a "
            "letter or '_' (at most 128 characters)"
        )
    return value


class RetryPolicy(_Model):
    """How a failed attempt is retried: exponential backoff with jitter, capped.

    ``max_attempts`` counts attempts that failed; ``jitter`` "full" waits a random part of the
    backoff, "equal" at least half of it, "none" all of it.
    """

    max_attempts: int = Field(default=1, ge=1, le=100)
    initial_backoff_s: float = Field(default=0.1, ge=0, le=3600)
    max_backoff_s: float = Field(default=30.0, ge=0, le=86400)
    multiplier: float = Field(default=2.0, ge=1, le=100)
    jitter: Literal["full", "equal", "none"] = "full"
    non_retryable: tuple[str, ...] = Field(default=(), description="error codes")

    @model_validator(mode="after")
    def _ordered(self) -> RetryPolicy:
        if self.initial_backoff_s > self.max_backoff_s:
            raise ValueError("initial_backoff_s must not be above max_backoff_s")
        return self


class Grants(_Model):
    """What a workflow allows its actions to reach. Nothing is granted by default.

    ``network``: host patterns (``api.example.com``, ``*.example.com``, ``127.0.0.1``);
    ``resources``: star patterns (``acme.analytics.sales``, ``acme.analytics.*``, ``*``);
    ``secrets``: secret names; ``filesystem``: directories (their whole subtree).
    """

    network: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    filesystem: tuple[str, ...] = ()


class Concurrency(_Model):
    """How many node attempts may run at once: in all, and per action id."""

    max_parallel: int = Field(default=64, ge=1, le=100_000)
    per_action: dict[str, int] = Field(default_factory=dict)

    @field_validator("per_action")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for name, limit in value.items():
            if limit < 1:
                raise ValueError(f"per_action[{name!r}] must be at least 1")
        return value


class NodePosition(_Model):
    """Where the graph editor draws a node. Only the editor reads it: the loader keeps it and
    the plan leaves it out, so moving a node changes neither a run nor its plan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    x: float
    y: float


class NodeDefinition(_Model):
    id: str
    action: str = Field(description="action id, e.g. 'http.request'")
    version: str = Field(default="1", description="the action's interface version")
    parameters: dict[str, Any] = Field(default_factory=dict)
    retry: RetryPolicy = Field(default_factory=lambda: RetryPolicy())
    timeout_s: float | None = Field(default=None, gt=0, description="per attempt")
    concurrency: int | None = Field(
        default=None,
        ge=1,
        description="at most this many attempts of this node's action at once in the execution "
        "(joins the workflow's per-action limit; the smallest wins)",
    )
    description: str = ""
    ui: NodePosition | None = Field(default=None, description="the graph editor's position")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, "node id")

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if not _ACTION_ID.fullmatch(value):
            raise ValueError(
                f"action id {value!r} is not valid: dotted lowercase names such as 'http.request'"
            )
        return value


class Connection(_Model):
    """An edge ``from`` → ``to``; with a ``condition`` (an expression), only when it is truthy."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    condition: str | None = None


class WorkflowDefinition(_Model):
    id: str
    name: str = ""
    version: int = Field(default=1, ge=1)
    description: str = ""
    nodes: tuple[NodeDefinition, ...] = ()
    connections: tuple[Connection, ...] = ()
    grants: Grants = Field(default_factory=lambda: Grants())
    concurrency: Concurrency = Field(default_factory=lambda: Concurrency())
    timeout_s: float | None = Field(default=None, gt=0, description="for the whole execution")
    triggers: tuple[TriggerSpec, ...] = Field(
        default=(), description="what starts it where the file is deployed (see _trigger_specs)"
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, "workflow id")

    def node(self, node_id: str) -> NodeDefinition:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json_dict(self) -> dict[str, Any]:
        """The file form: connections use ``from``/``to``; defaults are left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
