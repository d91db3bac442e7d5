"""The tokenizer and the parser: literals, precedence, postfix forms and syntax errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nebula_kernel.errors import ExpressionLimitExceeded, ExpressionSyntaxError
from nebula_kernel.workflows.expressions import parse_expression, to_source

Ev = Callable[[str], Any]


def syntax_error(source: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(source)
    return caught.value


# -- literals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("1.5", 1.5),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("2.5e-2", 0.025),
        ("1e+2", 100.0),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("true", True),
        ("false", False),
        ("null", None),
        ("'single'", "single"),
        ('"double"', "double"),
        ("''", ""),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'a\\nb\\tc\\rd'", "a\nb\tc\rd"),
        ("'\\b\\f\\v\\0'", "\b\f\v\0"),
        ("'back\\\\slash'", "back\\slash"),
        ("'\\/'", "/"),
        ("'\\x41'", "A"),
        ("'\\u00e9'", "é"),
        ("'\\u{1F600}'", "\U0001f600"),
        ("'\\ud83d\\ude00'", "\U0001f600"),
        ("'héllo wörld ✓'", "héllo wörld ✓"),
        ("'\u202eevil'", "\u202eevil"),  # bidi controls are data inside strings
        ("[]", []),
        ("[1, 'a', null]", [1, "a", None]),
        ("[1, 2,]", [1, 2]),
        ("[[1], [2, [3]]]", [[1], [2, [3]]]),
        ("{}", {}),
        ("{a: 1, 'b c': 2, \"d\": 3}", {"a": 1, "b c": 2, "d": 3}),
        ("{if: 1, null: 2}", {"if": 1, "null": 2}),
        ("{a: {b: [1, {c: 2}]},}", {"a": {"b": [1, {"c": 2}]}}),
        ("  \t\n 7 \r\n ", 7),
    ],
)
def test_literals(ev: Ev, source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("01", "leading zeros"),
        ("1.", "digits after the decimal point"),
        ("1.e5", "digits after the decimal point"),
        ("1e", "invalid number"),
        ("1abc", "invalid number"),
        ("1_000", "invalid number"),
        ("1e999", "out of range"),
        ("'unterminated", "unterminated string"),
        ("'a\\", "unterminated string"),
        ("'bad \\q escape'", "unknown escape"),
        ("'\\x4'", "two hex digits"),
        ("'\\u12'", "four hex digits"),
        ("'\\u{110000}'", "Unicode scalar"),
        ("'\\u{D800}'", "Unicode scalar"),
        ("'\\ud800'", "lone surrogate"),
        ("'\\udc00'", "lone surrogate"),
        ("'line\nbreak'", "control character"),
        ("'nul\x00byte'", "control character"),
        ("'del\x7f'", "control character"),
        ("{a: 1, a: 2}", "duplicate key"),
        ("{1: 2}", "object key"),
        ("{a 1}", "':'"),
        ("[1 2]", "',' or ']'"),
        ("abs(1 2)", "',' or ')'"),
    ],
)
def test_bad_literals(source: str, reason: str) -> None:
    assert reason in str(syntax_error(source))


def test_lone_surrogate_character_in_source() -> None:
    error = syntax_error("'a\ud800b'")
    assert error.details["offset"] == 2


# -- precedence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),  # left-associative
        ("100 / 10 / 5", 2.0),
        ("2 ** 3 ** 2", 512),  # right-associative
        ("-2 ** 2", -4),  # ** binds tighter than unary minus
        ("(-2) ** 2", 4),
        ("2 ** -1", 0.5),
        ("2 ** -1 * 4", 2.0),
        ("-3 * 2", -6),
        ("--3", 3),
        ("- -3", 3),
        ("+3", 3),
        ("7 // 2 * 2 + 7 % 2", 7),
        ("1 + 2 == 3", True),
        ("1 < 2 == true", None),  # comparison chains are a syntax error: see below
        ("not 1 == 2", True),  # not binds looser than ==
        ("!1 == false", True),  # ! binds tightly: (!1) == false
        ("not true and false", False),  # (not true) and false
        ("not (true and false)", True),
        ("true or false and false", True),  # and binds tighter than or
        ("(true or false) and false", False),
        ("false || true && false", False),
        ("null ?? 1 + 1", 2),  # ?? is looser than +
        ("null ?? false or true", True),  # ?? is looser than or
        ("1 if true else 2 + 10", 1),
        ("1 if false else 2 + 10", 12),
        ("'a' if 1 > 2 else 'b' if 2 > 1 else 'c'", "b"),  # right-associative conditional
        ("(1 if false else 2) * 3", 6),
        ("1 in [1] == true", None),
        ("2 * 3 in [6]", True),
        ("not 1 in [2]", True),
        ("[1, 2][0] + {a: 5}.a * 2", 11),
        ("len('abc') * 2", 6),
        ("not not true", True),
        ("true and not false", True),
    ],
)
def test_precedence(ev: Ev, source: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ExpressionSyntaxError, match="do not chain"):
            parse_expression(source)
        return
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "1 < 2 < 3",
        "1 == 1 == 1",
        "1 < 2 > 0",
        "1 in [1] in [[true]]",
        "1 != 2 not in [3]",
    ],
)
def test_comparisons_do_not_chain(source: str) -> None:
    assert "do not chain" in str(syntax_error(source))


def test_parenthesized_comparisons_may_be_compared(ev: Ev) -> None:
    assert ev("(1 < 2) == (3 < 4)") is True


@pytest.mark.parametrize("source", ["1 == not 2", "-not true", "1 + not 2", "[1][not 0]"])
def test_not_needs_parentheses_inside_tighter_operators(source: str) -> None:
    if source == "[1][not 0]":  # inside brackets it is a fresh expression
        parse_expression(source)
        return
    assert "parentheses" in str(syntax_error(source))


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("a if b else c", None),
        ("$input.a ?? $input.b or $input.c", "($input.a ?? ($input.b or $input.c))"),
        ("-$input.x ** 2", "(-($input.x ** 2))"),
        ("not $input.a == $input.b", "(not ($input.a == $input.b))"),
        ("!$input.a == $input.b", "((not $input.a) == $input.b)"),
        ("$input.a if $input.c else $input.b", "($input.a if $input.c else $input.b)"),
        ("$input['a b'].c", '$input["a b"].c'),
        ("$input?.a.b", "($input?.a.b)"),
        ("($input?.a).b", "($input?.a).b"),
        ("$nodes['send-email'].result", '$nodes["send-email"].result'),
        ("$input[1:-1]", "$input[1:(-1)]"),
        ("$input[:2]", "$input[:2]"),
        ("$input[:]", "$input[:]"),
        ("x || y", None),
    ],
)
def test_tree_shape_via_printer(source: str, printed: str | None) -> None:
    if printed is None:
        with pytest.raises(ExpressionSyntaxError):
            parse_expression(source)
        return
    expr = parse_expression(source)
    assert to_source(expr.tree) == printed
    # Printing is a fixed point, and the printed form parses to an equal tree.
    again = parse_expression(printed)
    assert again.tree == expr.tree
    assert to_source(again.tree) == printed


# -- postfix forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$input.name", "Ada"),
        ("$input['name']", "Ada"),
        ('$input["name"]', "Ada"),
        ("$input.nested.a.b[2].c", "deep"),
        ("$input.nested['a']['b'][-1]['c']", "deep"),
        ("$input.items[0]", 3),
        ("$input.items[-1]", 2),
        ("$input.items[-3]", 3),
        ("$input.items[3]", None),  # out of range reads as null
        ("$input.items[-4]", None),
        ("$input.items[1:]", [1, 2]),
        ("$input.items[:-1]", [3, 1]),
        ("$input.items[1:2]", [1]),
        ("$input.items[5:]", []),
        ("$input.items[null:null]", [3, 1, 2]),
        ("$input.name[0]", "A"),
        ("$input.name[1:]", "da"),
        ("$input.missing", None),
        ("$input.none?.x", None),
        ("$input.none?.x.y.z", None),  # ?. short-circuits the whole chain
        ("$input.none?.[0]", None),
        ("$input.none?.[0:1]", None),
        ("$input?.name", "Ada"),
        ("$input.nested?.a?.b?.[0]", 10),
        ("($input.none?.x) ?? 'dflt'", "dflt"),
        ("$input.if", None),  # keywords are fine as keys
        ("$nodes.validate.result.email", "ada@example.org"),
        ("$nodes['send-email'].result.status", 202),
        ("$nodes.fetch.result[1].id", 2),
        ("$nodes.unknown", None),
        ("$nodes.skipped?.result", None),
        ("$execution.attempt", 2),
        ("$execution.workflow", "signup"),
        ("$env.REGION", "eu-west-1"),
        ("$env.DEBUG", False),
        ("{a: [1, 2]}.a[1]", 2),
        ("[[1, 2], [3]][0][1]", 2),
        ("'abc'[-1]", "c"),
    ],
)
def test_access(ev: Ev, source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("$input.name.lower()", "methods are not supported"),
        ("$input.items(1)", "methods are not supported"),
        ("(1)(2)", "only library functions"),
        ("$input.", "key name"),
        ("$input.1", "key name"),
        ("$input[]", "expression"),
        ("$input[1", "']' or ':'"),
        ("$input[1:2", "']'"),
        ("$input?.1", "key name"),
        ("$nodes", "'$nodes' must be followed"),
        ("$nodes[0]", "literal"),
        ("$nodes[$input.id]", "literal"),
        ("$nodes.", "node id"),
        ("$", "root name"),
        ("$ input", "root name"),
        ("$secrets.API_KEY", "secrets are never reachable"),
        ("$credentials", "secrets are never reachable"),
        ("$__class__", "unknown root"),
        ("$self", "unknown root"),
        ("$globals", "unknown root"),
        ("$Input", "unknown root"),
        ("foo", "unknown name 'foo'"),
        ("__import__('os')", "unknown function '__import__'"),
        ("eval('1')", "unknown function 'eval'"),
        ("lowr('A')", "did you mean lower()"),
        ("lower()", "lower() takes 1 argument, got 0"),
        ("lower('a', 'b')", "lower() takes 1 argument, got 2"),
        ("substring('a')", "2 to 3 arguments"),
        ("min()", "at least 1 argument"),
        ("now(1)", "takes 0 arguments"),
        ("1 +", "found end of expression"),
        ("(1 + 2", "')'"),
        ("1 + 2)", "an operator or the end"),
        ("1 2", "an operator or the end"),
        ("", "expected an expression"),
        ("   ", "expected an expression"),
        ("1 if true", "'else'"),
        ("1 if true else", "expression"),
        ("1 ? 2 : 3", "conditionals are written"),
        ("a = 1", "use '=='"),
        ("1 = 1", "use '=='"),
        ("1 & 2", "'&&'"),
        ("1 | 2", "'||'"),
        ("1 # comment", "comments"),
        ("1; 2", "single expression"),
        ("`x`", "backticks"),
        ("1 not 2", "'in' after 'not'"),
        ("and", "expected an expression"),
        ("else", "expected an expression"),
        ("\u00a0 1", "U+00A0"),  # unicode spaces are not whitespace here
        ("1 \u2028 + 1", "U+2028"),
        ("\u200b1", "U+200B"),  # zero-width space
        ("\uff41bs(1)", "U+FF41"),  # fullwidth letters are not identifiers
        ("\uff04input", "U+FF04"),  # fullwidth dollar
        ("1 \x00", "U+0000"),
        ("1 + 1\x00", "U+0000"),
        ("lower\u0435('a')", "U+0435"),  # a Cyrillic e is not an e
        ("{{ 1 }}", "object key"),  # a template is not an expression
    ],
)
def test_syntax_errors(source: str, reason: str) -> None:
    error = syntax_error(source)
    assert reason in str(error), str(error)
    assert error.details["reason"] in error.message


def test_error_carries_offset_line_column_and_caret() -> None:
    error = syntax_error("$input.a +\n  $input.b *\n  )")
    assert error.details["offset"] == 26
    assert error.details["line"] == 3
    assert error.details["column"] == 3
    assert error.message.splitlines()[-2:] == ["    )", "    ^"]
    assert error.to_dict()["code"] == "expression_syntax_error"
    assert error.to_dict()["details"]["line"] == 3


def test_caret_snippet_of_long_lines_is_a_window() -> None:
    source = "[" + "1, " * 40 + ")" + ", 1" * 40 + "]"
    error = syntax_error(source)
    assert error.details["column"] == 122
    text, caret = error.message.splitlines()[-2:]
    assert len(text) < 90
    assert text.startswith("  …") and text.endswith("…")
    assert text[caret.index("^")] == ")"


def test_caret_snippet_masks_control_characters() -> None:
    error = syntax_error("'a' +\t\x01")
    text, caret = error.message.splitlines()[-2:]
    assert "\x01" not in text
    assert caret.index("^") == text.index("?")


def test_keywords_cannot_be_function_names_or_roots() -> None:
    assert "expected an expression" in str(syntax_error("in(1)"))
    parse_expression("$input.in")  # but they are fine as keys


def test_positions_in_member_errors_point_at_the_dot(ev: Ev) -> None:
    from nebula_kernel.errors import ExpressionEvaluationError

    with pytest.raises(ExpressionEvaluationError) as caught:
        ev("$input.none.x")
    assert caught.value.details["column"] == 12


def test_parse_accepts_only_strings() -> None:
    with pytest.raises(TypeError):
        parse_expression(b"1")  # type: ignore[arg-type]


def test_source_length_limit_is_checked_first() -> None:
    with pytest.raises(ExpressionLimitExceeded) as caught:
        parse_expression("1" * 70_000)
    assert caught.value.details["limit"] == "max_source_length"
