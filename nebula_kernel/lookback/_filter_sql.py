"""Compile a :class:`Filter` into a DuckDB boolean expression over a source's columns.

Every fragment below is a constant; values, JSON paths and patterns travel as ``?`` parameters.
Column names come from the meta-field whitelist in ``_paths``; JSON reads from the
:class:`FieldSource` (the documents, or their typed projection). Each leaf is wrapped so it is
never SQL NULL: ``NOT`` then means "does not match", as in MongoDB, not "unknown".

A JSON leaf only matches values of its operand's JSON type, so a number never equals a string.
Numbers compare as DOUBLE on both sides, exactly as the Python matcher does.
"""

from __future__ import annotations

from typing import Any, Final

from nebula_kernel.lookback._filter_tree import (
    And,
    Compare,
    Exists,
    Filter,
    In,
    Node,
    Not,
    Operand,
    Or,
    Regex,
)
from nebula_kernel.lookback._paths import FieldPath
from nebula_kernel.lookback._source import JSON_SOURCE, Extract, FieldSource
from nebula_kernel.lookback._sql import Sql, sql_join

__all__ = ["filter_sql"]

_SQL_OPS: Final = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# Most leaves read one extraction of the value found at the path (NULL when absent): its JSON
# text, whose first character tells its type (a string's text is quoted, so it never casts to a
# number, and DuckDB writes a string operand (to_json) exactly as it writes a string it
# extracts), or the number it holds.
_AS_JSON_STRING: Final = "to_json(?::VARCHAR)::VARCHAR"


def filter_sql(f: Filter, source: FieldSource = JSON_SOURCE) -> tuple[str, list[Any]]:
    """A boolean SQL expression (unqualified columns of ``source``) and its parameters."""
    sql = _node(f.root, source)
    return sql.text, list(sql.params)


def _node(node: Node, source: FieldSource) -> Sql:
    match node:
        case And(children):
            return _join(children, " AND ", "TRUE", source)
        case Or(children):
            return _join(children, " OR ", "FALSE", source)
        case Not(child):
            return _node(child, source).wrap("(NOT ", ")")
        case Exists(path, present):
            return _exists(path, present, source)
        case Compare(path, op, operand):
            return _compare(path, op, operand, source)
        case In(path, operands):
            return _in(path, operands, source)
        case Regex(path, pattern):
            if path.meta is not None:
                return Sql("regexp_matches(" + path.meta.column + ", ?)", (pattern.sql,))
            test = (
                _is_string(path, source)
                + " AND regexp_matches("
                + source.read(path, Extract.STRING)
                + Sql(", ?)", (pattern.sql,))
            )
            return test.wrap("coalesce(", ", FALSE)")
    raise AssertionError(node)  # pragma: no cover - the match above is exhaustive


def _join(children: tuple[Node, ...], glue: str, empty: str, source: FieldSource) -> Sql:
    if not children:
        return Sql(empty)
    return sql_join(glue, [_node(child, source) for child in children]).wrap("(", ")")


def _is_string(path: FieldPath, source: FieldSource) -> Sql:
    return source.read(path, Extract.TYPE) + " = 'VARCHAR'"


def _exists(path: FieldPath, present: bool, source: FieldSource) -> Sql:
    if path.meta is not None:
        return Sql("TRUE" if present else "FALSE")
    test = source.read(path, Extract.TYPE) + " IS NOT NULL"
    return test if present else test.wrap("(NOT ", ")")


def _compare(path: FieldPath, op: str, operand: Operand, source: FieldSource) -> Sql:
    sql_op = _SQL_OPS[op]
    if path.meta is not None:
        return Sql("(" + path.meta.column + " " + sql_op + " ?)", (operand,))
    if operand is None:
        return source.read(path, Extract.TYPE).wrap("coalesce(", " = 'NULL', TRUE)")
    if isinstance(operand, bool):
        test = source.read(path, Extract.TEXT) + Sql(" = ?", ("true" if operand else "false",))
    elif isinstance(operand, str) and op == "eq":
        test = source.read(path, Extract.TEXT) + Sql(" = " + _AS_JSON_STRING, (operand,))
    elif isinstance(operand, str):
        test = (
            _is_string(path, source)
            + " AND "
            + source.read(path, Extract.STRING)
            + Sql(" " + sql_op + " ?", (operand,))
        )
    else:
        test = source.read(path, Extract.NUMBER) + Sql(" " + sql_op + " ?", (operand,))
    return test.wrap("coalesce(", ", FALSE)")


def _in(path: FieldPath, operands: tuple[Operand, ...], source: FieldSource) -> Sql:
    if not operands:
        return Sql("FALSE")
    if path.meta is not None:
        marks = ", ".join("?" * len(operands))
        return Sql("(" + path.meta.column + " IN (" + marks + "))", tuple(operands))
    groups: list[Sql] = []
    if None in operands:
        groups.append(_compare(path, "eq", None, source))
    # Booleans and strings compare as JSON text in one list; numbers as doubles in another.
    texts = [v for v in operands if isinstance(v, (bool, str))]
    if texts:
        items = [
            Sql("?", ("true" if v else "false",))
            if isinstance(v, bool)
            else Sql(_AS_JSON_STRING, (v,))
            for v in texts
        ]
        test = source.read(path, Extract.TEXT) + sql_join(", ", items).wrap(" IN (", ")")
        groups.append(test.wrap("coalesce(", ", FALSE)"))
    numbers = [v for v in operands if isinstance(v, float)]
    if numbers:
        marks = ", ".join("?" * len(numbers))
        test = source.read(path, Extract.NUMBER) + Sql(" IN (" + marks + ")", tuple(numbers))
        groups.append(test.wrap("coalesce(", ", FALSE)"))
    return sql_join(" OR ", groups).wrap("(", ")")
