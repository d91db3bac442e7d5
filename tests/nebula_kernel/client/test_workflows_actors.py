"""Kernel functions as workflow actions, the same code embedded and against a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from nebula_kernel.client import Resources
from nebula_kernel.errors import Forbidden, InvalidRequest
from nebula_kernel.workflows import Workflow


class Scored(BaseModel):
    points: int
    at: datetime


def _scoring(points: Any = 4) -> Workflow:
    wf = Workflow("scoring")
    score = wf.node("score", "score", points=points, at="2024-05-01T12:00:00+00:00")
    report = wf.node("report", "log", message="score {{ $nodes.score.result.score }}")
    score >> report
    return wf


def test_a_registered_function_serves_its_nodes(anystore: Resources) -> None:
    seen: list[Scored] = []

    def score(value: Scored) -> dict[str, Any]:
        seen.append(value)
        return {"score": value.points * 10}

    with anystore.workflows.register_action("score", score, input_model=Scored):
        result = anystore.workflows.run(_scoring(), progress=False)
    assert result.ok, result.error
    assert result.results["score"] == {"score": 40}
    assert result.results["report"] == {"message": "score 40"}
    assert seen == [Scored(points=4, at=datetime(2024, 5, 1, 12, tzinfo=UTC))]
    assert result.nodes["score"].action == "score" and result.nodes["score"].attempts == 1


def test_the_decorator_registers_an_async_function(anystore: Resources) -> None:
    @anystore.workflows.action("score")
    async def score(value: dict[str, Any]) -> dict[str, Any]:
        return {"score": value["points"] + 1}

    try:
        result = anystore.workflows.run(_scoring(1), progress=False)
    finally:
        score.close()
    assert result.ok, result.error
    assert result.results["score"] == {"score": 2}
    assert score.closed


def test_a_raising_function_fails_the_node_with_its_message(anystore: Resources) -> None:
    def score(value: dict[str, Any]) -> dict[str, Any]:
        raise ValueError(f"{value['points']} points is too few")

    with anystore.workflows.register_action("score", score):
        result = anystore.workflows.run(_scoring(), progress=False)
    assert result.status == "failed"
    error = result.nodes["score"].error
    assert error is not None and error["code"] == "actor_raised"
    assert (
        error["message"] == "Action score@1 failed in its kernel: ValueError: 4 points is too few"
    )
    assert "Traceback" not in str(result.error)
    assert "report" not in result.results


def test_inputs_that_do_not_fit_the_model_fail_without_calling_it(anystore: Resources) -> None:
    calls: list[Any] = []
    with anystore.workflows.register_action("score", calls.append, input_model=Scored):
        result = anystore.workflows.run(_scoring("many"), progress=False)
    assert result.status == "failed" and calls == []
    error = result.nodes["score"].error
    assert error is not None and error["code"] == "invalid_inputs"


def test_after_close_the_node_fails_retryably(anystore: Resources) -> None:
    handle = anystore.workflows.register_action("score", lambda v: {"score": 1})
    handle.close()
    result = anystore.workflows.run(_scoring(), progress=False)
    error = result.nodes["score"].error
    assert result.status == "failed" and error is not None
    assert error["code"] == "actor_unavailable"
    assert "register_action" in error["message"] and "retried" in error["message"]


def test_a_built_in_name_is_refused(anystore: Resources) -> None:
    with pytest.raises(InvalidRequest, match="built-in"):
        anystore.workflows.register_action("log", lambda v: v)


def test_a_viewer_cannot_register(viewer_store: Resources) -> None:
    with pytest.raises(Forbidden):
        viewer_store.workflows.register_action("score", lambda v: v)
