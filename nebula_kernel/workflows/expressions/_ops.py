"""The operators: what ``+ - * / // % **``, comparisons and ``in`` do to each pair of types.

Each takes ``(rt, left, right)`` and returns the result, or raises :class:`Failed` (a type error,
named by types only) or :class:`LimitHit`. Booleans are not numbers: ``true + 1`` is an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from ._values import (
    Failed,
    LimitHit,
    Runtime,
    aware,
    equal,
    is_list,
    is_number,
    is_object,
    order_kind,
    type_name,
)

__all__ = ["BINARY", "UNARY"]

BinaryOp = Callable[[Runtime, Any, Any], Any]


def _mismatch(verb: str, x: Any, y: Any, hint: str = "") -> Failed:
    return Failed(f"cannot {verb} {type_name(x)} and {type_name(y)}{hint}")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise Failed("the result is not a finite number")
    return value


def _number_result(rt: Runtime, value: Any) -> Any:
    if type(value) is int:
        return rt.check_int(value)
    if type(value) is complex:
        raise Failed("the result is not a real number")
    return _finite(value)


def add(rt: Runtime, x: Any, y: Any) -> Any:
    tx = type(x)
    ty = type(y)
    if (tx is int or tx is float) and (ty is int or ty is float):
        return _number_result(rt, x + y)
    if tx is str and ty is str:
        rt.check_str_len(len(x) + len(y))
        return x + y
    if is_list(x) and is_list(y):
        rt.check_size(len(x) + len(y))
        return [*x, *y]
    if tx is str or ty is str:
        raise _mismatch("add", x, y, "; convert with string(x) first")
    raise _mismatch("add", x, y)


def sub(rt: Runtime, x: Any, y: Any) -> Any:
    if is_number(x) and is_number(y):
        return _number_result(rt, x - y)
    raise _mismatch("subtract", x, y)


def _repeat(rt: Runtime, seq: Any, times: int) -> Any:
    count = max(times, 0)
    if not seq or not count:
        return "" if type(seq) is str else []
    if type(seq) is str:
        rt.check_str_len(len(seq) * count)
        return seq * count
    rt.check_size(len(seq) * count)
    return list(seq) * count


def mul(rt: Runtime, x: Any, y: Any) -> Any:
    tx = type(x)
    ty = type(y)
    if (tx is int or tx is float) and (ty is int or ty is float):
        # A product of integers has at least bits(x) + bits(y) - 1 bits: refuse before computing.
        if (
            tx is int
            and ty is int
            and x
            and y
            and x.bit_length() + y.bit_length() - 1 > rt.limits.max_integer_bits
        ):
            raise LimitHit("max_integer_bits")
        return _number_result(rt, x * y)
    if ty is int and (tx is str or is_list(x)):
        return _repeat(rt, x, y)
    if tx is int and (ty is str or is_list(y)):
        return _repeat(rt, y, x)
    raise _mismatch("multiply", x, y)


def _divisor(x: Any, y: Any, verb: str) -> None:
    if not (is_number(x) and is_number(y)):
        raise _mismatch(verb, x, y)
    if y == 0:
        raise Failed("division by zero")


def truediv(rt: Runtime, x: Any, y: Any) -> Any:
    _divisor(x, y, "divide")
    try:
        return _finite(x / y)
    except OverflowError:
        raise Failed("the result is too large for a float") from None


def floordiv(rt: Runtime, x: Any, y: Any) -> Any:
    _divisor(x, y, "divide")
    try:
        return _number_result(rt, x // y)
    except OverflowError:
        raise Failed("the result is too large for a float") from None


def mod(rt: Runtime, x: Any, y: Any) -> Any:
    _divisor(x, y, "take the remainder of")
    try:
        return _number_result(rt, x % y)
    except OverflowError:  # pragma: no cover - float % never overflows
        raise Failed("the result is too large for a float") from None


def power(rt: Runtime, x: Any, y: Any) -> Any:
    if not (is_number(x) and is_number(y)):
        raise _mismatch("raise", x, y, " to a power")
    if type(x) is int and type(y) is int and y >= 0:
        # |x| ** y has at least (bits(|x|) - 1) * y + 1 bits: refuse before computing.
        if abs(x) > 1 and (abs(x).bit_length() - 1) * y + 1 > rt.limits.max_integer_bits:
            raise LimitHit("max_integer_bits")
        return _number_result(rt, x**y)
    if x == 0 and y < 0:
        raise Failed("division by zero (zero to a negative power)")
    try:
        if x < 0 and not float(y).is_integer():
            raise Failed("a negative number to a fractional power is not a real number")
        return _number_result(rt, float(x) ** y)
    except OverflowError:
        raise Failed("the result is too large for a float") from None


def _ordered(symbol: str) -> BinaryOp:
    def compare(rt: Runtime, x: Any, y: Any) -> bool:
        kind = order_kind(x)
        if kind is None or kind != order_kind(y):
            raise Failed(
                f"cannot compare {type_name(x)} and {type_name(y)} with {symbol}; only numbers, "
                "strings and datetimes are ordered, each with its own kind"
            )
        if kind == "datetime":
            x = aware(x)
            y = aware(y)
        if symbol == "<":
            return bool(x < y)
        if symbol == "<=":
            return bool(x <= y)
        if symbol == ">":
            return bool(x > y)
        return bool(x >= y)

    return compare


def eq(rt: Runtime, x: Any, y: Any) -> bool:
    return equal(x, y, rt)


def ne(rt: Runtime, x: Any, y: Any) -> bool:
    return not equal(x, y, rt)


def contains(rt: Runtime, item: Any, container: Any) -> bool:
    """``item in container``: a list element, a substring, or an object key."""
    if type(container) is str:
        if type(item) is not str:
            raise Failed(f"'in <string>' needs a string on the left, not {type_name(item)}")
        rt.charge(len(container) >> 6)
        return item in container
    if is_list(container):
        rt.charge(len(container))
        return any(equal(item, element, rt) for element in container)
    if is_object(container):
        if type(item) is not str:
            raise Failed(f"object keys are strings; cannot look up {type_name(item)}")
        return item in container
    raise Failed(f"'in' needs a list, string or object on the right, not {type_name(container)}")


def not_contains(rt: Runtime, item: Any, container: Any) -> bool:
    return not contains(rt, item, container)


BINARY: Final[dict[str, BinaryOp]] = {
    "+": add,
    "-": sub,
    "*": mul,
    "/": truediv,
    "//": floordiv,
    "%": mod,
    "**": power,
    "==": eq,
    "!=": ne,
    "<": _ordered("<"),
    "<=": _ordered("<="),
    ">": _ordered(">"),
    ">=": _ordered(">="),
    "in": contains,
    "not in": not_contains,
}


def negate(rt: Runtime, x: Any) -> Any:
    if not is_number(x):
        raise Failed(f"cannot negate {type_name(x)}")
    return -x


def plus(rt: Runtime, x: Any) -> Any:
    if not is_number(x):
        raise Failed(f"unary + needs a number, not {type_name(x)}")
    return x


UNARY: Final[dict[str, Callable[[Runtime, Any], Any]]] = {"-": negate, "+": plus}
