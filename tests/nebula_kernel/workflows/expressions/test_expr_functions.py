"""Every function of the library: what it returns, and the typed error for wrong input."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from nebula_kernel.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
)
from nebula_kernel.workflows.expressions import (
    FUNCTIONS,
    ExpressionContext,
    ExpressionLimits,
    FunctionSpec,
    evaluate,
    function_library,
    parse_expression,
)

Ev = Callable[[str], Any]
Fails = Callable[[str], ExpressionError]
D = datetime

WORKS: list[tuple[str, Any]] = [
    # strings
    ("lower('ÀBC')", "àbc"),
    ("upper('straße')", "STRASSE"),
    ("trim('  a b  ')", "a b"),
    ("trim('xxaxx', 'x')", "a"),
    ("trim('\\t\\n a ')", "a"),
    ("trimStart('  a  ')", "a  "),
    ("trimStart('--a', '-')", "a"),
    ("trimEnd('  a  ')", "  a"),
    ("trimEnd('a..', '.')", "a"),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("split('  a  b ')", ["a", "b"]),
    ("split('a b', null)", ["a", "b"]),
    ("split('abc', '')", ["a", "b", "c"]),
    ("split('', ',')", [""]),
    ("join(['a', 'b'], '-')", "a-b"),
    ("join(['a', 1, 2.5, true, null, [1], {k: 'v'}], '|')", 'a|1|2.5|true||[1]|{"k":"v"}'),
    ("join([])", ""),
    ("join(['x', 'y'])", "xy"),
    ("replace('a-b-c', '-', '+')", "a+b+c"),
    ("replace('aaa', 'a', '')", ""),
    ("replace('ab', '', '.')", ".a.b."),
    ("replace('abc', 'z', 'y')", "abc"),
    ("startsWith('hello', 'he')", True),
    ("startsWith('hello', 'lo')", False),
    ("endsWith('hello', 'lo')", True),
    ("endsWith('hello', '')", True),
    ("contains('hello', 'ell')", True),
    ("contains([1, 2], 2)", True),
    ("contains([1, 2], true)", False),
    ("contains({a: 1}, 'a')", True),
    ("indexOf('hello', 'l')", 2),
    ("indexOf('hello', 'z')", -1),
    ("indexOf([1, 2, 3], 3)", 2),
    ("indexOf([[1]], [1])", 0),
    ("indexOf([1], 'x')", -1),
    ("len('héllo')", 5),
    ("len([1, 2])", 2),
    ("len({a: 1, b: 2})", 2),
    ("length('')", 0),
    ("substring('hello', 1)", "ello"),
    ("substring('hello', 1, 3)", "el"),
    ("substring('hello', -3)", "llo"),
    ("substring('hello', 1, null)", "ello"),
    ("substring('hello', 10)", ""),
    ("padStart('7', 3, '0')", "007"),
    ("padStart('7', 3)", "  7"),
    ("padStart('abc', 2, '0')", "abc"),
    ("padStart('1', 6, 'ab')", "ababa1"),
    ("padEnd('7', 3, '0')", "700"),
    ("padEnd('x', 4, 'yz')", "xyzy"),
    # math
    ("abs(-3)", 3),
    ("abs(-2.5)", 2.5),
    ("min(3, 1, 2)", 1),
    ("min([3, 1, 2])", 1),
    ("min(['b', 'a'])", "a"),
    ("min(1.5, 2)", 1.5),
    ("max(3, 1, 2)", 3),
    ("max([3])", 3),
    ("max('a', 'b')", "b"),
    ("max([parseDate('2024-01-01'), parseDate('2025-01-01')])", D(2025, 1, 1, tzinfo=UTC)),
    ("round(2.5)", 3),
    ("round(-2.5)", -3),
    ("round(2.4)", 2),
    ("round(2.675, 2)", 2.68),
    ("round(1234, -2)", 1200),
    ("round(1250, -2)", 1300),
    ("round(7)", 7),
    ("round(7, 2)", 7),
    ("round(0.125, 2)", 0.13),
    ("round(1.005, 2)", 1.01),  # the decimal the float prints as, not its binary expansion
    ("round(123.456, -1)", 120),
    ("round(1e300, 2)", 1e300),
    ("round(-0.5)", -1),
    ("floor(2.7)", 2),
    ("floor(-2.1)", -3),
    ("floor(5)", 5),
    ("ceil(2.1)", 3),
    ("ceil(-2.7)", -2),
    ("sum([1, 2, 3])", 6),
    ("sum([0.1, 0.2, 0.3])", 0.6),
    ("sum([])", 0),
    ("avg([1, 2, 3, 4])", 2.5),
    # types
    ("int('42')", 42),
    ("int(' -7 ')", -7),
    ("int(3.9)", 3),
    ("int(-3.9)", -3),
    ("int(true)", 1),
    ("int(5)", 5),
    ("float('2.5')", 2.5),
    ("float('1e3')", 1000.0),
    ("float(2)", 2.0),
    ("float(false)", 0.0),
    ("float(0.5 if false else 1.5)", 1.5),
    ("number('12')", 12),
    ("number('12.5')", 12.5),
    ("number('-.5')", -0.5),
    ("number(3)", 3),
    ("number(true)", 1),
    ("string(12)", "12"),
    ("string(1.5)", "1.5"),
    ("string(null)", ""),
    ("string(true)", "true"),
    ("string([1, 'a'])", '[1,"a"]'),
    ("string({a: null})", '{"a":null}'),
    ("str('x')", "x"),
    ("string(parseDate('2024-01-02T03:04:05Z'))", "2024-01-02T03:04:05+00:00"),
    ("bool(1)", True),
    ("bool('false')", True),
    ("bool('')", False),
    ("bool([])", False),
    ("type(null)", "null"),
    ("type(true)", "boolean"),
    ("type(1)", "integer"),
    ("type(1.0)", "float"),
    ("type('')", "string"),
    ("type([])", "list"),
    ("type({})", "object"),
    ("type(parseDate('2024-01-01'))", "datetime"),
    # JSON
    ("toJson({a: [1, 2.5, 'x', null, true]})", '{"a":[1,2.5,"x",null,true]}'),
    ("toJson('é')", '"é"'),
    ("toJson({b: 1, a: 2})", '{"b":1,"a":2}'),
    ("toJson([1], 2)", "[\n  1\n]"),
    ("toJson(parseDate('2024-01-01'))", '"2024-01-01T00:00:00+00:00"'),
    ("fromJson('{\"a\": [1, 2.5, null]}')", {"a": [1, 2.5, None]}),
    ("fromJson('\"x\"')", "x"),
    ("fromJson(toJson({k: [1, {z: 'y'}]}))", {"k": [1, {"z": "y"}]}),
    # dates
    ("parseDate('2024-05-01')", D(2024, 5, 1, tzinfo=UTC)),
    ("parseDate('2024-05-01T10:00:00Z')", D(2024, 5, 1, 10, tzinfo=UTC)),
    ("parseDate('2024-05-01T10:00:00')", D(2024, 5, 1, 10, tzinfo=UTC)),
    (
        "parseDate('2024-05-01T10:00:00+02:00')",
        D(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2))),
    ),
    ("parseDate(0)", D(1970, 1, 1, tzinfo=UTC)),
    ("parseDate(86400.5)", D(1970, 1, 2, 0, 0, 0, 500000, tzinfo=UTC)),
    ("parseDate($execution.started_at)", D(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ("formatDate('2024-05-01T12:30:00Z')", "2024-05-01T12:30:00+00:00"),
    ("formatDate($execution.started_at, '%Y-%m-%d')", "2024-05-01"),
    (
        "formatDate('2024-05-01T15:04:05.123456-03:30', "
        "'%a %A %b %B %d %y %H %I %p %M %S %f %j %z %%')",
        "Wed Wednesday May May 01 24 15 03 PM 04 05 123456 122 -0330 %",
    ),
    ("formatDate('2024-01-01T00:00:00Z', '%I %p')", "12 AM"),
    ("formatDate('2024-01-01', 'no directives')", "no directives"),
    ("addDays('2024-02-28', 1)", D(2024, 2, 29, tzinfo=UTC)),
    ("addDays('2024-03-01', -1)", D(2024, 2, 29, tzinfo=UTC)),
    ("addDays('2024-01-01', 0.5)", D(2024, 1, 1, 12, tzinfo=UTC)),
    ("addHours($execution.started_at, 2)", D(2024, 5, 1, 14, 30, tzinfo=UTC)),
    ("addMinutes('2024-01-01', 90)", D(2024, 1, 1, 1, 30, tzinfo=UTC)),
    ("addSeconds('2024-01-01', -1)", D(2023, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("dateDiff('2024-01-01', '2024-01-03')", 2),
    ("dateDiff('2024-01-03', '2024-01-01')", -2),
    ("dateDiff('2024-01-01', '2024-01-01T12:00:00Z')", 0.5),
    ("dateDiff('2024-01-01', '2024-01-02', 'hours')", 24),
    ("dateDiff('2024-01-01', '2024-01-15', 'weeks')", 2),
    ("dateDiff('2024-01-01T00:00:00Z', '2024-01-01T00:01:30Z', 'minutes')", 1.5),
    ("dateDiff('2024-01-01', '2024-01-01T00:00:01Z', 'seconds')", 1),
    ("dateDiff('2024-01-01', '2024-01-01T00:00:01Z', 'milliseconds')", 1000),
    ("dateDiff('2024-01-01T02:00:00+02:00', '2024-01-01T00:00:00Z', 'hours')", 0),
    # collections
    ("keys({a: 1, b: 2})", ["a", "b"]),
    ("values({a: 1, b: 2})", [1, 2]),
    ("items({a: 1})", [["a", 1]]),
    ("get($input, 'nested.a.b.2.c')", "deep"),
    ("get($input, 'nested.a.b.-1.c')", "deep"),
    ("get($input, ['nested', 'a', 'b', 0])", 10),
    ("get($input, 'nested.x.y', 'dflt')", "dflt"),
    ("get($input, 'items.9')", None),
    ("get($input, 'items.x', 0)", 0),
    ("get($input, 'name.first', 0)", 0),
    ("get(5, '')", 5),
    ("get({a: null}, 'a', 1)", None),  # present but null is not absent
    ("get([1, 2], '1')", 2),
    ("has({a: null}, 'a')", True),
    ("has({}, 'a')", False),
    ("first([1, 2])", 1),
    ("first([])", None),
    ("first('abc')", "a"),
    ("last([1, 2])", 2),
    ("last('')", None),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("reverse('abc')", "cba"),
    ("sort([3, 1, 2])", [1, 2, 3]),
    ("sort([3, 1.5, 2])", [1.5, 2, 3]),
    ("sort(['b', 'a', 'C'])", ["C", "a", "b"]),
    ("sort([3, 1, 2], null, true)", [3, 2, 1]),
    ("sort([])", []),
    ("sort($input.users, 'age')[0].name", "a"),
    ("sort($input.users, 'name', true)[0].name", "c"),
    ("sort($input.users, ['age'])[2].age", 35),
    (
        "sort([{k: 2, i: 0}, {k: 1, i: 1}, {k: 2, i: 2}], 'k')",
        [
            {"k": 1, "i": 1},
            {"k": 2, "i": 0},
            {"k": 2, "i": 2},
        ],
    ),  # stable
    ("unique([1, 2, 1, 3, 2])", [1, 2, 3]),
    ("unique([1, 1.0, true, 'a', 'a', null, null])", [1, True, "a", None]),
    ("unique([[1], [1], {a: 1}, {a: 1}, {a: 2}])", [[1], {"a": 1}, {"a": 2}]),
    ("range(3)", [0, 1, 2]),
    ("range(2, 5)", [2, 3, 4]),
    ("range(5, 0, -2)", [5, 3, 1]),
    ("range(0)", []),
    ("range(-3)", []),
    ("flatten([[1, 2], 3, [[4]]])", [1, 2, 3, [4]]),
    ("flatten([])", []),
    ("merge({a: 1, b: 1}, {b: 2}, {c: 3})", {"a": 1, "b": 2, "c": 3}),
    ("merge({})", {}),
    ("coalesce(null, null, 0, 1)", 0),
    ("coalesce(null)", None),
]

FAILS: list[tuple[str, str | None]] = [
    ("lower(1)", "lower(): the argument must be a string, not integer"),
    ("upper(null)", "must be a string, not null"),
    ("trim('a', 1)", "the characters to trim must be a string"),
    ("split(1)", "must be a string"),
    ("split('a', 1)", "the separator must be a string"),
    ("join('abc')", "must be a list, not string"),
    ("join([1], 2)", "the separator must be a string"),
    ("join([$input.obj])", None),
    ("replace('a', 1, 'b')", "the text to replace must be a string"),
    ("startsWith(1, 'a')", "must be a string"),
    ("contains(1, 1)", "needs a list, string or object"),
    ("indexOf(1, 1)", "must be a string or a list"),
    ("indexOf('abc', 1)", "the needle must be a string"),
    ("len(1)", "integer has no length"),
    ("len(null)", "null has no length"),
    ("substring('a', 'b')", "start must be an integer"),
    ("substring('a', 1.5)", "start must be an integer"),
    ("padStart('a', 3, '')", "the fill must not be empty"),
    ("padStart('a', '3')", "the width must be an integer"),
    ("abs('1')", "must be a number, not string"),
    ("abs(true)", "must be a number, not boolean"),
    ("min([])", "min() of an empty list"),
    ("min(1, 'a')", "all of one kind"),
    ("max([null])", "all of one kind"),
    ("max(true, false)", "all of one kind"),
    ("round('1')", "must be a number"),
    ("round(1.5, 1.5)", "digits must be an integer"),
    ("round(1.5, 99)", "between -30 and 30"),
    ("floor(null)", "must be a number"),
    ("sum([1, 'a'])", "needs a list of numbers; found string"),
    ("sum('abc')", "must be a list"),
    ("avg([])", "avg() of an empty list"),
    ("int('1.5')", "not an integer"),
    ("int('abc')", "not an integer"),
    ("int('')", "not an integer"),
    ("int(null)", "cannot convert null to an integer"),
    ("int([1])", "cannot convert list"),
    ("float('nan')", "not a number"),
    ("float('inf')", "not a number"),
    ("float('1e999')", "not finite"),
    ("float(null)", "cannot convert null"),
    ("number('abc')", "not a number"),
    ("number('')", "not a number"),
    ("number([])", "cannot convert list"),
    ("toJson(1, 99)", "between 0 and 8"),
    ("toJson(1, 'x')", "the indent must be an integer"),
    ("fromJson('{')", "invalid JSON at line 1, column 2"),
    ("fromJson('NaN')", "NaN is not valid JSON"),
    ("fromJson('[Infinity]')", "Infinity is not valid JSON"),
    ("fromJson('1e999')", "not finite"),
    ("fromJson('\"\\\\ud800\"')", "lone surrogate"),
    ("fromJson('{\"\\\\udfff\": 1}')", "lone surrogate"),
    ("fromJson(1)", "must be a string"),
    ("now()", "no clock value is available"),
    ("parseDate('yesterday')", "not an ISO 8601 date"),
    ("parseDate('2024-13-01')", "not an ISO 8601 date"),
    ("parseDate(null)", "must be a datetime or an ISO 8601 string"),
    ("parseDate('" + "1" * 100 + "')", "too long"),
    ("parseDate(1e20)", "out of range"),
    ("formatDate('2024-01-01', '%c')", "unknown format directive %c"),
    ("formatDate('2024-01-01', 'x%')", "lone '%'"),
    ("formatDate('2024-01-01', 1)", "the format must be a string"),
    ("addDays('2024-01-01', '1')", "the amount must be a number"),
    ("addDays('9999-12-31', 1)", "out of range"),
    ("addDays('2024-01-01', 1e300)", "out of range"),
    ("addDays(5, 1)", "must be a datetime"),
    ("dateDiff('2024-01-01', '2024-01-02', 'fortnights')", "unknown unit"),
    ("dateDiff('2024-01-01', 'x')", "the end is not an ISO 8601 date"),
    ("keys([1])", "must be an object, not list"),
    ("values('a')", "must be an object"),
    ("items(null)", "must be an object"),
    ("get({}, 1)", "the path must be a string"),
    ("get({}, [1.5])", "path segments must be strings or integers"),
    ("has({}, 1)", "the key must be a string"),
    ("has([], 'a')", "must be an object"),
    ("first(1)", "must be a list or a string"),
    ("reverse({})", "must be a list or a string"),
    ("sort([1, 'a'])", "sort keys must be all numbers"),
    ("sort([null])", "sort keys must be all numbers"),
    ("sort([[1]])", "sort keys must be all numbers"),
    ("sort([1], null, 'yes')", "descending must be a boolean"),
    ("sort([{a: 1}], 'height')", "no value at the sort path"),
    ("sort('abc')", "must be a list"),
    ("unique('abc')", "must be a list"),
    ("range('3')", "stop must be an integer"),
    ("range(1.5)", "stop must be an integer"),
    ("range(0, 10, 0)", "step must not be zero"),
    ("flatten({})", "must be a list"),
    ("merge({}, [])", "must be an object, not list"),
    ("addHours('2024-01-01', null)", "the amount must be a number"),
    ("addMinutes('x', 1)", "not an ISO 8601 date"),
    ("addSeconds('2024-01-01', [])", "the amount must be a number"),
    ("ceil('1.5')", "must be a number"),
    ("endsWith('a', 1)", "the suffix must be a string"),
    ("last({})", "must be a list or a string"),
    ("length(5)", "integer has no length"),
    ("padEnd(1, 3)", "must be a string"),
    ("trimEnd(1)", "must be a string"),
    ("trimStart('a', [])", "the characters to trim must be a string"),
]


@pytest.mark.parametrize(("source", "expected"), WORKS)
def test_function_results(ev: Ev, source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("source", "fragment"), FAILS)
def test_function_errors(fails: Fails, source: str, fragment: str | None) -> None:
    ctx = ExpressionContext(input={"obj": object()})
    try:
        evaluate(source, ctx)
    except ExpressionEvaluationError as error:
        name = source.split("(")[0]
        assert error.details["function"] == name
        assert error.message.startswith(f"{name}(): ")
        if fragment is not None:
            assert fragment in error.message, error.message
        assert error.details["column"] == 1
        return
    pytest.fail(f"{source} did not fail")


def _called(sources: list[str]) -> set[str]:
    return {m for s in sources for m in re.findall(r"([A-Za-z_]+)\(", s)}


def test_every_function_is_tested_both_ways() -> None:
    works = _called([s for s, _ in WORKS])
    fails = _called([s for s, _ in FAILS])
    untested = sorted(set(FUNCTIONS) - works - {"now"})  # now(): test_now_uses_the_hosts…
    assert not untested, f"functions without a success case: {untested}"
    no_error_case = sorted(set(FUNCTIONS) - fails - {"coalesce", "bool", "type", "string", "str"})
    assert not no_error_case, f"functions without an error case: {no_error_case}"


def test_registry_is_read_only_and_documented() -> None:
    with pytest.raises(TypeError):
        FUNCTIONS["evil"] = FUNCTIONS["len"]  # type: ignore[index]
    for name, spec in FUNCTIONS.items():
        assert spec.name == name
        assert spec.signature.startswith(name + "(") or name in ("length", "str")
        assert spec.doc and spec.category
        assert spec.min_args >= 0
        assert spec.max_args is None or spec.max_args >= spec.min_args


def test_now_uses_the_hosts_clock_value_only() -> None:
    clock = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    ctx = ExpressionContext(now=clock)
    assert evaluate("now()", ctx) == clock
    assert evaluate("formatDate(addDays(now(), 1), '%Y-%m-%d')", ctx) == "2030-01-03"
    naive = ExpressionContext(now=datetime(2030, 1, 2))
    assert evaluate("now()", naive) == datetime(2030, 1, 2, tzinfo=UTC)


def test_function_limits_apply() -> None:
    small = ExpressionLimits(max_string_length=10, max_collection_size=5)
    for source, limit in [
        ("padStart('a', 11)", "max_string_length"),
        ("join(['aaaaaa', 'bbbbbb'])", "max_string_length"),
        ("replace('aaaa', 'a', 'xxx')", "max_string_length"),
        ("upper('ßßßßßßßß')", "max_string_length"),
        ("toJson([1, 2, 3, 4, 5])", "max_string_length"),
        ("split('a,b,c,d,e,f', ',')", "max_collection_size"),
        ("split('abcdef', '')", "max_collection_size"),
        ("split('a b c d e f')", "max_collection_size"),
        ("range(6)", "max_collection_size"),
        ("flatten([[1, 2, 3], [4, 5, 6]])", "max_collection_size"),
        ("merge({a: 1, b: 2, c: 3}, {d: 4, e: 5, f: 6})", "max_collection_size"),
        ("fromJson('[1, 2, 3, 4, 5, 6]')", "max_collection_size"),
        ("formatDate('2024-01-01', '%A %A %A')", "max_string_length"),
    ]:
        with pytest.raises(ExpressionLimitExceeded) as caught:
            evaluate(source, limits=small)
        assert caught.value.details["limit"] == limit, source
        assert caught.value.details["column"] == 1, source


def test_integer_conversions_respect_the_integer_limit() -> None:
    for source in ("int('9' * 2000)", "number('9' * 2000)", "fromJson('9' * 2000)"):
        with pytest.raises(ExpressionLimitExceeded) as caught:
            evaluate(source)
        assert caught.value.details["limit"] == "max_integer_bits"
    assert evaluate("int('9' * 1000)") == int("9" * 1000)


def test_from_json_depth_is_limited() -> None:
    deep = "[" * 70 + "]" * 70
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate(f"fromJson('{deep}')")
    assert caught.value.details["limit"] == "max_depth"
    very_deep = "[" * 30_000 + "]" * 30_000
    with pytest.raises(ExpressionLimitExceeded):
        evaluate(f"fromJson('{very_deep}')")


def test_a_host_can_offer_its_own_library() -> None:
    def shout(rt: object, text: Any) -> str:
        return f"{text}!"

    spec = FunctionSpec("shout", shout, 1, 1, "shout(text)", "Add a bang.", "custom")
    library = function_library([*FUNCTIONS.values(), spec])
    expr = parse_expression("shout(upper('hi'))", functions=library)
    assert expr.evaluate() == "HI!"
    with pytest.raises(ExpressionSyntaxError, match="unknown function 'shout'"):
        parse_expression("shout('x')")
    with pytest.raises(ValueError, match="defined twice"):
        function_library([spec, spec])
    with pytest.raises(ValueError, match="not an ASCII identifier"):
        function_library([FunctionSpec("in", shout, 1, 1, "in(x)", "", "custom")])
