"""The arithmetic of derived fields: precedence, nulls, division by zero, and what is refused."""

from __future__ import annotations

import duckdb
import pytest

from nebula_kernel.lookback._arith import (
    evaluate,
    expression_names,
    expression_sql,
    parse_expression,
)
from nebula_kernel.lookback._sql import Sql

ENV = {"a": 6.0, "b": 2.0, "c.d": 3.0, "zero": 0.0, "missing": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a - b * c.d", 0.0),  # 6 - (2 * 3)
        ("(a - b) * c.d", 12.0),
        ("a / b / c.d", 1.0),  # left to right: (6 / 2) / 3
        ("-a + 10", 4.0),
        ("a - -b", 8.0),
        ("1.5e1 + .5", 15.5),
        ("a / zero", None),
        ("a + missing", None),
        ("nowhere * 2", None),
    ],
)
def test_python_and_duckdb_agree(text: str, expected: float | None) -> None:
    expr = parse_expression(text)
    assert evaluate(expr, ENV) == expected

    def column(name: str) -> Sql:
        return Sql("?::DOUBLE", (ENV.get(name),))

    sql = expression_sql(expr, column)
    with duckdb.connect() as con:
        row = con.execute("SELECT " + sql.text, list(sql.params)).fetchone()
    assert row is not None
    assert row[0] == expected


def test_names_are_the_paths_read() -> None:
    assert expression_names(parse_expression("(a + b.c) / a - 2")) == {"a", "b.c"}


@pytest.mark.parametrize(
    "text", ["", "a +", "(a", "a)", "a ** 2", "a; DROP TABLE x", "f(a)", "'a'", "a" * 501]
)
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_expression(text)
