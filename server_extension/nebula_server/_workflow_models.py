"""The JSON shapes of the workflow and execution routes (pydantic at the boundary), shared with
the OpenAPI document. Responses are produced by the core's ``to_json()``; these models say what
that JSON is, and the server tests hold every response to them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ActionsOut",
    "ExecutionDetailOut",
    "ExecutionListOut",
    "ExecutionOut",
    "ExecutionSummaryOut",
    "ExpressionCheckIn",
    "ExpressionCheckOut",
    "JournalOut",
    "StartExecutionIn",
    "TriggerListOut",
    "TriggerOut",
    "ValidateIn",
    "ValidationOut",
    "WorkflowFileIn",
    "WorkflowFileOut",
]

_MAX_SOURCE = 4 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -------------------------------------------------------------------------------------


class ValidateIn(_Strict):
    source: str = Field(max_length=_MAX_SOURCE, description="The workflow file's text")
    format: Literal["yaml", "json"] = "yaml"


class ExpressionCheckIn(_Strict):
    text: str = Field(max_length=64 * 1024)
    mode: Literal["expression", "template"] = "expression"
    nodes: list[str] | None = Field(
        None, description="The workflow's node ids: references to others are errors"
    )


class WorkflowFileIn(_Strict):
    path: str = Field(
        min_length=1, max_length=4096, description="Relative to the server's root directory"
    )
    source: str = Field(max_length=_MAX_SOURCE)


class StartExecutionIn(_Strict):
    """A workflow file (``path``) or its text (``source`` + ``format``), and the run's input."""

    path: str | None = Field(None, max_length=4096, description="Relative to the server's root")
    source: str | None = Field(None, max_length=_MAX_SOURCE)
    format: Literal["yaml", "json"] = "yaml"
    input: Any = None
    execution_id: str | None = Field(None, description="An idempotency key: at most one run")

    @model_validator(mode="after")
    def _one_workflow(self) -> StartExecutionIn:
        if (self.path is None) == (self.source is None):
            raise ValueError("send either path (a workflow file) or source (its text)")
        return self


# -- responses ------------------------------------------------------------------------------------


class ActionOut(BaseModel):
    id: str
    version: str
    description: str
    capabilities: list[str]
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None


class ActionsOut(BaseModel):
    actions: list[ActionOut]


class ProblemOut(BaseModel):
    message: str
    node: str | None
    path: list[str | int]
    line: int | None
    location: str


class ValidationOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    workflow: dict[str, Any] | None = Field(description="The definition, when it parsed")


class ExpressionErrorOut(BaseModel):
    message: str
    offset: int
    line: int
    column: int


class ExpressionCheckOut(BaseModel):
    ok: bool
    error: ExpressionErrorOut | None


class WorkflowFileOut(BaseModel):
    path: str
    last_modified: str | None
    workflow: dict[str, Any]


ExecutionStatusName = Literal["running", "completed", "failed", "cancelled"]


class ExecutionSummaryOut(BaseModel):
    id: str
    workflow_id: str
    star: str
    status: ExecutionStatusName
    created_at: str
    updated_at: str


class ExecutionOut(BaseModel):
    execution: ExecutionSummaryOut


class ExecutionListOut(BaseModel):
    executions: list[ExecutionSummaryOut]


class TriggerOut(BaseModel):
    """A deployed trigger: its spec as written (``kind`` says which fields it has), the star its
    runs belong to, its workflow and the file it comes from."""

    kind: Literal["cron", "resource_change"]
    id: str
    star: str
    workflow_id: str
    file: str
    schedule: str | None = None
    timezone: str | None = None
    catch_up: Literal["skip", "latest", "all"] | None = None
    max_catch_up: int | None = None
    type: str | None = None
    resource_id: str | None = None
    ops: list[Literal["put", "delete"]] | None = None
    where: dict[str, Any] | None = None


class TriggerListOut(BaseModel):
    triggers: list[TriggerOut]


class PlanNodeOut(BaseModel):
    id: str
    action: str
    version: str


class PlanEdgeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    condition: str | None


class PlanOut(BaseModel):
    nodes: list[PlanNodeOut]
    edges: list[PlanEdgeOut]


class NodeDetailOut(BaseModel):
    status: Literal["pending", "running", "completed", "failed", "skipped"]
    attempts: int
    failures: int
    started_at: str | None
    finished_at: str | None
    duration_ms: float | None
    input: Any
    output: Any
    error: dict[str, Any] | None
    omitted: list[Literal["input", "output"]] = Field(
        description="Values too big to show here; the journal's blob holds them"
    )


class ExecutionDetailOut(BaseModel):
    execution: ExecutionSummaryOut
    plan: PlanOut
    input: Any
    result: dict[str, Any] | None = Field(description="The final nodes' outputs, once completed")
    error: dict[str, Any] | None
    nodes: dict[str, NodeDetailOut]


class JournalEntryOut(BaseModel):
    seq: int
    kind: str
    node_id: str | None
    attempt: int | None
    written_at: str
    body: dict[str, Any]


class JournalOut(BaseModel):
    entries: list[JournalEntryOut]
