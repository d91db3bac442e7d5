"""The REST API against a real Jupyter server: resources, eTags over HTTP, history, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]
STAR = "local.lab.default"
TASK_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "points": {"type": "integer"}},
    "required": ["title"],
}


async def define_task(api: Api) -> None:
    status, _, body = await api("PUT", f"stars/{STAR}/types/Task", {"json_schema": TASK_SCHEMA})
    assert status == 200, body


async def test_stars_and_types(api: Api) -> None:
    await define_task(api)
    status, _, body = await api("GET", "stars")
    assert status == 200 and body == {"stars": [STAR], "default": STAR}
    status, _, body = await api("POST", "stars", {"star": "acme.sales.dash"})
    assert status == 201 and body["star"] == "acme.sales.dash"
    status, _, body = await api("GET", f"stars/{STAR}/types")
    assert body["types"] == [
        {"name": "Task", "versions": [{"version": 1, "json_schema": TASK_SCHEMA}]}
    ]


async def test_put_get_with_etags(api: Api) -> None:
    await define_task(api)
    path = f"stars/{STAR}/resources/Task/t-1"
    status, headers, created = await api(
        "PUT", path, {"title": "a"}, headers={"If-None-Match": "*"}
    )
    assert status == 201 and headers["Etag"] == f'"{created["etag"]}"'
    status, _, body = await api("PUT", path, {"title": "again"}, headers={"If-None-Match": "*"})
    assert status == 409 and body["error"]["code"] == "transaction_conflict"
    assert body["error"]["details"]["items"][0]["current_etag"] == created["etag"]
    status, _, updated = await api(
        "PUT", path, {"title": "b", "points": 2}, headers={"If-Match": f'"{created["etag"]}"'}
    )
    assert status == 200 and updated["snapshot_number"] == 2
    assert updated["previous_values"] == {"title": "a", "points": None}
    status, _, _ = await api("PUT", path, {"title": "c"}, headers={"If-Match": created["etag"]})
    assert status == 409
    status, _, current = await api("GET", path)
    assert current["value"] == {"title": "b", "points": 2}
    status, _, then = await api("GET", path, params={"as_of": created["valid_from"]})
    assert status == 200 and then["value"] == {"title": "a"}
    status, _, history = await api("GET", path + "/history")
    assert [s["snapshot_number"] for s in history["snapshots"]] == [1, 2]
    status, _, diff = await api(
        "GET", path + "/diff", params={"start": created["valid_from"], "end": updated["valid_from"]}
    )
    assert {(tuple(c["path"]), c["kind"]) for c in diff["changes"]} == {
        (("title",), "changed"),
        (("points",), "added"),
    }
    status, _, listed = await api("GET", f"stars/{STAR}/resources/Task")
    assert [r["id"] for r in listed["resources"]] == ["t-1"]
    status, _, closed = await api("DELETE", path, headers={"If-Match": updated["etag"]})
    assert status == 200 and closed["valid_to"] != closed["valid_from"]
    status, _, gone = await api("GET", path)
    assert status == 404 and gone["error"]["code"] == "resource_not_found"


async def test_transactions(api: Api) -> None:
    await define_task(api)
    status, _, body = await api(
        "POST",
        f"stars/{STAR}/transactions",
        {
            "ops": [
                {
                    "op": "put",
                    "type": "Task",
                    "id": "a",
                    "value": {"title": "a"},
                    "must_not_exist": True,
                },
                {"op": "put", "type": "Task", "id": "b", "value": {"title": "b"}},
            ]
        },
    )
    assert status == 200 and [r["id"] for r in body["results"]] == ["a", "b"]
    status, _, body = await api(
        "POST",
        f"stars/{STAR}/transactions",
        {
            "ops": [
                {"op": "delete", "type": "Task", "id": "a", "etag": "stale"},
                {"op": "put", "type": "Task", "id": "c", "value": {"title": "c"}},
            ]
        },
    )
    assert status == 409 and [i["id"] for i in body["error"]["details"]["items"]] == ["a"]
    status, _, listed = await api("GET", f"stars/{STAR}/resources/Task")
    assert [r["id"] for r in listed["resources"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PUT", f"stars/{STAR}/resources/Task/x", "{not json", 400, "invalid_request"),
        ("PUT", f"stars/{STAR}/resources/Task/x", [1, 2], 400, "invalid_request"),
        ("PUT", f"stars/{STAR}/resources/Task/x", {"points": "many"}, 400, "validation_failed"),
        ("PUT", f"stars/{STAR}/resources/Nope/x", {}, 404, "type_not_found"),
        ("PUT", "stars/no.such.star/resources/Task/x", {"title": "a"}, 404, "star_not_found"),
        ("PUT", "stars/BAD/resources/Task/x", {"title": "a"}, 400, "invalid_identifier"),
        ("PUT", f"stars/{STAR}/resources/Task/a..b", {"title": "a"}, 400, "invalid_identifier"),
        ("GET", f"stars/{STAR}/resources/Task/x?as_of=yesterday", None, 400, "invalid_request"),
        ("POST", f"stars/{STAR}/transactions", {"ops": [{"op": "upsert"}]}, 400, "invalid_request"),
        ("POST", "stars", {"star": "x", "extra": 1}, 400, "invalid_request"),
        (
            "PUT",
            f"stars/{STAR}/types/Num",
            {"json_schema": {"type": "integer"}},
            400,
            "invalid_definition",
        ),
    ],
)
async def test_bad_input_gets_typed_errors(
    api: Api, method: str, path: str, body: Any, status: int, code: str
) -> None:
    await define_task(api)
    path, _, query = path.partition("?")
    params = dict([query.split("=")]) if query else None
    got_status, _, payload = await api(method, path, body, params=params)
    assert (got_status, payload["error"]["code"]) == (status, code)
    assert set(payload["error"]) == {"code", "message", "details"}
    text = str(payload)
    assert "Traceback" not in text and "SELECT" not in text and "duckdb" not in text.lower()


async def test_a_body_nested_too_deeply_is_refused_not_crashed_on(api: Api) -> None:
    await define_task(api)
    deep = "[" * 100_000 + "]" * 100_000
    status, _, payload = await api("PUT", "stars/local.lab.default/resources/Task/t1", deep)
    assert (status, payload["error"]["code"]) == (400, "invalid_request")
    assert "nested too deeply" in payload["error"]["message"]


async def test_openapi_document_lists_every_route(api: Api) -> None:
    from nebula_server._routes import API_PREFIX, ROUTES

    status, _, doc = await api("GET", "openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {API_PREFIX + r.path for r in ROUTES}
    put = doc["paths"][f"{API_PREFIX}/stars/{{star}}/resources/{{type}}/{{id}}"]["put"]
    assert (
        put["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/Error"
    )
    # The workflow routes: bodies and responses come from their pydantic models.
    start = doc["paths"][f"{API_PREFIX}/stars/{{star}}/executions"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StartExecutionIn"
    )
    assert "201" in start["responses"] and "422" in start["responses"]
    detail = doc["paths"][f"{API_PREFIX}/stars/{{star}}/executions/{{id}}"]["get"]
    assert [p["name"] for p in detail["parameters"]] == ["star", "id"]
    schemas = doc["components"]["schemas"]
    assert {"ExecutionDetailOut", "NodeDetailOut", "ValidationOut", "ActionsOut"} <= set(schemas)
    assert set(schemas["ExecutionSummaryOut"]["required"]) == {
        "id",
        "workflow_id",
        "star",
        "status",
        "created_at",
        "updated_at",
    }


async def test_lookback_over_rest(api: Api) -> None:
    await define_task(api)
    for i, points in enumerate([3, 5, 8]):
        await api("PUT", f"stars/{STAR}/resources/Task/t{i}", {"title": f"t{i}", "points": points})
    status, _, found = await api(
        "POST",
        f"stars/{STAR}/lookback/find",
        {
            "find": {"points": {"$gte": 5}},
            "__At": "current",
            "sort": {"points": -1},
            "fields": ["points", "_Id"],
        },
    )
    assert status == 200 and found["total"] == 2
    assert [(r["_Id"], r["points"]) for r in found["results"]] == [("t2", 8), ("t1", 5)]
    status, _, cube = await api(
        "POST",
        f"stars/{STAR}/lookback/cube",
        {
            "dimensions": [{"field": "title"}],
            "totals": "none",
            "metrics": [{"as": "total", "field": "points", "f": "sum"}],
        },
    )
    assert status == 200, cube
    assert sorted((r["title"], r["total"]) for r in cube["rows"]) == [
        ("t0", 3),
        ("t1", 5),
        ("t2", 8),
    ]
    status, _, bad = await api("POST", f"stars/{STAR}/lookback/find", {"find": {"a": {"$x": 1}}})
    assert status == 400 and bad["error"]["code"] == "invalid_query"
    status, _, bad = await api("POST", f"stars/{STAR}/lookback/teleport", {})
    assert status == 400 and bad["error"]["code"] == "invalid_query"
