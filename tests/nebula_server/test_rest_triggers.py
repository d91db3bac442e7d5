"""Deployed workflow files on a real server: their triggers run, are listed per star, and a
resource-change trigger picks up after a restart where it stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from nebula_kernel.auth import Principal
from nebula_kernel.drivers.duckdb import DuckDbTriggerState
from nebula_kernel.workflows import Deployments
from nebula_server._engine import Engines, execution_principal
from nebula_server._workflow_models import TriggerListOut

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]

STAR = "acme.ops.board"
ADMIN = Principal("test-admin", {"*": "owner"})
SCHEMA = {"type": "object", "properties": {"state": {"type": "string"}}}

ON_DONE = """\
id: on-done
nodes:
  - id: note
    action: log
    parameters: {message: "{{ $input.change.id }} is {{ $input.change.value.state }}"}
triggers:
  - kind: resource_change
    id: task-done
    type: Task
    ops: [put]
    where: {state: Done}
"""

NIGHTLY = """\
id: nightly
nodes:
  - {id: tick, action: log, parameters: {message: night}}
triggers:
  - {kind: cron, id: nightly-report, schedule: "30 2 * * *", timezone: Europe/Paris}
"""

BROKEN = """\
id: broken
nodes:
  - {id: tick, action: log, parameters: {message: x}}
triggers:
  - {kind: cron, id: never, schedule: "every night"}
"""


@pytest.fixture
def nebula_config(jp_root_dir: Path) -> dict[str, Any]:
    folder = jp_root_dir / "deployed"
    folder.mkdir()
    (folder / "on-done.workflow.yaml").write_text(ON_DONE)
    (folder / "nightly.workflow.yaml").write_text(NIGHTLY)
    (folder / "broken.workflow.yaml").write_text(BROKEN)
    return {
        "default_star": STAR,
        "workflow_deployments": "deployed",
        "default_claims": {"acme.ops.*": "owner"},
    }


@pytest.fixture
def engines(jp_serverapp: Any) -> Engines:
    found: Engines = jp_serverapp.web_app.settings["nebula_engines"]
    return found


async def _deployed(engines: Engines) -> None:
    for _ in range(100):  # deployed once the server's loop runs
        if engines.deployments is not None and engines.deployments.triggers(STAR):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server deployed no trigger")


async def _runs(api: Api, workflow_id: str, count: int) -> list[dict[str, Any]]:
    """The workflow's executions once ``count`` of them have ended (they run on the server)."""
    for _ in range(200):
        status, _, listed = await api(
            "GET", f"stars/{STAR}/executions", params={"workflow_id": workflow_id}
        )
        assert status == 200, listed
        runs: list[dict[str, Any]] = listed["executions"]
        if len(runs) >= count and all(r["status"] != "running" for r in runs):
            return runs
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} did not run {count} time(s)")


async def test_the_triggers_of_valid_files_are_listed_for_their_star(
    api: Api, engines: Engines
) -> None:
    await _deployed(engines)
    status, _, body = await api("GET", f"stars/{STAR}/triggers")
    assert status == 200, body
    TriggerListOut.model_validate(body)
    by_id = {t["id"]: t for t in body["triggers"]}
    assert set(by_id) == {"task-done", "nightly-report"}  # broken.workflow.yaml left out
    assert by_id["nightly-report"] | {"file": None} == by_id["nightly-report"] | {
        "kind": "cron",
        "schedule": "30 2 * * *",
        "timezone": "Europe/Paris",
        "star": STAR,
        "workflow_id": "nightly",
        "file": None,
    }
    assert by_id["task-done"]["type"] == "Task" and by_id["task-done"]["where"] == {"state": "Done"}
    status, _, body = await api("GET", "stars/acme.hr.people/triggers")
    assert status == 403, body  # no claim on that star


async def test_a_matching_change_starts_a_run_with_the_change_as_input(
    api: Api, engines: Engines
) -> None:
    await _deployed(engines)
    status, _, body = await api("PUT", f"stars/{STAR}/types/Task", {"json_schema": SCHEMA})
    assert status == 200, body
    for state in ("Todo", "Done"):  # only the second matches the trigger's filter
        status, _, body = await api("PUT", f"stars/{STAR}/resources/Task/t-1", {"state": state})
        assert status in (200, 201), body
    (run,) = await _runs(api, "on-done", 1)
    assert run["status"] == "completed"
    assert run["id"].startswith(f"change:task-done:{STAR}:")
    status, _, detail = await api("GET", f"stars/{STAR}/executions/{run['id']}")
    assert status == 200, detail
    assert detail["nodes"]["note"]["output"] == {"message": "t-1 is Done"}


async def test_a_restart_starts_the_runs_of_changes_made_while_down(
    api: Api, engines: Engines, jp_root_dir: Path
) -> None:
    await _deployed(engines)
    await api("PUT", f"stars/{STAR}/types/Task", {"json_schema": SCHEMA})
    await api("PUT", f"stars/{STAR}/resources/Task/t-1", {"state": "Done"})
    await _runs(api, "on-done", 1)
    assert engines.deployments is not None
    await engines.deployments.aclose()  # the triggers stop, as when the server is down
    engines.store.put("Task", "t-2", {"state": "Done"}, star=STAR, principal=ADMIN)
    await asyncio.sleep(0.2)
    assert len(await _runs(api, "on-done", 1)) == 1
    problems: list[str] = []
    restarted = Deployments(
        engines.runtime,
        engines.store,
        DuckDbTriggerState(engines.store.repo.connection_for_queries()),
        folder=jp_root_dir / "deployed",
        default_star=STAR,
        acting_as=execution_principal,
        report=problems.append,
    )
    try:
        restarted.start()
        (problem,) = problems
        assert problem.startswith("broken.workflow.yaml: ") and "every night" in problem
        runs = await _runs(api, "on-done", 2)
        assert len(runs) == 2  # t-2's run, and not t-1's again
    finally:
        await restarted.aclose()
