"""Templates: text with {{ expression }} parts, the typed single-expression form, escaping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nebula_kernel.errors import (
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
)
from nebula_kernel.workflows.expressions import (
    Expression,
    ExpressionContext,
    ExpressionLimits,
    parse_template,
    references,
    render,
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello {{ $input.name }}", "Hello Ada"),
        (
            "Hello {{ $input.name }}, you have {{ len($input.items) }} items",
            "Hello Ada, you have 3 items",
        ),
        ("{{$input.name}}{{$input.name}}", "AdaAda"),
        ("no expressions at all", "no expressions at all"),
        ("", ""),
        ("a }} b } c { d", "a }} b } c { d"),  # lone closers and single braces are text
        ("{ {{ 1 }} }", "{ 1 }"),
        ('{{ "{{" }} not an expression }}', "{{ not an expression }}"),  # the escape
        ("{{ '{{' }}{{ '}}' }}", "{{}}"),
        ("x{{ {a: {b: 1}} }}y", 'x{"a":{"b":1}}y'),  # '}}' inside the expression is fine
        ("{{ {a: 1}.a }}!", "1!"),
        ("[{{ $input.none }}]", "[]"),  # null shows as ''
        ("{{ true }} {{ false }}", "true false"),
        ("{{ 1.5 }} {{ 10 }} {{ 2.0 }}", "1.5 10 2.0"),
        ("{{ $input.items }}.", "[3,1,2]."),
        ("{{ $execution.started_at }}!", "2024-05-01T12:30:00+00:00!"),
        ("{{ 'multi\\nline' }}", "multi\nline"),
        ("line 1\nline {{ 1 + 1 }}\n", "line 1\nline 2\n"),
        ("{{\n  $input.name\n}}", "Ada"),
        ("émoji 🎉 {{ upper('ß') }} ✓", "émoji 🎉 SS ✓"),
        ("{{ $nodes['send-email'].result.status }}", 202),
    ],
)
def test_render(ctx: ExpressionContext, source: str, expected: Any) -> None:
    assert render(source, ctx) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ $input.items }}", [3, 1, 2]),
        ("{{ len($input.items) }}", 3),
        ("{{ $input.none }}", None),
        ("{{ $input.flag }}", True),
        ("{{ $input.price }}", 9.5),
        ("{{ $input.nested.a }}", {"b": [10, 20, {"c": "deep"}]}),
        ("{{ $execution.started_at }}", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ],
)
def test_exactly_one_expression_keeps_its_type(
    ctx: ExpressionContext, source: str, expected: Any
) -> None:
    template = parse_template(source)
    assert isinstance(template.single, Expression)
    result = template.render(ctx)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("source", [" {{ $input.items }}", "{{ $input.items }} ", "{{ 1 }}{{ 2 }}"])
def test_anything_around_the_expression_makes_text(ctx: ExpressionContext, source: str) -> None:
    template = parse_template(source)
    assert template.single is None
    assert isinstance(template.render(ctx), str)


def test_parts_and_expressions() -> None:
    template = parse_template("a {{ $input.x }} b {{ 1 }}")
    assert [p if isinstance(p, str) else p.source for p in template.parts] == [
        "a ",
        "$input.x",
        " b ",
        "1",
    ]
    assert [e.source for e in template.expressions] == ["$input.x", "1"]


@pytest.mark.parametrize(
    ("source", "reason", "column"),
    [
        ("Hello {{ $input.name", "unterminated '{{'", 21),
        ("Hello {{ }}", "expected an expression", 10),
        ("{{ 1 + }}", "expected an expression", 8),
        ("{{ 1 } }}", "'}}' to close", 6),
        ("{{ 1 }", "'}}' to close", 6),
        ("{{ 1 2 }}", "'}}' to close", 6),
        ("ok {{ $secrets.token }}", "secrets are never reachable", 7),
        ("ok {{ nope(1) }}", "unknown function 'nope'", 7),
        ("{{ 'a }}", "unterminated string", 4),
        ("{{ $input.a }} and {{ $input. }}", "key name", 31),
    ],
)
def test_template_syntax_errors_point_into_the_template(
    source: str, reason: str, column: int
) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(source)
    assert reason in caught.value.message
    assert caught.value.details["column"] == column


def test_line_and_column_in_multiline_templates() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template("Dear {{ $input.name }},\n\nYour total is {{ $input.total + }}.\n")
    assert (caught.value.details["line"], caught.value.details["column"]) == (3, 33)


def test_evaluation_errors_point_into_the_template(ctx: ExpressionContext) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        render("Hi {{ $input.name }}\nTotal: {{ $input.name + 1 }}", ctx)
    assert caught.value.details["line"] == 2
    assert caught.value.details["column"] == 23  # the '+'
    assert caught.value.message.endswith("Total: {{ $input.name + 1 }}\n                        ^")


def test_unshowable_value_is_a_typed_error() -> None:
    ctx = ExpressionContext(input={"o": object(), "nan": float("nan")})
    with pytest.raises(ExpressionEvaluationError, match="cannot show the value"):
        render("x {{ $input.o }}", ctx)
    with pytest.raises(ExpressionEvaluationError, match="non-finite"):
        render("x {{ $input.nan }}", ctx)


def test_rendered_length_is_limited() -> None:
    limits = ExpressionLimits(max_string_length=10)
    assert render("{{ 'a' * 5 }}{{ 'b' * 5 }}", limits=limits) == "aaaaabbbbb"
    with pytest.raises(ExpressionLimitExceeded) as caught:
        render("{{ 'a' * 6 }}{{ 'b' * 5 }}", limits=limits)
    assert caught.value.details["limit"] == "max_string_length"
    with pytest.raises(ExpressionLimitExceeded):
        render("0123456789 {{ 1 }}", limits=limits)


def test_one_node_budget_for_the_whole_template() -> None:
    limits = ExpressionLimits(max_nodes=10)
    parse_template("{{ 1 + 2 + 3 }} {{ 4 + 5 }}", limits=limits)
    with pytest.raises(ExpressionLimitExceeded) as caught:
        parse_template("{{ 1 + 2 + 3 }} {{ 4 + 5 + 6 }} {{ 7 }}", limits=limits)
    assert caught.value.details["limit"] == "max_nodes"


def test_one_operation_budget_for_the_whole_template() -> None:
    limits = ExpressionLimits(max_operations=3000)
    part = "{{ len(range(2000)) }}"
    assert render(part, limits=limits) == 2000
    with pytest.raises(ExpressionLimitExceeded) as caught:
        render(part + part, limits=limits)
    assert caught.value.details["limit"] == "max_operations"


def test_references_of_a_template() -> None:
    template = parse_template(
        "{{ $nodes.b.result }} {{ $nodes.a.result ?? $nodes['b'].result }} {{ $input.x }}"
    )
    assert references(template) == ("b", "a")


def test_template_is_reusable_and_equal_by_source(ctx: ExpressionContext) -> None:
    template = parse_template("{{ $input.name }}!")
    assert template.render(ctx) == template.render(ctx) == "Ada!"
    assert template == parse_template("{{ $input.name }}!")
    assert hash(template) == hash(parse_template("{{ $input.name }}!"))
    assert template != parse_template("{{ $input.name }}?")
