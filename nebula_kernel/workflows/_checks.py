"""Checking one expression or template on its own, as an editor does while someone types."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from nebula_kernel.workflows.expressions import check

__all__ = ["ExpressionCheck", "ExpressionMode", "check_expression"]

ExpressionMode = Literal["expression", "template"]


@dataclass(frozen=True, slots=True)
class ExpressionCheck:
    """The first problem of an expression (``None``: it is fine), placed in its text."""

    message: str | None = None
    offset: int = 0
    line: int = 1
    column: int = 1

    @property
    def ok(self) -> bool:
        return self.message is None

    def to_json(self) -> dict[str, Any]:
        error = None
        if self.message is not None:
            error = {
                "message": self.message,
                "offset": self.offset,
                "line": self.line,
                "column": self.column,
            }
        return {"ok": self.ok, "error": error}


def check_expression(
    text: str, mode: ExpressionMode = "expression", nodes: Collection[str] | None = None
) -> ExpressionCheck:
    """Check ``text`` without data: syntax, limits, constant parts that always fail, and (with
    ``nodes``, the workflow's node ids) references to nodes that do not exist."""
    errors = check(text, template=mode == "template", known_nodes=nodes)
    if not errors:
        return ExpressionCheck()
    first = errors[0].details
    return ExpressionCheck(
        str(first.get("reason") or errors[0].message),
        int(first.get("offset", 0)),
        int(first.get("line", 1)),
        int(first.get("column", 1)),
    )
