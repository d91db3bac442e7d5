"""Fan-out for the gateway: one store feed per star, however many sockets subscribe to it.

The store's dispatcher thread hands each change to the star's feed, which encodes it once and
queues it for the event loop; one loop callback then drains every queued change and writes it
to each matching subscription. Per recipient there is only a scope test, a guard check when the
type has guards, and a frame built around the shared payload.

A subscription that resumes (``since``) catches up from the change log in a worker thread while
live changes for it are held back; then the held ones follow, so it sees every sequence number
once, in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import anyio.to_thread
from tornado.ioloop import IOLoop

from nebula_kernel.auth import Principal, Role
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.protocol import ResourceTopic
from nebula_kernel.resources import Change, ResourceStore, Resync, Subscription, where_predicate
from nebula_kernel.resources._ids import check_resource_id, check_type_name
from nebula_server.gateway._frames import EventFrames, text_frame
from nebula_server.gateway._inbox import LoopInbox

__all__ = ["GatewayHub", "Recipient"]


class Recipient(Protocol):
    """A socket the hub writes frames to (several at once: one write for a whole drain)."""

    def send_frames(self, frames: Sequence[str | bytes]) -> None:
        """Text messages, or complete WebSocket frames already built (bytes)."""


@dataclass(eq=False)
class _Sub:
    recipient: Recipient
    id: str
    principal: Principal
    type: str | None
    resource_id: str | None
    where: Callable[[Change], bool] | None
    last_seq: int
    held: deque[tuple[Change, str]] | None = field(default_factory=deque)

    def matches(self, change: Change) -> bool:
        if self.type is not None and change.type != self.type:
            return False
        if self.resource_id is not None and change.id != self.resource_id:
            return False
        return self.where is None or bool(self.where(change))


class _StarFeed:
    def __init__(self, hub: GatewayHub, star: str) -> None:
        self.hub = hub
        self.star = star
        self.subs: list[_Sub] = []
        self._inbox: LoopInbox[tuple[Change, str]] = LoopInbox(hub.loop, self._drain)
        self.feed: Subscription = hub.store.feed(star, self._on_change)
        # The feed delivers every change after this one; a change it already delivered is in
        # the inbox, and draining it moves ``seen`` no further back than this.
        self.seen = self.feed.last_seq

    def _on_change(self, event: Change | Resync) -> None:  # the store's dispatcher thread
        if not isinstance(event, Change):
            return  # a live feed from "now" is never told to resync
        # Encode once, off the event loop.
        self._inbox.put((event, self.hub.frames.data(event)))

    def _drain(self, items: list[tuple[Change, str]]) -> None:
        outgoing: dict[int, tuple[Recipient, list[str | bytes]]] = {}
        for change, data in items:
            self.seen = max(self.seen, change.seq)
            # Subscribers that see this change unredacted under the same subscription id get
            # byte-identical frames: build each once, however many sockets it goes to.
            framed: dict[str, bytes] = {}
            for sub in self.subs:
                if sub.held is not None:
                    sub.held.append((change, data))
                    continue
                shown = self.hub.shown(sub, change)
                if shown is None:
                    continue
                if shown is change:
                    frame: str | bytes | None = framed.get(sub.id)
                    if frame is None:
                        frame = framed[sub.id] = text_frame(
                            self.hub.frames.event(sub.id, change.seq, data)
                        )
                else:  # redacted for this principal: a payload of its own
                    frame = self.hub.frames.event(sub.id, change.seq, self.hub.frames.data(shown))
                outgoing.setdefault(id(sub.recipient), (sub.recipient, []))[1].append(frame)
        for recipient, frames in outgoing.values():
            recipient.send_frames(frames)


class GatewayHub:
    """Every live subscription of one server's sockets, grouped by star."""

    def __init__(self, store: ResourceStore, loop: IOLoop) -> None:
        self.store = store
        self.loop = loop
        self.frames = EventFrames()
        # The hub reads every change of a star it serves; each recipient is checked on its own.
        self.principal = Principal("nebula-gateway", {"*": "viewer"})
        self._feeds: dict[str, _StarFeed] = {}

    def subscribe(
        self,
        recipient: Recipient,
        sub_id: str,
        topic: ResourceTopic,
        principal: Principal,
        since: int | None,
    ) -> tuple[int, Callable[[], Awaitable[None]] | None]:
        """Start a subscription: the star's latest sequence, and for a resume the catch-up to
        await once the caller has answered (its events are held back until then)."""
        star, who = self.store.access(topic.star, principal, Role.VIEWER)
        if topic.type is not None:
            check_type_name(topic.type)
        if topic.id is not None:
            check_resource_id(topic.id)
        latest = self.store.last_seq(star=star, principal=who)
        if since is not None and since > latest:
            raise InvalidRequest(
                f"Cannot resume star {star!r} from sequence {since}: its latest change is "
                f"{latest}. Resume from a sequence you received, or omit since.",
            )
        feed = self._feeds.get(star)
        if feed is None:
            feed = self._feeds[star] = _StarFeed(self, star)
        sub = _Sub(
            recipient,
            sub_id,
            who,
            topic.type,
            topic.id,
            where_predicate(topic.where),
            last_seq=feed.seen,
            held=None if since is None else deque(),
        )
        feed.subs.append(sub)
        if since is None:
            return latest, None
        return latest, lambda: self._catch_up(feed, sub, since)

    async def _catch_up(self, feed: _StarFeed, sub: _Sub, since: int) -> None:
        head = feed.seen  # everything up to here was fanned out already; later ones are held
        limit = self.store.limits.max_replay
        if head - since > limit:
            sub.recipient.send_frames(
                [self.frames.resync(sub.id, head, f"more than {limit} changes were missed")]
            )
        elif head > since:
            missed = await anyio.to_thread.run_sync(
                lambda: self.store.replay(feed.star, since, head - since)
            )
            sub.last_seq = since
            for change in missed:
                self.deliver(sub, change, self.frames.data(change))
        sub.last_seq = head
        held, sub.held = sub.held or deque(), None
        for change, data in held:
            self.deliver(sub, change, data)

    def shown(self, sub: _Sub, change: Change) -> Change | None:
        """What ``sub`` is shown of ``change`` (the change itself, a redacted copy, or
        ``None``), moving ``sub`` past it."""
        if change.seq <= sub.last_seq or not sub.matches(change):
            return None
        sub.last_seq = change.seq
        return self.store.visible(change, sub.principal)

    def frame_for(self, sub: _Sub, change: Change, data: str) -> str | None:
        """The event frame ``sub`` gets for ``change``, or ``None`` if it gets none."""
        shown = self.shown(sub, change)
        if shown is None:
            return None
        if shown is not change:  # redacted for this principal: its own payload
            data = self.frames.data(shown)
        return self.frames.event(sub.id, change.seq, data)

    def deliver(self, sub: _Sub, change: Change, data: str) -> None:
        frame = self.frame_for(sub, change, data)
        if frame is not None:
            sub.recipient.send_frames([frame])

    def unsubscribe(self, recipient: Recipient, sub_id: str | None = None) -> bool:
        """End one subscription of ``recipient`` (or all of them); whether any ended."""
        found = False
        for star, feed in list(self._feeds.items()):
            keep = [
                s
                for s in feed.subs
                if not (s.recipient is recipient and (sub_id is None or s.id == sub_id))
            ]
            found = found or len(keep) != len(feed.subs)
            feed.subs = keep
            if not keep:
                feed.feed.close()
                del self._feeds[star]
        return found

    def subscriptions(self, recipient: Recipient) -> dict[str, int]:
        """The ids of ``recipient``'s subscriptions and the last sequence each delivered."""
        return {
            s.id: s.last_seq
            for f in self._feeds.values()
            for s in f.subs
            if s.recipient is recipient
        }

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.feed.close()
        self._feeds.clear()
