"""Types: pydantic and JSON Schema validation, versions, lazy migration with write-back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import nebula_kernel as nk
from tests._helpers import ManualClock


class TaskV2(BaseModel):
    title: str
    status: str
    estimate: float | None = None


def _v1_to_v2(old: dict[str, Any]) -> dict[str, Any]:
    return {"title": old["title"], "status": old["state"].lower(), "estimate": old["points"]}


def test_json_schema_errors_point_at_fields(store: nk.ResourceStore) -> None:
    store.define_type(
        "Order",
        json_schema={
            "type": "object",
            "properties": {
                "qty": {"type": "integer", "minimum": 1},
                "lines": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["qty"],
        },
    )
    with pytest.raises(nk.ValidationFailed) as caught:
        store.put("Order", "o-1", {"qty": 0, "lines": ["ok", 5]})
    assert {(e.path, e.kind) for e in caught.value.errors} == {
        (("Order/o-1", "qty"), "minimum"),
        (("Order/o-1", "lines", 1), "type"),
    }
    payload = caught.value.to_dict()
    assert payload["code"] == "validation_failed"
    assert {e["location"] for e in payload["details"]["errors"]} == {
        "Order/o-1.qty",
        "Order/o-1.lines.1",
    }


def test_invalid_definitions_are_refused(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.InvalidDefinition, match="must describe an object"):
        store.define_type("Num", json_schema={"type": "integer"})
    with pytest.raises(nk.InvalidDefinition, match="not valid"):
        store.define_type("Bad", json_schema={"type": "object", "properties": 3})
    with pytest.raises(nk.InvalidDefinition, match="exactly one"):
        store.define_type("Neither")
    with pytest.raises(nk.InvalidDefinition, match="needs migrate"):
        store.define_type("Task", TaskV2, version=2)
    with pytest.raises(nk.InvalidDefinition, match="define v2 before v3"):
        store.define_type("Task", TaskV2, version=3, migrate=_v1_to_v2)
    with pytest.raises(nk.AlreadyExists, match="different schema"):
        store.define_type("Task", TaskV2)
    with pytest.raises(nk.InvalidIdentifier):
        store.define_type("no spaces", json_schema={"type": "object"})
    with pytest.raises(nk.TypeNotFound, match="Define it"):
        store.put("Nope", "x", {})


def test_old_snapshots_migrate_on_read_and_current_is_written_back(
    store: nk.ResourceStore, clock: ManualClock
) -> None:
    store.put("Task", "t", {"title": "a", "state": "Ready", "points": 2})
    clock.advance(minutes=1)
    store.put("Task", "t", {"title": "a", "state": "Done", "points": 3})
    store.define_type("Task", TaskV2, version=2, migrate=_v1_to_v2)

    current = store.get("Task", "t")
    assert current.value == {"title": "a", "status": "done", "estimate": 3.0}
    assert current.schema_version == 2
    # Written back: the stored current snapshot is now v2, in place (no new snapshot, same eTag).
    raw = store.repo.read_heads([("local.lab.default", "Task", "t")])
    assert raw[("local.lab.default", "Task", "t")].snapshot.schema_version == 2
    history = store.history("Task", "t")
    assert [h.snapshot_number for h in history] == [1, 2]
    assert history[0].value == {"title": "a", "status": "ready", "estimate": 2.0}
    # History keeps what was true then: the closed snapshot is still stored at v1.
    rows = store.repo.read_history("local.lab.default", "Task", "t")
    assert [r.schema_version for r in rows] == [1, 2]
    # New writes validate against v2.
    with pytest.raises(nk.ValidationFailed):
        store.put("Task", "t", {"title": "a", "state": "Done"})


def test_a_migration_that_raises_leaves_the_store_unchanged(store: nk.ResourceStore) -> None:
    stored = store.put("Task", "t", {"title": "a"})

    def broken(old: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("status")

    store.define_type("Task", TaskV2, version=2, migrate=broken)
    with pytest.raises(nk.MigrationFailed, match="raised KeyError"):
        store.get("Task", "t")
    row = store.repo.read_history("local.lab.default", "Task", "t")[0]
    assert (row.schema_version, row.etag) == (1, stored.etag)


def test_a_migration_that_returns_an_invalid_value_fails(store: nk.ResourceStore) -> None:
    store.put("Task", "t", {"title": "a"})
    store.define_type("Task", TaskV2, version=2, migrate=lambda old: {"title": old["title"]})
    with pytest.raises(nk.MigrationFailed, match="does not fit v2"):
        store.get("Task", "t")


def test_after_reopen_a_missing_migration_is_named(tmp_path: object, clock: ManualClock) -> None:
    path = f"{tmp_path}/types.duckdb"
    with nk.open_store(path, clock=clock) as store:
        store.define_type("Doc", json_schema={"type": "object"})
        store.put("Doc", "d", {"a": 1})
        store.define_type(
            "Doc",
            json_schema={"type": "object", "required": ["b"]},
            version=2,
            migrate=lambda v: {"b": v["a"]},
        )
        history_only = store.repo.read_history("local.lab.default", "Doc", "d")
        assert history_only[0].schema_version == 1
    with nk.open_store(path, clock=clock) as store:
        with pytest.raises(nk.MigrationFailed, match="no migration from v1 to v2"):
            store.get("Doc", "d")
        store.define_type(
            "Doc",
            json_schema={"type": "object", "required": ["b"]},
            version=2,
            migrate=lambda v: {"b": v["a"]},
        )
        assert store.get("Doc", "d").value == {"b": 1}
