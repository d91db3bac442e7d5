"""Guards: per-type code that allows, denies or redacts an operation.

A guard is called with a :class:`GuardRequest` and returns :data:`ALLOW` (or ``True``/``None``),
a :class:`Deny` (or ``False``), or a :class:`Redact` naming fields the principal may not see.
Every guard of the type must allow; redactions add up. Redaction applies to what is returned to
that principal, never to what is stored. A later step runs guards inside the sandbox; the store
only sees this calling convention.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from nebula_kernel.auth import Principal
from nebula_kernel.errors import GuardDenied

__all__ = [
    "ALLOW",
    "Allow",
    "Deny",
    "Guard",
    "GuardDecision",
    "GuardRegistry",
    "GuardRequest",
    "Operation",
    "Redact",
    "redact",
]

Operation: TypeAlias = Literal["read", "create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class GuardRequest:
    principal: Principal
    star: str
    type: str
    id: str
    operation: Operation
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Allow:
    pass


ALLOW = Allow()


@dataclass(frozen=True, slots=True)
class Deny:
    reason: str = "denied by a guard"


@dataclass(frozen=True, slots=True)
class Redact:
    """Allow, but hide these fields (dotted paths into the value) from the principal."""

    fields: tuple[str, ...]


GuardDecision: TypeAlias = Allow | Deny | Redact | bool | None
Guard: TypeAlias = Callable[[GuardRequest], GuardDecision]


def redact(value: Mapping[str, Any], paths: frozenset[str]) -> dict[str, Any]:
    """A copy of ``value`` without the fields at ``paths``."""
    out = dict(value)
    for path in paths:
        head, _, rest = path.partition(".")
        if head not in out:
            continue
        if rest and isinstance(out[head], Mapping):
            out[head] = redact(out[head], frozenset([rest]))
        elif not rest:
            del out[head]
    return out


class GuardRegistry:
    """Guards by (star, type). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guards: dict[tuple[str, str], tuple[Guard, ...]] = {}

    def add(self, star: str, type_name: str, guard: Guard) -> None:
        with self._lock:
            self._guards[(star, type_name)] = (*self._guards.get((star, type_name), ()), guard)

    def has(self, star: str, type_name: str) -> bool:
        return (star, type_name) in self._guards

    def has_any(self, star: str) -> bool:
        return any(s == star for s, _ in self._guards)

    def check(self, request: GuardRequest) -> frozenset[str]:
        """Run every guard; raise :class:`GuardDenied` or return the fields to redact."""
        hidden: set[str] = set()
        for guard in self._guards.get((request.star, request.type), ()):
            try:
                decision = guard(request)
            except Exception as exc:
                # A guard that fails closes the door: the operation is refused, never let through.
                raise GuardDenied(
                    f"A guard of type {request.type!r} failed ({type(exc).__name__}) while "
                    f"checking {request.operation} of {request.type}/{request.id}; the operation "
                    "was refused. Fix the guard.",
                    star=request.star,
                    type=request.type,
                    id=request.id,
                ) from None
            if decision is None or decision is True or isinstance(decision, Allow):
                continue
            if isinstance(decision, Redact):
                hidden.update(decision.fields)
                continue
            reason = decision.reason if isinstance(decision, Deny) else "denied by a guard"
            raise GuardDenied(
                f"{request.operation.capitalize()} of {request.type}/{request.id} in star "
                f"{request.star!r} was refused for {request.principal.id!r}: {reason}.",
                star=request.star,
                type=request.type,
                id=request.id,
                operation=request.operation,
                reason=reason,
            )
        return frozenset(hidden)
