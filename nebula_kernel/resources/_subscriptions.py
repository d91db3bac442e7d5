"""Live subscriptions: callbacks and async iterators over each star's change sequence.

Every star numbers its changes 1, 2, 3, ... without gaps. A subscriber may start from a sequence
it saw before (``since=N``): it then gets exactly the changes after N, in order, followed by the
live ones, or a :class:`Resync` if it missed more than the hub replays. State sync, not queues:
a :class:`Resync` means "re-read what you care about; changes after ``seq`` follow".

One dispatcher thread per store delivers events in sequence order, so a slow callback delays
other subscribers of that store but never the writers. Async streams buffer a bounded number of
events; a stream that falls further behind gets a :class:`Resync` instead of unbounded memory.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from nebula_kernel.errors import InvalidRequest
from nebula_kernel.resources._event_queue import EventQueue
from nebula_kernel.resources._model import Change, Resync

__all__ = ["ChangeStream", "Event", "Predicate", "Scope", "Subscription", "SubscriptionHub"]

log = logging.getLogger("nebula.resources")

Event: TypeAlias = Change | Resync
Predicate: TypeAlias = Callable[[Change], bool]
Replay = Callable[[str, int, int], list[Change]]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which changes a subscription sees. ``visible`` applies the principal's read guards: it
    returns the change (perhaps redacted) or ``None`` to withhold it."""

    star: str
    type: str | None
    id: str | None
    where: Predicate | None
    visible: Callable[[Change], Change | None]

    def admit(self, change: Change) -> Change | None:
        if change.star != self.star:
            return None
        if self.type is not None and change.type != self.type:
            return None
        if self.id is not None and change.id != self.id:
            return None
        if self.where is not None:
            try:
                if not self.where(change):
                    return None
            except Exception:
                log.exception("subscription filter raised; the change is not delivered to it")
                return None
        return self.visible(change)


class Subscription:
    """A live subscription; ``close()`` (or ``with``) ends it.

    ``last_seq`` is the sequence of the last change delivered (resume from it after a restart).
    """

    def __init__(self, hub: SubscriptionHub, scope: Scope) -> None:
        self._hub = hub
        self.scope = scope
        self.last_seq = 0
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._hub._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deliver(self, event: Event) -> None:
        raise NotImplementedError


class _CallbackSubscription(Subscription):
    def __init__(
        self, hub: SubscriptionHub, scope: Scope, callback: Callable[[Event], Any]
    ) -> None:
        super().__init__(hub, scope)
        self._callback = callback

    def _deliver(self, event: Event) -> None:
        self.last_seq = event.seq
        try:
            self._callback(event)
        except Exception:
            log.exception("subscription callback raised; later changes are still delivered")


class ChangeStream(Subscription):
    """An async iterator of events: ``async for event in stream``; ends when closed."""

    def __init__(self, hub: SubscriptionHub, scope: Scope, max_buffer: int) -> None:
        super().__init__(hub, scope)
        self._events = EventQueue(scope.star, max_buffer)

    def _deliver(self, event: Event) -> None:
        self.last_seq = event.seq
        self._events.put(event)

    def close(self) -> None:
        super().close()
        self._events.finish()

    def __aiter__(self) -> ChangeStream:
        return self

    async def __anext__(self) -> Event:
        return await self._events.get()

    async def __aenter__(self) -> ChangeStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class SubscriptionHub:
    """Fans committed changes out to subscriptions, in each star's sequence order."""

    def __init__(
        self, replay: Replay, last_seqs: dict[str, int], *, max_replay: int, max_buffer: int
    ) -> None:
        self._replay = replay
        self._last_seq = dict(last_seqs)
        self._max_replay = max_replay
        self._max_buffer = max_buffer
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="nebula-dispatch", daemon=True)
        self._thread.start()

    def last_seq(self, star: str) -> int:
        return self._last_seq.get(star, 0)

    def publish(
        self, last_seqs: Mapping[str, int], changes: Callable[[], Sequence[Change]]
    ) -> None:
        """Called by the committer after a commit, with each star's last sequence in it and how
        to build its changes, in order: built on the dispatcher thread, only if someone
        listens."""
        with self._lock:
            self._last_seq.update(last_seqs)
            targets = list(self._subs)
        if targets:
            self._queue.put(lambda: self._fan_out(changes(), targets))

    def _fan_out(self, changes: Sequence[Change], targets: list[Subscription]) -> None:
        for change in changes:
            for sub in targets:
                if not sub.closed and change.seq > sub.last_seq:
                    self._offer(sub, change)

    @staticmethod
    def _offer(sub: Subscription, change: Change) -> None:
        admitted = sub.scope.admit(change)
        if admitted is not None:
            sub._deliver(admitted)

    def subscribe(
        self,
        scope: Scope,
        *,
        since: int | None,
        callback: Callable[[Event], Any] | None,
    ) -> Subscription:
        sub: Subscription = (
            _CallbackSubscription(self, scope, callback)
            if callback is not None
            else ChangeStream(self, scope, self._max_buffer)
        )
        with self._lock:
            head = self._last_seq.get(scope.star, 0)
            if since is not None and since > head:
                raise InvalidRequest(
                    f"Cannot resume star {scope.star!r} from sequence {since}: its latest change "
                    f"is {head}. Resume from a sequence you received, or omit since=.",
                    star=scope.star,
                    since=since,
                    latest=head,
                )
            sub.last_seq = head
            self._subs.append(sub)
        if since is not None and since < head:
            # Replayed on the dispatcher thread, so it lands before any later live change.
            self._queue.put(lambda: self._catch_up(sub, since, head))
        return sub

    def _catch_up(self, sub: Subscription, since: int, head: int) -> None:
        if head - since > self._max_replay:
            sub._deliver(
                Resync(sub.scope.star, head, f"more than {self._max_replay} changes were missed")
            )
            return
        missed = self._replay(sub.scope.star, since, head - since)
        sub.last_seq = since
        for change in missed:
            if change.seq <= head:
                self._offer(sub, change)
        sub.last_seq = max(sub.last_seq, head)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("delivering changes failed")

    def close(self) -> None:
        with self._lock:
            subs, self._subs = self._subs, []
        for sub in subs:
            sub.closed = True
            if isinstance(sub, ChangeStream):
                sub.close()
        self._queue.put(None)
        self._thread.join(timeout=5)
