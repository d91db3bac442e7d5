"""HTML for notebooks. Every value is escaped: a resource's content is data, never markup."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nebula_kernel.resources._model import Resource

__all__ = ["resource_html"]


def _row(label: str, value: str) -> str:
    return f"<tr><th style='text-align:left'>{escape(label)}</th><td>{escape(value)}</td></tr>"


def resource_html(resource: Resource) -> str:
    until = "now" if resource.is_current else resource.valid_to.isoformat()
    rows = [
        _row("valid", f"{resource.valid_from.isoformat()} → {until}"),
        _row("snapshot", f"#{resource.snapshot_number}, schema v{resource.schema_version}"),
        _row("eTag", resource.etag),
        _row("changed by", resource.changed_by),
    ]
    if resource.previous_values:
        rows.append(_row("changed", json.dumps(dict(resource.previous_values), default=str)))
    value = json.dumps(dict(resource.value), indent=2, ensure_ascii=False, default=str)
    return (
        f"<div><strong>{escape(resource.type)}/{escape(resource.id)}</strong> "
        f"<small>in {escape(resource.star)}</small>"
        f"<pre>{escape(value)}</pre><table>{''.join(rows)}</table></div>"
    )
