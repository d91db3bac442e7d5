"""Compile a :class:`Filter` into a DuckDB boolean expression over the ``snapshots`` columns.

Every fragment below is a constant; values, JSON paths and patterns travel as ``?`` parameters.
Column names come from the meta-field whitelist in ``_paths``. Each leaf is wrapped so it is
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

__all__ = ["filter_sql"]

_SQL_OPS: Final = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# JSON leaf templates; {col} is a whitelisted column. Parsing the document dominates the cost,
# so most leaves parse it once: they compare the JSON text of the value found at the path
# (NULL when absent), whose first character tells its type: a string's text is quoted, so it
# never casts to a number, and DuckDB writes a string operand (to_json) exactly as it writes a
# string it extracts.
_TEXT_AT: Final = "json_extract({col}, ?)::VARCHAR"
_AS_JSON_STRING: Final = "to_json(?::VARCHAR)::VARCHAR"
_NUMBER_AT: Final = "TRY_CAST(" + _TEXT_AT + " AS DOUBLE)"
_IS_STRING: Final = "json_type({col}, ?) = 'VARCHAR'"
_STRING_AT: Final = "json_extract_string({col}, ?)"
_IS_NULL_OR_ABSENT: Final = "coalesce(json_type({col}, ?) = 'NULL', TRUE)"
_IS_PRESENT: Final = "json_type({col}, ?) IS NOT NULL"


def filter_sql(f: Filter) -> tuple[str, list[Any]]:
    """A boolean SQL expression (unqualified ``snapshots`` columns) and its parameters."""
    params: list[Any] = []
    return _node(f.root, params), params


def _node(node: Node, params: list[Any]) -> str:
    match node:
        case And(children):
            return _join(children, " AND ", "TRUE", params)
        case Or(children):
            return _join(children, " OR ", "FALSE", params)
        case Not(child):
            return "(NOT " + _node(child, params) + ")"
        case Exists(path, present):
            return _exists(path, present, params)
        case Compare(path, op, operand):
            return _compare(path, op, operand, params)
        case In(path, operands):
            return _in(path, operands, params)
        case Regex(path, pattern):
            if path.meta is not None:
                params.append(pattern.sql)
                return "regexp_matches(" + path.meta.column + ", ?)"
            params.extend((path.json_path, path.json_path, pattern.sql))
            template = (
                "coalesce(" + _IS_STRING + " AND regexp_matches(" + _STRING_AT + ", ?), FALSE)"
            )
            return template.format(col=path.json_column)
    raise AssertionError(node)  # pragma: no cover - the match above is exhaustive


def _join(children: tuple[Node, ...], glue: str, empty: str, params: list[Any]) -> str:
    if not children:
        return empty
    return "(" + glue.join(_node(child, params) for child in children) + ")"


def _exists(path: FieldPath, present: bool, params: list[Any]) -> str:
    if path.meta is not None:
        return "TRUE" if present else "FALSE"
    params.append(path.json_path)
    template = _IS_PRESENT if present else "(NOT " + _IS_PRESENT + ")"
    return template.format(col=path.json_column)


def _compare(path: FieldPath, op: str, operand: Operand, params: list[Any]) -> str:
    sql_op = _SQL_OPS[op]
    if path.meta is not None:
        params.append(operand)
        return "(" + path.meta.column + " " + sql_op + " ?)"
    if operand is None:
        params.append(path.json_path)
        return _IS_NULL_OR_ABSENT.format(col=path.json_column)
    if isinstance(operand, bool):
        params.extend((path.json_path, "true" if operand else "false"))
        template = _TEXT_AT + " = ?"
    elif isinstance(operand, str) and op == "eq":
        params.extend((path.json_path, operand))
        template = _TEXT_AT + " = " + _AS_JSON_STRING
    elif isinstance(operand, str):
        params.extend((path.json_path, path.json_path, operand))
        template = _IS_STRING + " AND " + _STRING_AT + " " + sql_op + " ?"
    else:
        params.extend((path.json_path, operand))
        template = _NUMBER_AT + " " + sql_op + " ?"
    return "coalesce(" + template.format(col=path.json_column) + ", FALSE)"


def _in(path: FieldPath, operands: tuple[Operand, ...], params: list[Any]) -> str:
    if not operands:
        return "FALSE"
    if path.meta is not None:
        params.extend(operands)
        return "(" + path.meta.column + " IN (" + ", ".join("?" * len(operands)) + "))"
    groups: list[str] = []
    if None in operands:
        groups.append(_compare(path, "eq", None, params))
    # Booleans and strings compare as JSON text in one list; numbers as doubles in another.
    texts = [v for v in operands if isinstance(v, (bool, str))]
    if texts:
        params.append(path.json_path)
        items = []
        for value in texts:
            if isinstance(value, bool):
                params.append("true" if value else "false")
                items.append("?")
            else:
                params.append(value)
                items.append(_AS_JSON_STRING)
        template = _TEXT_AT + " IN (" + ", ".join(items) + ")"
        groups.append("coalesce(" + template.format(col=path.json_column) + ", FALSE)")
    numbers = [v for v in operands if isinstance(v, float)]
    if numbers:
        params.extend((path.json_path, *numbers))
        template = _NUMBER_AT + " IN (" + ", ".join("?" * len(numbers)) + ")"
        groups.append("coalesce(" + template.format(col=path.json_column) + ", FALSE)")
    return "(" + " OR ".join(groups) + ")"
