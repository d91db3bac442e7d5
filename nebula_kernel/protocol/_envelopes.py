"""The live protocol's messages: typed envelopes exchanged over one WebSocket per client.

Client → server: ``call`` (a method on a server object, answered by ``result`` or ``error``),
``subscribe`` (a topic, optionally resuming ``since`` a sequence), ``unsubscribe``, ``ping``.
Server → client: ``result``, ``error``, ``event`` (a change on a subscription, carrying its
sequence), ``resync`` (the subscriber must re-read its state), ``pong``.

Clients are actors too: a ``call`` on target ``actors`` (``register``/``unregister``) makes the
socket the provider of a workflow action in one star; the server then sends it ``invoke`` for
each attempt of a node using that action, answered by ``invoke_result`` or ``invoke_error``
(which repeat the invocation's ``id``).

Topics, told apart by ``kind``: ``resources`` (a star's changes; sequence = the star's change
sequence) and ``executions`` (a star's workflow journal entries; sequence = the journal's). A
topic without ``kind`` is a resources topic, as before executions had one. Every request carries a
client-chosen ``id`` that its answer repeats. Values inside ``args``/``value``/``data`` travel
in the typed JSON of :mod:`nebula_kernel.protocol._codec`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

__all__ = [
    "PROTOCOL",
    "ActorFailure",
    "Call",
    "ClientMessage",
    "ErrorReply",
    "EventMessage",
    "ExecutionTopic",
    "Invoke",
    "InvokeError",
    "InvokeResult",
    "Ping",
    "Pong",
    "ResourceTopic",
    "ResultReply",
    "ResyncMessage",
    "ServerMessage",
    "Subscribe",
    "Topic",
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
    where: dict[str, Any] | None = Field(default=None, description="A Lookback filter document")


class ExecutionTopic(_Envelope):
    """Workflow journal entries of a star's executions: all of them, or one execution's.

    Each event's ``data`` is ``{execution_id, workflow_id, entry: {seq, kind, node_id, attempt,
    written_at, body}, status}`` (``status``: the execution's, once the entry is written).
    """

    kind: Literal["executions"]
    star: str | None = None
    execution_id: str | None = Field(default=None, min_length=1, max_length=128)


def _topic_kind(value: Any) -> str:
    kind = value.get("kind", "resources") if isinstance(value, dict) else value.kind
    return str(kind)


Topic = Annotated[
    Annotated[ResourceTopic, Tag("resources")] | Annotated[ExecutionTopic, Tag("executions")],
    Discriminator(
        _topic_kind,
        custom_error_type="unknown_topic",
        custom_error_message="kind must be 'resources' or 'executions'",
    ),
]


class Call(_Envelope):
    type: Literal["call"] = "call"
    id: str = Field(min_length=1, max_length=64)
    target: Literal["resources", "actors"]
    method: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


class Subscribe(_Envelope):
    type: Literal["subscribe"] = "subscribe"
    id: str = Field(min_length=1, max_length=64)
    topic: Topic
    since: int | None = Field(None, ge=0)


class Unsubscribe(_Envelope):
    type: Literal["unsubscribe"] = "unsubscribe"
    id: str = Field(min_length=1, max_length=64)


class Ping(_Envelope):
    type: Literal["ping"] = "ping"
    id: str = Field(min_length=1, max_length=64)


class InvokeResult(_Envelope):
    """An actor's answer to ``invoke``: the node's output."""

    type: Literal["invoke_result"] = "invoke_result"
    id: str = Field(min_length=1, max_length=64)
    value: Any = None


class ActorFailure(_Envelope):
    """Why an actor's function failed: its exception's type and message, never a traceback."""

    message: str = Field(min_length=1, max_length=2000)
    error_code: str = Field(
        default="actor_raised", min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$"
    )
    retryable: bool = True


class InvokeError(_Envelope):
    """An actor's answer to ``invoke`` when its function raised."""

    type: Literal["invoke_error"] = "invoke_error"
    id: str = Field(min_length=1, max_length=64)
    error: ActorFailure


_AnyClientMessage = Call | Subscribe | Unsubscribe | Ping | InvokeResult | InvokeError
ClientMessage = Annotated[_AnyClientMessage, Field(discriminator="type")]
_CLIENT = TypeAdapter[_AnyClientMessage](ClientMessage)


def client_message(data: Any) -> _AnyClientMessage:
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


class Invoke(_Envelope):
    """Run the actor's action for one attempt of a node; answer with the same ``id``."""

    type: Literal["invoke"] = "invoke"
    id: str = Field(min_length=1, max_length=64)
    action: str
    version: str
    input: Any = None
    star: str
    execution_id: str
    node_id: str
    attempt: int = Field(ge=1)


ServerMessage = Annotated[
    ResultReply | ErrorReply | EventMessage | ResyncMessage | Pong | Invoke,
    Field(discriminator="type"),
]
