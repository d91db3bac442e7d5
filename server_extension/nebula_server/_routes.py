"""Every REST route of Nebula, described once: tornado patterns and the OpenAPI paths both come
from this table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pydantic

from nebula_server._api_models import (
    CreateStar,
    DefineType,
    JsonObject,
    ResourceOut,
    TransactionIn,
)
from nebula_server._base import NebulaHandler
from nebula_server._workflow_models import (
    ActionsOut,
    ExecutionDetailOut,
    ExecutionListOut,
    ExecutionOut,
    ExpressionCheckIn,
    ExpressionCheckOut,
    JournalOut,
    StartExecutionIn,
    TriggerListOut,
    ValidateIn,
    ValidationOut,
    WorkflowFileIn,
    WorkflowFileOut,
)
from nebula_server.handlers._executions import (
    CancelHandler,
    ExecutionHandler,
    ExecutionsHandler,
    JournalHandler,
    ResumeHandler,
)
from nebula_server.handlers._lookback import LookbackHandler
from nebula_server.handlers._resources import (
    DiffHandler,
    HistoryHandler,
    ResourceHandler,
    ResourcesHandler,
    TransactionHandler,
)
from nebula_server.handlers._stars import StarsHandler, TypeHandler, TypesHandler
from nebula_server.handlers._triggers import TriggersHandler
from nebula_server.handlers._workflows import (
    ActionsHandler,
    ExpressionCheckHandler,
    ValidateHandler,
    WorkflowFileHandler,
)

__all__ = ["API_PREFIX", "ROUTES", "Operation", "Route", "tornado_pattern"]

API_PREFIX = "/nebula/api/v1"


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[pydantic.BaseModel] | None = None
    response: type[pydantic.BaseModel] | None = None
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    status: int = 200  # of a success


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI style, relative to API_PREFIX: /stars/{star}/types
    handler: type[NebulaHandler]
    operations: dict[str, Operation] = field(default_factory=dict)


ROUTES: tuple[Route, ...] = (
    Route(
        "/stars",
        StarsHandler,
        {
            "get": Operation("List the stars the caller may read"),
            "post": Operation("Create a star (owner role on it needed)", body=CreateStar),
        },
    ),
    Route(
        "/stars/{star}/types",
        TypesHandler,
        {
            "get": Operation("List the resource types of a star with their versions"),
        },
    ),
    Route(
        "/stars/{star}/types/{type}",
        TypeHandler,
        {
            "put": Operation("Define a type (or a version of it) by JSON Schema", body=DefineType),
        },
    ),
    Route(
        "/stars/{star}/resources/{type}",
        ResourcesHandler,
        {
            "get": Operation("List current resources of a type", query=("after", "limit")),
        },
    ),
    Route(
        "/stars/{star}/resources/{type}/{id}",
        ResourceHandler,
        {
            "get": Operation(
                "Read a resource, now or as of a time", response=ResourceOut, query=("as_of",)
            ),
            "put": Operation(
                "Create or replace a resource",
                body=JsonObject,
                response=ResourceOut,
                headers=("If-Match", "If-None-Match"),
            ),
            "delete": Operation(
                "Delete a resource (close its current snapshot)",
                response=ResourceOut,
                headers=("If-Match",),
            ),
        },
    ),
    Route(
        "/stars/{star}/resources/{type}/{id}/history",
        HistoryHandler,
        {
            "get": Operation("Every snapshot of a resource, oldest first"),
        },
    ),
    Route(
        "/stars/{star}/resources/{type}/{id}/diff",
        DiffHandler,
        {
            "get": Operation("Field-level changes between two times", query=("start", "end")),
        },
    ),
    Route(
        "/stars/{star}/transactions",
        TransactionHandler,
        {
            "post": Operation("Apply puts and deletes atomically", body=TransactionIn),
        },
    ),
    Route(
        "/stars/{star}/lookback/{kind}",
        LookbackHandler,
        {
            "post": Operation(
                "Run a Lookback query: find, time-series, time-in-state, transitions or cube",
                body=JsonObject,
            ),
        },
    ),
    Route(
        "/actions",
        ActionsHandler,
        {"get": Operation("Every action workflows can use, with its schemas", response=ActionsOut)},
    ),
    Route(
        "/workflows/validate",
        ValidateHandler,
        {
            "post": Operation(
                "Check a workflow's text: every problem with its node, path and line",
                body=ValidateIn,
                response=ValidationOut,
            ),
        },
    ),
    Route(
        "/expressions/check",
        ExpressionCheckHandler,
        {
            "post": Operation(
                "Check an expression or template without data",
                body=ExpressionCheckIn,
                response=ExpressionCheckOut,
            ),
        },
    ),
    Route(
        "/workflows/file",
        WorkflowFileHandler,
        {
            "put": Operation(
                "Validate a workflow and save it as a file under the server's root (422 with "
                "its problems if invalid)",
                body=WorkflowFileIn,
                response=WorkflowFileOut,
            ),
        },
    ),
    Route(
        "/stars/{star}/executions",
        ExecutionsHandler,
        {
            "get": Operation(
                "List the star's executions, newest first",
                response=ExecutionListOut,
                query=("status", "workflow_id", "limit"),
            ),
            "post": Operation(
                "Start a workflow (a file or its text) in the star (editor role)",
                body=StartExecutionIn,
                response=ExecutionOut,
                status=201,
            ),
        },
    ),
    Route(
        "/stars/{star}/triggers",
        TriggersHandler,
        {
            "get": Operation(
                "The cron and resource-change triggers this server runs for the star (from "
                "the workflow files of its `workflow_deployments` folder)",
                response=TriggerListOut,
            ),
        },
    ),
    Route(
        "/stars/{star}/executions/{id}",
        ExecutionHandler,
        {
            "get": Operation(
                "An execution's state, plan and per-node details", response=ExecutionDetailOut
            ),
        },
    ),
    Route(
        "/stars/{star}/executions/{id}/journal",
        JournalHandler,
        {
            "get": Operation(
                "An execution's journal entries, in order", response=JournalOut, query=("after",)
            ),
        },
    ),
    Route(
        "/stars/{star}/executions/{id}/cancel",
        CancelHandler,
        {"post": Operation("Cancel a running execution (editor role)", response=ExecutionOut)},
    ),
    Route(
        "/stars/{star}/executions/{id}/resume",
        ResumeHandler,
        {
            "post": Operation(
                "Resume a running execution whose worker stopped (editor role)",
                response=ExecutionOut,
            ),
        },
    ),
)

_PARAM = re.compile(r"\{(\w+)\}")
_PARAM_NAMES = {"type": "type_name", "id": "id_"}


def tornado_pattern(path: str) -> str:
    """``/stars/{star}/x`` → ``/nebula/api/v1/stars/(?P<star>[^/]+)/x`` (no slash in a part)."""
    return API_PREFIX + _PARAM.sub(lambda m: f"(?P<{_PARAM_NAMES.get(m[1], m[1])}>[^/]+)", path)
