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
from typing import Any

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
from nebula_kernel.resources._committer import PreparedTx
from nebula_kernel.resources._guards import GuardRegistry, GuardRequest, Operation
from nebula_kernel.resources._ids import check_resource_id, check_type_name
from nebula_kernel.resources._model import (
    Delete,
    ETagPrecondition,
    Put,
    WriteOp,
    describe_precondition,
    precondition_holds,
)
from nebula_kernel.resources._types import TypeRegistry, TypeVersion

__all__ = ["CheckedOps", "check_ops", "plain", "prepare"]

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class CheckedOps:
    """Ops that passed :func:`check_ops`, column by column: the type version each fits, its
    normalized value (``None`` for a delete) and that value's JSON text (``""`` for a delete)."""

    ops: Sequence[WriteOp]
    versions: Sequence[int]
    values: Sequence[dict[str, Any] | None]
    texts: Sequence[str]


def plain(value: Any) -> Any:
    """A pydantic instance as its JSON-ready dict; anything else as it is."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    return value


def check_ops(
    types: TypeRegistry, star: str, ops: Sequence[WriteOp], max_document_bytes: int
) -> CheckedOps:
    """Ids, types, sizes and validation of every op: all problems at once."""
    seen: set[tuple[str, str]] = set()
    latest: dict[str, TypeVersion] = {}  # per type name, checked and looked up once
    versions: list[int] = []
    values: list[dict[str, Any] | None] = []
    texts: list[str] = []
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
            versions.append(version.version)
            values.append(None)
            texts.append("")
            continue
        try:
            normalized = version.validate(plain(op.value))
        except ValidationFailed as exc:
            errors.extend(
                FieldError((f"{op.type}/{op.id}", *e.path), e.message, e.kind) for e in exc.errors
            )
            continue
        # Encoded once: the size check measures the very text the commit stores.
        texts.append(_encode(op, normalized, max_document_bytes))
        versions.append(version.version)
        values.append(normalized)
    if errors:
        listed = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
        raise ValidationFailed(
            f"{len(errors)} field(s) do not fit their types: {listed}. Nothing was written.",
            errors,
        )
    return CheckedOps(ops, versions, values, texts)


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
    checked: CheckedOps,
    heads: Mapping[Key, HeadRow],
    guards: GuardRegistry,
) -> tuple[PreparedTx, list[frozenset[str]]]:
    """The first eTag check and the guards; returns the transaction for the committer and the
    fields each op may not show."""
    conflicts = []
    keys: list[Key] = []
    deletes: list[bool] = []
    expected: list[ETagPrecondition] = []
    observed: list[str | None] = []
    guarded: list[bool] = []
    hidden: list[frozenset[str]] = []
    has_guards: dict[str, bool] = {}  # per type name
    nothing: frozenset[str] = frozenset()
    for op, value in zip(checked.ops, checked.values, strict=True):
        key = (star, op.type, op.id)
        head = heads.get(key)
        current = head.snapshot if head is not None and not head.deleted else None
        etag = None if current is None else current.etag
        if op.etag is not None and not precondition_holds(op.etag, etag):
            conflicts.append(ConflictItem(op.type, op.id, describe_precondition(op.etag), etag))
            continue
        delete = isinstance(op, Delete)
        if delete and current is None:
            raise ResourceNotFound(
                f"{op.type}/{op.id} does not exist in star {star!r}; nothing to delete.",
                star=star,
                type=op.type,
                id=op.id,
            )
        is_guarded = has_guards.get(op.type)
        if is_guarded is None:
            is_guarded = has_guards[op.type] = guards.has(star, op.type)
        fields = nothing
        if is_guarded:
            old = json.loads(current.value) if current is not None else None
            operation: Operation = "delete" if delete else "update" if old else "create"
            fields = guards.check(GuardRequest(who, star, op.type, op.id, operation, old, value))
        keys.append(key)
        deletes.append(delete)
        expected.append(op.etag)
        observed.append(etag)
        guarded.append(is_guarded)
        hidden.append(fields)
    if conflicts:
        raise TransactionConflict(star, conflicts)
    tx = PreparedTx(
        star,
        who.id,
        keys,
        deletes,
        checked.values,
        checked.texts,
        checked.versions,
        expected,
        observed,
        guarded,
    )
    return tx, hidden
