"""Hostile input: every attack fails fast with the right typed error, never anything else."""

from __future__ import annotations

import sys
import time
from types import FrameType
from typing import Any

import pytest

from nebula_kernel.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
)
from nebula_kernel.workflows.expressions import (
    DEFAULT_LIMITS,
    ExpressionContext,
    ExpressionLimits,
    _values,
    evaluate,
    parse_expression,
    parse_template,
    render,
)

SYN = ExpressionSyntaxError
EVAL = ExpressionEvaluationError
LIMIT = ExpressionLimitExceeded
_BIG = "('x' * 100000)"

# (id, source, expected error class, the limit's name for limit errors, or a message fragment)
HOSTILE: list[tuple[str, str, type[ExpressionError], str]] = [
    # nesting: the typed error, far before Python's recursion limit
    ("parens-30k", "(" * 30_000 + "1" + ")" * 30_000, LIMIT, "max_depth"),
    ("parens-65", "(" * 65 + "1" + ")" * 65, LIMIT, "max_depth"),
    ("lists-5k", "[" * 5_000 + "]" * 5_000, LIMIT, "max_depth"),
    ("objects-5k", "{a:" * 5_000 + "1" + "}" * 5_000, LIMIT, "max_depth"),
    ("calls-5k", "abs(" * 5_000 + "1" + ")" * 5_000, LIMIT, "max_depth"),
    ("unary-minus-20k", "-" * 20_000 + "1", LIMIT, "max_depth"),
    ("bang-20k", "!" * 20_000 + "true", LIMIT, "max_depth"),
    ("not-5k", "not " * 5_000 + "true", LIMIT, "max_depth"),
    ("power-tower", "2**" * 5_000 + "2", LIMIT, "max_depth"),
    ("left-chain-10k", "1" + "+1" * 10_000, LIMIT, "max_depth"),
    ("member-chain", "$input" + ".a" * 10_000, LIMIT, "max_depth"),
    ("index-chain", "$input" + "[0]" * 10_000, LIMIT, "max_depth"),
    ("optional-chain", "(" * 3_000 + "$input" + "?.a)" * 3_000, LIMIT, "max_depth"),
    ("ternary-chain", "1 if true else " * 2_000 + "2", LIMIT, "max_depth"),
    ("coalesce-chain", "null ?? " * 5_000 + "1", LIMIT, "max_depth"),
    ("unclosed-parens", "(" * 60_000, LIMIT, "max_depth"),
    ("closers-only", ")" * 60_000, SYN, "expected an expression"),
    # size
    ("source-too-long", "1" + " " * 70_000, LIMIT, "max_source_length"),
    ("many-nodes", "[" + "1," * 6_000 + "]", LIMIT, "max_nodes"),
    ("string-times-billion", "'a' * 10**9", LIMIT, "max_string_length"),
    ("string-times-big", "'ab' * 2**60", LIMIT, "max_string_length"),
    ("list-times-billion", "[0] * 10**9", LIMIT, "max_collection_size"),
    ("range-trillion", "range(10**12)", LIMIT, "max_collection_size"),
    ("range-googol", "range(10**100)", LIMIT, "max_collection_size"),
    ("range-negative-step", "range(0, -10**12, -1)", LIMIT, "max_collection_size"),
    ("pad-billion", "padStart('', 10**9)", LIMIT, "max_string_length"),
    (
        "join-blowup",
        "join(range(100000), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')",
        LIMIT,
        "max_string_length",
    ),
    ("replace-blowup", f"replace({_BIG}, 'x', 'yyyyyyyyyyyyyyyyyyyy')", LIMIT, "max_string_length"),
    ("split-chars", f"split({_BIG} * 2, '')", LIMIT, "max_collection_size"),
    ("doubling-concat", "(" * 25 + "'x'" + " * 2)" * 25, LIMIT, "max_string_length"),
    ("concat-many-big", "+".join([f"({_BIG} * 6)"] * 2), LIMIT, "max_string_length"),
    ("list-concat-big", "range(60000) + range(60000)", LIMIT, "max_collection_size"),
    ("unique-big", "unique(range(60000) + range(60000))", LIMIT, "max_collection_size"),
    ("flatten-big", "flatten([range(60000), range(60000)])", LIMIT, "max_collection_size"),
    ("json-big", "fromJson('[' + join(range(100000), ',') + ',1]')", LIMIT, "max_collection_size"),
    ("ops-budget", "+".join(["len(sort(range(100000)))"] * 12), LIMIT, "max_operations"),
    # integers
    ("power-huge", "10**10**10", LIMIT, "max_integer_bits"),
    ("power-big", "2**100000", LIMIT, "max_integer_bits"),
    ("power-nine", "9**9**9", LIMIT, "max_integer_bits"),
    ("power-negative-base", "(-3)**100000", LIMIT, "max_integer_bits"),
    ("multiply-big", "(2**4000) * (2**4000)", LIMIT, "max_integer_bits"),
    ("long-number-5000", "9" * 5_000, LIMIT, "max_integer_bits"),
    ("long-number-60000", "9" * 60_000, LIMIT, "max_integer_bits"),
    ("long-exponent", "1e" + "9" * 1_000, SYN, "out of range"),
    ("int-of-long-text", "int('9' * 100000)", LIMIT, "max_integer_bits"),
    ("float-of-huge-int", "float(2**4000)", EVAL, "too large for a float"),
    ("float-overflow", "1e308 * 1e308", EVAL, "not a finite number"),
    ("sum-overflow", "sum([1e308, 1e308])", EVAL, "too large for a float"),
    # bytes and unicode tricks
    ("nul-alone", "\x00", SYN, "U+0000"),
    ("nul-in-name", "$input\x00.a", SYN, "U+0000"),
    ("nul-in-string", "'a\x00b'", SYN, "control character"),
    ("nul-in-template-expr", "{{ 1 \x00 }}", SYN, "U+0000"),
    ("bom", "\ufeff1", SYN, "U+FEFF"),
    ("cyrillic-root", "$\u0456nput.a", SYN, "root name"),  # a Cyrillic i
    ("cyrillic-function", "l\u043ewer('A')", SYN, "U+043E"),  # a Cyrillic o
    ("fullwidth-digit", "\uff11", SYN, "U+FF11"),
    ("arabic-digit", "٣", SYN, "U+0663"),
    ("superscript-two", "2²", SYN, "U+00B2"),
    ("rtl-override", "1 \u202e+ 2", SYN, "U+202E"),
    ("zero-width-joiner", "$input\u200d.a", SYN, "U+200D"),
    ("combining-mark", "tru\u0301e", SYN, "U+0301"),
    ("lone-surrogate", "'\ud83d'", SYN, "lone surrogate"),
    ("nbsp", "1\u00a0+ 1", SYN, "U+00A0"),
    ("line-separator", "1 +\u20281", SYN, "U+2028"),
    ("ideographic-space", "1\u3000", SYN, "U+3000"),
    ("math-bold-a", "\U0001d41abs(1)", SYN, "U+1D41A"),
    # reaching for what is not there
    ("secrets-root", "$secrets.API_KEY", SYN, "secrets are never reachable"),
    ("secret-root", "$secret", SYN, "secrets are never reachable"),
    ("dunder-root", "$__class__", SYN, "unknown root"),
    ("builtins-root", "$__builtins__.eval", SYN, "unknown root"),
    ("globals-root", "$globals", SYN, "unknown root"),
    ("context-root", "$context.nodes", SYN, "unknown root"),
    ("import", "__import__('os').system('id')", SYN, "unknown function"),
    ("eval", "eval('1')", SYN, "unknown function"),
    ("exec", "exec('1')", SYN, "unknown function"),
    ("getattr", "getattr($input, 'x')", SYN, "unknown function"),
    ("open", "open('/etc/passwd')", SYN, "unknown function"),
    ("bare-name", "os", SYN, "unknown name"),
    ("lambda", "lambda: 1", SYN, "unknown name"),
    ("method-call", "$input.name.upper()", SYN, "methods are not supported"),
    ("dunder-method", "$input.__class__.__init__()", SYN, "methods are not supported"),
    ("call-result", "len('a')('b')", SYN, "only library functions"),
    ("dynamic-node", "$nodes[$input.name]", SYN, "literal"),
    ("attribute-of-string", "'abc'.__class__", EVAL, "keys exist only on objects"),
    ("attribute-of-type", "type(1).__name__", EVAL, "keys exist only on objects"),
    ("attribute-of-number", "(1).real", EVAL, "keys exist only on objects"),
    ("attribute-of-list", "[].__len__", EVAL, "keys exist only on objects"),
    ("dunder-of-null", "$input.__class__.__mro__", EVAL, "of null"),
    ("datetime-attribute", "$execution.started_at.year", EVAL, "keys exist only on objects"),
    ("datetime-tzinfo", "parseDate('2024-01-01').tzinfo", EVAL, "keys exist only on objects"),
]


@pytest.mark.parametrize(
    ("source", "error", "what"),
    [pytest.param(s, e, w, id=i) for i, s, e, w in HOSTILE],
)
def test_hostile_input_fails_fast_with_a_typed_error(
    ctx: ExpressionContext, source: str, error: type[ExpressionError], what: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        render(source, ctx) if source.startswith("{{") else evaluate(source, ctx)
    elapsed = time.perf_counter() - started
    assert type(caught.value) is error, caught.value.message
    if error is LIMIT:
        assert caught.value.details["limit"] == what, caught.value.message
        assert caught.value.details["value"] == getattr(DEFAULT_LIMITS, what)
        assert what in caught.value.message
    else:
        assert what in caught.value.message, caught.value.message
    assert elapsed < 1.0, f"took {elapsed:.2f}s"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$input.__class__", None),  # key lookup, never attribute access
        ("$input['__class__']", None),
        ("$input.__dict__", None),
        ("{__class__: 1}.__class__", 1),
        ("$env.SECRET_KEY", None),
        ("$env.__class__", None),
        ("get($env, 'AWS_SECRET_ACCESS_KEY')", None),
        ("$execution.secrets", None),
        ("$nodes.secrets", None),
        ("keys($env)", ["REGION", "DEBUG", "MAX"]),
        ("1." + "0" * 20_000 + "1", 1.0),  # a very long float literal is just a float
        ("'\\u0000'", "\x00"),  # an escaped NUL is data
        ("len('" + "\u202e" * 10 + "')", 10),
    ],
)
def test_harmless_lookalikes(ctx: ExpressionContext, source: str, expected: Any) -> None:
    assert evaluate(source, ctx) == expected


def test_parser_recursion_stays_far_from_pythons_limit() -> None:
    # The deepest accepted nesting at the highest allowed depth must parse and evaluate with
    # plenty of stack to spare.
    limits = ExpressionLimits(max_depth=200, max_nodes=100_000)
    sources = [
        "(" * 199 + "1" + ")" * 199,
        "abs(" * 199 + "1" + ")" * 199,
        "[" * 199 + "]" * 199,
        "-" * 199 + "1",
    ]
    old = sys.getrecursionlimit()
    used = _depth()
    sys.setrecursionlimit(used + 700)
    try:
        for source in sources:
            expr = parse_expression(source, limits=limits)
            expr.evaluate(limits=limits)
    finally:
        sys.setrecursionlimit(old)


def _depth() -> int:
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def test_deep_host_stack_gives_a_typed_error_not_recursion_error() -> None:
    limits = ExpressionLimits(max_depth=200)
    source = "(" * 190 + "1" + ")" * 190
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 150)
    try:
        with pytest.raises(ExpressionLimitExceeded) as caught:
            parse_expression(source, limits=limits)
        with pytest.raises(ExpressionLimitExceeded):
            parse_template("{{ " + source + " }}", limits=limits)
    finally:
        sys.setrecursionlimit(old)
    assert caught.value.details["limit"] == "max_depth"


def test_deeply_nested_host_data_gives_a_typed_error() -> None:
    deep: list[Any] = []
    for _ in range(5_000):
        deep = [deep]
    ctx = ExpressionContext(input={"deep": deep, "other": [[]]})
    for source in ("toJson($input.deep)", "$input.deep == $input.deep", "unique([$input.deep])"):
        with pytest.raises(ExpressionError):
            evaluate(source, ctx)


def test_operation_limit() -> None:
    limits = ExpressionLimits(max_operations=50)
    assert evaluate("+".join(["1"] * 40), limits=ExpressionLimits(max_operations=50)) == 40
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate("len(range(100))", limits=limits)
    assert caught.value.details == {
        "limit": "max_operations",
        "value": 50,
        "offset": 4,  # the call of range() that asked for too much
        "line": 1,
        "column": 5,
    }


def test_wall_clock_deadline_uses_a_monotonic_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]

    class FakeTime:
        @staticmethod
        def monotonic() -> float:
            now[0] += 0.3  # every look at the clock finds 300 ms gone
            return now[0]

    monkeypatch.setattr(_values, "time", FakeTime)
    limits = ExpressionLimits(max_evaluation_seconds=1.0)
    assert evaluate("len(range(10))", limits=limits) == 10  # too few operations to look
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate("+".join(["len(range(1000))"] * 10), limits=limits)
    assert caught.value.details["limit"] == "max_evaluation_seconds"
    assert caught.value.details["value"] == 1.0


def test_wall_clock_deadline_for_real() -> None:
    step = "len(sort(range(100000)))"
    started = time.perf_counter()
    evaluate(step)
    one_step = time.perf_counter() - started
    limits = ExpressionLimits(max_evaluation_seconds=0.005, max_operations=10**9)
    started = time.perf_counter()
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate("[" + ", ".join([step] * 200) + "]", limits=limits)
    assert caught.value.details["limit"] == "max_evaluation_seconds"
    # Stopped soon after the deadline, far from all 200 steps: measured against this machine's
    # own step, with room for a pause of a loaded CI host.
    assert time.perf_counter() - started < 20 * one_step + 0.5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_depth", 0),
        ("max_depth", 201),
        ("max_nodes", -1),
        ("max_operations", 1.5),
        ("max_string_length", True),
        ("max_integer_bits", 10),
        ("max_integer_bits", 20_000),
        ("max_evaluation_seconds", 0),
        ("max_evaluation_seconds", float("inf")),
        ("max_evaluation_seconds", "1"),
    ],
)
def test_limits_are_validated(field: str, value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        ExpressionLimits(**{field: value})


def test_limits_are_frozen_and_configurable() -> None:
    limits = ExpressionLimits(max_string_length=5)
    with pytest.raises(AttributeError):
        limits.max_string_length = 10  # type: ignore[misc]
    assert evaluate("'ab' * 2", limits=limits) == "abab"
    with pytest.raises(ExpressionLimitExceeded, match="max_string_length=5"):
        evaluate("'ab' * 3", limits=limits)


def test_evaluation_limits_can_differ_from_parse_limits() -> None:
    expr = parse_expression("len(range(1000))")
    assert expr.evaluate() == 1000
    with pytest.raises(ExpressionLimitExceeded):
        expr.evaluate(limits=ExpressionLimits(max_collection_size=999))
