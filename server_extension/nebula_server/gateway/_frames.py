"""Encoding events once per change, however many subscribers receive it."""

from __future__ import annotations

import json
import struct
import threading
from collections import OrderedDict

from nebula_kernel.protocol import encode
from nebula_kernel.resources import Change

__all__ = ["EventFrames", "text_frame"]


def text_frame(message: str) -> bytes:
    """``message`` as an unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server
    sends it."""
    payload = message.encode()
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class EventFrames:
    """The JSON of each change's payload, cached while it fans out.

    The store hands the same :class:`Change` object to every subscription that may see it
    unredacted, so the cache is keyed by object identity; holding the object in the entry keeps
    its id from being reused while cached.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, tuple[Change, str]] = OrderedDict()

    def data(self, change: Change) -> str:
        key = id(change)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is change:
                return hit[1]
        text = json.dumps(
            encode(
                {
                    "op": change.op,
                    "type": change.type,
                    "id": change.id,
                    "at": change.at,
                    "changed_by": change.changed_by,
                    "resource": change.resource.to_dict(),
                }
            ),
            separators=(",", ":"),
        )
        with self._lock:
            self._cache[key] = (change, text)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return text

    @staticmethod
    def resync(sub: str, seq: int, reason: str) -> str:
        return json.dumps(
            {"type": "resync", "sub": sub, "seq": seq, "reason": reason}, separators=(",", ":")
        )

    @staticmethod
    def event(sub: str, seq: int, data: str) -> str:
        return (
            '{"type":"event","sub":'
            + json.dumps(sub)
            + ',"seq":'
            + str(seq)
            + ',"data":'
            + data
            + "}"
        )
