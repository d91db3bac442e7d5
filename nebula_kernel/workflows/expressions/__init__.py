"""The safe expression language of workflow parameters and conditions.

Own tokenizer and Pratt parser, closures for evaluation, never ``eval``. Parse once, evaluate
many times::

    >>> from nebula_kernel.workflows.expressions import ExpressionContext, parse_expression, render
    >>> ctx = ExpressionContext(input={"name": "Ada", "items": [1, 2, 3]},
    ...                         nodes={"validate": {"result": {"email": "ADA@EXAMPLE.ORG"}}})
    >>> parse_expression("lower($nodes.validate.result.email)").evaluate(ctx)
    'ada@example.org'
    >>> render("Hello {{ $input.name }}, you have {{ len($input.items) }} items", ctx)
    'Hello Ada, you have 3 items'
    >>> render("{{ $input.items }}", ctx)   # exactly one {{ }}: the value keeps its type
    [1, 2, 3]

**Roots.** ``$input``, ``$nodes.<id>`` (or ``$nodes["<id>"]``; the id must be a literal, so
:func:`references` lists every node an expression reads), ``$execution``, ``$env``. Any other
``$name`` is a syntax error. There is no other way in: no variables, no attribute access on
Python objects (``.name`` is a key lookup on an object and an error on anything else), no
methods, no imports; functions are a fixed registry of pure functions (:data:`FUNCTIONS`).
Secrets have no root and cannot be reached.

**Literals.** ``12``, ``1.5``, ``2e-3``; ``'…'`` or ``"…"`` with escapes ``\\n \\t \\r \\b \\f
\\v \\0 \\\\ \\' \\" \\/ \\xHH \\uXXXX \\u{H…}``; ``true false null``; ``[1, 2]``;
``{name: 1, "any key": 2}`` (trailing commas allowed).

**Operators**, loosest first::

    a if cond else b          the conditional (Python's form; there is no `c ? a : b`)
    a ?? b                    b when a is null
    a or b, a || b            short-circuit; the value of the deciding operand (like Python)
    a and b, a && b
    not a                     `not a == b` is `not (a == b)`
    == != < <= > >= in, not in   no chains: `a < b < c` is an error
    + -                       numbers; + also joins two strings or two lists
    * / // %                  / is true division, // floors, % has the sign of the divisor;
                              string * int and list * int repeat
    -a +a !a                  `!` binds like unary minus
    **                        right-associative
    x.key x?.key x[i] x[a:b] x?.[i] f(…)

Booleans are not numbers (``true + 1`` is an error, ``true == 1`` is false); ``1 == 1.0``.
Ordering compares numbers with numbers, strings with strings, datetimes with datetimes.
Falsy values: ``null false 0 0.0 "" [] {}``. An absent key reads as ``null``, and so does an
index out of range; ``.key`` on ``null`` is an error unless the chain uses ``?.``, which makes
the whole chain ``null``. Negative indexes count from the end; slices follow Python.

**Templates.** ``"Hello {{ $input.name }}"``: text with ``{{ expression }}`` parts, each shown
as text (null as ``""``, booleans ``true``/``false``, lists and objects as compact JSON,
datetimes in ISO 8601). A template that is exactly one ``{{ expression }}`` (no text around
it, not even spaces) keeps the value's type. A literal ``{{`` is written ``{{ "{{" }}``; a
lone ``}}`` in the text is literal.

**Limits.** :class:`ExpressionLimits` bounds source length, nesting depth, syntax nodes,
operations, produced string, list and object sizes, integer width and wall time; a breach is
:class:`~nebula_kernel.errors.ExpressionLimitExceeded` naming the limit. Syntax errors are
:class:`~nebula_kernel.errors.ExpressionSyntaxError` with offset, line, column and a caret
snippet; failures at run time are :class:`~nebula_kernel.errors.ExpressionEvaluationError`.
"""

from __future__ import annotations

from ._api import (
    ContextLike,
    Expression,
    Template,
    check,
    evaluate,
    parse_expression,
    parse_template,
    references,
    render,
)
from ._ast import to_source
from ._context import ExpressionContext
from ._functions import FUNCTIONS, function_library
from ._limits import DEFAULT_LIMITS, ExpressionLimits
from ._registry import FunctionFailed, FunctionSpec

__all__ = [
    "DEFAULT_LIMITS",
    "FUNCTIONS",
    "ContextLike",
    "Expression",
    "ExpressionContext",
    "ExpressionLimits",
    "FunctionFailed",
    "FunctionSpec",
    "Template",
    "check",
    "evaluate",
    "function_library",
    "parse_expression",
    "parse_template",
    "references",
    "render",
    "to_source",
]
