"""A bounded hand-over of events from a delivering thread to one async consumer.

Both kinds of change stream use it: the embedded store's (fed by its dispatcher thread) and the
remote client's (fed by its socket reader). A consumer that falls more than ``max_buffer``
events behind gets one :class:`Resync` in place of what it missed, never unbounded memory.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import anyio
import anyio.lowlevel

from nebula_kernel.resources._model import Change, Resync

__all__ = ["EventQueue"]


class EventQueue:
    """``put`` from any thread; ``await get()`` on the consumer's event loop (asyncio or trio)."""

    def __init__(self, star: str, max_buffer: int) -> None:
        self._star = star
        self._max_buffer = max_buffer
        self._buffer: deque[Change | Resync] = deque()
        self._lock = threading.Lock()
        self._finished = False
        self._wakeup: tuple[anyio.Event, anyio.lowlevel.EventLoopToken] | None = None

    def put(self, event: Change | Resync) -> None:
        with self._lock:
            if len(self._buffer) >= self._max_buffer:
                self._buffer.clear()
                event = Resync(
                    self._star,
                    event.seq,
                    f"the consumer fell more than {self._max_buffer} events behind",
                )
            self._buffer.append(event)
            wakeup, self._wakeup = self._wakeup, None
        _wake(wakeup)

    def finish(self) -> None:
        """No more events: ``get`` returns what is buffered, then raises StopAsyncIteration."""
        with self._lock:
            self._finished = True
            wakeup, self._wakeup = self._wakeup, None
        _wake(wakeup)

    async def get(self) -> Change | Resync:
        while True:
            with self._lock:
                if self._buffer:
                    return self._buffer.popleft()
                if self._finished:
                    raise StopAsyncIteration
                event = anyio.Event()
                self._wakeup = (event, anyio.lowlevel.current_token())
            await event.wait()


def _call_soon(token: anyio.lowlevel.EventLoopToken, fn: Callable[[], object]) -> None:
    native: Any = token.native_token
    if hasattr(native, "call_soon_threadsafe"):  # asyncio: the loop itself
        native.call_soon_threadsafe(fn)
    else:  # trio: a TrioToken
        native.run_sync_soon(fn)


def _wake(wakeup: tuple[anyio.Event, anyio.lowlevel.EventLoopToken] | None) -> None:
    if wakeup is None:
        return
    event, token = wakeup
    # RuntimeError: the consumer's event loop is gone, so nobody is waiting any more.
    with suppress(RuntimeError):
        _call_soon(token, event.set)
