"""Workflow files: ``*.workflow.yaml`` / ``*.workflow.json``, read with every problem's line.

Both are read with ruamel.yaml (JSON is YAML 1.2), whose round-trip loader keeps the line of
every key and item; the same loader keeps comments for the graph editor to write back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows._actions import ActionRegistry
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._validate import Problem, _line, find_problems, raise_problems

__all__ = ["WORKFLOW_SUFFIXES", "load_workflow", "parse_workflow"]

WORKFLOW_SUFFIXES = (".workflow.yaml", ".workflow.yml", ".workflow.json")
_MAX_FILE_BYTES = 4 * 1024 * 1024

PathKey = tuple[str | int, ...]


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int]) -> Any:
    """ruamel's containers as plain dicts and lists, noting the 1-based line of each path."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            sub = (*path, str(key))
            lines[sub] = node.lc.key(key)[0] + 1
            out[str(key)] = _plain(value, sub, lines)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            sub = (*path, index)
            lines[sub] = node.lc.item(index)[0] + 1
            items.append(_plain(value, sub, lines))
        return items
    return node


def _load_yaml(text: str, source: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        problem = Problem((), f"not valid YAML/JSON: {exc.problem or exc.context}", line=line)
        raise_problems([problem], source)
    except YAMLError as exc:
        raise_problems([Problem((), f"not valid YAML/JSON: {type(exc).__name__}")], source)
    raise AssertionError("unreachable")  # pragma: no cover


def _model_problems(exc: ValidationError, lines: Mapping[PathKey, int]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        path = tuple(err["loc"])
        problems.append(Problem(path, err["msg"], line=_line(lines, path)))
    return problems


def parse_workflow(
    text: str, *, source: str = "<workflow>", registry: ActionRegistry | None = None
) -> WorkflowDefinition:
    """Read a definition from YAML or JSON text; with ``registry``, validate it fully.

    Raises :class:`InvalidDefinition` whose ``details["problems"]`` lists every problem with
    its location and line.
    """
    lines: dict[PathKey, int] = {}
    data = _plain(_load_yaml(text, source), (), lines)
    if not isinstance(data, dict):
        raise_problems(
            [Problem((), "a workflow file holds one mapping (id, nodes, …)", line=1)], source
        )
    try:
        definition = WorkflowDefinition.model_validate(data)
    except ValidationError as exc:
        raise_problems(_model_problems(exc, lines), source)
        raise AssertionError("unreachable") from None  # pragma: no cover
    if registry is not None:
        raise_problems(find_problems(definition, registry, lines=lines), source)
    return definition


def load_workflow(
    path: str | Path, *, registry: ActionRegistry | None = None
) -> WorkflowDefinition:
    """Read a ``*.workflow.yaml`` or ``*.workflow.json`` file (see :func:`parse_workflow`)."""
    file = Path(path)
    if not file.name.endswith(WORKFLOW_SUFFIXES):
        raise InvalidDefinition(
            f"{file.name} is not a workflow file; name it *.workflow.yaml or *.workflow.json.",
            path=str(file),
        )
    if file.stat().st_size > _MAX_FILE_BYTES:
        raise InvalidDefinition(
            f"{file.name} is above {_MAX_FILE_BYTES} bytes; split the workflow.", path=str(file)
        )
    return parse_workflow(file.read_text(encoding="utf-8"), source=file.name, registry=registry)
