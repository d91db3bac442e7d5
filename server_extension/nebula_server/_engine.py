"""The engines one Jupyter server hosts, opened and closed with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nebula_kernel.auth import Principal
from nebula_kernel.resources import ResourceStore, StoreLimits
from nebula_server._principals import ClaimsMap

__all__ = ["Engines", "open_engines"]


@dataclass(frozen=True)
class Engines:
    store: ResourceStore
    claims: ClaimsMap
    path: Path

    def close(self) -> None:
        self.store.close()


def open_engines(
    path: Path, claims: ClaimsMap, *, default_star: str, max_document_bytes: int, max_replay: int
) -> Engines:
    from nebula_kernel.drivers.duckdb import DuckDbResourceRepo

    store = ResourceStore(
        DuckDbResourceRepo(path),
        # Fail closed: a call that forgets to pass the caller's principal is refused.
        principal=Principal("nebula-server", {}),
        default_star=default_star,
        limits=StoreLimits(max_document_bytes=max_document_bytes, max_replay=max_replay),
    )
    return Engines(store, claims, path)
