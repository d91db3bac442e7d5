"""Validation before anything runs: every problem of a definition, each with its location.

Checks: duplicate node ids, unknown actions or versions, parameters that do not fit the
action's input schema (literal parts only: expressions are typed when they run), expressions
and templates that do not parse, read unknown nodes or nodes that are not upstream, dangling
connections, cycles, capability kinds the workflow does not grant, and concurrency limits for
actions the workflow does not use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows._actions import ActionRegistry, ActionSpec
from nebula_kernel.workflows._definition import NodeDefinition, WorkflowDefinition
from nebula_kernel.workflows._graph import ancestors, find_cycle
from nebula_kernel.workflows._params import ParamSource, iter_sources
from nebula_kernel.workflows.expressions import check

__all__ = ["Problem", "find_problems", "raise_problems", "validate_workflow"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix: ``path`` into the definition, the file ``line`` when it came from one."""

    path: Path
    message: str
    node: str | None = None
    line: int | None = None

    @property
    def location(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<workflow>"
        if self.node is not None:
            where = f"node {self.node!r}: {where}"
        return where if self.line is None else f"{where} (line {self.line})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "message": self.message,
            "path": list(self.path),
            "node": self.node,
            "line": self.line,
        }


def raise_problems(problems: Sequence[Problem], what: str) -> None:
    if not problems:
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise InvalidDefinition(
        f"{what} has {len(problems)} problem(s); first: {first.location}: {first.message}{more}. "
        "Fix them all (see details['problems']) and try again.",
        problems=[p.to_dict() for p in problems],
    )


def _line(lines: Mapping[Path, int] | None, path: Path) -> int | None:
    if not lines:
        return None
    for end in range(len(path), -1, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None


class _Collector:
    def __init__(self, lines: Mapping[Path, int] | None) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, node: str | None = None) -> None:
        self.problems.append(Problem(path, message, node, _line(self.lines, path)))


def _check_parameters(out: _Collector, spec: ActionSpec, node: NodeDefinition, path: Path) -> None:
    dynamic = {n for n, v in node.parameters.items() if any(True for _ in iter_sources(v))}
    literal = {n: v for n, v in node.parameters.items() if n not in dynamic}
    try:
        spec.input_model.model_validate(literal)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] in dynamic:
                continue  # an expression fills it; its value is checked when it runs
            out.add((*path, "parameters", *loc), f"{err['msg']} ({spec.key})", node.id)


def _check_sources(
    out: _Collector,
    value: Any,
    path: Path,
    node: str,
    known: set[str],
    upstream: set[str] | None,
) -> None:
    for found in iter_sources(value, path):
        if not isinstance(found, ParamSource):
            out.add(found[0], found[1], node)
            continue
        errors = check(found.source, template=found.template, known_nodes=known)
        for error in errors:
            out.add(found.path, f"expression: {error.message}", node)
        if errors or upstream is None:
            continue
        _check_upstream(out, found, node, upstream)


def _check_upstream(out: _Collector, found: ParamSource, node: str, upstream: set[str]) -> None:
    from nebula_kernel.workflows.expressions import parse_expression, parse_template, references

    parsed = parse_template(found.source) if found.template else parse_expression(found.source)
    for ref in references(parsed):
        if ref not in upstream:
            out.add(
                found.path,
                f"reads $nodes.{ref}, but {ref!r} does not run before {node!r}; connect "
                f"{ref!r} to {node!r} (directly or through other nodes)",
                node,
            )


def find_problems(
    definition: WorkflowDefinition,
    registry: ActionRegistry,
    *,
    lines: Mapping[Path, int] | None = None,
) -> list[Problem]:
    out = _Collector(lines)
    ids: set[str] = set()
    for i, node in enumerate(definition.nodes):
        if node.id in ids:
            out.add(("nodes", i, "id"), f"duplicate node id {node.id!r}", node.id)
        ids.add(node.id)
    edges: list[tuple[str, str]] = []
    for j, conn in enumerate(definition.connections):
        ok = True
        for end, name in (("from", conn.source), ("to", conn.target)):
            if name not in ids:
                out.add(("connections", j, end), f"connection {end} unknown node {name!r}")
                ok = False
        if ok:
            edges.append((conn.source, conn.target))
    ordered = list(dict.fromkeys(n.id for n in definition.nodes))  # deterministic reports
    cycle = find_cycle(ordered, edges)
    if cycle is not None:
        out.add(("connections",), "the connections form a cycle: " + " → ".join(cycle))
    ups = None if cycle is not None else ancestors(ordered, edges)
    used_actions: set[str] = set()
    for i, node in enumerate(definition.nodes):
        path: Path = ("nodes", i)
        used_actions.add(node.action)
        spec = registry.get(node.action, node.version)
        if spec is None:
            versions = registry.versions(node.action)
            hint = (
                f"known versions: {', '.join(versions)}"
                if versions
                else "no action has this id; register it or fix the name"
            )
            out.add(
                (*path, "action"), f"unknown action {node.action}@{node.version} ({hint})", node.id
            )
        else:
            _check_parameters(out, spec, node, path)
            for kind in sorted(spec.capabilities):
                if not getattr(definition.grants, kind):
                    out.add(
                        (*path, "action"),
                        f"{spec.key} needs {kind} access and the workflow grants none; add "
                        f"grants.{kind}",
                        node.id,
                    )
        upstream = None if ups is None else ups[node.id]
        _check_sources(out, node.parameters, (*path, "parameters"), node.id, ids, upstream)
    for j, conn in enumerate(definition.connections):
        if conn.condition is None:
            continue
        upstream = (
            None if ups is None or conn.source not in ids else ups[conn.source] | {conn.source}
        )
        _check_sources(
            out,
            {"$expr": conn.condition},
            ("connections", j, "condition"),
            conn.target,
            ids,
            upstream,
        )
    trigger_ids: set[str] = set()
    for k, trigger in enumerate(definition.triggers):
        if trigger.id in trigger_ids:
            out.add(("triggers", k, "id"), f"duplicate trigger id {trigger.id!r}")
        trigger_ids.add(trigger.id)
    for name in definition.concurrency.per_action:
        if name not in used_actions:
            out.add(("concurrency", "per_action", name), f"no node uses action {name!r}")
    return out.problems


def validate_workflow(
    definition: WorkflowDefinition,
    registry: ActionRegistry,
    *,
    lines: Mapping[Path, int] | None = None,
) -> None:
    """Raise :class:`InvalidDefinition` listing every problem (``details["problems"]``)."""
    raise_problems(find_problems(definition, registry, lines=lines), f"Workflow {definition.id!r}")
