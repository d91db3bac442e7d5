"""How the CLI prints: JSON for scripts (``--json``), short readable lines for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from nebula_kernel.resources import Resource

__all__ = ["emit"]


def _line(resource: Resource) -> str:
    until = "current" if resource.is_current else f"until {resource.valid_to.isoformat()}"
    return (
        f"{resource.type}/{resource.id} #{resource.snapshot_number} etag={resource.etag} "
        f"from {resource.valid_from.isoformat()} ({until})\n  "
        + json.dumps(resource.value, ensure_ascii=False, sort_keys=True)
    )


def emit(value: Any, *, as_json: bool, out: TextIO | None = None) -> None:
    """Print a resource, a list of them, or plain data (to ``out``, default stdout)."""
    out = out or sys.stdout
    if as_json:
        if isinstance(value, Resource):
            value = value.to_json()
        elif isinstance(value, Sequence) and value and isinstance(value[0], Resource):
            value = [r.to_json() for r in value]
        out.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
        return
    if isinstance(value, Resource):
        out.write(_line(value) + "\n")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            text = _line(item) if isinstance(item, Resource) else json.dumps(item, default=str)
            out.write(text + "\n")
    else:
        out.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
