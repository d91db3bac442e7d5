"""Capabilities: what an action needs for given inputs, checked against what a workflow grants.

Nothing is allowed by default. A need is concrete (a host, a star, a secret name, a path); a
grant may be a pattern (``*.example.com``, ``acme.analytics.*``) or, for the filesystem, a
directory that covers its subtree.

A workflow grants itself what it likes, so whoever may start workflows in a host may reach
whatever the host's actions can. :class:`ReachLimits` is the host's own bound on top: a need
must be granted by the workflow and within the host's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from nebula_kernel.errors import CapabilityDenied
from nebula_kernel.workflows._definition import Grants

__all__ = ["KINDS", "Needs", "ReachLimits", "check_needs", "missing_grant"]

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


@dataclass(frozen=True, slots=True)
class ReachLimits:
    """What a host lets any workflow reach, whatever the workflow grants itself.

    ``network``: host patterns (as in grants) that actions may reach; ``None`` sets no limit
    beyond each workflow's grants. A server shared by several people sets it; a personal
    JupyterLab, whose user can run any code anyway, need not.
    """

    network: tuple[str, ...] | None = None

    def check(self, needs: Needs, *, node: str, action: str) -> None:
        """Raise :class:`CapabilityDenied` for the first need beyond these limits."""
        if self.network is None:
            return
        for host in needs.network:
            if not _covered("network", self.network, host):
                allowed = ", ".join(repr(p) for p in self.network) or "no host at all"
                raise CapabilityDenied(
                    f"Node {node!r} ({action}) needs network access to {host!r}, which this "
                    f"server does not let workflows reach, whatever they grant (it allows "
                    f"{allowed}). Ask its administrator to allow the host.",
                    node=node,
                    action=action,
                    capability="network",
                    value=host,
                )


def _granted(kind: str, grants: Grants, wanted: str) -> bool:
    return _covered(kind, getattr(grants, kind), wanted)


def _covered(kind: str, patterns: tuple[str, ...], wanted: str) -> bool:
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
