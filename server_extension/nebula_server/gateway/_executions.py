"""Fan-out of workflow journal entries to the gateway's ``executions`` subscriptions.

The runtime reports each durable entry on its journal thread; an entry of a star nobody watches
is dropped there, any other is encoded once and queued for the event loop, where one callback
drains the queue and writes each entry to every subscription of its star (and execution, when
the subscription names one). Subscriptions are authorized once, when made: the caller must be
a viewer of the star, and only that star's entries reach it. The hub listens to the runtime
only while someone subscribes, so journal writes cost nothing extra otherwise.

A subscription that resumes (``since``, a journal sequence) reads what it missed from the
journal in a worker thread while live entries for it are held back, then the held ones follow:
every entry once, in order. Too far behind (more than ``max_replay``), it is told to resync.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio.to_thread
from tornado.ioloop import IOLoop

from nebula_kernel.auth import Principal
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.protocol import ExecutionTopic, encode
from nebula_kernel.workflows import ExecutionEvent, WorkflowService
from nebula_server.gateway._frames import EventFrames
from nebula_server.gateway._hub import Recipient
from nebula_server.gateway._inbox import LoopInbox

__all__ = ["ExecutionHub"]

_Queued = tuple[ExecutionEvent, str]


def _data(event: ExecutionEvent) -> str:
    """The event's payload, as live and resumed deliveries both send it."""
    return json.dumps(encode(event.to_json()), separators=(",", ":"))


@dataclass(eq=False)
class _Sub:
    recipient: Recipient
    id: str
    star: str
    execution_id: str | None
    last_seq: int
    held: deque[_Queued] | None = field(default_factory=deque)

    def frame_for(self, event: ExecutionEvent, data: str) -> str | None:
        seq = event.entry.seq
        if seq <= self.last_seq:
            return None  # delivered already (a resume's catch-up overlaps the live feed)
        if self.execution_id is not None and event.entry.execution_id != self.execution_id:
            return None
        self.last_seq = seq
        return EventFrames.event(self.id, seq, data)


class ExecutionHub:
    """Every ``executions`` subscription of one server's sockets, grouped by star."""

    def __init__(self, workflows: WorkflowService, loop: IOLoop, max_replay: int) -> None:
        self._workflows = workflows
        self._max_replay = max_replay
        self._by_star: dict[str, list[_Sub]] = {}
        self._inbox: LoopInbox[_Queued] = LoopInbox(loop, self._drain)
        self._stop_listening: Callable[[], None] | None = None

    # -- the journal thread -----------------------------------------------------------------------

    def _on_event(self, event: ExecutionEvent) -> None:
        if event.star not in self._by_star:
            return
        self._inbox.put((event, _data(event)))  # encoded once per entry

    # -- the event loop ---------------------------------------------------------------------------

    def _drain(self, items: list[_Queued]) -> None:
        outgoing: dict[int, tuple[Recipient, list[str]]] = {}
        for event, data in items:
            for sub in self._by_star.get(event.star, ()):
                if sub.held is not None:
                    sub.held.append((event, data))
                    continue
                frame = sub.frame_for(event, data)
                if frame is not None:
                    outgoing.setdefault(id(sub.recipient), (sub.recipient, []))[1].append(frame)
        for recipient, frames in outgoing.values():
            recipient.send_frames(frames)

    def subscribe(
        self,
        recipient: Recipient,
        sub_id: str,
        topic: ExecutionTopic,
        principal: Principal,
        since: int | None,
    ) -> tuple[int, Callable[[], Awaitable[None]] | None]:
        """Start a subscription: the journal's latest sequence, and for a resume the catch-up
        to await once the caller has answered (its live entries are held back until then)."""
        star = self._workflows.readable_star(topic.star, principal)
        latest = self._workflows.last_seq()
        if since is not None and since > latest:
            raise InvalidRequest(
                f"Cannot resume the executions of star {star!r} from sequence {since}: the "
                f"journal's latest is {latest}. Resume from a sequence you received, or omit "
                "since.",
            )
        sub = _Sub(
            recipient,
            sub_id,
            star,
            topic.execution_id,
            last_seq=latest if since is None else since,
            held=None if since is None else deque(),
        )
        self._by_star.setdefault(star, []).append(sub)
        if self._stop_listening is None:
            self._stop_listening = self._workflows.subscribe(self._on_event)
        if since is None:
            return latest, None
        return latest, lambda: self._catch_up(sub, since, latest)

    async def _catch_up(self, sub: _Sub, since: int, head: int) -> None:
        missed = await anyio.to_thread.run_sync(
            self._workflows.missed, sub.star, since, self._max_replay + 1, sub.execution_id
        )
        if len(missed) > self._max_replay:
            reason = f"more than {self._max_replay} journal entries were missed"
            sub.recipient.send_frames([EventFrames.resync(sub.id, head, reason)])
            sub.last_seq = max(sub.last_seq, head)
        else:
            frames = [
                frame
                for event in missed
                if (frame := sub.frame_for(event, _data(event))) is not None
            ]
            if frames:
                sub.recipient.send_frames(frames)
        held, sub.held = sub.held or deque(), None
        frames = [frame for event, data in held if (frame := sub.frame_for(event, data))]
        if frames:
            sub.recipient.send_frames(frames)

    def unsubscribe(self, recipient: Recipient, sub_id: str | None = None) -> bool:
        """End one subscription of ``recipient`` (or all of them); whether any ended."""
        found = False
        for star, subs in list(self._by_star.items()):
            keep = [
                s
                for s in subs
                if not (s.recipient is recipient and (sub_id is None or s.id == sub_id))
            ]
            found = found or len(keep) != len(subs)
            if keep:
                self._by_star[star] = keep
            else:
                del self._by_star[star]
        if not self._by_star and self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        return found

    def subscriptions(self, recipient: Recipient) -> dict[str, int]:
        """The ids of ``recipient``'s subscriptions and the last sequence each delivered."""
        return {
            s.id: s.last_seq
            for subs in self._by_star.values()
            for s in subs
            if s.recipient is recipient
        }
