"""The journal's format: entry kinds, their bodies, and the one JSON encoder they go through.

Every entry carries ``format_version``. Version 1 bodies (``node``/``attempt`` also live in
their own columns):

- ``execution_started``: ``input``, ``plan`` (:meth:`ExecutionPlan.to_json`), ``holder``,
  ``star`` (the star the execution belongs to; absent in entries written before stars)
- ``execution_resumed``: ``holder`` (a worker took over after a lease expired)
- ``attempt_started``: ``idempotency_key``, ``inputs`` or ``inputs_blob``
- ``attempt_completed``: ``output`` or ``output_blob``, ``duration_s``,
  ``bytes_in``, ``bytes_out``
- ``attempt_failed``: ``error`` (``code``, ``message``), ``will_retry``, ``duration_s``
- ``node_skipped``: ``reason``
- ``cancellation_requested``: ``reason``
- ``execution_completed``: ``duration_s``; ``execution_failed``: ``error``, ``node``;
  ``execution_cancelled``: ``reason``

A ``*_blob`` is ``{"key": sha256, "size": bytes}`` in the blob store: values above the spill
threshold stay out of the journal.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from nebula_kernel._json import dumps
from nebula_kernel.ports import BlobStore, JournalRow

__all__ = [
    "ATTEMPT_COMPLETED",
    "ATTEMPT_FAILED",
    "ATTEMPT_STARTED",
    "CANCELLATION_REQUESTED",
    "EXECUTION_CANCELLED",
    "EXECUTION_COMPLETED",
    "EXECUTION_FAILED",
    "EXECUTION_RESUMED",
    "EXECUTION_STARTED",
    "FORMAT_VERSION",
    "NODE_SKIPPED",
    "JournalEntry",
    "body_with",
    "dumps",
    "load_value",
    "raw_json",
    "store_value",
]

FORMAT_VERSION = 1

EXECUTION_STARTED = "execution_started"
EXECUTION_RESUMED = "execution_resumed"
ATTEMPT_STARTED = "attempt_started"
ATTEMPT_COMPLETED = "attempt_completed"
ATTEMPT_FAILED = "attempt_failed"
NODE_SKIPPED = "node_skipped"
CANCELLATION_REQUESTED = "cancellation_requested"
EXECUTION_COMPLETED = "execution_completed"
EXECUTION_FAILED = "execution_failed"
EXECUTION_CANCELLED = "execution_cancelled"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A journal entry as programs read it (``body`` decoded)."""

    seq: int
    execution_id: str
    kind: str
    node_id: str | None
    attempt: int | None
    format_version: int
    at: datetime
    body: dict[str, Any]

    @classmethod
    def of(cls, row: JournalRow) -> JournalEntry:
        return cls(
            row.seq,
            row.execution_id,
            row.kind,
            row.node_id,
            row.attempt,
            row.format_version,
            row.at,
            json.loads(row.body),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "execution_id": self.execution_id,
            "kind": self.kind,
            "node_id": self.node_id,
            "attempt": self.attempt,
            "format_version": self.format_version,
            "at": self.at.isoformat(),
            "body": self.body,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        return cls(
            data["seq"],
            data["execution_id"],
            data["kind"],
            data["node_id"],
            data["attempt"],
            data["format_version"],
            datetime.fromisoformat(data["at"]),
            data["body"],
        )


def store_value(
    name: str, encoded: str, blobs: BlobStore | None, threshold: int
) -> tuple[str, Any]:
    """``(name, value)`` for a body: inline, or ``(name + "_blob", ref)`` when above threshold.

    ``encoded`` is the value's JSON text; inline values are spliced into the body as raw JSON
    by :func:`body_with` so they are never encoded twice.
    """
    if blobs is None or len(encoded) <= threshold:
        return name, _Raw(encoded)
    data = encoded.encode()
    return f"{name}_blob", {"key": blobs.put(data), "size": len(data)}


def load_value(body: dict[str, Any], name: str, blobs: BlobStore | None) -> Any:
    """The value ``name`` of a body, fetched from the blob store when it was spilled."""
    if name in body:
        return body[name]
    ref = body.get(f"{name}_blob")
    if ref is None:
        return None
    data = None if blobs is None else blobs.get(ref["key"])
    if data is None:
        from nebula_kernel.errors import StoreError

        raise StoreError(
            f"The journal refers to blob {ref['key']}, which the blob store does not hold; "
            "open the runtime with the blob directory it was written with.",
            blob=ref["key"],
        )
    return json.loads(data)


class _Raw(str):
    """JSON text to splice into a body as is."""

    __slots__ = ()


def raw_json(text: str) -> str:
    """Mark ``text`` (valid JSON) to be spliced into a :func:`body_with` body unchanged."""
    return _Raw(text)


@lru_cache(maxsize=64)
def _key(name: str) -> str:
    return dumps(name) + ":"


def _encode(value: Any) -> str:
    # Two entries per attempt go through here: skip the encoder for the common scalars.
    kind = type(value)
    if kind is _Raw:
        return value  # type: ignore[no-any-return]
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return dumps(value)


def body_with(fields: dict[str, Any]) -> str:
    """Encode a body whose values may include :class:`_Raw` JSON text."""
    return "{" + ",".join(_key(k) + _encode(v) for k, v in fields.items()) + "}"
