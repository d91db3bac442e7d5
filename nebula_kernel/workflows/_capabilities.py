"""Capabilities: what an action needs for given inputs, checked against what a workflow grants.

Nothing is allowed by default. A need is concrete (a host, a star, a secret name, a path); a
grant may be a pattern (``*.example.com``, ``acme.analytics.*``) or, for the filesystem, a
directory that covers its subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from nebula_kernel.errors import CapabilityDenied
from nebula_kernel.workflows._definition import Grants

__all__ = ["KINDS", "Needs", "check_needs", "missing_grant"]

KINDS = ("network", "resources", "secrets", "filesystem")


@dataclass(frozen=True, slots=True)
class Needs:
    """The concrete things one action call will reach."""

    network: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    filesystem: tuple[str, ...] = ()


def _covers_path(granted: str, wanted: str) -> bool:
    # Resolve both, so that '..' and symlinks cannot step outside a granted directory.
    root = Path(granted).resolve()
    target = Path(wanted).resolve()
    return target == root or root in target.parents


def _granted(kind: str, grants: Grants, wanted: str) -> bool:
    patterns: tuple[str, ...] = getattr(grants, kind)
    if kind == "filesystem":
        return any(_covers_path(p, wanted) for p in patterns)
    if kind == "network":
        wanted = wanted.lower()
        return any(fnmatchcase(wanted, p.lower()) for p in patterns)
    return any(fnmatchcase(wanted, p) for p in patterns)


def missing_grant(needs: Needs, grants: Grants) -> tuple[str, str] | None:
    """The first ``(kind, value)`` that ``grants`` does not cover, or ``None``."""
    for kind in KINDS:
        for wanted in getattr(needs, kind):
            if not _granted(kind, grants, wanted):
                return kind, wanted
    return None


def check_needs(needs: Needs, grants: Grants, *, node: str, action: str) -> None:
    """Raise :class:`CapabilityDenied` naming the first need the workflow does not grant."""
    missing = missing_grant(needs, grants)
    if missing is None:
        return
    kind, wanted = missing
    raise CapabilityDenied(
        f"Node {node!r} ({action}) needs {kind} access to {wanted!r}, which the workflow does "
        f"not grant. Add {wanted!r} (or a pattern covering it) to grants.{kind}.",
        node=node,
        action=action,
        capability=kind,
        value=wanted,
    )
