"""Property test: random transactions against a simple model of the expected history."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nebula_kernel as nk
from tests._helpers import ManualClock

IDS = ["a", "b", "c"]


@dataclass
class Model:
    """What the store should hold: per id, the list of (value, deleted_after) snapshots."""

    snapshots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    current: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    seq: int = 0


op_strategy = st.tuples(
    st.sampled_from(["put", "delete"]),
    st.sampled_from(IDS),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(["none", "right", "wrong", "absent"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(op_strategy, min_size=1, max_size=4), min_size=1, max_size=12))
def test_transactions_match_the_model(transactions: list[list[tuple[str, str, int, str]]]) -> None:
    clock = ManualClock()
    model = Model()
    with nk.open_store(":memory:", clock=clock) as store:
        store.define_type("Item", json_schema={"type": "object"})
        for tx in transactions:
            clock.advance(seconds=1)
            ops: list[nk.Put | nk.Delete] = []
            seen: set[str] = set()
            for kind, id_, n, precondition in tx:
                if id_ in seen:
                    continue
                seen.add(id_)
                etag: Any = {
                    "none": None,
                    "right": model.etags.get(id_) if model.current.get(id_) else nk.MUST_NOT_EXIST,
                    "wrong": "stale-etag",
                    "absent": nk.MUST_NOT_EXIST,
                }[precondition]
                value = {"n": n, "by": id_}
                ops.append(
                    nk.Put("Item", id_, value, etag)
                    if kind == "put"
                    else nk.Delete("Item", id_, etag)
                )

            def holds(op: nk.Put | nk.Delete) -> bool:
                live = model.current.get(op.id) is not None
                current = model.etags.get(op.id) if live else None
                if isinstance(op, nk.Delete) and not live:
                    return False
                if op.etag is None:
                    return True
                if op.etag is nk.MUST_NOT_EXIST:
                    return not live
                return op.etag == current

            should_commit = all(holds(op) for op in ops)
            try:
                results = store.commit(ops)
            except (nk.TransactionConflict, nk.ResourceNotFound):
                assert not should_commit
                continue
            assert should_commit
            for op, result in zip(ops, results, strict=True):
                model.seq += 1
                if isinstance(op, nk.Put):
                    model.snapshots.setdefault(op.id, []).append(dict(op.value))
                    model.current[op.id] = dict(op.value)
                    model.etags[op.id] = result.etag
                else:
                    model.current[op.id] = None

        assert store.last_seq() == model.seq
        for id_ in IDS:
            expected = model.snapshots.get(id_, [])
            if not expected:
                continue
            history = store.history("Item", id_)
            assert [h.value for h in history] == expected
            assert [h.snapshot_number for h in history] == list(range(1, len(expected) + 1))
            for older, newer in pairwise(history):
                assert older.valid_to <= newer.valid_from
            if model.current[id_] is None:
                assert history[-1].valid_to != nk.CURRENT_VALID_TO
            else:
                assert store.get("Item", id_).value == model.current[id_]
                assert history[-1].is_current
