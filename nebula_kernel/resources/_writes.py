"""Preparing a write in the caller's thread, before the committer sees it.

:func:`check_ops` validates what does not depend on the stored state (ids, types, sizes,
values), reporting every problem at once. :func:`prepare` then makes the first eTag check and
runs the guards against the heads read just before; the committer checks the eTags again at
commit (the double eTag check).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pydantic

from nebula_kernel._json import dumps
from nebula_kernel.auth import Principal
from nebula_kernel.errors import (
    ConflictItem,
    DocumentTooLarge,
    FieldError,
    InvalidRequest,
    ResourceNotFound,
    TransactionConflict,
    ValidationFailed,
)
from nebula_kernel.ports import HeadRow
from nebula_kernel.resources._committer import PreparedOp
from nebula_kernel.resources._guards import GuardRegistry, GuardRequest, Operation
from nebula_kernel.resources._ids import check_resource_id, check_type_name
from nebula_kernel.resources._model import (
    Delete,
    Put,
    WriteOp,
    describe_precondition,
    precondition_holds,
)
from nebula_kernel.resources._types import TypeRegistry, TypeVersion

__all__ = ["CheckedOp", "check_ops", "plain", "prepare"]

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class CheckedOp:
    """An op that passed :func:`check_ops`: the type version it fits and its normalized value
    (``None`` for a delete) with that value's JSON text."""

    op: WriteOp
    version: int
    value: dict[str, Any] | None
    value_json: str = ""


def plain(value: Any) -> Any:
    """A pydantic instance as its JSON-ready dict; anything else as it is."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    return value


def check_ops(
    types: TypeRegistry, star: str, ops: Sequence[WriteOp], max_document_bytes: int
) -> list[CheckedOp]:
    """Ids, types, sizes and validation of every op: all problems at once."""
    seen: set[tuple[str, str]] = set()
    latest: dict[str, TypeVersion] = {}  # per type name, checked and looked up once
    checked: list[CheckedOp] = []
    errors: list[FieldError] = []
    for op in ops:
        if not isinstance(op, (Put, Delete)):
            raise InvalidRequest(
                f"A transaction takes Put and Delete operations, not {type(op).__name__}."
            )
        version = latest.get(op.type)
        if version is None:
            check_type_name(op.type)
        check_resource_id(op.id)
        name = (op.type, op.id)
        if name in seen:
            raise InvalidRequest(
                f"{op.type}/{op.id} appears twice in one transaction; merge the operations.",
                type=op.type,
                id=op.id,
            )
        seen.add(name)
        if version is None:
            version = latest[op.type] = types.get(star, op.type).latest
        if isinstance(op, Delete):
            checked.append(CheckedOp(op, version.version, None))
            continue
        try:
            normalized = version.validate(plain(op.value))
        except ValidationFailed as exc:
            errors.extend(
                FieldError((f"{op.type}/{op.id}", *e.path), e.message, e.kind) for e in exc.errors
            )
            continue
        # Encoded once: the size check measures the very text the commit stores.
        encoded = _encode(op, normalized, max_document_bytes)
        checked.append(CheckedOp(op, version.version, normalized, encoded))
    if errors:
        listed = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
        raise ValidationFailed(
            f"{len(errors)} field(s) do not fit their types: {listed}. Nothing was written.",
            errors,
        )
    return checked


def _encode(op: WriteOp, value: Any, limit: int) -> str:
    """``value`` as JSON text, refused if it is not JSON or is over ``limit`` bytes."""
    try:
        text = dumps(value)
        size = len(text.encode())  # also refuses lone surrogates (UnicodeEncodeError)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"The value of {op.type}/{op.id} is not JSON: use objects, arrays, strings, "
            "finite numbers, booleans and null.",
            [FieldError((op.type, op.id), "not JSON-serializable", "json")],
        ) from None
    if size > limit:
        raise DocumentTooLarge(
            f"{op.type}/{op.id} is {size} bytes as JSON; the limit is {limit}. Store large "
            "content elsewhere and reference it.",
            type=op.type,
            id=op.id,
            size=size,
            limit=limit,
        )
    return text


def prepare(
    star: str,
    who: Principal,
    checked: Sequence[CheckedOp],
    heads: Mapping[Key, HeadRow],
    guards: GuardRegistry,
) -> tuple[list[PreparedOp], list[frozenset[str]]]:
    """The first eTag check and the guards; returns the ops and the fields each may not show."""
    conflicts = []
    prepared: list[PreparedOp] = []
    hidden: list[frozenset[str]] = []
    for item in checked:
        op = item.op
        key = (star, op.type, op.id)
        head = heads.get(key)
        current = head.snapshot if head is not None and not head.deleted else None
        etag = None if current is None else current.etag
        if not precondition_holds(op.etag, etag):
            conflicts.append(ConflictItem(op.type, op.id, describe_precondition(op.etag), etag))
            continue
        if isinstance(op, Delete) and current is None:
            raise ResourceNotFound(
                f"{op.type}/{op.id} does not exist in star {star!r}; nothing to delete.",
                star=star,
                type=op.type,
                id=op.id,
            )
        guarded = guards.has(star, op.type)
        fields: frozenset[str] = frozenset()
        if guarded:
            old = json.loads(current.value) if current is not None else None
            operation: Operation = (
                "delete" if isinstance(op, Delete) else "update" if old else "create"
            )
            fields = guards.check(
                GuardRequest(who, star, op.type, op.id, operation, old, item.value)
            )
        kind: Literal["put", "delete"] = "delete" if isinstance(op, Delete) else "put"
        prepared.append(
            PreparedOp(key, kind, item.value, op.etag, etag, guarded, item.version, item.value_json)
        )
        hidden.append(fields)
    if conflicts:
        raise TransactionConflict(star, conflicts)
    return prepared, hidden
