"""Editing workflows over REST: actions, validation with lines, expression checks, saving files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from nebula_server._workflow_models import (
    ActionsOut,
    ExpressionCheckOut,
    ValidationOut,
    WorkflowFileOut,
)

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]

GOOD = """\
id: greet
nodes:
  - id: hello
    action: log
    parameters: {message: "Hello {{ $input.name }}"}
    ui: {x: 40, y: 80}
  - id: done
    action: log
    parameters: {message: {$expr: "$nodes.hello.result.message"}}
connections:
  - {from: hello, to: done}
"""


def _workflow_files(root: Path) -> list[Path]:
    return list(root.rglob("*.workflow.yaml"))


def _clean(payload: Any) -> None:
    text = str(payload)
    assert "Traceback" not in text and "SELECT" not in text and "duckdb" not in text.lower()


async def test_actions_describe_every_builtin_with_schemas(api: Api) -> None:
    status, _, body = await api("GET", "actions")
    assert status == 200
    actions = {a.id: a for a in ActionsOut.model_validate(body).actions}
    assert {"log", "wait", "http.request", "resource.get"} <= set(actions)
    wait = actions["wait"]
    assert wait.version == "1" and wait.description
    assert wait.input_schema["properties"]["seconds"]["type"] == "number"
    assert actions["http.request"].capabilities == ["network"]


async def test_a_valid_workflow_comes_back_with_its_editor_positions(api: Api) -> None:
    status, _, body = await api("POST", "workflows/validate", {"source": GOOD, "format": "yaml"})
    assert status == 200
    checked = ValidationOut.model_validate(body)
    assert checked.ok and checked.problems == []
    assert checked.workflow is not None
    assert checked.workflow["nodes"][0]["ui"] == {"x": 40.0, "y": 80.0}


@pytest.mark.parametrize(
    ("source", "format", "node", "path", "line", "says"),
    [
        ("id: x\nnodes: [\n  {id: a,\n", "yaml", None, [], 4, "not valid YAML"),
        ('{"id": "x",\n "nodes": [}', "json", None, [], 2, "not valid JSON"),
        (
            "id: x\nnodes:\n  - id: a\n    action: no.such\n",
            "yaml",
            "a",
            ["nodes", 0, "action"],
            4,
            "unknown action",
        ),
        (
            "id: x\nnodes:\n  - id: a\n    action: log\n    parameters:\n"
            '      message: "Hi {{ $input. }}"\n',
            "yaml",
            "a",
            ["nodes", 0, "parameters", "message"],
            6,
            "expression",
        ),
        (
            "id: x\nnodes:\n  - {id: a, action: log, parameters: {message: a}}\n"
            "  - {id: b, action: log, parameters: {message: b}}\n"
            "connections:\n  - {from: a, to: b, condition: '$nodes.a.result =='}\n",
            "yaml",
            "b",
            ["connections", 0, "condition"],
            6,
            "expression",
        ),
        (
            "id: x\nnodes:\n  - {id: a, action: log, ui: {x: 1}}\n",
            "yaml",
            "a",
            ["nodes", 0, "ui", "y"],
            3,
            "required",
        ),
    ],
)
async def test_problems_name_their_node_path_and_line(
    api: Api, source: str, format: str, node: str | None, path: list[Any], line: int, says: str
) -> None:
    status, _, body = await api("POST", "workflows/validate", {"source": source, "format": format})
    assert status == 200
    checked = ValidationOut.model_validate(body)
    assert not checked.ok
    first = checked.problems[0]
    assert (first.node, first.path, first.line) == (node, path, line)
    assert says in first.message
    _clean(body)


async def test_alias_bombs_are_refused_without_expanding(api: Api) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    status, _, body = await api("POST", "workflows/validate", {"source": "\n".join(lines)})
    assert status == 200 and not body["ok"]
    assert "aliases" in body["problems"][0]["message"]


@pytest.mark.parametrize(
    ("text", "mode", "ok", "where"),
    [
        ("$input.a + 1", "expression", True, None),
        ("$input.a +", "expression", False, (10, 1, 11)),
        ('1 + "a"', "expression", False, (2, 1, 3)),
        ("Hello {{ $input. }}", "template", False, (17, 1, 18)),
        ("Hello {{ $input.name }}", "template", True, None),
    ],
)
async def test_expressions_are_checked_with_their_position(
    api: Api, text: str, mode: str, ok: bool, where: tuple[int, int, int] | None
) -> None:
    status, _, body = await api("POST", "expressions/check", {"text": text, "mode": mode})
    assert status == 200
    checked = ExpressionCheckOut.model_validate(body)
    assert checked.ok is ok
    if where is None:
        assert checked.error is None
    else:
        assert checked.error is not None and checked.error.message
        assert (checked.error.offset, checked.error.line, checked.error.column) == where


async def test_expression_checks_know_the_workflows_nodes_when_told(api: Api) -> None:
    check = {"text": "$nodes.fetch.result", "mode": "expression"}
    status, _, body = await api("POST", "expressions/check", {**check, "nodes": ["fetch"]})
    assert status == 200 and body["ok"]
    status, _, body = await api("POST", "expressions/check", {**check, "nodes": ["other"]})
    assert status == 200 and not body["ok"] and "unknown node" in body["error"]["message"]


async def test_saving_a_workflow_file_validates_then_writes_it(api: Api, jp_root_dir: Path) -> None:
    status, _, body = await api(
        "PUT", "workflows/file", {"path": "flows/greet.workflow.yaml", "source": GOOD}
    )
    assert status == 404 and "flows" in body["error"]["message"]
    (jp_root_dir / "flows").mkdir()
    status, _, body = await api(
        "PUT", "workflows/file", {"path": "flows/greet.workflow.yaml", "source": GOOD}
    )
    assert status == 200, body
    saved = WorkflowFileOut.model_validate(body)
    assert saved.path == "flows/greet.workflow.yaml" and saved.workflow["id"] == "greet"
    assert (jp_root_dir / "flows" / "greet.workflow.yaml").read_text() == GOOD
    broken = GOOD.replace("action: log", "action: no.such", 1)
    status, _, body = await api(
        "PUT", "workflows/file", {"path": "flows/greet.workflow.yaml", "source": broken}
    )
    assert status == 422 and body["error"]["code"] == "invalid_definition"
    [problem] = body["error"]["details"]["problems"]
    assert (problem["node"], problem["line"]) == ("hello", 4)
    assert (jp_root_dir / "flows" / "greet.workflow.yaml").read_text() == GOOD  # kept


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("../outside.workflow.yaml", 404),
        ("flows/../../outside.workflow.yaml", 404),
        ("/../outside.workflow.yaml", 404),
        (".hidden/x.workflow.yaml", 400),
        ("flows/.x.workflow.yaml", 400),
        ("notes.txt", 400),
        ("flows/x.py", 400),
    ],
)
async def test_saving_stays_inside_the_root_and_to_workflow_files(
    api: Api, jp_root_dir: Path, path: str, status: int
) -> None:
    (jp_root_dir / ".hidden").mkdir()
    (jp_root_dir / "flows").mkdir()
    got, _, body = await api("PUT", "workflows/file", {"path": path, "source": GOOD})
    assert got == status
    assert set(body["error"]) == {"code", "message", "details"}
    _clean(body)
    assert not (jp_root_dir.parent / "outside.workflow.yaml").exists()
    assert _workflow_files(jp_root_dir) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "workflows/validate", {"source": GOOD, "format": "toml"}),
        ("POST", "workflows/validate", {"text": GOOD}),
        ("POST", "workflows/validate", "{not json"),
        ("POST", "expressions/check", {"text": "1", "mode": "python"}),
        ("PUT", "workflows/file", {"path": "x.workflow.yaml"}),
    ],
)
async def test_bodies_that_do_not_fit_get_typed_errors(
    api: Api, method: str, path: str, body: Any
) -> None:
    status, _, payload = await api(method, path, body)
    assert (status, payload["error"]["code"]) == (400, "invalid_request")
    _clean(payload)
