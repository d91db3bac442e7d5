"""Executions over REST on a real server: start, list, inspect, journal, cancel, resume, and who
may do what in which star."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nebula_kernel.auth import Principal
from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo
from nebula_kernel.errors import ResourceNotFound
from nebula_kernel.ports import ExecutionRow
from nebula_kernel.workflows import parse_workflow
from nebula_kernel.workflows._journal import dumps
from nebula_kernel.workflows._writer import JournalWriter
from nebula_server._engine import Engines
from nebula_server._workflow_models import (
    ExecutionDetailOut,
    ExecutionListOut,
    ExecutionOut,
    JournalOut,
)

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]

STAR = "acme.sales.dash"
OTHER = "acme.sales.other"
VIEWED = "acme.hr.people"
ADMIN = Principal("test-admin", {"*": "owner"})

GREET = """\
id: greet
nodes:
  - id: hello
    action: log
    parameters: {message: "Hello {{ $input.name }}"}
  - id: shout
    action: log
    parameters: {message: {$expr: "upper($nodes.hello.result.message)"}}
connections:
  - {from: hello, to: shout}
"""

SLOW = """\
id: slow
nodes:
  - {id: nap, action: wait, parameters: {seconds: 3600}}
"""


@pytest.fixture
def nebula_config() -> dict[str, Any]:
    return {
        "default_star": STAR,
        "default_claims": {"acme.sales.*": "editor", "acme.hr.*": "viewer"},
        # The start-up pass is the only one, so the tests decide when runs are resumed.
        "reaper_interval_s": 3600.0,
    }


@pytest.fixture
def engines(jp_serverapp: Any) -> Engines:
    found: Engines = jp_serverapp.web_app.settings["nebula_engines"]
    for star in (OTHER, VIEWED):
        found.store.create_star(star, principal=ADMIN)
    return found


async def _start(api: Api, body: dict[str, Any], star: str = STAR) -> dict[str, Any]:
    status, _, started = await api("POST", f"stars/{star}/executions", body)
    assert status == 201, started
    summary: dict[str, Any] = ExecutionOut.model_validate(started).execution.model_dump()
    return summary


async def _settled(api: Api, execution_id: str, star: str = STAR) -> dict[str, Any]:
    """The execution's detail once it has ended (polled: it runs on the server's loop)."""
    for _ in range(400):
        status, _, detail = await api("GET", f"stars/{star}/executions/{execution_id}")
        assert status == 200, detail
        if detail["execution"]["status"] != "running":
            ExecutionDetailOut.model_validate(detail)
            found: dict[str, Any] = detail
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not end")


def _clean(payload: Any) -> None:
    text = str(payload)
    assert "Traceback" not in text and "SELECT" not in text and "duckdb" not in text.lower()


async def test_a_run_from_source_reports_its_plan_nodes_and_result(
    api: Api, engines: Engines
) -> None:
    started = await _start(
        api, {"source": GREET, "format": "yaml", "input": {"name": "Ada"}, "execution_id": "run-1"}
    )
    assert (started["id"], started["workflow_id"], started["star"]) == ("run-1", "greet", STAR)
    detail = await _settled(api, "run-1")
    assert detail["execution"]["status"] == "completed"
    assert detail["plan"] == {
        "nodes": [
            {"id": "hello", "action": "log", "version": "1"},
            {"id": "shout", "action": "log", "version": "1"},
        ],
        "edges": [{"from": "hello", "to": "shout", "condition": None}],
    }
    assert detail["input"] == {"name": "Ada"}
    assert detail["result"] == {"shout": {"message": "HELLO ADA"}}
    assert detail["error"] is None
    hello = detail["nodes"]["hello"]
    assert (hello["status"], hello["attempts"], hello["failures"]) == ("completed", 1, 0)
    assert hello["input"] == {"message": "Hello Ada"}
    assert hello["output"] == {"message": "Hello Ada"}
    began = datetime.fromisoformat(hello["started_at"])
    ended = datetime.fromisoformat(hello["finished_at"])
    assert ended >= began and hello["duration_ms"] == (ended - began).total_seconds() * 1000
    status, _, journal = await api("GET", f"stars/{STAR}/executions/run-1/journal")
    entries = JournalOut.model_validate(journal).entries
    assert [e.kind for e in entries] == [
        "execution_started",
        "attempt_started",
        "attempt_completed",
        "attempt_started",
        "attempt_completed",
        "execution_completed",
    ]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert entries[1].node_id == "hello" and entries[1].attempt == 1
    status, _, later = await api(
        "GET", f"stars/{STAR}/executions/run-1/journal", params={"after": str(entries[3].seq)}
    )
    assert status == 200
    assert [e["seq"] for e in later["entries"]] == [e.seq for e in entries[4:]]


async def test_a_run_from_a_file_under_the_root(
    api: Api, engines: Engines, jp_root_dir: Path
) -> None:
    (jp_root_dir / "greet.workflow.yaml").write_text(GREET)
    started = await _start(api, {"path": "greet.workflow.yaml", "input": {"name": "Bo"}})
    detail = await _settled(api, started["id"])
    assert detail["result"] == {"shout": {"message": "HELLO BO"}}
    status, _, body = await api(
        "POST", f"stars/{STAR}/executions", {"path": "../greet.workflow.yaml"}
    )
    assert status == 404 and body["error"]["code"] == "http_error"
    status, _, body = await api("POST", f"stars/{STAR}/executions", {"path": "nope.workflow.yaml"})
    assert status == 404
    _clean(body)


async def test_failed_nodes_show_their_error_and_attempts(api: Api, engines: Engines) -> None:
    source = (
        "id: flaky\nnodes:\n  - id: boom\n    action: fail\n"
        "    parameters: {message: broken, code: bad_thing, retryable: true}\n"
        "    retry: {max_attempts: 2, initial_backoff_s: 0}\n"
    )
    started = await _start(api, {"source": source})
    detail = await _settled(api, started["id"])
    assert detail["execution"]["status"] == "failed"
    boom = detail["nodes"]["boom"]
    assert (boom["status"], boom["attempts"], boom["failures"]) == ("failed", 2, 2)
    assert boom["error"]["message"] == "broken" and boom["output"] is None
    assert detail["error"]["message"] == "broken" and detail["result"] is None


async def test_listing_is_newest_first_and_filters(api: Api, engines: Engines) -> None:
    first = await _start(api, {"source": GREET, "input": {"name": "a"}})
    await _settled(api, first["id"])
    slow = await _start(api, {"source": SLOW})
    status, _, body = await api("GET", f"stars/{STAR}/executions")
    listed = ExecutionListOut.model_validate(body).executions
    assert [e.id for e in listed] == [slow["id"], first["id"]]
    for query, expected in [
        ({"status": "running"}, [slow["id"]]),
        ({"status": "completed"}, [first["id"]]),
        ({"workflow_id": "greet"}, [first["id"]]),
        ({"limit": "1"}, [slow["id"]]),
    ]:
        status, _, body = await api("GET", f"stars/{STAR}/executions", params=query)
        assert [e["id"] for e in body["executions"]] == expected, query
    status, _, body = await api("GET", f"stars/{OTHER}/executions")
    assert body["executions"] == []
    status, _, body = await api("POST", f"stars/{STAR}/executions/{slow['id']}/cancel", {})
    assert status == 200 and body["execution"]["status"] == "cancelled"


async def test_cancel_stops_a_run_and_resume_refuses_an_ended_one(
    api: Api, engines: Engines
) -> None:
    slow = await _start(api, {"source": SLOW})
    status, _, body = await api("POST", f"stars/{STAR}/executions/{slow['id']}/cancel", {})
    assert status == 200
    assert ExecutionOut.model_validate(body).execution.status == "cancelled"
    status, _, body = await api("POST", f"stars/{STAR}/executions/{slow['id']}/cancel", {})
    assert status == 200 and body["execution"]["status"] == "cancelled"  # no harm twice
    detail = await _settled(api, slow["id"])
    assert detail["error"]["code"] == "cancelled"
    assert detail["nodes"]["nap"]["status"] == "running"  # interrupted: it never reported
    status, _, body = await api("POST", f"stars/{STAR}/executions/{slow['id']}/resume", {})
    assert status == 409 and body["error"]["code"] == "conflict"
    assert "cancelled" in body["error"]["message"]


async def test_resume_takes_over_a_run_whose_worker_died(api: Api, engines: Engines) -> None:
    # A run another server started and left (its lease lapsed): written as that server would.
    plan = engines.runtime.plan(parse_workflow(GREET))
    repo = DuckDbExecutionRepo.on(engines.store.repo.connection_for_queries())
    writer = JournalWriter(repo)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    row = ExecutionRow("orphan", "greet", "running", long_ago, long_ago, "dead:1:x", long_ago, STAR)
    body = dumps({"input": {"name": "Cy"}, "plan": plan.to_json(), "holder": "dead:1:x"})
    writer.create(row, "execution_started", body).result()
    writer.close()
    repo.close()
    status, _, resumed = await api("POST", f"stars/{STAR}/executions/orphan/resume", {})
    assert status == 200 and resumed["execution"]["status"] in ("running", "completed")
    detail = await _settled(api, "orphan")
    assert detail["result"] == {"shout": {"message": "HELLO CY"}}
    status, _, journal = await api("GET", f"stars/{STAR}/executions/orphan/journal")
    assert "execution_resumed" in [e["kind"] for e in journal["entries"]]


async def test_roles_and_stars_decide_who_sees_and_runs_what(api: Api, engines: Engines) -> None:
    mine = await _start(api, {"source": SLOW})
    # Another star's execution is not there at all, whatever the route.
    for method, suffix in [
        ("GET", ""),
        ("GET", "/journal"),
        ("POST", "/cancel"),
        ("POST", "/resume"),
    ]:
        body_in: dict[str, Any] | None = {} if method == "POST" else None
        status, _, body = await api(
            method, f"stars/{OTHER}/executions/{mine['id']}{suffix}", body_in
        )
        assert (status, body["error"]["code"]) == (404, "execution_not_found"), suffix
        assert mine["id"] in body["error"]["message"] and OTHER in body["error"]["message"]
    # A viewer reads the star's runs but may not start, cancel or resume them.
    theirs = await engines.workflows.start(SLOW, star=VIEWED, principal=ADMIN)
    status, _, body = await api("GET", f"stars/{VIEWED}/executions")
    assert [e["id"] for e in body["executions"]] == [theirs.id]
    status, _, body = await api("GET", f"stars/{VIEWED}/executions/{theirs.id}")
    assert status == 200
    for path, payload in [
        (f"stars/{VIEWED}/executions", {"source": SLOW}),
        (f"stars/{VIEWED}/executions", {"path": "any.workflow.yaml"}),
        (f"stars/{VIEWED}/executions/{theirs.id}/cancel", None),
        (f"stars/{VIEWED}/executions/{theirs.id}/resume", None),
    ]:
        status, _, body = await api("POST", path, payload if payload is not None else {})
        assert (status, body["error"]["code"]) == (403, "forbidden"), path
    # Outside the claims: nothing at all.
    status, _, body = await api("GET", "stars/other.team.star/executions")
    assert status == 403
    for execution_id in (mine["id"], theirs.id):
        await engines.runtime.cancel(execution_id)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "executions", {"source": "id: x\nnodes: [\n"}, 422, "invalid_definition"),
        (
            "POST",
            "executions",
            {"source": "id: x\nnodes: [{id: a, action: nope}]"},
            422,
            "invalid_definition",
        ),
        (
            "POST",
            "executions",
            {"source": GREET, "path": "x.workflow.yaml"},
            400,
            "invalid_request",
        ),
        ("POST", "executions", {}, 400, "invalid_request"),
        ("POST", "executions", {"path": "notes.txt"}, 400, "invalid_request"),
        ("POST", "executions", {"source": GREET, "execution_id": "a/b"}, 400, "invalid_identifier"),
        (
            "POST",
            "executions",
            {"source": GREET, "execution_id": "../x"},
            400,
            "invalid_identifier",
        ),
        ("GET", "executions?status=sleeping", None, 400, "invalid_request"),
        ("GET", "executions?limit=lots", None, 400, "invalid_request"),
        ("GET", "executions?limit=0", None, 400, "invalid_request"),
        ("GET", "executions/nope", None, 404, "execution_not_found"),
        ("GET", "executions/nope/journal", None, 404, "execution_not_found"),
        ("POST", "executions/nope/cancel", {}, 404, "execution_not_found"),
        ("POST", "executions/nope/resume", {}, 404, "execution_not_found"),
    ],
)
async def test_bad_requests_get_typed_errors_without_internals(
    api: Api, engines: Engines, method: str, path: str, body: Any, status: int, code: str
) -> None:
    path, _, query = path.partition("?")
    params = dict([query.split("=")]) if query else None
    got, _, payload = await api(method, f"stars/{STAR}/{path}", body, params=params)
    assert (got, payload["error"]["code"]) == (status, code), payload
    assert set(payload["error"]) == {"code", "message", "details"}
    _clean(payload)


async def test_malformed_yaml_says_where(api: Api, engines: Engines) -> None:
    status, _, body = await api(
        "POST", f"stars/{STAR}/executions", {"source": "id: x\nnodes:\n  - {id: a,\n"}
    )
    assert status == 422
    [problem] = body["error"]["details"]["problems"]
    assert problem["line"] == 4 and "YAML" in problem["message"]


async def test_an_execution_id_runs_once(api: Api, engines: Engines) -> None:
    await _start(api, {"source": GREET, "execution_id": "once", "input": {"name": "x"}})
    status, _, body = await api(
        "POST", f"stars/{STAR}/executions", {"source": GREET, "execution_id": "once"}
    )
    assert (status, body["error"]["code"]) == (409, "already_exists")
    # Ids are global: another star cannot reuse one either, and learns nothing of its owner.
    status, _, body = await api(
        "POST", f"stars/{OTHER}/executions", {"source": GREET, "execution_id": "once"}
    )
    assert status == 409 and STAR not in body["error"]["message"]


WRITER = """\
id: writer
grants: {resources: ["*"]}
nodes:
  - id: save
    action: resource.put
    parameters: {type: Note, id: n1, value: {text: "{{ $input.text }}"}}
  - id: leak
    action: resource.put
    parameters: {star: acme.hr.people, type: Note, id: n1, value: {text: "x"}}
connections:
  - {from: save, to: leak}
"""


async def test_resource_actions_act_as_an_editor_of_their_own_star_only(
    api: Api, engines: Engines
) -> None:
    for star in (STAR, VIEWED):
        engines.store.define_type(
            "Note", json_schema={"type": "object"}, star=star, principal=ADMIN
        )
    started = await _start(api, {"source": WRITER, "input": {"text": "from a run"}})
    detail = await _settled(api, started["id"])
    saved = engines.store.get("Note", "n1", star=STAR, principal=ADMIN)
    assert saved.value == {"text": "from a run"} and saved.changed_by == f"workflow@{STAR}"
    # Granting itself every star does not let a workflow write where it is not an editor.
    assert detail["nodes"]["leak"]["status"] == "failed"
    assert detail["nodes"]["leak"]["error"]["code"] == "forbidden"
    with pytest.raises(ResourceNotFound):
        engines.store.get("Note", "n1", star=VIEWED, principal=ADMIN)


class TestReachLimits:
    """A shared server bounds what workflows reach, whatever they grant themselves."""

    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {
            "default_star": STAR,
            "default_claims": {"acme.sales.*": "editor"},
            "reaper_interval_s": 3600.0,
            "workflow_network_hosts": ["api.example.com"],
        }

    async def test_a_workflow_cannot_grant_itself_the_servers_network(
        self, api: Api, engines: Engines
    ) -> None:
        source = (
            "id: probe\ngrants: {network: ['*']}\nnodes:\n"
            "  - {id: get, action: http.request, parameters: {url: 'http://127.0.0.1:9/admin'}}\n"
        )
        started = await _start(api, {"source": source})
        detail = await _settled(api, started["id"])
        assert detail["execution"]["status"] == "failed"
        error = detail["nodes"]["get"]["error"]
        assert error["code"] == "capability_denied"
        assert "'127.0.0.1'" in error["message"] and "api.example.com" in error["message"]
        _clean(detail)
