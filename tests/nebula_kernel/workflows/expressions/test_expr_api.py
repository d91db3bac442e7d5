"""The public surface: exported names, immutable reusable parses, references, static checks."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

import nebula_kernel.workflows as workflows
import nebula_kernel.workflows.expressions as expressions
from nebula_kernel.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
    InvalidRequest,
)
from nebula_kernel.workflows.expressions import (
    ExpressionContext,
    ExpressionLimits,
    check,
    evaluate,
    parse_expression,
    parse_template,
    references,
    render,
)

EXPECTED = {
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
}


def test_exported_names_are_pinned() -> None:
    assert set(expressions.__all__) == EXPECTED
    for name in expressions.__all__:
        assert hasattr(expressions, name), name


def test_workflows_package_exists() -> None:
    assert workflows.__doc__ == "Durable workflows."


def test_errors_belong_to_the_one_tree() -> None:
    for cls in (ExpressionSyntaxError, ExpressionLimitExceeded, ExpressionEvaluationError):
        assert issubclass(cls, ExpressionError)
        assert issubclass(cls, InvalidRequest)


def test_the_docstring_examples_hold() -> None:
    ctx = ExpressionContext(
        input={"name": "Ada", "items": [1, 2, 3]},
        nodes={"validate": {"result": {"email": "ADA@EXAMPLE.ORG"}}},
    )
    assert parse_expression("lower($nodes.validate.result.email)").evaluate(ctx) == (
        "ada@example.org"
    )
    assert render("Hello {{ $input.name }}, you have {{ len($input.items) }} items", ctx) == (
        "Hello Ada, you have 3 items"
    )
    assert render("{{ $input.items }}", ctx) == [1, 2, 3]


def test_parsed_expressions_are_immutable() -> None:
    expr = parse_expression("$input.a + 1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.source = "2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.tree.op = "-"  # type: ignore[attr-defined]
    template = parse_template("x {{ 1 }}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.parts = ()  # type: ignore[misc]
    assert isinstance(template.parts, tuple)


def test_parse_once_evaluate_many_times() -> None:
    expr = parse_expression("$input.n * 2")
    assert [expr.evaluate({"input": {"n": n}}) for n in range(5)] == [0, 2, 4, 6, 8]


def test_a_parse_is_shared_safely_between_threads() -> None:
    expr = parse_expression("sum(range($input.n)) + len(toJson(range($input.n)))")
    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(50):
                results[n] = expr.evaluate(ExpressionContext(input={"n": n}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for n in range(1, 9):
        assert results[n] == sum(range(n)) + len(str(list(range(n))).replace(" ", ""))


def test_equality_and_hash_follow_the_source() -> None:
    one = parse_expression("1 + 2")
    assert one == parse_expression("1 + 2")
    assert hash(one) == hash(parse_expression("1 + 2"))
    assert one != parse_expression("1+2")  # a different source text
    assert one.tree == parse_expression("1+2").tree  # but the same tree
    assert one != "1 + 2"
    assert "source='1 + 2'" in repr(one)


def test_evaluate_and_render_accept_strings_and_mappings() -> None:
    assert evaluate("$input.x", {"input": {"x": 1}}) == 1
    assert evaluate("1 + 1") == 2
    assert render("{{ $env.A }}!", {"env": {"A": "a"}}) == "a!"
    with pytest.raises(TypeError):
        evaluate("1", {"bogus": 1})


def test_references_list_node_ids_in_order_of_first_use() -> None:
    expr = parse_expression(
        "$nodes.b.result + $nodes['a-1'].result.x + len($nodes.b?.result ?? []) + $input.x"
    )
    assert references(expr) == ("b", "a-1")
    assert expr.references == ("b", "a-1")
    assert references(parse_expression("$input.nodes.x")) == ()
    assert expr.functions == ("len",)


@pytest.mark.parametrize(
    ("source", "template", "known", "expected"),
    [
        ("$nodes.a.result", False, {"a"}, []),
        ("$nodes.a.result + $nodes.b.result", False, {"a"}, ['unknown node "b"']),
        ("{{ $nodes.zz.result }}", True, {"a"}, ['unknown node "zz"']),
        ("1 +", False, None, ["expected an expression"]),
        ("nope(1)", False, None, ["unknown function 'nope'"]),
        ("len(1, 2)", False, None, ["len() takes 1 argument, got 2"]),
        ("{{ lower() }}", True, None, ["lower() takes 1 argument, got 0"]),
        ("1 + 'a'", False, None, ["cannot add integer and string"]),
        ("$input.x + len(5)", False, None, ["len(): integer has no length"]),
        ("$input.x if $input.y else int('x')", False, None, ["not an integer"]),
        ("'a' * 10**9", False, None, ["max_string_length"]),
        ("[1, 2][0] + $input.x", False, None, []),
        ("now()", False, None, []),  # depends on the host's clock: not constant
        ("$input.a + 1", False, None, []),
        ("Hi {{ $input.name }}", True, set(), []),
        ("{{ 1 + true }} and {{ 2 + null }}", True, None, ["boolean", "null"]),
    ],
)
def test_static_check(
    source: str, template: bool, known: set[str] | None, expected: list[str]
) -> None:
    problems = check(source, template=template, known_nodes=known)
    assert len(problems) == len(expected), [p.message for p in problems]
    for problem, fragment in zip(problems, expected, strict=True):
        assert isinstance(problem, ExpressionError)
        assert fragment in problem.message


def test_check_can_skip_constant_evaluation() -> None:
    assert check("1 + 'a'", constants=False) == []
    assert len(check("1 + 'a'")) == 1


def test_check_reports_positions_of_unknown_nodes() -> None:
    (problem,) = check("1 +\n $nodes.ghost.result", known_nodes=[])
    assert isinstance(problem, ExpressionSyntaxError)
    assert problem.details["node"] == "ghost"
    assert (problem.details["line"], problem.details["column"]) == (2, 2)


def test_context_is_frozen_and_validated() -> None:
    ctx = ExpressionContext(env={"A": "1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.env = {}  # type: ignore[misc]
    with pytest.raises(TypeError, match="env"):
        ExpressionContext(env={"A": {"nested": "no"}})
    with pytest.raises(TypeError, match="keys must be strings"):
        ExpressionContext(nodes={1: {}})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="mapping"):
        ExpressionContext(execution=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="now"):
        ExpressionContext(now="2024-01-01")  # type: ignore[arg-type]
    assert "SECRET" not in repr(ExpressionContext(input={"password": "SECRET"}))


def test_context_copies_its_mappings() -> None:
    nodes: dict[str, Any] = {"a": {"result": 1}}
    ctx = ExpressionContext(nodes=nodes)
    nodes["b"] = {"result": 2}
    assert evaluate("$nodes.b", ctx) is None


def test_evaluation_errors_are_safe_to_send() -> None:
    ctx = ExpressionContext(input={"password": "hunter2"})
    with pytest.raises(ExpressionEvaluationError) as caught:
        evaluate("$input.password + 1", ctx)
    payload = caught.value.to_dict()
    assert payload["code"] == "expression_evaluation_error"
    assert "hunter2" not in str(payload)  # messages name types, never values
    assert payload["details"]["column"] == 17


def test_limit_errors_are_safe_to_send() -> None:
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate("range(10**9)")
    payload = caught.value.to_dict()
    assert payload["code"] == "expression_limit_exceeded"
    assert payload["details"]["limit"] == "max_collection_size"
    assert payload["details"]["value"] == 100_000


def test_datetimes_stay_datetimes() -> None:
    ctx = ExpressionContext(execution={"started_at": datetime(2024, 1, 1, tzinfo=UTC)})
    assert evaluate("addDays($execution.started_at, 1)", ctx) == datetime(2024, 1, 2, tzinfo=UTC)


def test_unexpected_internal_errors_still_leave_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    from nebula_kernel.workflows.expressions import FUNCTIONS, FunctionSpec, function_library

    def broken(rt: object, value: Any) -> Any:
        raise KeyError("bug")

    library = function_library(
        [*FUNCTIONS.values(), FunctionSpec("broken", broken, 1, 1, "broken(x)", "Fails.", "test")]
    )
    expr = parse_expression("broken(1)", functions=library)
    with pytest.raises(ExpressionEvaluationError, match="unexpectedly"):
        expr.evaluate()


def test_limits_used_by_default_are_the_parse_limits() -> None:
    limits = ExpressionLimits(max_collection_size=3)
    expr = parse_expression("range(5)", limits=limits)
    with pytest.raises(ExpressionLimitExceeded):
        expr.evaluate()
    assert expr.evaluate(limits=ExpressionLimits()) == [0, 1, 2, 3, 4]
