"""Typed JSON: every value survives the wire exactly, and malformed tags are refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nebula_kernel as nk
from nebula_kernel.protocol import decode, encode

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.floats(allow_nan=False),
    st.just(float("inf")),
    st.just(float("-inf")),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-6))])),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.binary(max_size=64),
)
hashable = st.one_of(st.integers(), st.text(max_size=8), st.dates())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=6), st.just("$t"), st.just("v")), inner, max_size=4
        ),
        st.frozensets(hashable, max_size=4),
    ),
    max_leaves=20,
)


@given(values)
def test_round_trip_is_exact(value: Any) -> None:
    wire = json.loads(json.dumps(encode(value), allow_nan=False))
    back = decode(wire)
    assert back == value
    assert type(back) is type(value) or isinstance(value, (set, tuple))


def test_tags_are_readable() -> None:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert encode({"at": moment, "n": Decimal("1.10"), "b": b"\x00\xff"}) == {
        "at": {"$t": "datetime", "v": "2024-05-01T12:00:00+00:00"},
        "n": {"$t": "decimal", "v": "1.10"},
        "b": {"$t": "bytes", "v": "AP8="},
    }
    assert encode({"$t": "x"}) == {"$t": "object", "v": {"$t": "x"}}
    assert decode({"$t": "date", "v": "2024-02-29"}) == date(2024, 2, 29)


@pytest.mark.parametrize(
    "wire",
    [
        {"$t": "mystery", "v": 1},
        {"$t": "datetime", "v": "not a date"},
        {"$t": "decimal", "v": 3},
        {"$t": "bytes", "v": "***"},
        {"$t": "float", "v": "1e999"},
        {"$t": "set", "v": "abc"},
        {"$t": "date", "v": "2024-01-01", "extra": 1},
    ],
)
def test_malformed_tags_are_refused(wire: dict[str, Any]) -> None:
    with pytest.raises(nk.InvalidRequest):
        decode(wire)


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(nk.InvalidRequest, match="cannot travel"):
        encode({"x": object()})
    with pytest.raises(nk.InvalidRequest, match="keys must be strings"):
        encode({1: "a"})
