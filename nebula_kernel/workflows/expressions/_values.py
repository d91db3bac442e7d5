"""The evaluation runtime (limits, counters, deadline) and the rules values follow.

Values are JSON-like: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list`` (tuples read as
lists), ``dict`` and ``datetime``. Anything else is an *unsupported value*: it can be passed
through untouched, but every operation on it fails. Nothing here ever reads an attribute of a
value, so a Python object that reached the context by mistake stays opaque.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

from nebula_kernel.errors import ExpressionEvaluationError, ExpressionLimitExceeded

from ._limits import ExpressionLimits, limit_exceeded
from ._registry import FunctionFailed
from ._source import line_column, snippet

__all__ = [
    "CHECK_EVERY",
    "Failed",
    "LimitHit",
    "Runtime",
    "aware",
    "equal",
    "freeze",
    "is_datetime",
    "is_list",
    "is_number",
    "is_object",
    "order_kind",
    "to_json",
    "to_text",
    "truthy",
    "type_name",
]

Failed = FunctionFailed
CHECK_EVERY: Final = 1024


class LimitHit(Exception):
    """A limit was reached; the nearest call or operator adds its position and re-raises typed."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Runtime:
    """The state of one evaluation: the context's roots, the limits, the budget and the clock."""

    __slots__ = (
        "deadline",
        "env",
        "execution",
        "input",
        "limits",
        "next_check",
        "nodes",
        "now",
        "ops",
        "source",
    )

    def __init__(
        self,
        source: str,
        limits: ExpressionLimits,
        input: Any,
        nodes: dict[str, Any],
        execution: Any,
        env: Any,
        now: datetime | None,
    ) -> None:
        self.source = source
        self.limits = limits
        self.input = input
        self.nodes = nodes
        self.execution = execution
        self.env = env
        self.now = now
        self.ops = 0
        self.next_check = min(CHECK_EVERY, limits.max_operations)
        self.deadline = time.monotonic() + limits.max_evaluation_seconds

    # -- budget -----------------------------------------------------------------------------------

    def check(self) -> None:
        """Called when ``ops`` passes ``next_check``: enforce the operation count and deadline."""
        if self.ops > self.limits.max_operations:
            raise LimitHit("max_operations")
        if time.monotonic() > self.deadline:
            raise LimitHit("max_evaluation_seconds")
        self.next_check = min(self.ops + CHECK_EVERY, self.limits.max_operations)

    def charge(self, n: int) -> None:
        self.ops += n
        if self.ops > self.next_check:
            self.check()

    def check_str(self, text: str) -> str:
        if len(text) > self.limits.max_string_length:
            raise LimitHit("max_string_length")
        self.charge(len(text) >> 6)
        return text

    def check_str_len(self, n: int) -> None:
        """Refuse before building a string of ``n`` characters."""
        if n > self.limits.max_string_length:
            raise LimitHit("max_string_length")
        self.charge(n >> 6)

    def check_size(self, n: int) -> None:
        """Refuse before building a list or object of ``n`` items (and pay for them)."""
        if n > self.limits.max_collection_size:
            raise LimitHit("max_collection_size")
        self.charge(n)

    def check_int(self, value: int) -> int:
        if value.bit_length() > self.limits.max_integer_bits:
            raise LimitHit("max_integer_bits")
        return value

    # -- errors -----------------------------------------------------------------------------------

    def error(self, message: str, pos: int, **details: Any) -> ExpressionEvaluationError:
        line, column = line_column(self.source, pos)
        return ExpressionEvaluationError(
            f"{message} (at line {line}, column {column})\n{snippet(self.source, pos)}",
            offset=pos,
            line=line,
            column=column,
            reason=message,
            **details,
        )

    def limit_error(self, name: str, pos: int | None) -> ExpressionLimitExceeded:
        if pos is None:
            return limit_exceeded(self.limits, name)
        line, column = line_column(self.source, pos)
        return limit_exceeded(self.limits, name, offset=pos, line=line, column=column)


# -- what a value is ------------------------------------------------------------------------------
# Judged by type alone. isinstance() would read ``__class__`` from an object that fails the type
# check, and no attribute of any value is ever read.


def is_list(value: Any) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    t = type(value)
    return t is list or t is tuple or issubclass(t, (list, tuple))


def is_object(value: Any) -> TypeGuard[dict[Any, Any]]:
    t = type(value)
    return t is dict or issubclass(t, dict)


def is_datetime(value: Any) -> TypeGuard[datetime]:
    return issubclass(type(value), datetime)


def type_name(value: Any) -> str:
    """The language's name for the type of ``value`` (what ``type(x)`` returns)."""
    if value is None:
        return "null"
    t = type(value)
    if t is bool:
        return "boolean"
    if t is int:
        return "integer"
    if t is float:
        return "float"
    if t is str:
        return "string"
    if t is list or t is tuple:
        return "list"
    if t is dict:
        return "object"
    if is_datetime(value):
        return "datetime"
    if is_object(value):
        return "object"
    if is_list(value):
        return "list"
    return "unsupported value"


def is_number(value: Any) -> bool:
    t = type(value)
    return t is int or t is float


def truthy(value: Any) -> bool:
    """``null``, ``false``, ``0``, ``0.0``, ``""``, ``[]`` and ``{}`` are false; all else true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    t = type(value)
    if t is int or t is float or t is str or t is list or t is dict or t is tuple:
        return bool(value)
    if is_datetime(value):
        return True
    if is_object(value) or is_list(value):
        return len(value) > 0
    raise Failed("an unsupported value has no truth value")


def aware(value: datetime) -> datetime:
    """Naive datetimes are taken to be UTC, so that every datetime compares with every other."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def equal(a: Any, b: Any, rt: Runtime) -> bool:
    """Deep equality; ``true == 1`` is false (booleans are not numbers), ``1 == 1.0`` is true."""
    ta = type(a)
    tb = type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if a is None or b is None:
        return a is b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return bool(a == b)
    if ta is str or tb is str:
        return ta is tb and bool(a == b)
    if is_list(a) and is_list(b):
        if len(a) != len(b):
            return False
        rt.charge(len(a))
        return all(equal(x, y, rt) for x, y in zip(a, b, strict=True))
    if is_object(a) and is_object(b):
        if len(a) != len(b):
            return False
        rt.charge(len(a))
        return all(key in b and equal(x, b[key], rt) for key, x in a.items())
    if is_datetime(a) and is_datetime(b):
        return aware(a) == aware(b)
    for v in (a, b):
        if type_name(v) == "unsupported value":
            raise Failed("an unsupported value cannot be compared")
    return False


def freeze(value: Any, rt: Runtime) -> Any:
    """A hashable key such that ``freeze(a) == freeze(b)`` exactly when ``equal(a, b)``."""
    t = type(value)
    if value is None or t is str or t is int or t is float:
        return value
    if t is bool:
        return ("b", value)
    if is_list(value):
        rt.charge(len(value))
        return ("l", tuple(freeze(v, rt) for v in value))
    if is_object(value):
        rt.charge(len(value))
        return ("d", frozenset((k, freeze(v, rt)) for k, v in value.items()))
    if is_datetime(value):
        return ("t", aware(value))
    raise Failed("an unsupported value cannot be compared")


def order_kind(value: Any) -> str | None:
    """Which values ``value`` can be ordered against: 'number', 'string', 'datetime' or None."""
    t = type(value)
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if is_datetime(value):
        return "datetime"
    return None


# -- values as text -------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if is_datetime(value):
        return aware(value).isoformat()
    raise TypeError("unsupported")


_JSON_SCALARS: Final = (str, int, float, bool, type(None))
_JSON_MAX_DEPTH: Final = 500


def _check_jsonable(value: Any, rt: Runtime) -> None:
    """Walk the value (no recursion, types only) before the encoder sees it."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        t = type(current)
        if t is float:
            if not math.isfinite(current):
                raise Failed("a non-finite number cannot be converted to JSON")
        elif t in _JSON_SCALARS or is_datetime(current):
            continue
        elif depth >= _JSON_MAX_DEPTH:
            raise Failed("the value is nested too deeply to convert to JSON")
        elif is_list(current):
            rt.charge(len(current))
            stack.extend((item, depth + 1) for item in current)
        elif is_object(current):
            rt.charge(len(current))
            for key, item in current.items():
                if type(key) not in _JSON_SCALARS:
                    raise Failed("an object key of an unsupported type cannot become JSON")
                stack.append((item, depth + 1))
        else:
            raise Failed("an unsupported value cannot be converted to JSON")


def to_json(value: Any, rt: Runtime, indent: int | None = None) -> str:
    _check_jsonable(value, rt)
    try:
        text = json.dumps(
            value,
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
            indent=indent,
            separators=(",", ": ") if indent is not None else (",", ":"),
        )
    except RecursionError:
        raise Failed("the value is nested too deeply to convert to JSON") from None
    except (TypeError, ValueError):
        raise Failed("the value cannot be converted to JSON (an oversized integer?)") from None
    return rt.check_str(text)


def to_text(value: Any, rt: Runtime) -> str:
    """How a value reads inside a template or through ``string()``.

    ``null`` is the empty string, booleans are ``true``/``false``, datetimes ISO 8601, lists and
    objects compact JSON.
    """
    if value is None:
        return ""
    t = type(value)
    if t is str:
        return value  # type: ignore[no-any-return]
    if t is bool:
        return "true" if value else "false"
    if t is int:
        try:
            return rt.check_str(str(value))
        except ValueError:
            raise LimitHit("max_integer_bits") from None
    if t is float:
        if not math.isfinite(value):
            raise Failed("a non-finite number has no text form")
        return repr(value)
    if is_datetime(value):
        return aware(value).isoformat()
    if is_object(value) or is_list(value):
        return to_json(value, rt)
    raise Failed("an unsupported value has no text form")
