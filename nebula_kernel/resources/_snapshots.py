"""Turning stored snapshot rows into the :class:`Resource` values callers see."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nebula_kernel.ports import SnapshotRow
from nebula_kernel.resources._model import Resource

__all__ = ["to_resource"]


def to_resource(row: SnapshotRow, value: Mapping[str, Any] | None = None) -> Resource:
    """The snapshot as a :class:`Resource`; pass ``value`` when it is already parsed."""
    return Resource(
        star=row.star,
        type=row.type,
        id=row.id,
        value=json.loads(row.value) if value is None else value,
        etag=row.etag,
        snapshot_number=row.snapshot_number,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        previous_values=json.loads(row.previous_values),
        changed_by=row.changed_by,
        schema_version=row.schema_version,
    )
