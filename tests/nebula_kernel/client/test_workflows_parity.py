"""``store.workflows`` behaves the same embedded and against a Jupyter server (``anystore``)."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import nebula_kernel as nk
from nebula_kernel.client import ExecutionHandle, Resources
from nebula_kernel.errors import ExecutionNotFound
from nebula_kernel.workflows import Grants, RetryPolicy, Workflow, expr

GREETING = Path(__file__).resolve().parents[3] / "notebooks" / "greeting.workflow.yaml"


def _eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def _hello(pause_s: float = 0.0) -> Workflow:
    wf = Workflow("hello")
    greet = wf.node("greet", "log", message="Hello {{ $input.name }}")
    pause = wf.node("pause", "wait", seconds=pause_s)
    done = wf.node("done", "log", message=expr("$nodes.greet.result.message"))
    greet >> pause >> done
    return wf


def test_run_returns_the_result_of_every_node(anystore: Resources) -> None:
    result = anystore.workflows.run(_hello(), {"name": "Ada"}, progress=False)
    assert result.ok and result.status == "completed" and result.error is None
    assert result.results["done"] == {"message": "Hello Ada"}
    assert list(result.nodes) == ["greet", "pause", "done"]
    assert {n.label for n in result.nodes.values()} == {"done"}
    greet = result.nodes["greet"]
    assert greet.action == "log" and greet.attempts == 1 and greet.duration_ms is not None
    assert greet.input == {"message": "Hello Ada"}
    assert result.execution.star == anystore.default_star


def test_a_workflow_file_runs_with_text_progress(
    anystore: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    result = anystore.workflows.run(GREETING, {"name": "Ada"}, progress="text")
    assert result.ok and result.skipped == ("long",)
    assert result.results["short"] == {"message": "short and sweet"}
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"greeting · execution {result.id}")
    assert "  short: done" in "\n".join(printed)
    assert printed[-1] == "greeting completed"


def test_start_wait_journal_and_listing(anystore: Resources) -> None:
    execution = anystore.workflows.start(str(GREETING), {"name": "Grace Hopper"})
    assert isinstance(execution, ExecutionHandle) and execution.workflow_id == "greeting"
    finished = execution.wait(timeout=30)
    assert finished.ok and finished.skipped == ("short",) and execution.status() == "completed"
    journal = execution.journal()
    kinds = journal.column("kind")
    assert kinds[0] == "execution_started" and kinds[-1] == "execution_completed"
    assert journal.column("seq") == sorted(journal.column("seq"))
    assert journal.to_pandas()["node_id"].dropna().tolist()[:2] == ["greet", "greet"]
    assert execution.nodes()["long"].output == {
        "message": "that was a long greeting (19 characters)"
    }

    listed = anystore.workflows.executions(status="completed", workflow_id="greeting", limit=5)
    assert listed.column("id") == [execution.id]
    assert anystore.workflows.executions(workflow_id="nothing-like-it").records() == []
    again = anystore.workflows.execution(execution.id)
    assert again.info == execution.info and "greeting" in again._repr_html_()


def test_cancel_stops_a_long_wait(anystore: Resources) -> None:
    execution = anystore.workflows.start(_hello(pause_s=60), {"name": "Ada"})
    _eventually(lambda: execution.nodes()["pause"].label == "running")
    with pytest.raises(TimeoutError, match="still running"):
        execution.wait(timeout=0.2)
    assert execution.cancel().status == "cancelled"
    result = execution.wait(timeout=10)
    assert result.status == "cancelled" and not result.ok
    assert result.error is not None and result.error["code"] == "cancelled"
    assert result.nodes["greet"].label == "done"
    assert result.nodes["done"].label == "cancelled"
    assert "cancellation_requested" in execution.journal().column("kind")
    assert execution.cancel().status == "cancelled"  # an ended execution stays as it ended


def test_resume_keeps_a_running_execution_and_refuses_an_ended_one(anystore: Resources) -> None:
    execution = anystore.workflows.start(_hello(pause_s=60), {"name": "Ada"})
    _eventually(lambda: execution.nodes()["pause"].label == "running")
    assert execution.resume().status == "running"  # held already: left as it is
    assert execution.nodes()["pause"].attempts == 1
    execution.cancel()
    with pytest.raises(nk.Conflict, match="not waiting to be resumed"):
        execution.resume()


def test_an_embedded_run_left_by_a_closed_store_is_resumed(tmp_path: Path) -> None:
    path = tmp_path / "nebula.duckdb"
    with nk.open_store(path) as first:
        execution_id = first.workflows.start(_hello(pause_s=1.0), {"name": "Ada"}).id
        _eventually(lambda: first.workflows.execution(execution_id).nodes()["pause"].attempts == 1)
    with nk.open_store(path) as second:
        execution = second.workflows.execution(execution_id)
        execution.resume()
        result = execution.wait(timeout=30)
        assert result.ok and result.results["done"] == {"message": "Hello Ada"}
        assert result.nodes["greet"].attempts == 1  # completed nodes are never run again
        assert "execution_resumed" in execution.journal().column("kind")


def test_validation_lists_every_problem(anystore: Resources) -> None:
    assert anystore.workflows.validate(GREETING) == []
    assert anystore.workflows.validate(_hello()) == []

    bad = Workflow("bad")
    bad.node("x", "no.such.action")
    bad.node("y", "log", message=expr("$nodes.ghost.result"))
    problems = anystore.workflows.validate(bad)
    assert [(p.node, p.path) for p in problems] == [
        ("x", ("nodes", 0, "action")),
        ("y", ("nodes", 1, "parameters", "message")),
    ]
    assert all(p.line is None for p in problems)  # built here: no file lines to point at
    assert "unknown action" in problems[0].message

    text = (
        "id: broken\nnodes:\n  - id: a\n    action: log\n"
        "    parameters: {message: '{{ $nodes. }}'}\n"
    )
    (problem,) = anystore.workflows.validate(text)
    assert problem.node == "a" and problem.line == 5 and "line 5" in str(problem)
    with pytest.raises(nk.InvalidDefinition):
        anystore.workflows.start(text)
    with pytest.raises(nk.InvalidRequest, match="workflow file"):
        anystore.workflows.validate(Path("not-a-workflow.txt"))


def test_an_unknown_execution_is_not_found(anystore: Resources) -> None:
    with pytest.raises(ExecutionNotFound):
        anystore.workflows.execution("no-such-execution")
    with pytest.raises(nk.NotFound):
        anystore.workflows.execution(uuid.uuid4().hex).cancel()


def test_the_action_catalog(anystore: Resources) -> None:
    actions = {a.id: a for a in anystore.workflows.actions()}
    assert {"log", "wait", "http.request", "resource.put"} <= set(actions)
    assert actions["http.request"].capabilities == ("network",)
    assert "url" in actions["http.request"].input_schema["properties"]


class _FlakyService(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first request of each idempotency key, then 200."""

    seen: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        key = self.headers.get("Idempotency-Key", "")
        first = key not in self.seen
        self.seen.add(key)
        body = b'{"ok": true}'
        self.send_response(503 if first else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def flaky_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/status"
    finally:
        server.shutdown()
        server.server_close()


def test_a_node_that_fails_once_is_retried(
    anystore: Resources, flaky_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = Workflow("flaky", grants=Grants(network=("127.0.0.1",)))
    wf.node(
        "fetch",
        "http.request",
        url=flaky_url,
        retry=RetryPolicy(max_attempts=3, initial_backoff_s=0.2, jitter="none"),
    )
    result = anystore.workflows.run(wf, progress="text")
    assert result.ok and result.results["fetch"]["body"] == {"ok": True}
    fetch = result.nodes["fetch"]
    assert (fetch.attempts, fetch.failures, fetch.label) == (2, 1, "done")
    assert "  fetch: done (attempt 2" in capsys.readouterr().out
    kinds = [(r["kind"], r["attempt"]) for r in result_journal(anystore, result.id)]
    assert ("attempt_failed", 1) in kinds and ("attempt_completed", 2) in kinds


def result_journal(store: Resources, execution_id: str) -> list[dict[str, object]]:
    return store.workflows.execution(execution_id).journal().records()


# -- who may do what ------------------------------------------------------------------------------


def test_a_viewer_reads_executions_but_cannot_start_one(viewer_store: Resources) -> None:
    with pytest.raises(nk.Forbidden):
        viewer_store.workflows.start(_hello(), {"name": "Ada"})
    with pytest.raises(nk.Forbidden):
        viewer_store.workflows.run(_hello(), {"name": "Ada"}, progress=False)
    assert viewer_store.workflows.executions().records() == []
    assert viewer_store.workflows.validate(_hello()) == []
