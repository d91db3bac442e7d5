"""``resource.widget()``: a live view that follows its resource, embedded and against a server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.client import Resources, current
from nebula_kernel.client import _connect as connect_module


def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the widget did not catch up"
        time.sleep(0.01)


def test_a_widget_follows_every_change_until_closed(anystore: Resources) -> None:
    created = anystore.put("Task", "w1", {"title": "first", "points": 1})
    widget = created.widget(source=anystore)
    assert (widget.type_name, widget.resource_id, widget.star) == ("Task", "w1", created.star)
    assert widget.value == {"title": "first", "points": 1}
    assert widget.snapshot_number == 1 and widget.etag == created.etag

    second = anystore.put("Task", "w1", {"title": "second", "points": 1})
    _eventually(lambda: widget.snapshot_number == 2)
    assert widget.value == {"title": "second", "points": 1}
    assert widget.changed_fields == ["title"] and widget.etag == second.etag

    anystore.put("Task", "other", {"title": "not this one"})
    anystore.delete("Task", "w1")
    _eventually(lambda: widget.deleted)
    assert widget.value["title"] == "second" and "deleted" in widget.notice

    widget.close()
    anystore.put("Task", "w1", {"title": "reborn"})
    time.sleep(0.3)  # a closed widget must not move, however long we give it
    assert widget.deleted and widget.value["title"] == "second"


def test_without_a_source_it_follows_the_connection_connect_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_module, "_current", None)
    monkeypatch.delenv("NEBULA_URL", raising=False)
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    with pytest.raises(nk.InvalidRequest, match="connect"):
        current()
    with nk.connect(path=tmp_path / "nb.duckdb") as store:
        assert current() is store
        store.define_type("Note", json_schema={"type": "object"})
        widget = store.put("Note", "n", {"text": "hi"}).widget()
        store.put("Note", "n", {"text": "hello"})
        _eventually(lambda: widget.value == {"text": "hello"})
        widget.close()
