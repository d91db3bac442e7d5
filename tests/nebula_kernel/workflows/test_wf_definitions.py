"""Definitions: the builder, the parameter convention, and files read with their lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import (
    ActionRegistry,
    Grants,
    RetryPolicy,
    Workflow,
    WorkflowDefinition,
    expr,
    load_workflow,
    parse_workflow,
)

YAML = """\
# an ETL workflow; comments are allowed
id: etl
name: Fetch and store
grants:
  network: ["127.0.0.1"]
nodes:
  - id: fetch
    action: http.request
    version: "1"
    parameters:
      url: "http://127.0.0.1:1/items"
    retry: {max_attempts: 3, initial_backoff_s: 0.01}
  - id: log
    action: log
    parameters:
      message: "got {{ $nodes.fetch.result.status }}"
connections:
  - {from: fetch, to: log, condition: "$nodes.fetch.result.status == 200"}
"""


def _problems(error: pytest.ExceptionInfo[InvalidDefinition]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = error.value.details["problems"]
    return problems


def test_builder_reads_like_the_graph() -> None:
    wf = Workflow("etl", grants=Grants(network=("api.example.com",)))
    fetch = wf.node("fetch", "http.request@1", url="https://api.example.com/x")
    store = wf.node("store", "resource.put", type="Item", id="x", value=expr("$nodes.fetch.result"))
    audit = wf.node("audit", "log", message="stored", retry=RetryPolicy(max_attempts=2))
    assert (fetch >> store >> audit) is audit
    definition = wf.build()
    assert [n.id for n in definition.nodes] == ["fetch", "store", "audit"]
    assert [(c.source, c.target) for c in definition.connections] == [
        ("fetch", "store"),
        ("store", "audit"),
    ]
    assert definition.node("store").parameters["value"] == {"$expr": "$nodes.fetch.result"}
    assert definition.node("audit").retry.max_attempts == 2
    assert definition.node("fetch").version == "1"


def test_fan_out_and_in_with_lists() -> None:
    wf = Workflow("fan")
    a, b, c, d = (wf.node(n, "log", message=n) for n in "abcd")
    a >> [b, c]
    [b, c] >> d
    pairs = {(x.source, x.target) for x in wf.build().connections}
    assert pairs == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}


def test_conditions_and_file_form_round_trip() -> None:
    wf = Workflow("cond")
    a, b = wf.node("a", "log", message="x"), wf.node("b", "log", message="y")
    a.to(b, when="$nodes.a.success")
    data = wf.build().to_json_dict()
    assert data["connections"] == [{"from": "a", "to": "b", "condition": "$nodes.a.success"}]
    assert WorkflowDefinition.model_validate(data) == wf.build()


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        WorkflowDefinition.model_validate({"id": "x", "nodez": []})


def test_yaml_file_loads_with_full_validation(tmp_path: Path) -> None:
    path = tmp_path / "etl.workflow.yaml"
    path.write_text(YAML)
    definition = load_workflow(path, registry=ActionRegistry.with_builtins())
    assert definition.node("fetch").retry.max_attempts == 3
    assert definition.connections[0].condition == "$nodes.fetch.result.status == 200"


def test_json_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "etl.workflow.json"
    path.write_text(
        json.dumps(
            {"id": "j", "nodes": [{"id": "a", "action": "log", "parameters": {"message": 1}}]}
        )
    )
    assert load_workflow(path).node("a").parameters == {"message": 1}


def test_problems_point_at_file_lines() -> None:
    broken = YAML.replace("action: log", "action: lgo").replace(
        '"got {{ $nodes.fetch.result.status }}"', '"{{ $nodes.nope.x }}"'
    )
    with pytest.raises(InvalidDefinition) as error:
        parse_workflow(broken, source="etl.workflow.yaml", registry=ActionRegistry.with_builtins())
    by_line = {p["line"]: p["message"] for p in _problems(error)}
    assert "unknown action lgo@1" in by_line[14]
    assert 'unknown node "nope"' in by_line[16]
    assert "etl.workflow.yaml" in error.value.message


def test_model_errors_point_at_lines() -> None:
    with pytest.raises(InvalidDefinition) as error:
        parse_workflow(YAML.replace("max_attempts: 3", "max_attempts: 0"))
    [problem] = _problems(error)
    assert problem["line"] == 12
    assert problem["path"] == ["nodes", 0, "retry", "max_attempts"]


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(InvalidDefinition) as error:
        parse_workflow("id: x\nnodes: [\n  - a: b\n")
    [problem] = _problems(error)
    assert problem["line"] is not None and problem["line"] >= 2


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(InvalidDefinition) as error:
        parse_workflow("id: x\nid: y\n")
    assert _problems(error)[0]["line"] == 2


def test_file_names_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text(YAML)
    with pytest.raises(InvalidDefinition, match=r"\*\.workflow\.yaml"):
        load_workflow(path)


def test_invalid_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="node id"):
        Workflow("w").node("has space", "log")
