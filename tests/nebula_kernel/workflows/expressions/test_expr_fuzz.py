"""Property tests: the parser survives anything, and printing then parsing changes nothing.

1. Random text and random token soups never make the parser (or the evaluator of whatever
   parses) raise anything but the typed errors, and never take long.
2. Random well-formed trees, printed with ``to_source`` and parsed back, give an equal tree and
   the same evaluation result (or the same error).
3. Random integer arithmetic agrees with a tiny reference interpreter.

Example counts and deadlines are bounded so the whole module runs in a few seconds.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nebula_kernel.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
)
from nebula_kernel.workflows.expressions import (
    DEFAULT_LIMITS,
    FUNCTIONS,
    ExpressionContext,
    parse_expression,
    parse_template,
    to_source,
)
from nebula_kernel.workflows.expressions import _ast as a
from nebula_kernel.workflows.expressions._api import _run, _runtime
from nebula_kernel.workflows.expressions._eval import compile_tree

FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

CONTEXT = ExpressionContext(
    input={"a": 1, "b": [1, 2, 3], "s": "text", "o": {"k": "v", "n": None}, "z": None},
    nodes={"n1": {"result": {"x": 5}}, "": {"result": 0}},
    execution={"id": "e"},
    env={"E": "v"},
)

TOKENS = [
    "$input", "$nodes", "$execution", "$env", "$secrets", "$", ".", "?.", "[", "]", "(", ")",
    "{", "}", "{{", "}}", ",", ":", "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=",
    ">", ">=", "!", "&&", "||", "??", "?", "=", "&", "|", "and", "or", "not", "in", "if", "else",
    "true", "false", "null", "0", "1", "42", "1.5", "1e9", "9" * 40, "'s'", '"d"', "'", '"',
    "'\\u0041'", "'\\", "len", "lower", "range", "toJson", "fromJson", "sort", "x", "__class__",
    "\x00", "\u202e", "é", "\ud800", "#", ";", "`", "\\", "\n", "\t", " ",
]  # fmt: skip

_TYPED = (ExpressionSyntaxError, ExpressionLimitExceeded)


def _parse_never_crashes(source: str) -> None:
    # Whatever parses also evaluates to a value or a typed error.
    try:
        expr = parse_expression(source)
    except _TYPED:
        pass
    else:
        with contextlib.suppress(ExpressionError):
            expr.evaluate(CONTEXT)
    try:
        template = parse_template(source)
    except _TYPED:
        pass
    else:
        with contextlib.suppress(ExpressionError):
            template.render(CONTEXT)


@FUZZ
@given(st.text(max_size=120))
def test_random_text_never_crashes_the_parser(source: str) -> None:
    _parse_never_crashes(source)


@FUZZ
@given(st.text(alphabet="$()[]{}.?:,'\"\\+-*/%<>=!&|01 9eE_aiflnotrsux", max_size=80))
def test_random_syntax_characters_never_crash_the_parser(source: str) -> None:
    _parse_never_crashes(source)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from(["", " "]))
def test_token_soup_never_crashes_the_parser(tokens: list[str], sep: str) -> None:
    _parse_never_crashes(sep.join(tokens))


@settings(max_examples=30, deadline=timedelta(seconds=2))
@given(st.integers(min_value=1, max_value=40_000), st.sampled_from(["(", "[", "-", "!", "{a:"]))
def test_deep_random_nesting_never_reaches_the_recursion_limit(depth: int, opener: str) -> None:
    with pytest.raises(_TYPED if depth > 60 else ExpressionError):
        parse_expression(opener * depth)


# -- round trip: tree → source → tree -------------------------------------------------------------

_CALLS = {  # name → argument count, chosen so random arguments often make sense
    "len": 1, "lower": 1, "upper": 1, "abs": 1, "string": 1, "type": 1, "bool": 1, "toJson": 1,
    "first": 1, "last": 1, "reverse": 1, "unique": 1, "keys": 1, "values": 1, "sum": 1,
    "min": 2, "max": 2, "contains": 2, "indexOf": 2, "get": 2, "coalesce": 2, "round": 2,
    "substring": 2, "join": 2, "split": 2, "startsWith": 2, "range": 1, "int": 1, "number": 1,
}  # fmt: skip
_KEYS = st.sampled_from(["a", "b", "s", "o", "z", "k", "n", "missing", "if", "two words", ""])
_BINARY = sorted(a.ARITHMETIC | a.COMPARISON)

_leaves = st.one_of(
    st.builds(a.Literal, st.integers(min_value=0, max_value=1000)),
    st.builds(
        a.Literal,
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    ),
    st.builds(a.Literal, st.text(max_size=6)),
    st.builds(a.Literal, st.sampled_from([True, False, None])),
    st.just(a.Root("input")),
    st.builds(a.Root, st.sampled_from(["execution", "env"])),
    st.builds(a.NodeRef, st.sampled_from(["n1", "", "missing", "with space"])),
    st.builds(a.Member, st.just(a.Root("input")), _KEYS),
)


def _postfix(children: st.SearchStrategy[a.Node]) -> st.SearchStrategy[a.Node]:
    index = st.one_of(
        st.builds(a.Literal, st.integers(min_value=0, max_value=4)),
        st.builds(a.Unary, st.just("-"), st.builds(a.Literal, st.integers(0, 4))),
    )

    @st.composite
    def chain(draw: st.DrawFn) -> a.Node:
        node = draw(children)
        optional_seen = False
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            optional = draw(st.booleans())
            optional_seen |= optional
            kind = draw(st.sampled_from(["member", "index", "slice"]))
            if kind == "member":
                node = a.Member(node, draw(_KEYS), optional)
            elif kind == "index":
                node = a.Index(node, draw(index), optional)
            else:
                lo = draw(st.none() | index)
                hi = draw(st.none() | index)
                node = a.Slice(node, lo, hi, optional)
        return a.Chain(node) if optional_seen else node

    return chain()


def _extend(children: st.SearchStrategy[a.Node]) -> st.SearchStrategy[a.Node]:
    calls = st.sampled_from(sorted(_CALLS)).flatmap(
        lambda name: st.builds(
            a.Call,
            st.just(name),
            st.lists(children, min_size=_CALLS[name], max_size=_CALLS[name]).map(tuple),
        )
    )
    objects = st.dictionaries(_KEYS, children, max_size=3).map(
        lambda d: a.ObjectLit(tuple(d), tuple(d.values()))
    )
    return st.one_of(
        st.builds(a.Binary, st.sampled_from(_BINARY), children, children),
        st.builds(a.Logical, st.sampled_from(sorted(a.LOGICAL)), children, children),
        st.builds(a.Unary, st.sampled_from(sorted(a.UNARY)), children),
        st.builds(a.Conditional, children, children, children),
        st.lists(children, max_size=3).map(lambda items: a.ListLit(tuple(items))),
        objects,
        calls,
        _postfix(children),
    )


TREES = st.recursive(_leaves, _extend, max_leaves=12)


def _outcome(compiled: Any, origin: str) -> tuple[str, Any]:
    rt = _runtime(origin, DEFAULT_LIMITS, CONTEXT)
    try:
        return "value", _run(compiled, rt)
    except ExpressionLimitExceeded as error:
        return "limit", error.details["limit"]
    except ExpressionEvaluationError as error:
        return "error", error.details.get("reason")


def _same(x: Any, y: Any) -> bool:
    if type(x) is not type(y):
        return False
    if isinstance(x, list):
        return len(x) == len(y) and all(_same(i, j) for i, j in zip(x, y, strict=True))
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    return bool(x == y)


@settings(
    max_examples=400,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(TREES)
def test_printed_trees_parse_back_equal_and_evaluate_the_same(tree: a.Node) -> None:
    source = to_source(tree)
    parsed = parse_expression(source)
    assert parsed.tree == tree, source
    assert to_source(parsed.tree) == source
    direct = _outcome(compile_tree(tree, FUNCTIONS), source)
    reparsed = _outcome(parsed._compiled, source)
    assert direct[0] == reparsed[0], (source, direct, reparsed)
    if direct[0] == "value":
        assert _same(direct[1], reparsed[1]), (source, direct, reparsed)
    else:
        assert direct[1] == reparsed[1], (source, direct, reparsed)


# -- arithmetic against a reference interpreter ---------------------------------------------------

_INT_OPS = ["+", "-", "*", "//", "%"]
_ints = st.integers(min_value=0, max_value=10**6).map(a.Literal)
INT_TREES = st.recursive(
    _ints,
    lambda kids: st.one_of(
        st.builds(a.Binary, st.sampled_from(_INT_OPS), kids, kids),
        st.builds(a.Unary, st.just("-"), kids),
        st.builds(a.Binary, st.just("**"), kids, st.integers(0, 3).map(a.Literal)),
    ),
    max_leaves=16,
)


def _reference(node: a.Node) -> int:
    """The meaning of integer arithmetic, in a dozen lines of plain Python."""
    if isinstance(node, a.Literal):
        assert type(node.value) is int
        return node.value
    if isinstance(node, a.Unary):
        return -_reference(node.operand)
    assert isinstance(node, a.Binary)
    x, y = _reference(node.left), _reference(node.right)
    if node.op in ("//", "%") and y == 0:
        raise ZeroDivisionError
    if node.op == "+":
        result = x + y
    elif node.op == "-":
        result = x - y
    elif node.op == "*":
        result = x * y
    elif node.op == "//":
        result = x // y
    elif node.op == "%":
        result = x % y
    else:
        result = x**y
    if result.bit_length() > DEFAULT_LIMITS.max_integer_bits:
        raise OverflowError
    return result


@settings(max_examples=400, deadline=timedelta(seconds=2))
@given(INT_TREES)
def test_integer_arithmetic_agrees_with_the_reference(tree: a.Node) -> None:
    source = to_source(tree)
    expr = parse_expression(source)
    try:
        expected = _reference(tree)
    except ZeroDivisionError:
        with pytest.raises(ExpressionEvaluationError, match="division by zero"):
            expr.evaluate()
        return
    except OverflowError:
        with pytest.raises(ExpressionLimitExceeded):
            expr.evaluate()
        return
    result = expr.evaluate()
    assert type(result) is int
    assert result == expected, source


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_KEYS, kids, max_size=4),
    max_leaves=15,
)


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(TREES, _JSON)
def test_random_trees_over_random_data_fail_only_with_typed_errors(tree: a.Node, data: Any) -> None:
    context = ExpressionContext(input=data, nodes={"n1": {"result": data}})
    source = to_source(tree)
    with contextlib.suppress(ExpressionEvaluationError, ExpressionLimitExceeded):
        parse_expression(source).evaluate(context)
