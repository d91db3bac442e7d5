"""The store benchmark's read dataset: one hot resource with a long history among many others.

``store_dataset()`` returns a DuckDB store file in ``benchmarks/.data/`` holding 1,000,000
snapshots (``quick=True``: 20,000) in star :data:`BENCH_STAR`, built on first use and reused
while its name matches :data:`DATA_VERSION` (indexes added to the schema later are created when
the store opens the file, as for any store). A tenth of the snapshots belong to the hot
resource ``Item/hot``: snapshot ``k`` (0-based) is valid from ``start + k s`` to
``start + (k + 1) s``. The rest are 10,000 (quick: 1,000) resources ``Item/r00000`` ...,
written by the store itself: transactions of one put per resource, through ``store.commit``.

The hot history cannot go through ``store.commit``: a transaction holds each resource once, so
it would take 100,000 single-op commits. It goes through the repository's own write path
instead, ``repo.apply``, with exactly the batches the committer would have made had each
snapshot been its own transaction and 10,000 of them been grouped into one commit: each
snapshot closed at the next one's start, the head, one change per snapshot.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pydantic

from nebula_kernel._json import dumps
from nebula_kernel.drivers.duckdb import DuckDbResourceRepo
from nebula_kernel.ports import ChangeRow, HeadRow, SnapshotRow, WriteBatch
from nebula_kernel.resources import ResourceStore
from nebula_kernel.resources._history import previous_values
from nebula_kernel.resources._model import CURRENT_VALID_TO, Put

__all__ = [
    "BENCH_STAR",
    "DATA_VERSION",
    "HOT_ID",
    "Item",
    "StepClock",
    "StoreDataset",
    "item_value",
    "store_dataset",
]

BENCH_STAR = "acme.eng.bench"
DATA_VERSION = "store-data-v5"
HOT_ID = "hot"
DATA_START = datetime(2025, 1, 1, tzinfo=UTC)
_DATA_DIR = Path(__file__).parent / ".data"
_PRINCIPAL = "bench"
_STATES = ("Backlog", "Ready", "In Progress", "Done")


class Item(pydantic.BaseModel):
    """The benchmark's resource type: a small work item."""

    title: str
    state: str
    points: int
    rank: int
    blocked: bool = False


def item_value(n: int) -> dict[str, Any]:
    """Version ``n`` of an item: every version changes ``rank``, some change more."""
    return {
        "title": f"Work item {n % 97}",
        "state": _STATES[(n // 7) % len(_STATES)],
        "points": (1, 2, 3, 5, 8, 13)[(n // 25) % 6],
        "rank": n,
        "blocked": n % 10 == 0,
    }


class StepClock:
    """A deterministic clock: each reading is one millisecond after the previous one."""

    def __init__(self, start: datetime) -> None:
        self._next = start

    def now(self) -> datetime:
        now = self._next
        self._next = now + timedelta(milliseconds=1)
        return now


@dataclass(frozen=True, slots=True)
class StoreDataset:
    path: Path
    snapshots: int
    hot_snapshots: int
    others: int
    start: datetime

    def hot_valid_at(self, k: int) -> datetime:
        """An instant inside the validity of the hot resource's snapshot ``k`` (0-based)."""
        return self.start + timedelta(seconds=k, milliseconds=500)


def store_dataset(*, quick: bool = False) -> StoreDataset:
    """The dataset, built on first use and reused while its version matches."""
    snapshots = 20_000 if quick else 1_000_000
    others = 1_000 if quick else 10_000
    dataset = StoreDataset(
        path=_DATA_DIR / f"{DATA_VERSION}-{snapshots}.duckdb",
        snapshots=snapshots,
        hot_snapshots=snapshots // 10,
        others=others,
        start=DATA_START,
    )
    if not dataset.path.exists():
        _build(dataset)
    return dataset


def _build(dataset: StoreDataset) -> None:
    building = dataset.path.with_suffix(".building")
    for stale in (building, building.with_name(building.name + ".wal")):
        stale.unlink(missing_ok=True)
    repo = DuckDbResourceRepo(building)
    for batch in _hot_batches(dataset, chunk=10_000):
        repo.apply(batch)
    after_hot = dataset.start + timedelta(seconds=dataset.hot_snapshots)
    store = ResourceStore(repo, clock=StepClock(after_hot), default_star=BENCH_STAR)
    try:
        store.define_type("Item", Item)
        rounds = (dataset.snapshots - dataset.hot_snapshots) // dataset.others
        for n in range(rounds):
            store.commit(
                [Put("Item", f"r{i:05d}", item_value(n + i)) for i in range(dataset.others)]
            )
    finally:
        store.close()
    dataset.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(building, dataset.path)


def _hot_batches(dataset: StoreDataset, *, chunk: int) -> Iterator[WriteBatch]:
    old: dict[str, Any] | None = None
    previous: SnapshotRow | None = None
    for first in range(0, dataset.hot_snapshots, chunk):
        count = min(chunk, dataset.hot_snapshots - first)
        closes: list[tuple[int, datetime]] = []
        rows: list[SnapshotRow] = []
        for k in range(first, first + count):
            at = dataset.start + timedelta(seconds=k)
            if previous is not None:
                if rows:
                    rows[-1] = previous._replace(valid_to=at)
                else:
                    closes.append((previous.sid, at))
            value = item_value(k)
            previous = SnapshotRow(
                k + 1,
                1,
                BENCH_STAR,
                "Item",
                HOT_ID,
                k + 1,
                at,
                CURRENT_VALID_TO,
                dumps(value),
                dumps(previous_values(old, value)),
                uuid.uuid4().hex,
                _PRINCIPAL,
                1,
            )
            rows.append(previous)
            old = value
        yield WriteBatch(
            closes=closes,
            snapshots=rows,
            heads=[HeadRow(rows[-1], False)],
            changes=[
                ChangeRow(BENCH_STAR, r.sid, "put", "Item", HOT_ID, r.sid, r.valid_from, _PRINCIPAL)
                for r in rows
            ],
        )
