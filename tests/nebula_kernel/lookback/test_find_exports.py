"""The public names of ``nebula_kernel.lookback`` that ``find`` and filters provide."""

from __future__ import annotations

import nebula_kernel.lookback as lookback

FIND_AND_FILTER_NAMES = {
    "Filter",
    "FindQuery",
    "FindResult",
    "filter_matches",
    "filter_sql",
    "find",
    "parse_filter",
}


def test_find_and_filter_names_are_exported() -> None:
    assert set(lookback.__all__) >= FIND_AND_FILTER_NAMES
    for name in FIND_AND_FILTER_NAMES:
        assert getattr(lookback, name).__module__.startswith("nebula_kernel.lookback._")
