"""Every operator on every pair of types it accepts, and the typed errors for the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from nebula_kernel.errors import ExpressionError, ExpressionEvaluationError
from nebula_kernel.workflows.expressions import ExpressionContext, evaluate

Ev = Callable[[str], Any]
Fails = Callable[[str], ExpressionError]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # + : numbers, strings, lists
        ("1 + 2", 3),
        ("1 + 2.5", 3.5),
        ("0.1 + 0.2", 0.1 + 0.2),
        ("'ab' + 'cd'", "abcd"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("$input.items + []", [3, 1, 2]),
        # - * / // % **
        ("5 - 7", -2),
        ("2.5 - 1", 1.5),
        ("6 * 7", 42),
        ("1.5 * 2", 3.0),
        ("'ab' * 3", "ababab"),
        ("3 * 'ab'", "ababab"),
        ("'ab' * 0", ""),
        ("'ab' * -2", ""),
        ("[0] * 3", [0, 0, 0]),
        ("2 * [1, 2]", [1, 2, 1, 2]),
        ("'' * 10**100", ""),  # nothing repeated is nothing, however often
        ("[] * 10**100", []),
        ("7 / 2", 3.5),
        ("8 / 2", 4.0),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7.5 // 2", 3.0),
        ("7 % 3", 1),
        ("-7 % 3", 2),  # the sign of the divisor (Python)
        ("7 % -3", -2),
        ("5.5 % 2", 1.5),
        ("2 ** 10", 1024),
        ("2 ** 0.5", 2**0.5),
        ("4 ** -1", 0.25),
        ("(-8) ** 2", 64),
        ("(-8) ** -1", -0.125),
        ("0 ** 0", 1),
        ("1 ** 100000000", 1),
        ("(-1) ** 100000001", -1),
        # unary
        ("-(3)", -3),
        ("-1.5", -1.5),
        ("+2", 2),
        ("!true", False),
        ("!0", True),
        ("not ''", True),
        ("not 'x'", False),
        ("not []", True),
        ("not {}", True),
        ("not [0]", False),
        ("not null", True),
        ("not 0.0", True),
    ],
)
def test_arithmetic(ev: Ev, source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("1 + 'a'", "cannot add integer and string; convert with string(x) first"),
        ("'a' + 1", "cannot add string and integer"),
        ("[1] + 'a'", "cannot add list and string"),
        ("{} + {}", "cannot add object and object"),
        ("null + 1", "cannot add null and integer"),
        ("true + 1", "cannot add boolean and integer"),
        ("1 - 'a'", "cannot subtract"),
        ("'a' - 'a'", "cannot subtract"),
        ("[1] - [1]", "cannot subtract"),
        ("'a' * 'b'", "cannot multiply"),
        ("'a' * 1.5", "cannot multiply"),
        ("'a' * true", "cannot multiply"),
        ("{} * 2", "cannot multiply"),
        ("1 / 0", "division by zero"),
        ("1 / 0.0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("1 % 0", "division by zero"),
        ("'a' / 1", "cannot divide"),
        ("'a' % 1", "cannot take the remainder"),
        ("0 ** -1", "division by zero"),
        ("(-8) ** 0.5", "not a real number"),
        ("'a' ** 2", "cannot raise"),
        ("10.0 ** 400", "too large for a float"),
        ("1e308 * 10", "not a finite number"),
        ("1e308 + 1e308", "not a finite number"),
        ("-'a'", "cannot negate string"),
        ("-true", "cannot negate boolean"),
        ("-null", "cannot negate null"),
        ("+'1'", "unary + needs a number"),
        ("2 ** 10000 / 3", None),
    ],
)
def test_arithmetic_type_errors(fails: Fails, source: str, fragment: str | None) -> None:
    error = fails(source)
    if fragment is None:  # a limit, not a type error
        assert error.details["limit"] == "max_integer_bits"
        return
    assert isinstance(error, ExpressionEvaluationError)
    assert fragment in error.message
    assert error.details["line"] == 1
    assert "offset" in error.details


def test_huge_integer_division_overflows_cleanly() -> None:
    big = 2**4000
    ctx = ExpressionContext(input={"big": big})
    with pytest.raises(ExpressionEvaluationError, match="too large for a float"):
        evaluate("$input.big / 3", ctx)
    assert evaluate("$input.big // 2**3990", ctx) == 1024


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1", True),
        ("1 == 1.0", True),
        ("1 != 2", True),
        ("'a' == 'a'", True),
        ("'a' == 'A'", False),
        ("null == null", True),
        ("null == 0", False),
        ("null == false", False),
        ("true == 1", False),  # booleans are not numbers
        ("false == 0", False),
        ("true == true", True),
        ("[1, [2]] == [1, [2]]", True),
        ("[1, 2] == [2, 1]", False),
        ("[true] == [1]", False),
        ("{a: 1, b: 2} == {b: 2, a: 1}", True),
        ("{a: 1} == {a: 1, b: 2}", False),
        ("{a: 1} == {b: 1}", False),
        ("{a: [1]} == {a: [1.0]}", True),
        ("'1' == 1", False),
        ("[] == {}", False),
        ("$input.items == [3, 1, 2]", True),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2.5", True),
        ("2 >= 3", False),
        ("'abc' < 'abd'", True),
        ("'B' < 'a'", True),  # code point order
        ("'' < 'a'", True),
        ("$execution.started_at > parseDate('2024-01-01')", True),
        ("parseDate('2024-05-01T14:30:00+02:00') == $execution.started_at", True),
        ("1 in [1, 2]", True),
        ("1.0 in [1, 2]", True),
        ("true in [1]", False),
        ("[1] in [[1], [2]]", True),
        ("{a: 1} in [{a: 1}]", True),
        ("3 not in [1, 2]", True),
        ("'ell' in 'hello'", True),
        ("'' in 'x'", True),
        ("'z' not in 'hello'", True),
        ("'name' in $input", True),
        ("'nope' in $input", False),
        ("'a' in {a: null}", True),
    ],
)
def test_comparisons_and_membership(ev: Ev, source: str, expected: bool) -> None:
    assert ev(source) is expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("1 < 'a'", "cannot compare integer and string with <"),
        ("'a' <= 1", "cannot compare string and integer with <="),
        ("null > 1", "cannot compare null and integer"),
        ("true > false", "cannot compare boolean and boolean"),
        ("[1] < [2]", "cannot compare list and list"),
        ("{} >= {}", "cannot compare object and object"),
        ("parseDate('2024-01-01') < '2024-01-02'", "cannot compare datetime and string"),
        ("1 in 'abc'", "needs a string on the left"),
        ("1 in {a: 1}", "object keys are strings"),
        ("1 in 5", "needs a list, string or object on the right"),
        ("1 in null", "not null"),
    ],
)
def test_comparison_type_errors(fails: Fails, source: str, fragment: str) -> None:
    assert fragment in fails(source).message


def test_naive_and_aware_datetimes_compare_as_utc() -> None:
    naive = datetime(2024, 1, 1, 12)
    aware = datetime(2024, 1, 1, 13, tzinfo=timezone(timedelta(hours=1)))
    ctx = ExpressionContext(input={"naive": naive, "aware": aware})
    assert evaluate("$input.naive == $input.aware", ctx) is True
    assert evaluate("$input.naive < addHours($input.aware, 1)", ctx) is True
    assert evaluate("$input.naive in [$input.aware]", ctx) is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true and 'x'", "x"),
        ("0 and 1/0", 0),  # short-circuit: the right side is never evaluated
        ("'' or 'default'", "default"),
        ("'set' or 1/0", "set"),
        ("null || 5", 5),
        ("1 && 2", 2),
        ("null ?? 'd'", "d"),
        ("0 ?? 'd'", 0),
        ("false ?? 'd'", False),
        ("'' ?? 'd'", ""),
        ("'x' ?? 1/0", "x"),
        ("$input.missing ?? $input.none ?? 3", 3),
        ("'yes' if $input.flag else 1/0", "yes"),
        ("1/0 if false else 'no'", "no"),
        ("'t' if [0] else 'f'", "t"),
        ("'t' if {} else 'f'", "f"),
        ("'t' if $execution.started_at else 'f'", "t"),
    ],
)
def test_logic_short_circuits(ev: Ev, source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_unsupported_values_have_no_truth(fails: Fails) -> None:
    class Opaque:
        def __bool__(self) -> bool:
            raise AssertionError("never called")

    ctx = ExpressionContext(input={"o": Opaque()})
    for source in ("not $input.o", "$input.o and 1", "$input.o or 1", "1 if $input.o else 2"):
        with pytest.raises(ExpressionEvaluationError, match="no truth value"):
            evaluate(source, ctx)


def test_results_are_fresh_values_and_inputs_are_not_mutated() -> None:
    data = {"items": [3, 1, 2], "obj": {"a": 1}}
    ctx = ExpressionContext(input=data)
    for source in (
        "$input.items + [4]",
        "$input.items * 2",
        "$input.items[0:2]",
        "sort($input.items)",
        "reverse($input.items)",
        "unique($input.items)",
        "merge($input.obj, {b: 2})",
        "flatten([$input.items])",
    ):
        result = evaluate(source, ctx)
        assert result is not data["items"]
    assert data == {"items": [3, 1, 2], "obj": {"a": 1}}


def test_list_literals_are_fresh_on_every_evaluation() -> None:
    from nebula_kernel.workflows.expressions import parse_expression

    expr = parse_expression("[1, {a: []}]")
    first = expr.evaluate()
    first[1]["a"].append("mutated")
    assert expr.evaluate() == [1, {"a": []}]


def test_tuples_read_as_lists() -> None:
    ctx = ExpressionContext(input={"t": (1, 2, 3)})
    assert evaluate("$input.t[0] + len($input.t)", ctx) == 4
    assert evaluate("$input.t == [1, 2, 3]", ctx) is True
    assert evaluate("$input.t + [4]", ctx) == [1, 2, 3, 4]
    assert evaluate("type($input.t)", ctx) == "list"
    assert evaluate("toJson($input.t)", ctx) == "[1,2,3]"


def test_utc_datetime_in_context_round_trips() -> None:
    ctx = ExpressionContext(input={"at": datetime(2024, 1, 1, tzinfo=UTC)})
    assert evaluate("$input.at", ctx) == datetime(2024, 1, 1, tzinfo=UTC)
