"""The temporal resources store: typed JSON documents with permanent history."""

from nebula_kernel.resources._guards import (
    ALLOW,
    Allow,
    Deny,
    Guard,
    GuardDecision,
    GuardRequest,
    Redact,
)
from nebula_kernel.resources._model import (
    CURRENT_VALID_TO,
    MUST_NOT_EXIST,
    Change,
    Delete,
    ETagPrecondition,
    FieldChange,
    Put,
    Resource,
    ResourceDiff,
    Resync,
    WriteOp,
)
from nebula_kernel.resources._store import (
    DEFAULT_STAR,
    ResourceStore,
    StoreLimits,
    Transaction,
    where_predicate,
)
from nebula_kernel.resources._subscriptions import ChangeStream, Subscription
from nebula_kernel.resources._types import Migration, ResourceType, TypeVersion

__all__ = [
    "ALLOW",
    "CURRENT_VALID_TO",
    "DEFAULT_STAR",
    "MUST_NOT_EXIST",
    "Allow",
    "Change",
    "ChangeStream",
    "Delete",
    "Deny",
    "ETagPrecondition",
    "FieldChange",
    "Guard",
    "GuardDecision",
    "GuardRequest",
    "Migration",
    "Put",
    "Redact",
    "Resource",
    "ResourceDiff",
    "ResourceStore",
    "ResourceType",
    "Resync",
    "StoreLimits",
    "Subscription",
    "Transaction",
    "TypeVersion",
    "WriteOp",
    "where_predicate",
]
