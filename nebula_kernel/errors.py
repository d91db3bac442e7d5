"""The one exception tree of Nebula.

Every error Nebula raises on purpose is a :class:`NebulaError`. Each class has a stable ``code``
that travels to clients (REST, WebSocket, CLI ``--json``) together with a message that says what
to do and a ``details`` mapping that is safe to show: never a traceback, SQL or a secret.

::

    NebulaError
    ├── InvalidRequest                  the caller sent something that cannot be accepted
    │   ├── InvalidIdentifier           a malformed star id, type name or resource id
    │   ├── ValidationFailed            a value does not fit its type (field-level errors)
    │   ├── DocumentTooLarge            a value is above the size limit
    │   ├── InvalidQuery                a Lookback query that does not parse or type-check
    │   ├── InvalidDefinition           a type or workflow definition that cannot be used
    │   └── ExpressionError             an expression that does not parse or cannot run
    │       ├── ExpressionSyntaxError
    │       ├── ExpressionLimitExceeded
    │       └── ExpressionEvaluationError
    ├── NotFound
    │   ├── StarNotFound
    │   ├── TypeNotFound
    │   ├── ResourceNotFound
    │   └── ExecutionNotFound           no workflow execution has this id
    ├── Conflict
    │   ├── TransactionConflict         eTag preconditions failed; lists every failed item
    │   └── AlreadyExists
    ├── Forbidden                       the principal's claims do not grant the star and role
    │   ├── GuardDenied                 a type's guard refused the operation
    │   └── CapabilityDenied            a workflow action needs a grant the workflow lacks
    ├── ActionFailed                    a workflow action failed (says whether to retry)
    ├── MigrationFailed                 a schema migration raised or returned an invalid value
    ├── Unavailable                     not attempted now, retry after ``retry_after`` seconds
    │   ├── CircuitOpen                 the circuit for a key is open after repeated failures
    │   ├── RateLimited                 the key's rate limit needs a longer wait than allowed
    │   ├── BulkheadFull                the key's concurrency cap and wait queue are full
    │   └── ActorUnavailable            no connected kernel provides a client-served action now
    ├── SecretError                     a credential could not be stored or read (never its value)
    │   ├── SecretKeyError              the encryption key is missing, malformed or not private
    │   └── SecretDecryptionFailed      the record was sealed with another key, or altered
    └── StoreError                      the storage underneath failed
        ├── StoreLocked                 another process holds the database file
        └── StoreClosed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "ActionFailed",
    "ActorUnavailable",
    "AlreadyExists",
    "BulkheadFull",
    "CapabilityDenied",
    "CircuitOpen",
    "Conflict",
    "ConflictItem",
    "DocumentTooLarge",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionLimitExceeded",
    "ExecutionNotFound",
    "ExpressionSyntaxError",
    "FieldError",
    "Forbidden",
    "GuardDenied",
    "InvalidDefinition",
    "InvalidIdentifier",
    "InvalidQuery",
    "InvalidRequest",
    "MigrationFailed",
    "NebulaError",
    "NotFound",
    "RateLimited",
    "ResourceNotFound",
    "SecretDecryptionFailed",
    "SecretError",
    "SecretKeyError",
    "StarNotFound",
    "StoreClosed",
    "StoreError",
    "StoreLocked",
    "TransactionConflict",
    "TypeNotFound",
    "Unavailable",
    "ValidationFailed",
]


class NebulaError(Exception):
    """Base of every error Nebula raises on purpose.

    ``message`` is for people; ``code`` and ``details`` are for programs. Both are safe to send
    to a client.
    """

    code: ClassVar[str] = "nebula_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe shape clients receive."""
        return {"code": self.code, "message": self.message, "details": _jsonable(self.details)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- the caller's input ---------------------------------------------------------------------------


class InvalidRequest(NebulaError):
    code = "invalid_request"


class InvalidIdentifier(InvalidRequest):
    code = "invalid_identifier"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``path`` is the location inside the value (``()`` = root)."""

    path: tuple[str | int, ...]
    message: str
    kind: str = "invalid"

    @property
    def location(self) -> str:
        """The path in dotted form, e.g. ``tags.2`` or ``<root>``."""
        return ".".join(str(p) for p in self.path) or "<root>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": list(self.path),
            "location": self.location,
            "message": self.message,
            "kind": self.kind,
        }


class ValidationFailed(InvalidRequest):
    code = "validation_failed"

    def __init__(self, message: str, errors: Sequence[FieldError], **details: Any) -> None:
        super().__init__(message, errors=list(errors), **details)
        self.errors: tuple[FieldError, ...] = tuple(errors)


class DocumentTooLarge(InvalidRequest):
    code = "document_too_large"


class InvalidQuery(InvalidRequest):
    code = "invalid_query"


class InvalidDefinition(InvalidRequest):
    code = "invalid_definition"


class ExpressionError(InvalidRequest):
    code = "expression_error"


class ExpressionSyntaxError(ExpressionError):
    code = "expression_syntax_error"


class ExpressionLimitExceeded(ExpressionError):
    code = "expression_limit_exceeded"


class ExpressionEvaluationError(ExpressionError):
    code = "expression_evaluation_error"


# -- what is not there ----------------------------------------------------------------------------


class NotFound(NebulaError):
    code = "not_found"


class StarNotFound(NotFound):
    code = "star_not_found"


class TypeNotFound(NotFound):
    code = "type_not_found"


class ResourceNotFound(NotFound):
    code = "resource_not_found"


class ExecutionNotFound(NotFound):
    code = "execution_not_found"


# -- concurrency ----------------------------------------------------------------------------------


class Conflict(NebulaError):
    code = "conflict"


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """One failed precondition: what the caller expected and what the store holds now.

    ``current_etag`` is ``None`` when the resource does not exist (or was deleted).
    """

    type: str
    id: str
    expected: str
    current_etag: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "expected": self.expected,
            "current_etag": self.current_etag,
        }


class TransactionConflict(Conflict):
    code = "transaction_conflict"

    def __init__(self, star: str, items: Sequence[ConflictItem]) -> None:
        listed = ", ".join(
            f"{i.type}/{i.id} (expected {i.expected}, current {i.current_etag or 'absent'})"
            for i in items
        )
        super().__init__(
            f"Transaction on star {star!r} was not applied: {len(items)} precondition(s) failed: "
            f"{listed}. Re-read these resources and retry with their current eTags.",
            star=star,
            items=list(items),
        )
        self.star = star
        self.items: tuple[ConflictItem, ...] = tuple(items)


class AlreadyExists(Conflict):
    code = "already_exists"


# -- authorization --------------------------------------------------------------------------------


class Forbidden(NebulaError):
    code = "forbidden"


class GuardDenied(Forbidden):
    code = "guard_denied"


class CapabilityDenied(Forbidden):
    code = "capability_denied"


# -- workflow actions -----------------------------------------------------------------------------


class ActionFailed(NebulaError):
    """An action's own failure. ``error_code`` names it for retry policies (``non_retryable``);
    ``retryable=False`` stops retries whatever the policy says."""

    code = "action_failed"

    def __init__(
        self,
        message: str,
        *,
        error_code: str = "action_failed",
        retryable: bool = True,
        **details: Any,
    ) -> None:
        super().__init__(message, error_code=error_code, retryable=retryable, **details)
        self.error_code = error_code
        self.retryable = retryable


# -- schema evolution -----------------------------------------------------------------------------


class MigrationFailed(NebulaError):
    code = "migration_failed"


# -- resilience -----------------------------------------------------------------------------------


class Unavailable(NebulaError):
    """The call was refused before it ran; trying again after ``retry_after`` seconds may work.

    ``retryable`` tells retry policies so without them having to know every subclass.
    """

    code = "unavailable"
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, key: str, retry_after: float, **details: Any) -> None:
        super().__init__(message, key=key, retry_after=retry_after, **details)
        self.key = key
        self.retry_after = retry_after


class CircuitOpen(Unavailable):
    code = "circuit_open"


class RateLimited(Unavailable):
    code = "rate_limited"


class BulkheadFull(Unavailable):
    code = "bulkhead_full"


class ActorUnavailable(Unavailable):
    """A node's action is served by a kernel (a client actor) that is not connected now: it
    never registered, or its socket closed. Retryable: a node with a retry policy runs again
    once the kernel has re-registered."""

    code = "actor_unavailable"


# -- credentials ----------------------------------------------------------------------------------


class SecretError(NebulaError):
    code = "secret_error"


class SecretKeyError(SecretError):
    code = "secret_key_error"


class SecretDecryptionFailed(SecretError):
    code = "secret_decryption_failed"


# -- infrastructure -------------------------------------------------------------------------------


class StoreError(NebulaError):
    code = "store_error"


class StoreLocked(StoreError):
    code = "store_locked"


class StoreClosed(StoreError):
    code = "store_closed"
