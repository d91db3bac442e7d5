"""Validation collects every problem of a definition, each with where it is, before any run."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import (
    ActionRegistry,
    Connection,
    Grants,
    NodeDefinition,
    Workflow,
    WorkflowDefinition,
    build_plan,
    expr,
    find_problems,
    validate_workflow,
)

REGISTRY = ActionRegistry.with_builtins()


def _messages(definition: WorkflowDefinition) -> list[tuple[str, str]]:
    return [(p.location, p.message) for p in find_problems(definition, REGISTRY)]


def test_a_valid_workflow_has_no_problems() -> None:
    wf = Workflow("ok")
    a = wf.node("a", "log", message="hi {{ $input.name }}")
    b = wf.node("b", "log", message=expr("$nodes.a.result.message"))
    a >> b
    validate_workflow(wf.build(), REGISTRY)


def test_every_problem_is_reported_at_once() -> None:
    definition = WorkflowDefinition(
        id="bad",
        nodes=(
            NodeDefinition(id="a", action="log", parameters={"message": "x"}),
            NodeDefinition(id="a", action="log", parameters={"message": "dup"}),
            NodeDefinition(id="b", action="nope"),
            NodeDefinition(id="c", action="log", version="9", parameters={"message": "x"}),
            NodeDefinition(id="d", action="wait", parameters={"seconds": "soon", "extra": 1}),
            NodeDefinition(id="e", action="log", parameters={"message": {"$expr": "1 +"}}),
            NodeDefinition(id="f", action="log", parameters={"message": {"$expr": "$nodes.zz"}}),
            NodeDefinition(id="g", action="log"),
        ),
        connections=(
            Connection.model_validate({"from": "a", "to": "ghost"}),
            Connection.model_validate({"from": "a", "to": "g", "condition": "$nodes.a.result +"}),
        ),
    )
    with pytest.raises(InvalidDefinition) as error:
        validate_workflow(definition, REGISTRY)
    problems: list[dict[str, Any]] = error.value.details["problems"]
    text = "\n".join(f"{p['location']}: {p['message']}" for p in problems)
    assert "nodes.1.id: duplicate node id 'a'" in text
    assert "unknown action nope@1 (no action has this id" in text
    assert "unknown action log@9 (known versions: 1)" in text
    assert "nodes.4.parameters.seconds" in text  # a literal of the wrong type
    assert "nodes.4.parameters.extra" in text  # a parameter the action does not take
    assert "node 'e': nodes.5.parameters.message: expression:" in text
    assert 'unknown node "zz"' in text
    assert "nodes.7.parameters.message: Field required" in text
    assert "connections.0.to: connection to unknown node 'ghost'" in text
    assert "connections.1.condition: expression:" in text
    assert len(problems) == 10


def test_expression_parameters_skip_the_literal_type_check() -> None:
    wf = Workflow("w")
    wf.node("a", "wait", seconds=expr("$input.delay"))
    validate_workflow(wf.build(), REGISTRY)


def test_cycles_are_named() -> None:
    wf = Workflow("w")
    a, b, c = (wf.node(n, "log", message=n) for n in "abc")
    a >> b >> c >> a
    [(_, message)] = _messages(wf.build())
    assert "cycle" in message and "a → b → c → a" in message


def test_reading_a_node_that_does_not_run_before_is_refused() -> None:
    wf = Workflow("w")
    wf.node("a", "log", message="a")
    wf.node("b", "log", message=expr("$nodes.a.result"))
    [(where, message)] = _messages(wf.build())
    assert "node 'b'" in where
    assert "does not run before 'b'; connect 'a' to 'b'" in message


def test_capability_kinds_must_be_granted_at_all() -> None:
    wf = Workflow("w")
    wf.node("get", "http.request", url="http://127.0.0.1/")
    [(_, message)] = _messages(wf.build())
    assert "needs network access and the workflow grants none" in message
    granted = Workflow("w", grants=Grants(network=("127.0.0.1",)))
    granted.node("get", "http.request", url="http://127.0.0.1/")
    assert _messages(granted.build()) == []


def test_plan_is_topological_and_serializable() -> None:
    wf = Workflow("w")
    c = wf.node("c", "log", message="c")
    b = wf.node("b", "log", message="b")
    a = wf.node("a", "log", message="a")
    a >> b >> c
    plan = build_plan(wf.build(), REGISTRY)
    assert plan.order == ("a", "b", "c")
    assert type(plan).from_json(plan.to_json()) == plan


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_random_graphs_plan_iff_acyclic(edges: list[tuple[int, int]]) -> None:
    wf = Workflow("g")
    handles = [wf.node(f"n{i}", "log", message=i) for i in range(8)]
    for x, y in edges:
        handles[x].to(handles[y])
    definition = wf.build()
    problems = find_problems(definition, REGISTRY)
    if problems:
        assert all("cycle" in p.message for p in problems)
        with pytest.raises(InvalidDefinition):
            build_plan(definition, REGISTRY)
        return
    order = build_plan(definition, REGISTRY).order
    position = {n: i for i, n in enumerate(order)}
    assert sorted(order) == sorted(f"n{i}" for i in range(8))
    for x, y in edges:
        assert position[f"n{x}"] < position[f"n{y}"]
