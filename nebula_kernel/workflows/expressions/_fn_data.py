"""Math and collection functions. None mutates its arguments; every result is a fresh value."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from ._fn_text import need_int, need_str
from ._registry import Library
from ._values import (
    Failed,
    Runtime,
    aware,
    freeze,
    is_list,
    is_number,
    is_object,
    order_kind,
    type_name,
)

__all__ = ["COLLECTIONS", "MATH"]

MATH = Library("math")
COLLECTIONS = Library("collection")


def _number(value: Any, what: str = "the argument") -> int | float:
    if not is_number(value):
        raise Failed(f"{what} must be a number, not {type_name(value)}")
    return value  # type: ignore[no-any-return]


def _list(value: Any, what: str = "the argument") -> list[Any] | tuple[Any, ...]:
    if not is_list(value):
        raise Failed(f"{what} must be a list, not {type_name(value)}")
    return value


def _object(value: Any, what: str = "the argument") -> dict[Any, Any]:
    if not is_object(value):
        raise Failed(f"{what} must be an object, not {type_name(value)}")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise Failed("the result is not a finite number")
    return value


# -- math -----------------------------------------------------------------------------------------


@MATH("abs", 1, 1, "abs(number)", "The absolute value.")
def absolute(rt: Runtime, value: Any) -> int | float:
    return abs(_number(value))


def _ordered_items(rt: Runtime, args: tuple[Any, ...], name: str) -> list[Any]:
    items = list(args[0]) if len(args) == 1 and is_list(args[0]) else list(args)
    if not items:
        raise Failed(f"{name}() of an empty list")
    rt.charge(len(items))
    kinds = {order_kind(v) for v in items}
    if None in kinds or len(kinds) != 1:
        raise Failed(
            f"{name}() needs numbers, strings or datetimes, all of one kind; got "
            + ", ".join(sorted({type_name(v) for v in items}))
        )
    if kinds == {"datetime"}:
        return [aware(v) for v in items]
    return items


@MATH("min", 1, None, "min(list) or min(a, b, …)", "The smallest item.")
def minimum(rt: Runtime, *args: Any) -> Any:
    return min(_ordered_items(rt, args, "min"))


@MATH("max", 1, None, "max(list) or max(a, b, …)", "The largest item.")
def maximum(rt: Runtime, *args: Any) -> Any:
    return max(_ordered_items(rt, args, "max"))


# Enough digits for any float (309 before the point) or integer under the largest allowed
# max_integer_bits (14000 bits, 4215 digits), plus the 30 places round() may ask for.
_ROUNDING = Context(prec=4_300, rounding=ROUND_HALF_UP, Emax=10_000, Emin=-10_000)


@MATH(
    "round",
    1,
    2,
    "round(number, digits?)",
    "Round half away from zero (round(2.5) is 3); an integer when digits is omitted or 0.",
)
def round_half_up(rt: Runtime, value: Any, digits: Any = 0) -> int | float:
    number = _number(value)
    places = need_int(digits, "digits")
    if not -30 <= places <= 30:
        raise Failed("digits must be between -30 and 30")
    try:
        exact = Decimal(repr(number)) if type(number) is float else Decimal(number)
        rounded = exact.quantize(Decimal(1).scaleb(-places), context=_ROUNDING)
    except InvalidOperation:  # pragma: no cover - the context holds every finite input
        raise Failed("the number has too many digits to round") from None
    if places <= 0:
        return rt.check_int(int(rounded))
    return _finite(float(rounded)) if type(number) is float else rt.check_int(int(rounded))


@MATH("floor", 1, 1, "floor(number)", "The largest integer not above the number.")
def floor(rt: Runtime, value: Any) -> int:
    return rt.check_int(math.floor(_number(value)))


@MATH("ceil", 1, 1, "ceil(number)", "The smallest integer not below the number.")
def ceil(rt: Runtime, value: Any) -> int:
    return rt.check_int(math.ceil(_number(value)))


def _numbers(rt: Runtime, value: Any, name: str) -> list[int | float]:
    items = _list(value)
    rt.charge(len(items))
    for item in items:
        if not is_number(item):
            raise Failed(f"{name}() needs a list of numbers; found {type_name(item)}")
    return list(items)


@MATH("sum", 1, 1, "sum(list)", "The sum of a list of numbers (0 for an empty list).")
def total(rt: Runtime, value: Any) -> int | float:
    items = _numbers(rt, value, "sum")
    integers = [i for i in items if type(i) is int]
    if len(integers) == len(items):
        return rt.check_int(sum(integers, 0))
    try:
        return _finite(math.fsum(items))
    except OverflowError:
        raise Failed("the result is too large for a float") from None


@MATH("avg", 1, 1, "avg(list)", "The mean of a non-empty list of numbers.")
def average(rt: Runtime, value: Any) -> float:
    items = _numbers(rt, value, "avg")
    if not items:
        raise Failed("avg() of an empty list")
    try:
        return _finite(math.fsum(items) / len(items))
    except OverflowError:
        raise Failed("the result is too large for a float") from None


# -- collections ----------------------------------------------------------------------------------


@COLLECTIONS("keys", 1, 1, "keys(object)", "The keys of an object, in order.")
def keys(rt: Runtime, value: Any) -> list[Any]:
    obj = _object(value)
    rt.check_size(len(obj))
    return list(obj)


@COLLECTIONS("values", 1, 1, "values(object)", "The values of an object, in order.")
def values(rt: Runtime, value: Any) -> list[Any]:
    obj = _object(value)
    rt.check_size(len(obj))
    return list(obj.values())


@COLLECTIONS("items", 1, 1, "items(object)", "The [key, value] pairs of an object, in order.")
def items(rt: Runtime, value: Any) -> list[list[Any]]:
    obj = _object(value)
    rt.check_size(len(obj))
    return [[k, v] for k, v in obj.items()]


def _path(value: Any) -> list[Any]:
    if type(value) is str:
        return value.split(".") if value else []
    if is_list(value):
        for segment in value:
            if type(segment) is not str and type(segment) is not int:
                raise Failed(f"path segments must be strings or integers, not {type_name(segment)}")
        return list(value)
    raise Failed(f"the path must be a string like 'a.b.0' or a list, not {type_name(value)}")


_MISSING = object()


def _resolve(rt: Runtime, value: Any, path: list[Any]) -> Any:
    rt.charge(len(path))
    current = value
    for segment in path:
        if is_object(current):
            if type(segment) is not str or segment not in current:
                return _MISSING
            current = current[segment]
        elif is_list(current):
            if type(segment) is str:
                if not segment.lstrip("-").isdigit() or len(segment) > 18:
                    return _MISSING
                segment = int(segment)
            if not -len(current) <= segment < len(current):
                return _MISSING
            current = current[segment]
        else:
            return _MISSING
    return current


@COLLECTIONS(
    "get",
    2,
    3,
    "get(value, path, default?)",
    "Follow a path ('a.b.0' or ['a', 'b', 0]) through objects and lists; default (null) if absent.",
)
def get(rt: Runtime, value: Any, path: Any, default: Any = None) -> Any:
    found = _resolve(rt, value, _path(path))
    return default if found is _MISSING else found


@COLLECTIONS("has", 2, 2, "has(object, key)", "Whether the object has the key.")
def has(rt: Runtime, value: Any, key: Any) -> bool:
    return need_str(key, "the key") in _object(value)


def _sequence(value: Any) -> str | list[Any] | tuple[Any, ...]:
    if type(value) is str or is_list(value):
        return value
    raise Failed(f"the argument must be a list or a string, not {type_name(value)}")


@COLLECTIONS("first", 1, 1, "first(list)", "The first item (or character), null when empty.")
def first(rt: Runtime, value: Any) -> Any:
    seq = _sequence(value)
    return seq[0] if seq else None


@COLLECTIONS("last", 1, 1, "last(list)", "The last item (or character), null when empty.")
def last(rt: Runtime, value: Any) -> Any:
    seq = _sequence(value)
    return seq[-1] if seq else None


@COLLECTIONS("reverse", 1, 1, "reverse(list)", "The items (or characters) in reverse order.")
def reverse(rt: Runtime, value: Any) -> Any:
    seq = _sequence(value)
    rt.charge(len(seq))
    if type(seq) is str:
        return seq[::-1]
    return list(reversed(seq))


@COLLECTIONS(
    "sort",
    1,
    3,
    "sort(list, by?, descending?)",
    "Sorted copy (stable). Items, or the values at path 'by' in each item, must be all numbers, "
    "all strings or all datetimes.",
)
def sort(rt: Runtime, value: Any, by: Any = None, descending: Any = False) -> list[Any]:
    seq = _list(value)
    if type(descending) is not bool:
        raise Failed(f"descending must be a boolean, not {type_name(descending)}")
    path = None if by is None else _path(by)
    rt.charge(len(seq))
    keyed = []
    kinds = set()
    for item in seq:
        key = item if path is None else _resolve(rt, item, path)
        if key is _MISSING:
            raise Failed("an item has no value at the sort path")
        kind = order_kind(key)
        kinds.add(kind)
        if kind is None or len(kinds) > 1:
            raise Failed(
                "sort keys must be all numbers, all strings or all datetimes; found "
                + type_name(key)
            )
        keyed.append((aware(key) if kind == "datetime" else key, item))
    keyed.sort(key=lambda pair: pair[0], reverse=descending)
    return [item for _, item in keyed]


@COLLECTIONS("unique", 1, 1, "unique(list)", "The items without repeats, first occurrence kept.")
def unique(rt: Runtime, value: Any) -> list[Any]:
    seq = _list(value)
    seen = set()
    out = []
    for item in seq:
        key = freeze(item, rt)
        if key not in seen:
            seen.add(key)
            out.append(item)
    rt.charge(len(seq))
    return out


@COLLECTIONS(
    "range",
    1,
    3,
    "range(stop) or range(start, stop, step?)",
    "Integers from start (0) up to stop (exclusive); capped by max_collection_size.",
)
def make_range(rt: Runtime, a: Any, b: Any = None, step: Any = 1) -> list[int]:
    if b is None:
        start, stop = 0, need_int(a, "stop")
    else:
        start, stop = need_int(a, "start"), need_int(b, "stop")
    if need_int(step, "step") == 0:
        raise Failed("step must not be zero")
    numbers = range(start, stop, step)
    try:
        size = len(numbers)
    except OverflowError:
        size = rt.limits.max_collection_size + 1
    rt.check_size(size)
    return list(numbers)


@COLLECTIONS("flatten", 1, 1, "flatten(list)", "Lists inside the list spliced in (one level).")
def flatten(rt: Runtime, value: Any) -> list[Any]:
    seq = _list(value)
    size = sum(len(i) if is_list(i) else 1 for i in seq)
    rt.check_size(size)
    out: list[Any] = []
    for item in seq:
        if is_list(item):
            out.extend(item)
        else:
            out.append(item)
    return out


@COLLECTIONS(
    "merge", 1, None, "merge(object, …)", "A new object with the keys of each; later ones win."
)
def merge(rt: Runtime, *objects: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for obj in objects:
        rt.check_size(len(out) + len(_object(obj)))
        out.update(obj)
    return out


@COLLECTIONS("coalesce", 1, None, "coalesce(a, b, …)", "The first argument that is not null.")
def coalesce(rt: Runtime, *args: Any) -> Any:
    return next((arg for arg in args if arg is not None), None)
