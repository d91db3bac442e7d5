"""Workflow files: ``*.workflow.yaml`` / ``*.workflow.json``, read with every problem's line.

Both are read with ruamel.yaml (JSON is YAML 1.2), whose round-trip loader keeps the line of
every key and item; the same loader keeps comments for the graph editor to write back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows._actions import ActionRegistry
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._validate import Problem, _line, find_problems, raise_problems

__all__ = [
    "WORKFLOW_SUFFIXES",
    "WorkflowCheck",
    "WorkflowFormat",
    "check_workflow_text",
    "format_of",
    "load_workflow",
    "parse_workflow",
]

WORKFLOW_SUFFIXES = (".workflow.yaml", ".workflow.yml", ".workflow.json")
_MAX_FILE_BYTES = 4 * 1024 * 1024
# YAML aliases let a few lines stand for a huge (or endless) tree; text from a browser must not
# turn into one. Real workflows stay far below both.
_MAX_VALUES = 1_000_000
_MAX_DEPTH = 200

PathKey = tuple[str | int, ...]
WorkflowFormat = Literal["yaml", "json"]


def format_of(name: str) -> WorkflowFormat:
    """The format a workflow file's name says it holds."""
    return "json" if name.endswith(".json") else "yaml"


@dataclass(frozen=True, slots=True)
class WorkflowCheck:
    """What reading a workflow's text found: the definition when it fits the model (even if it
    has other problems, so an editor can still draw it), and every problem."""

    definition: WorkflowDefinition | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def usable(self, what: str) -> WorkflowDefinition:
        """The definition; if anything is wrong, :class:`InvalidDefinition` listing every
        problem (``details["problems"]``) of ``what`` (a file name, say)."""
        raise_problems(self.problems, what)
        assert self.definition is not None  # no problems: it parsed
        return self.definition


class _Unreadable(Exception):
    """The text is not a tree of values we can read; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Flattener:
    """ruamel's containers as plain dicts and lists, noting the 1-based line of each path."""

    def __init__(self) -> None:
        self.lines: dict[PathKey, int] = {}
        self._budget = _MAX_VALUES

    def plain(self, node: Any, path: PathKey) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self._budget -= 1
        if self._budget < 0 or len(path) > _MAX_DEPTH:
            raise _Unreadable(
                Problem(
                    (),
                    f"the YAML expands (through aliases) past {_MAX_VALUES} values or "
                    f"{_MAX_DEPTH} levels; write the values out instead",
                )
            )
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key, value in node.items():
                sub = (*path, str(key))
                self.lines[sub] = node.lc.key(key)[0] + 1
                out[str(key)] = self.plain(value, sub)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for index, value in enumerate(node):
                sub = (*path, index)
                self.lines[sub] = node.lc.item(index)[0] + 1
                items.append(self.plain(value, sub))
            return items
        return node


def _load_yaml(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        message = f"not valid YAML/JSON: {exc.problem or exc.context}"
        raise _Unreadable(Problem((), message, line=line)) from None
    except YAMLError as exc:
        raise _Unreadable(Problem((), f"not valid YAML/JSON: {type(exc).__name__}")) from None


def _node_of(data: dict[str, Any], path: PathKey) -> str | None:
    """The id of the node a path points into (``nodes.3.…``), when the file gives one."""
    if len(path) < 2 or path[0] != "nodes" or not isinstance(path[1], int):
        return None
    nodes = data.get("nodes")
    node = nodes[path[1]] if isinstance(nodes, list) and path[1] < len(nodes) else None
    found = node.get("id") if isinstance(node, dict) else None
    return found if isinstance(found, str) else None


def _model_problems(
    exc: ValidationError, data: dict[str, Any], lines: Mapping[PathKey, int]
) -> list[Problem]:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        path = tuple(err["loc"])
        problems.append(Problem(path, err["msg"], _node_of(data, path), _line(lines, path)))
    return problems


def _check_json(text: str) -> None:
    """JSON is YAML, but a JSON file must not hold YAML: say where it stops being JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Unreadable(Problem((), f"not valid JSON: {exc.msg}", line=exc.lineno)) from None


def check_workflow_text(
    text: str, *, format: WorkflowFormat = "yaml", registry: ActionRegistry | None = None
) -> WorkflowCheck:
    """Read a definition from YAML or JSON text and list every problem (with ``registry``,
    the full validation too); raises nothing for a bad text."""
    if len(text) > _MAX_FILE_BYTES:
        too_big = Problem((), f"the text is above {_MAX_FILE_BYTES} bytes; split the workflow")
        return WorkflowCheck(None, (too_big,))
    flat = _Flattener()
    try:
        if format == "json":
            _check_json(text)
        data = flat.plain(_load_yaml(text), ())
    except _Unreadable as exc:
        return WorkflowCheck(None, (exc.problem,))
    if not isinstance(data, dict):
        mapping = Problem((), "a workflow file holds one mapping (id, nodes, …)", line=1)
        return WorkflowCheck(None, (mapping,))
    try:
        definition = WorkflowDefinition.model_validate(data)
    except ValidationError as exc:
        return WorkflowCheck(None, tuple(_model_problems(exc, data, flat.lines)))
    if registry is None:
        return WorkflowCheck(definition, ())
    return WorkflowCheck(definition, tuple(find_problems(definition, registry, lines=flat.lines)))


def parse_workflow(
    text: str,
    *,
    source: str = "<workflow>",
    registry: ActionRegistry | None = None,
    format: WorkflowFormat = "yaml",
) -> WorkflowDefinition:
    """Read a definition from YAML or JSON text; with ``registry``, validate it fully.

    Raises :class:`InvalidDefinition` whose ``details["problems"]`` lists every problem with
    its location and line.
    """
    return check_workflow_text(text, format=format, registry=registry).usable(source)


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
    text = file.read_text(encoding="utf-8")
    return parse_workflow(text, source=file.name, registry=registry, format=format_of(file.name))
