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
from nebula_server.handlers._lookback import LookbackHandler
from nebula_server.handlers._resources import (
    DiffHandler,
    HistoryHandler,
    ResourceHandler,
    ResourcesHandler,
    TransactionHandler,
)
from nebula_server.handlers._stars import StarsHandler, TypeHandler, TypesHandler

__all__ = ["API_PREFIX", "ROUTES", "Operation", "Route", "tornado_pattern"]

API_PREFIX = "/nebula/api/v1"


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[pydantic.BaseModel] | None = None
    response: type[pydantic.BaseModel] | None = None
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


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
)

_PARAM = re.compile(r"\{(\w+)\}")
_PARAM_NAMES = {"type": "type_name", "id": "id_"}


def tornado_pattern(path: str) -> str:
    """``/stars/{star}/x`` → ``/nebula/api/v1/stars/(?P<star>[^/]+)/x`` (no slash in a part)."""
    return API_PREFIX + _PARAM.sub(lambda m: f"(?P<{_PARAM_NAMES.get(m[1], m[1])}>[^/]+)", path)
