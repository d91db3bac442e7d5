"""What changed between two values: ``_PreviousValues`` for a new snapshot, and diffs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nebula_kernel.resources._model import FieldChange

__all__ = ["diff_values", "previous_values"]

_MISSING = object()


def previous_values(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields ``new`` changed, each with its old value.

    A field that was absent or null before and has a value now maps to ``None`` (an explicit
    null, as in Lookback), so transitions out of "unset" can be queried. A field that was removed
    maps to its old value. The snapshot that creates a resource has none.
    """
    if old is None:
        return {}
    if old.keys() == new.keys():
        # The usual update (same fields). A field that was null keeps None as its old value,
        # which is the explicit null asked for.
        return {
            key: before
            for key, after in new.items()
            if (before := old[key]) != after or type(before) is not type(after)
        }
    changed: dict[str, Any] = {}
    kept = 0  # fields of ``old`` that ``new`` has too: if fewer than all, some were removed
    for key, after in new.items():
        before = old.get(key, _MISSING)
        if before is _MISSING:
            changed[key] = None
            continue
        kept += 1
        if before != after or type(before) is not type(after):
            changed[key] = before
    if kept < len(old):
        for key, before in old.items():
            if key not in new:
                changed[key] = before
    return changed


def diff_values(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    """Every leaf that differs between two JSON values, in a stable order."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                out.append(FieldChange((*path, key), old[key], None, "removed"))
            elif key not in old:
                out.append(FieldChange((*path, key), None, new[key], "added"))
            else:
                out.extend(diff_values(old[key], new[key], (*path, key)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                out.append(FieldChange((*path, i), old[i], None, "removed"))
            elif i >= len(old):
                out.append(FieldChange((*path, i), None, new[i], "added"))
            else:
                out.extend(diff_values(old[i], new[i], (*path, i)))
        return out
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(path, old, new, "changed")]
