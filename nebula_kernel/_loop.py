"""Running subscription callbacks where notebook code expects them: on the caller's event loop.

Changes arrive on a background thread (the store's dispatcher, or the remote client's socket
reader). In a Jupyter kernel a cell runs on the kernel's event loop, and widgets, ``display``
and most user state are not thread-safe, so a callback registered from there is handed back to
that loop; it then runs between cells or while a cell awaits. Code with no running loop (a
script, a worker thread) keeps the background-thread delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["on_callers_loop"]

E = TypeVar("E")

_log = logging.getLogger("nebula.subscriptions")


def on_callers_loop(callback: Callable[[E], Any]) -> Callable[[E], None]:
    """``callback``, delivered on the event loop running in the calling thread (if any)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return callback

    def call(event: E) -> None:
        try:
            callback(event)
        except Exception:  # a faulty callback must not stop the deliveries after it
            _log.exception("subscription callback raised")

    def deliver(event: E) -> None:
        try:
            loop.call_soon_threadsafe(call, event)
        except RuntimeError:  # the loop has closed: whoever subscribed from it is gone
            _log.debug("dropped a change for a closed event loop")

    return deliver
