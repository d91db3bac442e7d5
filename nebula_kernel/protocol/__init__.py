"""The live protocol shared by the server's gateway, the kernel client and the browser."""

from nebula_kernel.protocol._codec import TAG, decode, encode
from nebula_kernel.protocol._envelopes import (
    PROTOCOL,
    Call,
    ClientMessage,
    ErrorReply,
    EventMessage,
    Ping,
    Pong,
    ResourceTopic,
    ResultReply,
    ResyncMessage,
    ServerMessage,
    Subscribe,
    Unsubscribe,
    client_message,
)

__all__ = [
    "PROTOCOL",
    "TAG",
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
    "decode",
    "encode",
]
