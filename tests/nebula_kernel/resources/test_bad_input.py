"""Bad input: each gets a typed error that says what to do, and the store is left as it was."""

from __future__ import annotations

from typing import Any

import pytest

import nebula_kernel as nk
from nebula_kernel.resources import StoreLimits

BAD_IDS = [
    "",
    " ",
    "a/b",
    "../etc/passwd",
    "a..b",
    "x" * 201,
    "tab\there",
    "nul\x00",
    "ünï",
    "-leading",
    None,
    5,
]
BAD_TYPES = ["", "1abc", "has space", "a-b", "x" * 65, "Task;DROP", None]
BAD_STARS = [
    "",
    "one",
    "a.b",
    "a.b.c.d",
    "A.b.c",
    "a..c",
    "a.b.-c",
    "a.b.c-",
    "*.b.c",
    "a.b.c d",
    "a.b." + "c" * 64,
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids(store: nk.ResourceStore, bad: Any) -> None:
    with pytest.raises(nk.InvalidIdentifier, match="not a resource id"):
        store.put("Task", bad, {"title": "x"})
    with pytest.raises(nk.InvalidIdentifier):
        store.get("Task", bad)
    assert store.last_seq() == 0


@pytest.mark.parametrize("bad", BAD_TYPES)
def test_malformed_type_names(store: nk.ResourceStore, bad: Any) -> None:
    with pytest.raises(nk.InvalidIdentifier, match="not a resource type name"):
        store.put(bad, "x", {"title": "x"})


@pytest.mark.parametrize("bad", BAD_STARS)
def test_malformed_stars(store: nk.ResourceStore, bad: str) -> None:
    with pytest.raises(nk.InvalidIdentifier, match=r"universe\.galaxy\.star"):
        store.put("Task", "x", {"title": "x"}, star=bad)


def test_unknown_star_and_type(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.StarNotFound, match="create_star"):
        store.put("Task", "x", {"title": "x"}, star="acme.sales.nowhere")
    with pytest.raises(nk.TypeNotFound, match="known: Task"):
        store.put("Ghost", "x", {})
    with pytest.raises(nk.AlreadyExists):
        store.create_star("local.lab.default")


@pytest.mark.parametrize(
    "value", [[1, 2], "text", 3, None, {"title": float("nan")}, {"title": "x", "when": object()}]
)
def test_values_that_are_not_json_objects(store: nk.ResourceStore, value: Any) -> None:
    store.define_type("Doc", json_schema={"type": "object"})
    with pytest.raises(nk.ValidationFailed):
        store.put("Doc", "d", value)
    assert store.list() == []


def test_oversized_documents(store_path: str) -> None:
    with nk.open_store(store_path, limits=StoreLimits(max_document_bytes=1000)) as store:
        store.define_type("Doc", json_schema={"type": "object"})
        store.put("Doc", "fits", {"blob": "x" * 900})
        with pytest.raises(nk.DocumentTooLarge, match="limit is 1000") as caught:
            store.put("Doc", "big", {"blob": "x" * 2000})
        assert caught.value.details["size"] > 1000
        assert [r.id for r in store.list()] == ["fits"]


def test_naive_datetimes_are_refused(store: nk.ResourceStore) -> None:
    from datetime import datetime

    store.put("Task", "t", {"title": "x"})
    with pytest.raises(nk.InvalidRequest, match="no time zone"):
        store.get("Task", "t", as_of=datetime(2024, 1, 1))


def test_errors_serialize_without_internals(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.NebulaError) as caught:
        store.put("Task", "t", {"title": ["not", "a", "string"]})
    payload = caught.value.to_dict()
    assert set(payload) == {"code", "message", "details"}
    text = repr(payload)
    assert "Traceback" not in text and "SELECT" not in text and "pydantic" not in text.lower()


def test_closed_store_refuses_work(store_path: str) -> None:
    store = nk.open_store(store_path)
    store.define_type("Doc", json_schema={"type": "object"})
    store.close()
    with pytest.raises(nk.StoreClosed):
        store.put("Doc", "d", {})
    with pytest.raises(nk.StoreClosed):
        store.list()
