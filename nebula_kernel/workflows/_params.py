"""Parameters: find the expressions and templates inside a value, compile them, resolve them.

The convention is described in :mod:`._definition`: ``{"$expr": "…"}`` is an expression, a
string containing ``{{`` is a template, everything else is literal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nebula_kernel.workflows._definition import EXPR_KEY
from nebula_kernel.workflows.expressions import (
    ExpressionContext,
    parse_expression,
    parse_template,
)

__all__ = ["CompiledParameters", "ParamSource", "compile_parameters", "iter_sources"]

Path = tuple[str | int, ...]
Resolver = Callable[[ExpressionContext], Any]


@dataclass(frozen=True, slots=True)
class ParamSource:
    """One expression or template found at ``path`` inside a parameter value."""

    path: Path
    source: str
    template: bool


def _expr_source(value: Mapping[str, Any]) -> str | None:
    """The expression of a ``{"$expr": …}`` object, or ``None`` if ``value`` is not one."""
    if EXPR_KEY not in value:
        return None
    if len(value) != 1 or not isinstance(value[EXPR_KEY], str):
        raise ValueError(
            f'an expression is written {{"{EXPR_KEY}": "<expression>"}}: exactly one key whose '
            "value is a string"
        )
    return str(value[EXPR_KEY])


def iter_sources(value: Any, path: Path = ()) -> Iterator[ParamSource | tuple[Path, str]]:
    """Every expression and template in ``value``; a malformed one as ``(path, message)``."""
    if isinstance(value, str):
        if "{{" in value:
            yield ParamSource(path, value, True)
    elif isinstance(value, Mapping):
        try:
            source = _expr_source(value)
        except ValueError as exc:
            yield (path, str(exc))
            return
        if source is not None:
            yield ParamSource(path, source, False)
            return
        for key, item in value.items():
            yield from iter_sources(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from iter_sources(item, (*path, index))


def _compile(value: Any, refs: list[str]) -> Resolver | None:
    """A resolver for ``value``, or ``None`` when it is a plain literal (returned as is).

    The node ids the expressions read are added to ``refs``.
    """
    if isinstance(value, str):
        if "{{" not in value:
            return None
        template = parse_template(value)
        refs.extend(template.references)
        return template.render
    if isinstance(value, Mapping):
        source = _expr_source(value)
        if source is not None:
            expression = parse_expression(source)
            refs.extend(expression.references)
            return expression.evaluate
        parts = {k: _compile(v, refs) for k, v in value.items()}
        if all(p is None for p in parts.values()):
            return None
        items = [(k, parts[k], v) for k, v in value.items()]
        return lambda ctx: {k: v if r is None else r(ctx) for k, r, v in items}
    if isinstance(value, (list, tuple)):
        parts_list = [(_compile(v, refs), v) for v in value]
        if all(r is None for r, _ in parts_list):
            return None
        return lambda ctx: [v if r is None else r(ctx) for r, v in parts_list]
    return None


@dataclass(frozen=True, slots=True)
class CompiledParameters:
    """A node's parameters, parsed once; :meth:`resolve` runs the expressions in a context."""

    literal: Mapping[str, Any]
    dynamic: tuple[tuple[str, Resolver], ...]
    references: tuple[str, ...]

    @property
    def is_static(self) -> bool:
        return not self.dynamic

    def resolve(self, context: ExpressionContext | None) -> dict[str, Any]:
        out = dict(self.literal)
        if self.dynamic:
            assert context is not None
            for name, resolver in self.dynamic:
                out[name] = resolver(context)
        return out


def compile_parameters(parameters: Mapping[str, Any]) -> CompiledParameters:
    """Parse every expression and template (raises the first ``ExpressionError``)."""
    literal: dict[str, Any] = {}
    dynamic: list[tuple[str, Resolver]] = []
    refs: list[str] = []
    for name, value in parameters.items():
        resolver = _compile(value, refs)
        if resolver is None:
            literal[name] = value
        else:
            dynamic.append((name, resolver))
    return CompiledParameters(literal, tuple(dynamic), tuple(dict.fromkeys(refs)))
