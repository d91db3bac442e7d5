"""Built-in actions against real things (a local HTTP server, a resources store) and the
capability checks that gate them."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import nebula_kernel as nk
from nebula_kernel.errors import AlreadyExists, InvalidDefinition
from nebula_kernel.workflows import (
    ActionContext,
    ActionRegistry,
    ExecutionResult,
    Grants,
    Needs,
    ReachLimits,
    RetryPolicy,
    Workflow,
    action,
    expr,
    open_runtime,
)


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []  # noqa: RUF012 - shared by the test on purpose

    def do_GET(self) -> None:
        status = 503 if self.path.startswith("/unavailable") else 200
        body = json.dumps({"path": self.path}).encode()
        _Handler.seen.append({"path": self.path, "key": self.headers.get("Idempotency-Key")})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _run(wf: Workflow, store: nk.ResourceStore | None = None) -> ExecutionResult:
    async def main() -> ExecutionResult:
        async with open_runtime(store=store) if store else open_runtime() as runtime:
            return await runtime.run(wf, {"id": "t-1"})

    return asyncio.run(main())


def test_http_request_sends_the_idempotency_key(server: str) -> None:
    wf = Workflow("http", grants=Grants(network=("127.0.0.1",)))
    wf.node("get", "http.request", url=f"{server}/items?x=1")
    result = _run(wf)
    assert result.ok, result.error
    assert result.results["get"]["status"] == 200
    assert result.results["get"]["body"] == {"path": "/items?x=1"}
    assert _Handler.seen[0]["key"] == f"{result.execution_id}/get"


def test_http_5xx_is_retried_then_fails(server: str) -> None:
    wf = Workflow("http", grants=Grants(network=("127.0.0.1",)))
    retry = RetryPolicy(max_attempts=2, initial_backoff_s=0.001, max_backoff_s=0.001)
    wf.node("get", "http.request", url=f"{server}/unavailable", retry=retry)
    result = _run(wf)
    assert result.error is not None and result.error["code"] == "http_503"
    assert len(_Handler.seen) == 2


def test_a_host_outside_the_grants_is_refused_naming_the_grant(server: str) -> None:
    wf = Workflow("http", grants=Grants(network=("*.example.com",)))
    wf.node("get", "http.request", url=expr("$input.url"))

    async def main() -> ExecutionResult:
        async with open_runtime() as runtime:
            return await runtime.run(wf, {"url": f"{server}/secret"})

    result = asyncio.run(main())
    assert result.error is not None
    assert result.error["code"] == "capability_denied"
    assert "network access to '127.0.0.1'" in result.error["message"]
    assert "grants.network" in result.error["message"]
    assert _Handler.seen == []  # refused before any byte left


@pytest.mark.parametrize(
    ("limits", "reached"),
    [
        (ReachLimits(network=("*.example.com",)), False),  # granted, but beyond the host
        (ReachLimits(network=()), False),
        (ReachLimits(network=("127.0.0.*",)), True),
        (ReachLimits(), True),  # no bound beyond the workflow's grants
    ],
)
def test_the_hosts_reach_limits_bound_whatever_a_workflow_grants(
    server: str, limits: ReachLimits, reached: bool
) -> None:
    wf = Workflow("http", grants=Grants(network=("*",)))
    wf.node("get", "http.request", url=f"{server}/internal")

    async def main() -> ExecutionResult:
        async with open_runtime(reach=limits) as runtime:
            return await runtime.run(wf)

    result = asyncio.run(main())
    assert result.ok is reached
    assert bool(_Handler.seen) is reached
    if not reached:
        assert result.error is not None and result.error["code"] == "capability_denied"
        assert "network access to '127.0.0.1'" in result.error["message"]
        assert "does not let workflows reach" in result.error["message"]


def test_resource_actions_share_the_store_file(tmp_path: Path) -> None:
    path = tmp_path / "nebula.duckdb"
    with nk.open_store(path) as store:
        store.define_type("Task", _Task)
        wf = Workflow("res", grants=Grants(resources=(store.default_star,)))
        put = wf.node(
            "put",
            "resource.put",
            type="Task",
            id=expr("$input.id"),
            value={"title": "from a workflow"},
        )
        get = wf.node("get", "resource.get", type="Task", id=expr("$input.id"))
        query = wf.node("query", "resource.query", type="Task")
        tx = wf.node(
            "tx",
            "resource.transaction",
            ops=[
                {"op": "put", "type": "Task", "id": "t-2", "value": {"title": "two"}},
                {
                    "op": "delete",
                    "type": "Task",
                    "id": expr("$input.id"),
                    "etag": expr("$nodes.get.result.etag"),
                },
            ],
        )
        put >> get >> query >> tx
        result = _run(wf, store)
        assert result.ok, result.error
        assert result.results["get"]["value"]["title"] == "from a workflow"
        assert [i["id"] for i in result.results["query"]["items"]] == ["t-1"]
        assert [r.id for r in store.list("Task")] == ["t-2"]
    # One file holds both: reopening it shows the resource and the journal.
    with nk.open_store(path) as store:

        async def journal() -> list[str]:
            async with open_runtime(store=store) as runtime:
                return [e.kind for e in runtime.journal(result.execution_id)]

        assert asyncio.run(journal())[-1] == "execution_completed"


def test_resource_stars_are_capabilities() -> None:
    with nk.open_store() as store:
        wf = Workflow("res", grants=Grants(resources=("other.galaxy.*",)))
        wf.node("get", "resource.get", type="Task", id="x")
        result = _run(wf, store)
        assert result.error is not None and result.error["code"] == "capability_denied"
        assert store.default_star in result.error["message"]


class _Task(BaseModel):
    title: str


class _In(BaseModel):
    path: str


def test_custom_actions_declare_needs() -> None:
    registry = ActionRegistry.with_builtins()

    def needs(inputs: _In, ctx: ActionContext) -> Needs:
        return Needs(filesystem=(inputs.path,))

    @registry.action("fs.touch", capabilities={"filesystem"}, needs=needs)
    async def touch(inputs: _In, ctx: ActionContext) -> dict[str, str]:
        return {"path": inputs.path}

    wf = Workflow("fs", grants=Grants(filesystem=("/data",)))
    wf.node("ok", "fs.touch", path="/data/x/y.txt")
    wf.node("escape", "fs.touch", path="/data/../etc/passwd")

    async def main() -> ExecutionResult:
        async with open_runtime(registry=registry) as runtime:
            return await runtime.run(wf)

    result = asyncio.run(main())
    assert result.failed_node == "escape"
    assert (
        result.error is not None
        and "filesystem access to '/data/../etc/passwd'" in (result.error["message"])
    )
    with pytest.raises(AlreadyExists):
        registry.add(touch)


def test_action_functions_must_be_typed_and_async() -> None:
    with pytest.raises(InvalidDefinition, match="pydantic model"):

        @action("bad.untyped")
        async def untyped(inputs: dict[str, Any], ctx: ActionContext) -> None:
            return None

    with pytest.raises(InvalidDefinition, match="async def"):

        def sync(inputs: _In, ctx: ActionContext) -> None:
            return None

        action("bad.sync")(sync)  # type: ignore[arg-type]
