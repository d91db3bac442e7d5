"""The live protocol's messages: typed envelopes exchanged over one WebSocket per client.

Client → server: ``call`` (a method on a server object, answered by ``result`` or ``error``),
``subscribe`` (a topic, optionally resuming ``since`` a sequence), ``unsubscribe``, ``ping``.
Server → client: ``result``, ``error``, ``event`` (a change on a subscription, carrying the star's
sequence), ``resync`` (the subscriber must re-read its state), ``pong``. Every request carries a
client-chosen ``id`` that its answer repeats. Values inside ``args``/``value``/``data`` travel
in the typed JSON of :mod:`nebula_kernel.protocol._codec`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "PROTOCOL",
    "Call",
    "ClientMessage",
    "ErrorReply",
    "EventMessage",
    "Ping",
    "Pong",
    "ResourceTopic",
    "ResultReply",
    "ResyncMessage",
    "ServerMessage",
    "Subscribe",
    "Unsubscribe",
    "client_message",
]

PROTOCOL = "nebula.v1"
"""The WebSocket subprotocol; the client id travels as a second one, ``nebula.client.<id>``."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResourceTopic(_Envelope):
    """Changes to a star's resources: all, one type, one resource, or those matching a filter."""

    kind: Literal["resources"] = "resources"
    star: str | None = None
    type: str | None = None
    id: str | None = None
    where: dict[str, Any] | None = Field(None, description="A Lookback filter document")


class Call(_Envelope):
    type: Literal["call"] = "call"
    id: str = Field(min_length=1, max_length=64)
    target: Literal["resources"]
    method: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


class Subscribe(_Envelope):
    type: Literal["subscribe"] = "subscribe"
    id: str = Field(min_length=1, max_length=64)
    topic: ResourceTopic
    since: int | None = Field(None, ge=0)


class Unsubscribe(_Envelope):
    type: Literal["unsubscribe"] = "unsubscribe"
    id: str = Field(min_length=1, max_length=64)


class Ping(_Envelope):
    type: Literal["ping"] = "ping"
    id: str = Field(min_length=1, max_length=64)


ClientMessage = Annotated[Call | Subscribe | Unsubscribe | Ping, Field(discriminator="type")]
_CLIENT = TypeAdapter[Call | Subscribe | Unsubscribe | Ping](ClientMessage)


def client_message(data: Any) -> Call | Subscribe | Unsubscribe | Ping:
    """Validate one parsed client message (raises pydantic's ValidationError)."""
    return _CLIENT.validate_python(data)


class ResultReply(_Envelope):
    type: Literal["result"] = "result"
    id: str
    value: Any = None


class ErrorReply(_Envelope):
    type: Literal["error"] = "error"
    id: str | None
    error: dict[str, Any]


class EventMessage(_Envelope):
    type: Literal["event"] = "event"
    sub: str
    seq: int
    data: Any


class ResyncMessage(_Envelope):
    type: Literal["resync"] = "resync"
    sub: str
    seq: int
    reason: str


class Pong(_Envelope):
    type: Literal["pong"] = "pong"
    id: str


ServerMessage = Annotated[
    ResultReply | ErrorReply | EventMessage | ResyncMessage | Pong, Field(discriminator="type")
]
