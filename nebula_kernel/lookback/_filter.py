"""Lookback filters: parse a MongoDB-style document once, then run it in DuckDB or in Python.

::

    f = parse_filter({"State": "Done", "_PreviousValues.State": {"$exists": True, "$ne": "Done"}})
    sql, params = filter_sql(f)       # a boolean expression over the `snapshots` columns
    filter_matches(f, record)         # the same predicate on one Lookback record

Operators: ``$eq $ne $gt $gte $lt $lte $in $nin $exists $regex`` (with ``$options: "i"``) and
``$not`` on a field; ``$and $or $nor`` and ``$not`` on filters. Values compare by JSON type as in
MongoDB: a number never equals a string, ``null`` also matches a missing field, ``$exists``
tells missing from null. Equality with arrays or objects, and matching inside arrays without
an index, are not supported. Paths: see ``_paths``; regular expressions: see ``_regex``.
"""

from __future__ import annotations

from nebula_kernel.lookback._filter_match import filter_matches
from nebula_kernel.lookback._filter_parse import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_NODES,
    MAX_IN_OPERANDS,
    parse_filter,
)
from nebula_kernel.lookback._filter_sql import filter_sql
from nebula_kernel.lookback._filter_tree import Filter
from nebula_kernel.lookback._paths import FieldPath
from nebula_kernel.lookback._regex import MAX_PATTERN_LENGTH

__all__ = [
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_NODES",
    "MAX_IN_OPERANDS",
    "MAX_PATTERN_LENGTH",
    "FieldPath",
    "Filter",
    "filter_matches",
    "filter_sql",
    "parse_filter",
]
