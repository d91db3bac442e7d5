"""String, type-conversion and JSON functions (no regular expressions: no runaway backtracking)."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from ._ops import contains as _contains
from ._registry import Library
from ._values import (
    Failed,
    LimitHit,
    Runtime,
    equal,
    is_list,
    is_object,
    to_json,
    to_text,
    truthy,
    type_name,
)

__all__ = ["JSON", "STRINGS", "TYPES", "need_int", "need_str"]

STRINGS = Library("string")
TYPES = Library("type")
JSON = Library("json")

_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def need_str(value: Any, what: str = "the argument") -> str:
    if type(value) is not str:
        raise Failed(f"{what} must be a string, not {type_name(value)}")
    return str(value)


def need_int(value: Any, what: str = "the argument") -> int:
    if type(value) is not int:
        raise Failed(f"{what} must be an integer, not {type_name(value)}")
    return int(value)


def _chars(value: Any) -> str | None:
    return None if value is None else need_str(value, "the characters to trim")


@STRINGS("lower", 1, 1, "lower(text)", "The text in lower case.")
def lower(rt: Runtime, text: Any) -> str:
    return rt.check_str(need_str(text).lower())


@STRINGS("upper", 1, 1, "upper(text)", "The text in upper case.")
def upper(rt: Runtime, text: Any) -> str:
    return rt.check_str(need_str(text).upper())


@STRINGS("trim", 1, 2, "trim(text, chars?)", "Strip whitespace (or the given characters).")
def trim(rt: Runtime, text: Any, chars: Any = None) -> str:
    return need_str(text).strip(_chars(chars))


@STRINGS("trimStart", 1, 2, "trimStart(text, chars?)", "Strip from the start only.")
def trim_start(rt: Runtime, text: Any, chars: Any = None) -> str:
    return need_str(text).lstrip(_chars(chars))


@STRINGS("trimEnd", 1, 2, "trimEnd(text, chars?)", "Strip from the end only.")
def trim_end(rt: Runtime, text: Any, chars: Any = None) -> str:
    return need_str(text).rstrip(_chars(chars))


@STRINGS(
    "split",
    1,
    2,
    "split(text, separator?)",
    "Split on the separator; on runs of whitespace when it is omitted or null; into characters "
    "when it is ''.",
)
def split(rt: Runtime, text: Any, separator: Any = None) -> list[str]:
    s = need_str(text)
    rt.charge(len(s) >> 6)
    if separator is None:
        parts = s.split()
        rt.check_size(len(parts))
        return parts
    sep = need_str(separator, "the separator")
    if sep == "":
        rt.check_size(len(s))
        return list(s)
    rt.check_size(s.count(sep) + 1)
    return s.split(sep)


@STRINGS(
    "join",
    1,
    2,
    "join(list, separator?)",
    "Join the items as text (null is '', see string()) with the separator (default '').",
)
def join(rt: Runtime, items: Any, separator: Any = "") -> str:
    if not is_list(items):
        raise Failed(f"the first argument must be a list, not {type_name(items)}")
    sep = need_str(separator, "the separator")
    rt.charge(len(items))
    parts = []
    total = len(sep) * max(len(items) - 1, 0)
    limit = rt.limits.max_string_length
    for item in items:
        text = to_text(item, rt)
        total += len(text)
        if total > limit:
            raise LimitHit("max_string_length")
        parts.append(text)
    rt.check_str_len(total)
    return sep.join(parts)


@STRINGS("replace", 3, 3, "replace(text, old, new)", "Replace every occurrence of old by new.")
def replace(rt: Runtime, text: Any, old: Any, new: Any) -> str:
    s = need_str(text)
    o = need_str(old, "the text to replace")
    n = need_str(new, "the replacement")
    count = s.count(o) if o else len(s) + 1
    rt.check_str_len(len(s) + count * (len(n) - len(o)))
    return s.replace(o, n)


@STRINGS("startsWith", 2, 2, "startsWith(text, prefix)", "Whether the text starts with prefix.")
def starts_with(rt: Runtime, text: Any, prefix: Any) -> bool:
    return need_str(text).startswith(need_str(prefix, "the prefix"))


@STRINGS("endsWith", 2, 2, "endsWith(text, suffix)", "Whether the text ends with suffix.")
def ends_with(rt: Runtime, text: Any, suffix: Any) -> bool:
    return need_str(text).endswith(need_str(suffix, "the suffix"))


@STRINGS(
    "contains",
    2,
    2,
    "contains(haystack, needle)",
    "Substring of a string, element of a list, or key of an object (same as 'needle in haystack').",
)
def contains(rt: Runtime, haystack: Any, needle: Any) -> bool:
    return _contains(rt, needle, haystack)


@STRINGS(
    "indexOf",
    2,
    2,
    "indexOf(haystack, needle)",
    "Position of the first occurrence in a string or list, or -1.",
)
def index_of(rt: Runtime, haystack: Any, needle: Any) -> int:
    if type(haystack) is str:
        rt.charge(len(haystack) >> 6)
        return haystack.find(need_str(needle, "the needle"))
    if is_list(haystack):
        for i, item in enumerate(haystack):
            rt.charge(1)
            if equal(item, needle, rt):
                return i
        return -1
    raise Failed(f"the first argument must be a string or a list, not {type_name(haystack)}")


@STRINGS(
    "len",
    1,
    1,
    "len(value)",
    "Length of a string (characters), list or object (keys).",
    aliases=("length",),
)
def length(rt: Runtime, value: Any) -> int:
    if type(value) is str or is_list(value) or is_object(value):
        return len(value)
    raise Failed(f"{type_name(value)} has no length")


@STRINGS(
    "substring",
    2,
    3,
    "substring(text, start, end?)",
    "Characters start (inclusive) to end (exclusive); negative positions count from the end.",
)
def substring(rt: Runtime, text: Any, start: Any, end: Any = None) -> str:
    s = need_str(text)
    lo = need_int(start, "start")
    hi = None if end is None else need_int(end, "end")
    return s[lo:hi]


def _pad(rt: Runtime, text: Any, width: Any, fill: Any, *, at_start: bool) -> str:
    s = need_str(text)
    w = need_int(width, "the width")
    f = need_str(fill, "the fill")
    if not f:
        raise Failed("the fill must not be empty")
    missing = w - len(s)
    if missing <= 0:
        return s
    rt.check_str_len(w)
    pad = (f * (missing // len(f) + 1))[:missing]
    return pad + s if at_start else s + pad


@STRINGS("padStart", 2, 3, "padStart(text, width, fill?)", "Pad on the left to width (fill ' ').")
def pad_start(rt: Runtime, text: Any, width: Any, fill: Any = " ") -> str:
    return _pad(rt, text, width, fill, at_start=True)


@STRINGS("padEnd", 2, 3, "padEnd(text, width, fill?)", "Pad on the right to width (fill ' ').")
def pad_end(rt: Runtime, text: Any, width: Any, fill: Any = " ") -> str:
    return _pad(rt, text, width, fill, at_start=False)


# -- types ----------------------------------------------------------------------------------------


def _parse_int_text(rt: Runtime, text: str) -> int:
    digits = text.strip()
    if not _INT_TEXT.match(digits):
        raise Failed("the string is not an integer")
    if len(digits) > rt.limits.max_integer_bits * 0.302 + 2:
        raise LimitHit("max_integer_bits")
    return rt.check_int(int(digits))


def _finite_float(value: float) -> float:
    if not math.isfinite(value):
        raise Failed("the number is not finite")
    return value


@TYPES(
    "int",
    1,
    1,
    "int(value)",
    "An integer from an integer string, a number (truncated toward zero) or a boolean.",
)
def to_int(rt: Runtime, value: Any) -> int:
    t = type(value)
    if t is int:
        return value  # type: ignore[no-any-return]
    if t is bool:
        return int(value)
    if t is float:
        return rt.check_int(math.trunc(_finite_float(value)))
    if t is str:
        return _parse_int_text(rt, value)
    raise Failed(f"cannot convert {type_name(value)} to an integer")


def _float(value: Any) -> float:
    try:
        return _finite_float(float(value))
    except OverflowError:
        raise Failed("the number is too large for a float") from None


@TYPES("float", 1, 1, "float(value)", "A float from a number, a numeric string or a boolean.")
def to_float(rt: Runtime, value: Any) -> float:
    t = type(value)
    if t is int or t is float or t is bool:
        return _float(value)
    if t is str:
        text = value.strip()
        if not _NUMBER_TEXT.match(text):
            raise Failed("the string is not a number")
        return _float(text)
    raise Failed(f"cannot convert {type_name(value)} to a float")


@TYPES(
    "number",
    1,
    1,
    "number(value)",
    "A number from a numeric string (an integer when it has no fraction or exponent), a number "
    "or a boolean.",
)
def to_number(rt: Runtime, value: Any) -> int | float:
    t = type(value)
    if t is int or t is float:
        return value  # type: ignore[no-any-return]
    if t is bool:
        return int(value)
    if t is str:
        text = value.strip()
        if _INT_TEXT.match(text):
            return _parse_int_text(rt, text)
        if not _NUMBER_TEXT.match(text):
            raise Failed("the string is not a number")
        return _float(text)
    raise Failed(f"cannot convert {type_name(value)} to a number")


@TYPES(
    "string",
    1,
    1,
    "string(value)",
    "The value as text, as a template shows it: null is '', booleans true/false, lists and "
    "objects compact JSON, datetimes ISO 8601.",
    aliases=("str",),
)
def to_string(rt: Runtime, value: Any) -> str:
    return to_text(value, rt)


@TYPES(
    "bool",
    1,
    1,
    "bool(value)",
    "Truthiness: null, false, 0, '', [] and {} are false; everything else (even 'false') is true.",
)
def to_bool(rt: Runtime, value: Any) -> bool:
    return truthy(value)


@TYPES(
    "type",
    1,
    1,
    "type(value)",
    "One of null, boolean, integer, float, string, list, object, datetime.",
)
def type_of(rt: Runtime, value: Any) -> str:
    return type_name(value)


# -- JSON -----------------------------------------------------------------------------------------

_MAX_INDENT: Final = 8


@JSON(
    "toJson",
    1,
    2,
    "toJson(value, indent?)",
    "Compact JSON text (keys in their order; datetimes as ISO 8601); indent 0-8 pretty-prints.",
)
def to_json_text(rt: Runtime, value: Any, indent: Any = None) -> str:
    if indent is not None:
        need_int(indent, "the indent")
        if not 0 <= indent <= _MAX_INDENT:
            raise Failed(f"the indent must be between 0 and {_MAX_INDENT}")
    return to_json(value, rt, indent)


def _reject_constant(name: str) -> Any:
    raise Failed(f"{name} is not valid JSON")


@JSON("fromJson", 1, 1, "fromJson(text)", "Parse JSON text (no NaN or Infinity).")
def from_json(rt: Runtime, text: Any) -> Any:
    s = need_str(text)
    rt.charge(len(s) >> 6)
    try:
        value = json.loads(
            s,
            parse_constant=_reject_constant,
            parse_int=lambda t: _parse_int_text(rt, t),
            parse_float=lambda t: _finite_float(float(t)),
        )
    except RecursionError:
        raise LimitHit("max_depth") from None
    except json.JSONDecodeError as exc:
        raise Failed(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    _check_tree(rt, value)
    return value


def _check_tree(rt: Runtime, value: Any) -> None:
    """Refuse decoded JSON that is deeper or larger than the limits allow (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if is_list(current):
            items = current
        elif is_object(current):
            for key in current:
                _no_surrogates(key)
            items = list(current.values())
        else:
            if type(current) is str:
                _no_surrogates(current)
            continue
        if depth > rt.limits.max_depth:
            raise LimitHit("max_depth")
        rt.check_size(len(items))
        stack.extend((item, depth + 1) for item in items)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _no_surrogates(text: str) -> None:
    if _SURROGATE.search(text):
        raise Failed("the JSON holds a lone surrogate (\\ud800-\\udfff), which is not valid text")
