"""``ui: {x, y}`` on a node: the editor's position, kept by the loader, unseen by runs and plans."""

from __future__ import annotations

import pytest

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import ActionRegistry, build_plan, open_runtime, parse_workflow

SOURCE = """\
id: greet
nodes:
  - id: hello
    action: log
    parameters: {{message: "hi"}}
    ui: {{x: {x}, y: {y}}}
  - id: bye
    action: log
    parameters: {{message: "bye"}}
connections:
  - {{from: hello, to: bye}}
"""


def test_the_loader_keeps_the_position_and_writes_it_back() -> None:
    definition = parse_workflow(
        SOURCE.format(x=120.5, y=-40), registry=ActionRegistry.with_builtins()
    )
    hello = definition.node("hello")
    assert hello.ui is not None and (hello.ui.x, hello.ui.y) == (120.5, -40.0)
    assert definition.node("bye").ui is None
    written = definition.to_json_dict()
    assert written["nodes"][0]["ui"] == {"x": 120.5, "y": -40.0}
    assert "ui" not in written["nodes"][1]


def test_moving_a_node_changes_neither_the_plan_nor_its_journal_form() -> None:
    registry = ActionRegistry.with_builtins()
    here = parse_workflow(SOURCE.format(x=0, y=0), registry=registry)
    there = parse_workflow(SOURCE.format(x=900, y=300), registry=registry)
    assert here != there
    assert build_plan(here, registry).to_json() == build_plan(there, registry).to_json()
    assert "ui" not in str(build_plan(here, registry).to_json())


@pytest.mark.parametrize("ui", ["{x: 1}", "{x: 1, y: 2, z: 3}", "{x: a, y: 2}", "{x: .nan, y: 1}"])
def test_a_malformed_position_is_a_problem_with_its_line(ui: str) -> None:
    text = (
        SOURCE.replace("ui: {{x: {x}, y: {y}}}", "ui: " + ui).replace("{{", "{").replace("}}", "}")
    )
    with pytest.raises(InvalidDefinition) as caught:
        parse_workflow(text, registry=ActionRegistry.with_builtins())
    problems = caught.value.details["problems"]
    assert problems and all(p["path"][:3] == ["nodes", 0, "ui"] for p in problems)
    assert all(p["line"] == 6 for p in problems)


async def test_the_runtime_runs_a_positioned_workflow_as_any_other() -> None:
    definition = parse_workflow(SOURCE.format(x=10, y=20), registry=ActionRegistry.with_builtins())
    async with open_runtime() as runtime:
        result = await runtime.run(definition)
    assert result.ok and set(result.results) == {"hello", "bye"}
