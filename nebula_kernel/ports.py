"""The protocols the core depends on; drivers implement them.

The core (resources, workflows, the auth model) never imports a driver. A host (the embedded
store, the server extension, the CLI) picks drivers and hands them to the core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = [
    "ChangeRow",
    "Clock",
    "HeadRow",
    "ResourceRepo",
    "SnapshotRow",
    "StarRow",
    "SystemClock",
    "TypeRow",
    "WriteBatch",
]


class Clock(Protocol):
    """Where the time comes from (tests inject a controllable one)."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StarRow:
    star: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class TypeRow:
    star: str
    name: str
    version: int
    json_schema: str
    defined_at: datetime
    defined_by: str


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One stored snapshot. ``sid`` is unique across the store; ``eid`` names the resource."""

    sid: int
    eid: int
    star: str
    type: str
    id: str
    snapshot_number: int
    valid_from: datetime
    valid_to: datetime
    value: str
    previous_values: str
    etag: str
    changed_by: str
    schema_version: int


@dataclass(frozen=True, slots=True)
class HeadRow:
    """The latest snapshot of a resource; if ``deleted``, it is closed and has no successor."""

    snapshot: SnapshotRow
    deleted: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.snapshot.star, self.snapshot.type, self.snapshot.id)


@dataclass(frozen=True, slots=True)
class ChangeRow:
    star: str
    seq: int
    op: str
    type: str
    id: str
    sid: int
    at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class WriteBatch:
    """Everything one group commit writes, applied atomically or not at all.

    ``closes`` sets ``valid_to`` on existing snapshots by ``sid``; ``heads`` are upserts.
    """

    closes: Sequence[tuple[int, datetime]]
    snapshots: Sequence[SnapshotRow]
    heads: Sequence[HeadRow]
    changes: Sequence[ChangeRow]


class ResourceRepo(Protocol):
    """Durable storage for stars, types, snapshots and the change log.

    Reads may be called from any thread. ``apply`` and ``rewrite_current`` are called from one
    writer thread only. ``read_heads_for_write`` reads with the writer's view.
    """

    def close(self) -> None: ...

    def load_stars(self) -> list[StarRow]: ...

    def insert_star(self, row: StarRow) -> None: ...

    def load_types(self) -> list[TypeRow]: ...

    def insert_type(self, row: TypeRow) -> None: ...

    def counters(self) -> tuple[int, int, dict[str, int]]:
        """The highest ``sid``, the highest ``eid`` and each star's last change sequence."""
        ...

    def read_heads(
        self, keys: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], HeadRow]: ...

    def read_heads_for_write(
        self, keys: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], HeadRow]: ...

    def list_heads(
        self, star: str, type_name: str | None, after_id: str | None, limit: int
    ) -> list[HeadRow]: ...

    def read_as_of(
        self, star: str, type_name: str, id_: str, at: datetime
    ) -> SnapshotRow | None: ...

    def read_history(self, star: str, type_name: str, id_: str) -> list[SnapshotRow]: ...

    def read_changes(
        self, star: str, after_seq: int, limit: int
    ) -> list[tuple[ChangeRow, SnapshotRow]]: ...

    def apply(self, batch: WriteBatch) -> None: ...

    def rewrite_current(
        self, key: tuple[str, str, str], sid: int, value: str, schema_version: int
    ) -> None: ...

    def connection_for_queries(self) -> Any:
        """A read-only handle for query engines in the same driver family (Lookback)."""
        ...
