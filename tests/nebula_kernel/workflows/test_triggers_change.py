"""Resource-change triggers: spec, input document, fire ids, and a live store subscription."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

import nebula_kernel as nk
from nebula_kernel.errors import InvalidDefinition, InvalidIdentifier, InvalidQuery
from nebula_kernel.workflows._triggers import (
    ResourceChangeTrigger,
    change_fire_id,
    change_input,
    subscribe_trigger,
)

STAR = nk.DEFAULT_STAR


class Ticket(BaseModel):
    title: str
    state: str = "Open"


class Fires:
    """Collects (fire_id, input) pairs from the dispatcher thread until ``expected`` arrive."""

    def __init__(self, expected: int) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self._expected = expected
        self._done = threading.Event()

    def __call__(self, fire_id: str, document: dict[str, Any]) -> None:
        self.got.append((fire_id, document))
        if len(self.got) >= self._expected:
            self._done.set()

    def wait(self) -> list[tuple[str, dict[str, Any]]]:
        assert self._done.wait(10), f"only {len(self.got)} fires arrived"
        return self.got


@pytest.fixture
def store() -> Iterator[nk.ResourceStore]:
    with nk.open_store(":memory:") as opened:
        opened.define_type("Ticket", Ticket)
        opened.define_type("Note", Ticket)
        yield opened


def test_live_subscription_fires_for_matching_changes_only(store: nk.ResourceStore) -> None:
    trigger = ResourceChangeTrigger("on-done", STAR, "Ticket", where={"state": "Done"})
    fires = Fires(2)
    with subscribe_trigger(store, trigger, fires):
        t1 = store.put("Ticket", "t1", {"title": "a"})  # not Done
        store.put("Note", "n1", {"title": "n", "state": "Done"})  # another type
        store.put("Ticket", "t1", {"title": "a", "state": "Done"}, etag=t1.etag)
        store.put("Ticket", "t2", {"title": "b", "state": "Done"})
        got = fires.wait()
    assert [fire_id for fire_id, _ in got] == [
        f"change:on-done:{STAR}:3",
        f"change:on-done:{STAR}:4",
    ]
    first = got[0][1]["change"]
    assert first["seq"] == 3 and first["op"] == "put" and first["id"] == "t1"
    assert first["value"] == {"title": "a", "state": "Done"}
    assert first["previous_values"] == {"state": "Open"}
    json.dumps(got)  # the inputs are JSON-safe


def test_ops_and_resource_id_narrow_the_trigger(store: nk.ResourceStore) -> None:
    trigger = ResourceChangeTrigger(
        "gone", STAR, "Ticket", resource_id="t1", ops=frozenset({"delete"})
    )
    fires = Fires(1)
    with subscribe_trigger(store, trigger, fires):
        store.put("Ticket", "t1", {"title": "a"})
        store.put("Ticket", "t2", {"title": "b"})
        store.delete("Ticket", "t2")
        store.delete("Ticket", "t1")
        got = fires.wait()
    assert len(got) == 1
    change = got[0][1]["change"]
    assert (change["op"], change["id"], change["seq"]) == ("delete", "t1", 4)
    assert change["value"] == {"title": "a", "state": "Open"}  # the last value it had


def test_resuming_from_a_sequence_replays_the_same_fire_ids(store: nk.ResourceStore) -> None:
    trigger = ResourceChangeTrigger("any", STAR, "Ticket")
    for n in range(3):
        store.put("Ticket", f"t{n}", {"title": str(n)})
    fires = Fires(2)
    with subscribe_trigger(store, trigger, fires, since=1):
        got = fires.wait()
    assert [fire_id for fire_id, _ in got] == [f"change:any:{STAR}:2", f"change:any:{STAR}:3"]


def test_input_document_is_a_deep_copy() -> None:
    resource = nk.Resource(
        star=STAR,
        type="Ticket",
        id="t1",
        value={"tags": ["a"]},
        etag="e1",
        snapshot_number=1,
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
        valid_to=nk.CURRENT_VALID_TO,
        previous_values={},
        changed_by="ada",
        schema_version=1,
    )
    change = nk.Change(STAR, 7, "put", "Ticket", "t1", resource, resource.valid_from, "ada")
    document = change_input(change)
    document["change"]["value"]["tags"].append("b")
    assert resource.value == {"tags": ["a"]}
    assert document["change"]["at"] == "2024-01-01T00:00:00+00:00"
    trigger = ResourceChangeTrigger("x", STAR, "Ticket")
    assert trigger.accepts(change) and change_fire_id(trigger, change) == f"change:x:{STAR}:7"
    assert not ResourceChangeTrigger("y", STAR, "Ticket", resource_id="t2").accepts(change)


def test_invalid_specs_are_refused() -> None:
    with pytest.raises(InvalidIdentifier):
        ResourceChangeTrigger("x", "not a star", "Ticket")
    with pytest.raises(InvalidIdentifier):
        ResourceChangeTrigger("has space", STAR, "Ticket")
    with pytest.raises(InvalidIdentifier):
        ResourceChangeTrigger("x", STAR, "bad type!")
    with pytest.raises(InvalidDefinition, match="ops"):
        ResourceChangeTrigger("x", STAR, "Ticket", ops=frozenset({"update"}))  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"\$near"):
        ResourceChangeTrigger("x", STAR, "Ticket", where={"state": {"$near": 1}})
