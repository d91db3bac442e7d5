"""Guards: allow, deny, redact; failing guards refuse; the double eTag check."""

from __future__ import annotations

import threading

import pytest

import nebula_kernel as nk
from nebula_kernel.resources import GuardDecision

ALICE = nk.Principal("alice", {"*": nk.Role.EDITOR})
BOB = nk.Principal("bob", {"*": nk.Role.EDITOR})


def test_guard_denies_by_principal_and_operation(store: nk.ResourceStore) -> None:
    def only_owner_updates(req: nk.GuardRequest) -> GuardDecision:
        if (
            req.operation in ("update", "delete")
            and req.old
            and req.old.get("title") != req.principal.id
        ):
            return nk.Deny("only the task's owner may change it")
        return nk.ALLOW

    store.add_guard("Task", only_owner_updates)
    store.put("Task", "t", {"title": "alice"}, principal=ALICE)
    with pytest.raises(nk.GuardDenied, match="only the task's owner") as caught:
        store.put("Task", "t", {"title": "bob"}, principal=BOB)
    assert caught.value.details["operation"] == "update"
    with pytest.raises(nk.GuardDenied):
        store.delete("Task", "t", principal=BOB)
    assert (
        store.put("Task", "t", {"title": "alice", "state": "Done"}, principal=ALICE).snapshot_number
        == 2
    )


def test_redaction_hides_fields_from_reads_and_events(store: nk.ResourceStore) -> None:
    store.add_guard(
        "Task", lambda req: nk.Redact(("points",)) if req.principal.id == "bob" else None
    )
    store.put("Task", "t", {"title": "x", "points": 8})
    assert "points" not in store.get("Task", "t", principal=BOB).value
    assert store.get("Task", "t").value["points"] == 8
    assert all("points" not in h.value for h in store.history("Task", "t", principal=BOB))
    seen: list[nk.Change | nk.Resync] = []
    done = threading.Event()

    def collect(event: nk.Change | nk.Resync) -> None:
        seen.append(event)
        done.set()

    sub = store.subscribe(collect, principal=BOB)
    store.put("Task", "t", {"title": "y", "points": 13})
    assert done.wait(5)
    sub.close()
    assert isinstance(seen[0], nk.Change)
    assert "points" not in seen[0].resource.value


def test_a_guard_that_raises_refuses(store: nk.ResourceStore) -> None:
    def broken(req: nk.GuardRequest) -> GuardDecision:
        raise ValueError("secret internals")

    store.add_guard("Task", broken)
    with pytest.raises(nk.GuardDenied) as caught:
        store.put("Task", "t", {"title": "x"})
    assert "secret internals" not in str(caught.value)
    assert store.list("Task") == []


def test_denied_reads_are_left_out_of_lists(store: nk.ResourceStore) -> None:
    store.add_guard(
        "Task",
        lambda req: (
            req.operation != "read"
            or req.old is None
            or req.old["title"] != "hidden"
            or req.principal.id != "bob"
        ),
    )
    store.put("Task", "a", {"title": "hidden"})
    store.put("Task", "b", {"title": "shown"})
    assert [r.id for r in store.list("Task", principal=BOB)] == ["b"]
    with pytest.raises(nk.GuardDenied):
        store.get("Task", "a", principal=BOB)


def test_state_changed_while_the_guard_ran_is_rechecked(store: nk.ResourceStore) -> None:
    """Double eTag check: a write that lands while a guard runs makes the guard run again."""
    store.put("Task", "t", {"title": "v1"})
    calls: list[str | None] = []
    interfered = threading.Event()

    def slow_guard(req: nk.GuardRequest) -> GuardDecision:
        calls.append(req.old["title"] if req.old else None)
        if req.principal.id == "alice" and not interfered.is_set():
            interfered.set()
            store.put("Task", "t", {"title": "v2"}, principal=BOB)  # lands between the checks
        return True

    store.add_guard("Task", slow_guard)
    result = store.put("Task", "t", {"title": "v3"}, principal=ALICE)
    # The first decision saw v1, BOB's write saw v1, the retried decision saw v2.
    assert calls == ["v1", "v1", "v2"]
    assert result.snapshot_number == 3
    assert result.previous_values == {"title": "v2"}


def test_explicit_etag_changed_while_the_guard_ran_is_a_conflict(store: nk.ResourceStore) -> None:
    first = store.put("Task", "t", {"title": "v1"})

    def interfering(req: nk.GuardRequest) -> GuardDecision:
        if req.principal.id == "alice":
            store.put("Task", "t", {"title": "sneaky"}, principal=BOB)
        return True

    store.add_guard("Task", interfering)
    with pytest.raises(nk.TransactionConflict):
        store.put("Task", "t", {"title": "v2"}, etag=first.etag, principal=ALICE)
    assert store.get("Task", "t").value["title"] == "sneaky"
