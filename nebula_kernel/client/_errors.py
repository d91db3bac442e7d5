"""Turning an error a server sent back into the same typed exception the engine raises."""

from __future__ import annotations

from typing import Any

from nebula_kernel.errors import (
    ConflictItem,
    FieldError,
    NebulaError,
    TransactionConflict,
    ValidationFailed,
)

__all__ = ["error_from_payload"]


def _by_code() -> dict[str, type[NebulaError]]:
    found: dict[str, type[NebulaError]] = {}
    pending: list[type[NebulaError]] = [NebulaError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def error_from_payload(payload: Any, status: int) -> NebulaError:
    """``{"code", "message", "details"}`` → the matching :class:`NebulaError` subclass."""
    if not isinstance(payload, dict):
        return NebulaError(f"The server answered {status} without a Nebula error body.")
    code = str(payload.get("code", ""))
    message = str(payload.get("message", f"The server answered {status}."))
    raw_details = payload.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    cls = _by_code().get(code, NebulaError)
    if cls is TransactionConflict:
        items = [
            ConflictItem(i["type"], i["id"], i["expected"], i.get("current_etag"))
            for i in details.get("items", [])
        ]
        return TransactionConflict(str(details.get("star", "")), items)
    if cls is ValidationFailed:
        errors = [
            FieldError(tuple(e.get("path", ())), e.get("message", ""), e.get("kind", ""))
            for e in details.get("errors", [])
        ]
        rest = {k: v for k, v in details.items() if k != "errors"}
        return ValidationFailed(message, errors, **rest)
    try:
        error = cls(message, **details)
    except TypeError:  # a subclass with its own constructor: keep the code and the message
        error = NebulaError(message, **details)
    return error
