"""A context shaped like a real workflow run, shared by the expression tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from nebula_kernel.errors import ExpressionError
from nebula_kernel.workflows.expressions import ExpressionContext, evaluate

STARTED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def make_context() -> ExpressionContext:
    return ExpressionContext(
        input={
            "name": "Ada",
            "email": "Ada@Example.org",
            "items": [3, 1, 2],
            "tags": ["a", "b", "a"],
            "nested": {"a": {"b": [10, 20, {"c": "deep"}]}},
            "none": None,
            "zero": 0,
            "flag": True,
            "price": 9.5,
            "when": "2024-05-01T12:30:00Z",
            "users": [
                {"name": "b", "age": 30},
                {"name": "a", "age": 25},
                {"name": "c", "age": 35},
            ],
        },
        nodes={
            "validate": {"result": {"email": "ada@example.org", "ok": True}, "success": True},
            "fetch": {"result": [{"id": 1}, {"id": 2}], "success": True},
            "send-email": {"result": {"status": 202}, "success": True},
            "skipped": None,
        },
        execution={"id": "ex-1", "workflow": "signup", "started_at": STARTED, "attempt": 2},
        env={"REGION": "eu-west-1", "DEBUG": False, "MAX": 5},
    )


Evaluate = Callable[[str], Any]
Fails = Callable[[str], ExpressionError]


@pytest.fixture
def ctx() -> ExpressionContext:
    return make_context()


@pytest.fixture
def ev() -> Evaluate:
    """Evaluate an expression in a fresh copy of the shared context."""

    def run(source: str) -> Any:
        return evaluate(source, make_context())

    return run


@pytest.fixture
def fails() -> Fails:
    """The typed error an expression raises when evaluated (the test fails if it raises none)."""

    def run(source: str) -> ExpressionError:
        try:
            value = evaluate(source, make_context())
        except ExpressionError as error:
            return error
        pytest.fail(f"{source!r} evaluated to {value!r} instead of failing")

    return run
