"""The server hosts the workflow runtime: a run outlives the server that started it.

Real ``jupyter server`` processes on one root directory: the first starts a run and goes away
(stopped, or killed), the next one resumes the run and finishes it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo
from nebula_server.testing import RunningServer, running_server

STAR = "local.lab.default"
NAPPING = """\
id: napping
nodes:
  - {id: nap, action: wait, parameters: {seconds: 1.5}}
  - {id: done, action: log, parameters: {message: "woke {{ $input.who }}"}}
connections:
  - {from: nap, to: done}
"""
FAST_REAPER = ("--NebulaApp.reaper_interval_s=0.2", "--NebulaApp.workflow_lease_s=1")


def _api(server: RunningServer, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method,
        f"{server.url}nebula/api/v1/{path}",
        json=body,
        headers=server.headers,
        timeout=30,
    )
    assert response.is_success, response.text
    return response.json()


def _journal_kinds(server: RunningServer, execution_id: str) -> list[tuple[str, str | None]]:
    entries = _api(server, "GET", f"stars/{STAR}/executions/{execution_id}/journal")["entries"]
    return [(e["kind"], e["node_id"]) for e in entries]


def _start_and_wait_for_the_nap(server: RunningServer) -> str:
    started = _api(
        server, "POST", f"stars/{STAR}/executions", {"source": NAPPING, "input": {"who": "Ada"}}
    )
    execution_id: str = started["execution"]["id"]
    for _ in range(200):
        if ("attempt_started", "nap") in _journal_kinds(server, execution_id):
            return execution_id
        time.sleep(0.05)
    raise AssertionError("the nap never started")


def _finished(server: RunningServer, execution_id: str) -> dict[str, Any]:
    for _ in range(600):
        detail: dict[str, Any] = _api(server, "GET", f"stars/{STAR}/executions/{execution_id}")
        if detail["execution"]["status"] != "running":
            return detail
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} never finished")


def _check_resumed(server: RunningServer, execution_id: str) -> None:
    detail = _finished(server, execution_id)
    assert detail["execution"]["status"] == "completed"
    assert detail["result"] == {"done": {"message": "woke Ada"}}
    # The interrupted nap ran again (same idempotency key); nothing else ran twice.
    assert detail["nodes"]["nap"]["attempts"] == 2
    assert detail["nodes"]["done"]["attempts"] == 1
    assert ("execution_resumed", None) in _journal_kinds(server, execution_id)


def test_a_run_left_by_a_stopped_server_finishes_on_the_next(tmp_path: Path) -> None:
    with running_server(tmp_path) as first:
        execution_id = _start_and_wait_for_the_nap(first)
    # Stopped cleanly: the run stays running with its lease let go, so the next server's
    # first reaper pass takes it at once (no lease to wait out).
    journal = DuckDbExecutionRepo.open(tmp_path / ".nebula" / "nebula.duckdb")
    try:
        left = journal.get_execution(execution_id)
    finally:
        journal.close()
    assert left is not None and (left.status, left.lease_holder) == ("running", None)
    with running_server(tmp_path, args=("--NebulaApp.workflow_lease_s=3600",)) as second:
        _check_resumed(second, execution_id)


def test_a_run_left_by_a_killed_server_finishes_once_its_lease_lapses(tmp_path: Path) -> None:
    with running_server(tmp_path, args=FAST_REAPER) as first:
        execution_id = _start_and_wait_for_the_nap(first)
        os.kill(first.pid, signal.SIGKILL)
        os.waitpid(first.pid, 0)
    with running_server(tmp_path, args=FAST_REAPER) as second:
        _check_resumed(second, execution_id)
