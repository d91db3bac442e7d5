"""The values the resources store hands out and takes in: frozen, typed, JSON-friendly."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from nebula_kernel.client import Resources
    from nebula_kernel.widgets import ResourceWidget

__all__ = [
    "CURRENT_VALID_TO",
    "MUST_NOT_EXIST",
    "Change",
    "Delete",
    "ETagPrecondition",
    "FieldChange",
    "MustNotExist",
    "Put",
    "Resource",
    "ResourceDiff",
    "Resync",
    "WriteOp",
]

CURRENT_VALID_TO = datetime(9999, 1, 1, tzinfo=UTC)
"""``_ValidTo`` of a snapshot that is still current (as in Rally's Lookback API)."""


class MustNotExist(enum.Enum):
    """Precondition: the resource must not exist (never created, or deleted)."""

    MUST_NOT_EXIST = "must-not-exist"

    def __repr__(self) -> str:
        return "MUST_NOT_EXIST"


MUST_NOT_EXIST = MustNotExist.MUST_NOT_EXIST

ETagPrecondition: TypeAlias = str | MustNotExist | None
"""An eTag the resource must currently have, :data:`MUST_NOT_EXIST`, or ``None`` for none."""


def precondition_holds(expected: ETagPrecondition, current: str | None) -> bool:
    """Whether a resource whose eTag is ``current`` (``None`` = absent) meets ``expected``."""
    if expected is None:
        return True
    if isinstance(expected, MustNotExist):
        return current is None
    return expected == current


def describe_precondition(expected: ETagPrecondition) -> str:
    if expected is None:
        return "any"
    if isinstance(expected, MustNotExist):
        return "absent"
    return expected


@dataclass(frozen=True, slots=True)
class Resource:
    """One snapshot of a resource: its value and its place in history.

    The current snapshot has ``valid_to == CURRENT_VALID_TO``. ``previous_values`` holds the
    top-level fields this snapshot changed with their old values (``None`` for a field that was
    absent or null before); it is empty for the snapshot that created the resource.
    """

    star: str
    type: str
    id: str
    value: Mapping[str, Any]
    etag: str
    snapshot_number: int
    valid_from: datetime
    valid_to: datetime
    previous_values: Mapping[str, Any]
    changed_by: str
    schema_version: int

    @property
    def is_current(self) -> bool:
        return self.valid_to == CURRENT_VALID_TO

    def widget(self, source: Resources | None = None) -> ResourceWidget:
        """A notebook view of this resource that follows every later change to it, through
        ``source`` (default: the connection :func:`nebula_kernel.connect` opened)."""
        from nebula_kernel.widgets import resource_widget

        return resource_widget(self, source)

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, timestamps as datetimes (for the typed wire codec)."""
        return {
            "star": self.star,
            "type": self.type,
            "id": self.id,
            "value": self.value,
            "etag": self.etag,
            "snapshot_number": self.snapshot_number,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "previous_values": self.previous_values,
            "changed_by": self.changed_by,
            "schema_version": self.schema_version,
        }

    def _repr_html_(self) -> str:
        """A notebook's view: the value, then when it was valid and what it changed."""
        from nebula_kernel.resources._display import resource_html

        return resource_html(self)

    def to_json(self) -> dict[str, Any]:
        """:meth:`to_dict` with ISO 8601 timestamps: plain JSON (REST, CLI)."""
        plain = self.to_dict()
        plain["valid_from"] = self.valid_from.isoformat()
        plain["valid_to"] = self.valid_to.isoformat()
        return plain

    def to_record(self) -> dict[str, Any]:
        """The Lookback-style record: the value's fields plus the underscore meta fields."""
        record = dict(self.value)
        record.update(
            {
                "_Star": self.star,
                "_Type": self.type,
                "_Id": self.id,
                "_ETag": self.etag,
                "_SnapshotNumber": self.snapshot_number,
                "_ValidFrom": self.valid_from.isoformat(),
                "_ValidTo": self.valid_to.isoformat(),
                "_PreviousValues": dict(self.previous_values),
                "_ChangedBy": self.changed_by,
                "_SchemaVersion": self.schema_version,
            }
        )
        return record


@dataclass(frozen=True, slots=True)
class Put:
    """Create or replace ``type/id`` with ``value`` if ``etag`` holds."""

    type: str
    id: str
    value: Mapping[str, Any]
    etag: ETagPrecondition = None


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete ``type/id`` (close its current snapshot) if ``etag`` holds."""

    type: str
    id: str
    etag: ETagPrecondition = None


WriteOp: TypeAlias = Put | Delete


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change, as subscribers see it.

    ``seq`` is the star's change sequence: strictly increasing, without gaps, across every type.
    For a put, ``resource`` is the new snapshot; for a delete it is the snapshot that was closed.
    """

    star: str
    seq: int
    op: Literal["put", "delete"]
    type: str
    id: str
    resource: Resource
    at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class Resync:
    """The subscriber fell too far behind to be sent every change.

    Re-read the state it cares about; changes after ``seq`` follow this signal.
    """

    star: str
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One difference between two values, at ``path`` (``old``/``new`` are ``None`` if absent)."""

    path: tuple[str | int, ...]
    old: Any
    new: Any
    kind: Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class ResourceDiff:
    """How a resource differs between two moments; ``before``/``after`` are ``None`` if absent."""

    before: Resource | None
    after: Resource | None
    changes: tuple[FieldChange, ...] = field(default_factory=tuple)
