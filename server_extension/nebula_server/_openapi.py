"""The OpenAPI 3.1 document of the REST API, built from the route table and the pydantic models."""

from __future__ import annotations

from typing import Any

from nebula_kernel import __version__
from nebula_server._routes import API_PREFIX, ROUTES

__all__ = ["openapi_document"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
_ERROR_STATUSES = {
    "400": "Invalid request",
    "403": "Forbidden for this principal or star",
    "404": "Not found",
    "409": "Conflict (eTag precondition failed, or not in a state that allows it)",
    "422": "A workflow with problems (details.problems lists each with its line)",
}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": _ERROR}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        item: dict[str, Any] = {}
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_params(route.path)
        ]
        for method, op in route.operations.items():
            spec: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{method}_{route.handler.__name__}",
                "parameters": params
                + [
                    {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
                    for q in op.query
                ]
                + [
                    {"name": h, "in": "header", "required": False, "schema": {"type": "string"}}
                    for h in op.headers
                ],
                "responses": {
                    str(op.status): {
                        "description": "Created" if op.status == 201 else "OK",
                        "content": {
                            "application/json": {
                                "schema": _ref(op.response.__name__, op.response, schemas)
                                if op.response
                                else {"type": "object"}
                            }
                        },
                    },
                    **{
                        status: {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        }
                        for status, text in _ERROR_STATUSES.items()
                    },
                },
            }
            if op.body is not None:
                spec["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref(op.body.__name__, op.body, schemas)}
                    },
                }
            item[method] = spec
        paths[API_PREFIX + route.path] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nebula",
            "version": __version__,
            "description": "Temporal resources and durable workflows for Jupyter.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"token": []}],
    }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _ref(name: str, model: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for def_name, definition in schema.pop("$defs", {}).items():
        schemas[def_name] = definition
    schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}
