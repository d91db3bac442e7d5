"""Shared fixtures of the Lookback tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import pytest

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.errors import InvalidQuery


@pytest.fixture
def lookback_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the store's tables and nothing in them."""
    connection = duckdb.connect(":memory:")
    for statement in SCHEMA_STATEMENTS:
        connection.execute(statement)
    yield connection
    connection.close()


def _invalid_query_path(call: Callable[[], object]) -> str:
    # The exception is dropped when the except block ends: kept (pytest.raises ... as caught) it
    # would hold the test's frame, and so the connection, in a cycle until the interpreter exits.
    try:
        call()
    except InvalidQuery as error:
        assert error.message.startswith(str(error.details["path"]) + ":"), error.message
        return str(error.details["path"])
    raise AssertionError("expected InvalidQuery")


@pytest.fixture
def invalid_query_path() -> Callable[[Callable[[], object]], str]:
    """Runs a call that must raise InvalidQuery; returns the path the error points at."""
    return _invalid_query_path
