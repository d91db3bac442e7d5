"""How Nebula's typed errors travel over HTTP: a status code and a JSON body, nothing else."""

from __future__ import annotations

from nebula_kernel.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    MigrationFailed,
    NebulaError,
    NotFound,
    StoreClosed,
    StoreError,
)

__all__ = ["status_for"]

_STATUS: tuple[tuple[type[NebulaError], int], ...] = (
    (InvalidRequest, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (MigrationFailed, 500),
    (StoreClosed, 503),
    (StoreError, 503),
)


def status_for(error: NebulaError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500
