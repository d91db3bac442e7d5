"""What a staged transaction tells its writer and the subscribers once its commit is durable.

The committer stages rows for storage; the :class:`Resource` values returned to the writer and
the :class:`Change` events for subscribers are built from those rows once storage has them, and
the changes only if someone listens (on the dispatcher thread, not the committer's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nebula_kernel.ports import SnapshotRow
from nebula_kernel.resources._model import Change, Resource
from nebula_kernel.resources._snapshots import to_resource

__all__ = ["StagedTx", "changes_of"]


@dataclass(frozen=True, slots=True)
class StagedTx:
    """One staged transaction, op by op: ``rows`` holds a put's new snapshot or the snapshot a
    delete closed; ``values`` and ``changed`` a put's value and previous values (for a delete,
    ``None`` and nothing: its resource is its closed snapshot as stored). Its ops took the change
    sequences ``first_seq``, ``first_seq + 1``, ... in order."""

    star: str
    principal: str
    at: datetime
    first_seq: int
    rows: Sequence[SnapshotRow]
    values: Sequence[Mapping[str, Any] | None]
    changed: Sequence[Mapping[str, Any]]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.rows) - 1

    def resources(self) -> list[Resource]:
        """One resource per op, in the order of the ops."""
        return [
            to_resource(row)
            if value is None
            else Resource(
                row.star,
                row.type,
                row.id,
                value,
                row.etag,
                row.snapshot_number,
                row.valid_from,
                row.valid_to,
                changed,
                row.changed_by,
                row.schema_version,
            )
            for row, value, changed in zip(self.rows, self.values, self.changed, strict=True)
        ]

    def changes(self, resources: Sequence[Resource]) -> list[Change]:
        """The change events of :meth:`resources`, in sequence order."""
        return [
            Change(
                self.star,
                self.first_seq + n,
                "put" if value is not None else "delete",
                resource.type,
                resource.id,
                resource,
                self.at,
                self.principal,
            )
            for n, (value, resource) in enumerate(zip(self.values, resources, strict=True))
        ]


def changes_of(staged: Sequence[tuple[StagedTx, Sequence[Resource]]]) -> list[Change]:
    """The change events of a commit's transactions, in commit order."""
    return [change for tx, resources in staged for change in tx.changes(resources)]
