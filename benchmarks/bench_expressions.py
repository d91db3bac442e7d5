"""The expression language: evaluating a parsed expression against plain Python doing the same.

    python -m benchmarks.run expressions

Each "python:" row is the floor: a hand-written function doing the same lookups and arithmetic.
The evaluator pays for its safety (type checks, an operation budget, a deadline), so the ratio
says what that costs; the target is a few microseconds for a node-result lookup plus one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from benchmarks._runner import Row, Suite
from nebula_kernel.workflows.expressions import (
    ExpressionContext,
    evaluate,
    parse_expression,
    parse_template,
)

__all__ = ["run"]

_TARGET_US = 5.0


def _context() -> ExpressionContext:
    return ExpressionContext(
        input={"name": "Ada", "items": list(range(20)), "plan": "pro"},
        nodes={
            "a": {"result": {"x": 41}, "success": True},
            "validate": {"result": {"email": "ADA@EXAMPLE.ORG", "ok": True}, "success": True},
        },
        execution={"id": "ex-1", "started_at": datetime(2024, 1, 1, tzinfo=UTC), "attempt": 1},
        env={"REGION": "eu"},
    )


def run(ctx: Suite) -> None:
    n = 2_000 if ctx.quick else 20_000
    repeat = 5 if ctx.quick else 15
    context = _context()
    nodes = context.nodes
    inp = context.input

    def plain_lookup() -> None:
        for _ in range(n):
            nodes["a"]["result"]["x"] + 1

    lookup = parse_expression("$nodes.a.result.x + 1")

    def expr_lookup() -> None:
        for _ in range(n):
            lookup.evaluate(context)

    def string_lookup() -> None:
        for _ in range(n):
            evaluate("$nodes.a.result.x + 1", context)

    ctx.measure("python: node lookup + 1", plain_lookup, ops=n, repeat=repeat)
    ctx.measure(
        "expr: $nodes.a.result.x + 1",
        expr_lookup,
        ops=n,
        repeat=repeat,
        baseline="python: node lookup + 1",
        target=f"< {_TARGET_US:g} µs",
        check=_under(_TARGET_US),
    )
    ctx.measure(
        "evaluate(str): cached parse",
        string_lookup,
        ops=n,
        repeat=repeat,
        baseline="python: node lookup + 1",
    )

    def plain_condition() -> None:
        for _ in range(n):
            v = nodes["validate"]["result"]
            v["ok"] and v["email"].lower().endswith("@example.org") and len(inp["items"]) > 3

    condition = parse_expression(
        "$nodes.validate.result.ok and endsWith(lower($nodes.validate.result.email), "
        "'@example.org') and len($input.items) > 3"
    )

    def expr_condition() -> None:
        for _ in range(n):
            condition.evaluate(context)

    ctx.measure("python: condition", plain_condition, ops=n, repeat=repeat)
    ctx.measure(
        "expr: condition (3 calls, and)",
        expr_condition,
        ops=n,
        repeat=repeat,
        baseline="python: condition",
    )

    def plain_template() -> None:
        for _ in range(n):
            f"Hello {inp['name']}, you have {len(inp['items'])} items"

    template = parse_template("Hello {{ $input.name }}, you have {{ len($input.items) }} items")

    def expr_template() -> None:
        for _ in range(n):
            template.render(context)

    ctx.measure("python: f-string", plain_template, ops=n, repeat=repeat)
    ctx.measure(
        "template: 2 parts",
        expr_template,
        ops=n,
        repeat=repeat,
        baseline="python: f-string",
    )

    parses = n // 10

    def parse() -> None:
        for _ in range(parses):
            parse_expression("$nodes.a.result.x + 1")

    ctx.measure("parse: $nodes.a.result.x + 1", parse, ops=parses, repeat=repeat, note="no cache")


def _under(micros: float) -> Callable[[Row], bool]:
    def check(row: Row) -> bool:
        return row.per_op_s * 1e6 < micros

    return check
