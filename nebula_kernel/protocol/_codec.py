"""Typed JSON: values keep their Python types across the wire.

JSON has no datetime, date, Decimal, bytes, set or non-finite float, so those travel tagged:
``{"$t": "datetime", "v": "2024-05-01T12:00:00+00:00"}``. A plain object that happens to have a
``"$t"`` key is itself wrapped (``{"$t": "object", "v": {...}}``), so decoding is exact for
every value: ``decode(encode(x)) == x``. The browser client implements the same tags.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from nebula_kernel.errors import InvalidRequest

__all__ = ["TAG", "decode", "encode"]

TAG = "$t"


def encode(value: Any) -> Any:
    """A JSON-serializable form of ``value`` (see the module docstring for the tags)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: "float", "v": repr(value)}
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequest(
                    f"Object keys must be strings to travel as JSON, not {type(key).__name__}."
                )
            out[key] = encode(item)
        return {TAG: "object", "v": out} if TAG in out else out
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {TAG: "set", "v": [encode(item) for item in value]}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    raise InvalidRequest(
        f"A {type(value).__name__} cannot travel over the wire; send JSON values, datetimes, "
        "dates, Decimals, bytes or sets."
    )


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`, applied to parsed JSON."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {key: decode(item) for key, item in value.items()}
    if set(value) != {TAG, "v"}:
        raise InvalidRequest(f"A tagged value has exactly the keys '{TAG}' and 'v'.")
    inner = value["v"]
    try:
        return _DECODERS[tag](inner)
    except KeyError:
        raise InvalidRequest(f"Unknown value tag {str(tag)[:40]!r}.") from None
    except (TypeError, ValueError, ArithmeticError):
        raise InvalidRequest(f"The {tag} value {str(inner)[:60]!r} is malformed.") from None


def _object(inner: Any) -> dict[str, Any]:
    if not isinstance(inner, dict):
        raise TypeError
    return {key: decode(item) for key, item in inner.items()}


def _set(inner: Any) -> frozenset[Any]:
    if not isinstance(inner, list):
        raise TypeError
    return frozenset(decode(item) for item in inner)


def _float(inner: Any) -> float:
    if inner not in ("nan", "inf", "-inf"):
        raise ValueError
    return float(inner)


def _decimal(inner: Any) -> Decimal:
    if not isinstance(inner, str):
        raise TypeError
    return Decimal(inner)


_DECODERS: dict[str, Any] = {
    "object": _object,
    "set": _set,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "decimal": _decimal,
    "bytes": lambda inner: base64.b64decode(inner, validate=True),
    "float": _float,
}
