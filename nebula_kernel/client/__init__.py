"""The kernel-side client: the same API against a Jupyter server's engines or embedded ones."""

from nebula_kernel.client._connect import Resources, connect, current, find_server
from nebula_kernel.client._remote import (
    RemoteChangeStream,
    RemoteResourceStore,
    RemoteSubscription,
)

__all__ = [
    "RemoteResourceStore",
    "RemoteChangeStream",
    "RemoteSubscription",
    "Resources",
    "connect",
    "current",
    "find_server",
]
