"""The live gateway: one WebSocket per client (browser panel or kernel)."""

from nebula_server.gateway._handler import GatewayHandler

__all__ = ["GatewayHandler"]
