"""Opening the engines in this process, on a DuckDB file (the embedded default)."""

from __future__ import annotations

from pathlib import Path

from nebula_kernel.auth import LOCAL_PRINCIPAL, Principal
from nebula_kernel.ports import Clock
from nebula_kernel.resources import DEFAULT_STAR, ResourceStore, StoreLimits

__all__ = ["open_store"]


def open_store(
    path: str | Path = ":memory:",
    *,
    principal: Principal = LOCAL_PRINCIPAL,
    default_star: str = DEFAULT_STAR,
    limits: StoreLimits | None = None,
    clock: Clock | None = None,
) -> ResourceStore:
    """Open (or create) a resources store on a DuckDB file; ``":memory:"`` keeps it in memory.

    Only one process may have a file open; another gets :class:`~nebula_kernel.errors.StoreLocked`
    naming the process that holds it.
    """
    from nebula_kernel.drivers.duckdb import DuckDbResourceRepo

    return ResourceStore(
        DuckDbResourceRepo(path),
        principal=principal,
        default_star=default_star,
        limits=limits,
        clock=clock,
    )
