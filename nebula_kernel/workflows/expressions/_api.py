"""The public face: parse once into immutable objects, evaluate many times, check statically."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nebula_kernel.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
)

from . import _ast as a
from ._context import EMPTY_CONTEXT, ExpressionContext
from ._eval import Compiled, compile_tree
from ._functions import FUNCTIONS
from ._limits import DEFAULT_LIMITS, ExpressionLimits, limit_exceeded
from ._parser import Parser, check_source
from ._registry import FunctionSpec
from ._source import syntax_error
from ._values import Failed, LimitHit, Runtime, to_text

__all__ = [
    "ContextLike",
    "Expression",
    "Template",
    "check",
    "evaluate",
    "parse_expression",
    "parse_template",
    "references",
    "render",
]

ContextLike = ExpressionContext | Mapping[str, Any] | None


def _context(context: ContextLike) -> ExpressionContext:
    if context is None:
        return EMPTY_CONTEXT
    if isinstance(context, ExpressionContext):
        return context
    return ExpressionContext(**context)


def _runtime(origin: str, limits: ExpressionLimits, context: ContextLike) -> Runtime:
    ctx = _context(context)
    return Runtime(
        origin,
        limits,
        ctx.input,
        ctx.nodes,  # type: ignore[arg-type] # a dict: ExpressionContext copies it into one
        ctx.execution,
        ctx.env,
        ctx.now,
    )


def _run(compiled: Compiled, rt: Runtime) -> Any:
    """Run a compiled expression; whatever goes wrong leaves as a typed error."""
    try:
        return compiled(rt)
    except ExpressionError:
        raise
    except LimitHit as hit:
        raise rt.limit_error(hit.name, None) from None
    except Failed as failed:
        raise ExpressionEvaluationError(str(failed), reason=str(failed)) from None
    except RecursionError:
        raise limit_exceeded(
            rt.limits, "max_depth", reason="a value is nested too deeply"
        ) from None
    except Exception as exc:  # defence in depth: never let an untyped error escape
        raise ExpressionEvaluationError(
            f"evaluation failed unexpectedly ({type(exc).__name__})", reason="internal"
        ) from exc


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A parsed expression: immutable, reusable, safe to share between threads.

    Build it with :func:`parse_expression`. ``tree`` is the syntax tree; positions in errors
    refer to ``origin`` (the expression's own source, or the template it sits in).
    """

    source: str
    tree: a.Node = field(repr=False)
    limits: ExpressionLimits = field(repr=False)
    origin: str = field(repr=False)
    _compiled: Compiled = field(repr=False)

    def evaluate(
        self, context: ContextLike = None, *, limits: ExpressionLimits | None = None
    ) -> Any:
        """The value of the expression in ``context`` (``limits`` default to the parse's)."""
        rt = _runtime(self.origin, limits or self.limits, context)
        return _run(self._compiled, rt)

    @property
    def references(self) -> tuple[str, ...]:
        """The node ids this expression reads through ``$nodes``, in order of first use."""
        return _node_ids([self.tree])

    @property
    def functions(self) -> tuple[str, ...]:
        """The names of the functions it calls, in order of first use."""
        return tuple(dict.fromkeys(n.name for n in a.walk(self.tree) if isinstance(n, a.Call)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self.source == other.source and self.tree == other.tree

    def __hash__(self) -> int:
        return hash(self.source)


@dataclass(frozen=True, slots=True, eq=False)
class Template:
    """A parsed template: literal text and ``{{ expression }}`` parts.

    When the whole template is exactly one ``{{ expression }}`` (``single``), rendering returns
    the expression's value with its type; otherwise every part is turned into text.
    """

    source: str
    parts: tuple[str | Expression, ...]
    limits: ExpressionLimits = field(repr=False)

    @property
    def single(self) -> Expression | None:
        """The expression when the template is exactly ``{{ expression }}``, else ``None``."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Expression):
            return self.parts[0]
        return None

    @property
    def expressions(self) -> tuple[Expression, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expression))

    @property
    def references(self) -> tuple[str, ...]:
        return _node_ids(e.tree for e in self.expressions)

    def render(self, context: ContextLike = None, *, limits: ExpressionLimits | None = None) -> Any:
        """The rendered text (or the single expression's value, keeping its type)."""
        rt = _runtime(self.source, limits or self.limits, context)
        single = self.single
        if single is not None:
            return _run(single._compiled, rt)
        out: list[str] = []
        length = 0
        for part in self.parts:
            if isinstance(part, str):
                text = part
            else:
                value = _run(part._compiled, rt)
                try:
                    text = to_text(value, rt)
                except Failed as failed:
                    raise rt.error(
                        f"cannot show the value in a template: {failed}", part.tree.pos
                    ) from None
                except LimitHit as hit:
                    raise rt.limit_error(hit.name, part.tree.pos) from None
            length += len(text)
            if length > rt.limits.max_string_length:
                raise limit_exceeded(rt.limits, "max_string_length")
            out.append(text)
        return "".join(out)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return self.source == other.source and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.source)


def _node_ids(trees: Iterable[a.Node]) -> tuple[str, ...]:
    ids: dict[str, None] = {}
    for tree in trees:
        for node in a.walk(tree):
            if isinstance(node, a.NodeRef):
                ids.setdefault(node.node_id)
    return tuple(ids)


# -- parsing --------------------------------------------------------------------------------------


def parse_expression(
    source: str,
    *,
    limits: ExpressionLimits = DEFAULT_LIMITS,
    functions: Mapping[str, FunctionSpec] = FUNCTIONS,
) -> Expression:
    """Parse ``source`` as one expression (no ``{{ }}``).

    Unknown roots, unknown functions and wrong argument counts are syntax errors. Raises only
    :class:`ExpressionSyntaxError` and :class:`ExpressionLimitExceeded` (and ``TypeError`` when
    ``source`` is not a string).
    """
    check_source(source, limits, "expression")
    try:
        tree, _ = Parser(source, 0, limits, functions).parse()
        return Expression(source, tree, limits, source, compile_tree(tree, functions))
    except RecursionError:  # only when called from an already deep stack
        raise limit_exceeded(limits, "max_depth", reason="the call stack is too deep") from None


def parse_template(
    source: str,
    *,
    limits: ExpressionLimits = DEFAULT_LIMITS,
    functions: Mapping[str, FunctionSpec] = FUNCTIONS,
) -> Template:
    """Parse a template: text with ``{{ expression }}`` parts.

    Text outside ``{{ }}`` is literal (a lone ``}}`` included). To write a literal ``{{``, write
    ``{{ "{{" }}``. All the expressions of a template share one ``max_nodes`` budget.
    """
    check_source(source, limits, "template")
    try:
        return _parse_template(source, limits, functions)
    except RecursionError:  # only when called from an already deep stack
        raise limit_exceeded(limits, "max_depth", reason="the call stack is too deep") from None


def _parse_template(
    source: str, limits: ExpressionLimits, functions: Mapping[str, FunctionSpec]
) -> Template:
    parts: list[str | Expression] = []
    pos = 0
    count = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            if pos < len(source):
                parts.append(source[pos:])
            break
        if start > pos:
            parts.append(source[pos:start])
        parser = Parser(source, start + 2, limits, functions, template=True)
        parser.count = count
        tree, end = parser.parse()
        count = parser.count
        text = source[start + 2 : end - 2].strip()
        parts.append(Expression(text, tree, limits, source, compile_tree(tree, functions)))
        pos = end
    return Template(source, tuple(parts), limits)


@lru_cache(maxsize=256)
def _cached_expression(source: str, limits: ExpressionLimits) -> Expression:
    return parse_expression(source, limits=limits)


@lru_cache(maxsize=256)
def _cached_template(source: str, limits: ExpressionLimits) -> Template:
    return parse_template(source, limits=limits)


def evaluate(
    expression: Expression | str,
    context: ContextLike = None,
    *,
    limits: ExpressionLimits | None = None,
) -> Any:
    """Evaluate an expression (a string is parsed first, and the parse is cached)."""
    if isinstance(expression, str):
        expression = _cached_expression(expression, limits or DEFAULT_LIMITS)
    return expression.evaluate(context, limits=limits)


def render(
    template: Template | str,
    context: ContextLike = None,
    *,
    limits: ExpressionLimits | None = None,
) -> Any:
    """Render a template (a string is parsed first, and the parse is cached)."""
    if isinstance(template, str):
        template = _cached_template(template, limits or DEFAULT_LIMITS)
    return template.render(context, limits=limits)


def references(parsed: Expression | Template) -> tuple[str, ...]:
    """The ``$nodes.<id>`` ids an expression or template reads, in order of first use.

    ``$nodes`` can only be followed by a literal id, so this list is complete: the workflow
    validator can check it against the graph and the planner can order the nodes by it.
    """
    return parsed.references


# -- static checking ------------------------------------------------------------------------------


def _is_constant(node: a.Node) -> bool:
    return not any(
        isinstance(n, (a.Root, a.NodeRef)) or (isinstance(n, a.Call) and n.name == "now")
        for n in a.walk(node)
    )


def _constant_failures(
    expr: Expression, functions: Mapping[str, FunctionSpec]
) -> list[ExpressionError]:
    """Errors of the largest constant sub-expressions: they fail whenever they are reached."""
    found: list[ExpressionError] = []
    stack = [expr.tree]
    while stack:
        node = stack.pop()
        if isinstance(node, a.Literal):
            continue
        if _is_constant(node):
            rt = _runtime(expr.origin, expr.limits, None)
            try:
                _run(compile_tree(node, functions), rt)
            except (ExpressionEvaluationError, ExpressionLimitExceeded) as error:
                found.append(error)
            continue
        stack.extend(reversed(node.children()))
    return found


def check(
    source: str,
    *,
    template: bool = False,
    known_nodes: Collection[str] | None = None,
    constants: bool = True,
    limits: ExpressionLimits = DEFAULT_LIMITS,
    functions: Mapping[str, FunctionSpec] = FUNCTIONS,
) -> list[ExpressionError]:
    """Check an expression (or a template) without evaluating it against any data.

    Reports, as typed errors (an empty list means fine): a syntax error or parse-time limit (then
    nothing else: unknown roots, unknown functions and wrong argument counts are syntax errors),
    references to node ids not in ``known_nodes`` (when given), and, unless ``constants`` is
    false, constant sub-expressions that fail whenever they are reached, such as ``1 + "a"`` or
    ``len(3)`` (they read no data and are evaluated under ``limits``).
    """
    try:
        parsed: Expression | Template = (
            parse_template(source, limits=limits, functions=functions)
            if template
            else parse_expression(source, limits=limits, functions=functions)
        )
    except ExpressionError as error:
        return [error]
    expressions = parsed.expressions if isinstance(parsed, Template) else (parsed,)
    problems: list[ExpressionError] = []
    if known_nodes is not None:
        known = set(known_nodes)
        for expr in expressions:
            for node in a.walk(expr.tree):
                if isinstance(node, a.NodeRef) and node.node_id not in known:
                    problems.append(
                        syntax_error(
                            expr.origin,
                            node.pos,
                            f"unknown node {a.quote(node.node_id)}: no node of the workflow has "
                            "this id",
                            node=node.node_id,
                        )
                    )
    if constants:
        for expr in expressions:
            problems.extend(_constant_failures(expr, functions))
    return problems
