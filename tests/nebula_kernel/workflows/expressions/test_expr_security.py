"""Secrets are unreachable by construction, and Python objects stay opaque.

The proof has three parts: (1) the grammar has four roots and no way to name anything else;
(2) the evaluator reads no attribute of any value: an object that trips on every attribute read,
every dunder call and every comparison passes through all operations and functions untouched;
(3) the package's source uses none of Python's dynamic-execution or reflection tools.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nebula_kernel.workflows.expressions as expressions
from nebula_kernel.errors import ExpressionError, ExpressionEvaluationError
from nebula_kernel.workflows.expressions import (
    FUNCTIONS,
    ExpressionContext,
    evaluate,
    parse_expression,
    render,
)

SECRET = "s3cr3t-token-never-shown"


class Tripwire:
    """Host data that must never be looked into: every attribute read or dunder call fails."""

    touched: ClassVar[list[str]] = []

    def __getattribute__(self, name: str) -> NoReturn:
        Tripwire.touched.append(name)
        raise AssertionError(f"attribute {name!r} of a context value was read")

    def _trip(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("a dunder of a context value was called")

    __getattr__ = __getitem__ = __contains__ = __iter__ = __len__ = _trip
    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _trip
    __add__ = __radd__ = __mul__ = __rmul__ = __neg__ = __index__ = __int__ = _trip
    __float__ = __str__ = __repr__ = __format__ = __reduce__ = __reduce_ex__ = _trip


class SecretHolder:
    """What a careless host might pass: an object with a secret behind its attributes."""

    def __init__(self) -> None:
        self.secret = SECRET
        self.__dict__["token"] = SECRET

    def __repr__(self) -> str:
        return f"SecretHolder({SECRET})"

    def __str__(self) -> str:
        return SECRET


def _context() -> ExpressionContext:
    return ExpressionContext(
        input={"trip": Tripwire(), "holder": SecretHolder(), "list": [Tripwire()], "n": 1},
        env={"REGION": "eu"},
    )


# Expressions that apply every operator and every function to the opaque values.
OPERATIONS = [
    "$input.trip.x",
    "$input.trip['x']",
    "$input.trip[0]",
    "$input.trip[0:1]",
    "$input.trip?.x",
    "$input.trip + 1",
    "1 + $input.trip",
    "$input.trip * 2",
    "-$input.trip",
    "not $input.trip",
    "$input.trip == 1",
    "$input.trip == $input.trip",
    "$input.trip < 1",
    "$input.trip in [1]",
    "1 in $input.trip",
    "$input.list == [1]",
    "$input.list[0] in $input.list",
    "'x' + $input.trip",
    "$input.trip if $input.trip else 1",
    "$input.trip and 1",
    "$input.holder.secret",
    "$input.holder['token']",
    "$input.holder.__dict__",
    "toJson($input.holder)",
    "string($input.holder)",
    "join([$input.holder])",
]


def _calls() -> list[str]:
    """Every function with an opaque value in each argument position."""
    sources = []
    for name, spec in FUNCTIONS.items():
        count = max(spec.min_args, 1) if spec.max_args != 0 else 0
        if spec.max_args is not None:
            count = min(max(count, spec.max_args), spec.max_args)
        for position in range(count):
            args = ["$input.trip" if i == position else "$input.n" for i in range(count)]
            sources.append(f"{name}({', '.join(args)})")
    return sources


@pytest.mark.parametrize("source", OPERATIONS + _calls())
def test_opaque_values_are_never_looked_into(source: str) -> None:
    Tripwire.touched.clear()
    try:
        result = evaluate(source, _context())
    except ExpressionEvaluationError as error:
        assert SECRET not in error.message
        assert SECRET not in str(error.to_dict())
    except ExpressionError:  # a limit or a syntax error is fine too
        pass
    else:
        # Passing a value through untouched is allowed (``$input.trip ?? 1``, ``first([...])``).
        assert SECRET not in repr(type(result))
    assert Tripwire.touched == []


def test_passing_through_is_the_only_thing_opaque_values_allow() -> None:
    ctx = _context()
    trip = ctx.input["trip"]
    assert evaluate("$input.trip", ctx) is trip
    assert evaluate("$input.trip ?? 1", ctx) is trip
    assert evaluate("[$input.trip][0]", ctx) is trip
    assert evaluate("type($input.trip)", ctx) == "unsupported value"
    assert Tripwire.touched == []


def test_a_secret_outside_the_context_is_unreachable_from_any_root() -> None:
    # The host holds a secret next to the context; nothing an expression writes gets to it.
    ctx = _context()
    probes = [
        "$env",
        "$execution",
        "$input",
        "$nodes.secrets",
        "toJson($input.holder ?? $env)",
        "get($input, 'holder.secret')",
        "get($input, ['holder', '__dict__'])",
        "keys($input)",
        "values($env)",
    ]
    for source in probes:
        try:
            value = evaluate(source, ctx)
        except ExpressionError as error:
            assert SECRET not in str(error.to_dict())
            continue
        assert SECRET not in _shallow_text(value)


def _shallow_text(value: Any) -> str:
    kind = type(value)  # type() only: isinstance() would read __class__ of a Tripwire
    if kind is dict:
        return " ".join(f"{k} {_shallow_text(v)}" for k, v in value.items())
    if kind is list:
        return " ".join(_shallow_text(v) for v in value)
    if kind in (str, int, float, bool) or value is None:
        return str(value)
    return f"<{kind.__name__}>"  # an opaque object, passed through, never rendered


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "$input",
                "$env",
                "$execution",
                "$nodes.a",
                ".secret",
                ".token",
                ".__dict__",
                ".__class__",
                "['secret']",
                "[0]",
                "?.secret",
                " ?? ",
                " + ",
                "toJson(",
                "get(",
                "string(",
                "keys(",
                "values(",
                "items(",
                "merge(",
                "'holder'",
                "'secret'",
                ", ",
                ")",
                "(",
                "[",
                "]",
                "{a: ",
                "}",
                "$input.holder",
            ]
        ),
        max_size=12,
    )
)
def test_random_probes_never_surface_the_secret(parts: list[str]) -> None:
    source = "".join(parts)
    ctx = ExpressionContext(input={"holder": SecretHolder()}, nodes={"a": {"result": 1}})
    try:
        value = evaluate(source, ctx)
    except ExpressionError as error:
        assert SECRET not in str(error.to_dict())
        return
    assert SECRET not in _shallow_text(value)


def test_templates_do_not_render_opaque_values() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        render("token: {{ $input.holder }}", _context())
    assert SECRET not in str(caught.value.to_dict())


# -- the source itself ----------------------------------------------------------------------------

_PACKAGE = Path(expressions.__file__).parent
_FORBIDDEN = [
    r"\beval\(",
    r"\bexec\(",
    r"(?<![.\w])compile\(",
    r"__import__",
    r"\bimportlib\b",
    r"\bsetattr\(",
    r"\bdelattr\(",
    r"\bvars\(",
    r"\bglobals\(",
    r"\blocals\(",
    r"\bopen\(",
    r"\bpickle\b",
    r"\bmarshal\b",
    r"\bsubprocess\b",
    r"\bos\.",
    r"import os\b",
    r"\bsignal\b",
    r"\bthreading\b",
    r"\bast\.literal_eval\b",
    r"\.__dict__",
    r"\.__class__",
    r"\bre\.compile\([^)]*\b(text|value|source|pattern)\b",  # no user-supplied regex
]


def test_the_package_uses_no_dynamic_execution_or_reflection() -> None:
    for path in sorted(_PACKAGE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for pattern in _FORBIDDEN:
            for match in re.finditer(pattern, code):
                line = code[: match.start()].count("\n") + 1
                pytest.fail(f"{path.name}:{line} uses {match.group()!r}")
        # getattr only on our own frozen dataclasses (limits and the context), by field name.
        for match in re.finditer(r"\bgetattr\((\w+)", code):
            assert match.group(1) in ("self", "limits"), f"{path.name}: getattr({match.group(1)}"


def test_the_roots_are_exactly_four() -> None:
    for root in ("$input", "$execution", "$env", "$nodes.x"):
        parse_expression(root)
    names = "secrets secret credentials vault os sys self this ctx context runtime host store item"
    for name in (*names.split(), "index", "json", "now"):
        with pytest.raises(ExpressionError):
            parse_expression(f"${name}")


def test_the_library_is_pure() -> None:
    # No function reaches a clock, a file, the network or the environment: they take the
    # evaluation's runtime and their arguments, and only now() reads the host's recorded clock.
    for spec in FUNCTIONS.values():
        module = spec.impl.__module__
        assert module.startswith("nebula_kernel.workflows.expressions._fn_"), module
    dates = (_PACKAGE / "_fn_dates.py").read_text(encoding="utf-8")
    assert "datetime.now" not in dates and "time.time" not in dates and "utcnow" not in dates
