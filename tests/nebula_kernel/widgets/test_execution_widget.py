"""``execution.widget()``: a live view of an execution's nodes, embedded and against a server."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from nebula_kernel.client import Resources
from nebula_kernel.client._workflows_views import choose_view
from nebula_kernel.widgets import ExecutionWidget
from nebula_kernel.workflows import RetryPolicy, Workflow


def _eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the widget did not catch up"
        time.sleep(0.01)


def _states(widget: ExecutionWidget) -> dict[str, str]:
    return {node["id"]: node["state"] for node in widget.nodes}


def test_the_widget_follows_an_execution_to_its_end(anystore: Resources) -> None:
    wf = Workflow("slow")
    first = wf.node("first", "log", message="go")
    pause = wf.node("pause", "wait", seconds=60)
    last = wf.node("last", "log", message="never")
    first >> pause >> last
    execution = anystore.workflows.start(wf)
    widget = execution.widget()
    assert widget.execution_id == execution.id and widget.workflow_id == "slow"
    assert [n["action"] for n in widget.nodes] == ["log", "wait", "log"]

    _eventually(lambda: _states(widget)["pause"] == "running")
    assert _states(widget) == {"first": "done", "pause": "running", "last": "queued"}
    assert widget.status == "running"
    execution.cancel()
    _eventually(lambda: widget.status == "cancelled")
    assert _states(widget)["last"] == "cancelled" and widget.error
    assert widget.nodes[0]["duration_ms"] is not None
    widget.close()


def test_the_widget_shows_retries_and_the_failure(anystore: Resources) -> None:
    wf = Workflow("doomed")
    wf.node(
        "boom",
        "fail",
        message="the <b>service</b> is down",
        retryable=True,
        retry=RetryPolicy(max_attempts=3, initial_backoff_s=0.3, jitter="none"),
    )
    execution = anystore.workflows.start(wf)
    widget = execution.widget()
    _eventually(lambda: _states(widget)["boom"] in ("retrying", "failed"))
    _eventually(lambda: widget.status == "failed")
    (boom,) = widget.nodes
    assert (boom["state"], boom["attempts"], boom["failures"]) == ("failed", 3, 3)
    assert boom["error"] == "the <b>service</b> is down"  # data, shown as text by the view
    html = execution._repr_html_()
    assert "&lt;b&gt;service&lt;/b&gt;" in html and "<b>service</b>" not in html


def test_waiting_feeds_the_widget_progress_view(anystore: Resources) -> None:
    wf = Workflow("quick")
    wf.node("only", "wait", seconds=0.1)
    execution = anystore.workflows.start(wf)
    view = choose_view("widget", execution.id)  # what run() shows in JupyterLab
    widget = getattr(view, "__self__", None)
    assert isinstance(widget, ExecutionWidget) and widget.execution_id == execution.id
    finished = execution._wait(20, view)
    assert finished.ok and widget.status == "completed"
    assert _states(widget) == {"only": "done"} and widget.last_seq > 0


def test_text_is_the_fallback_without_a_front_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("NEBULA_PROGRESS", raising=False)
    view = choose_view(True, "x")
    assert type(view).__name__ == "TextProgress"
    assert choose_view(False, "x") is None
    monkeypatch.setenv("NEBULA_PROGRESS", "none")
    assert choose_view(True, "x") is None
