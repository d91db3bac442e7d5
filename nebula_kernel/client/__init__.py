"""The kernel-side client: the same API against a Jupyter server's engines or embedded ones."""

from nebula_kernel.client._connect import Resources, connect, find_server
from nebula_kernel.client._remote import RemoteResourceStore, RemoteSubscription

__all__ = ["RemoteResourceStore", "RemoteSubscription", "Resources", "connect", "find_server"]
