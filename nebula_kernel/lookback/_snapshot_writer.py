"""Write consistent ``snapshots`` rows from plain Python histories, for tests and benchmarks.

The store's committer is the real writer; this one has no transactions, guards or validation,
only the row rules Lookback relies on: a new version closes the open snapshot at its instant,
``previous_values`` holds the old values of the top-level fields that changed (``null`` for a
field that was absent), ``{}`` on creation, and a delete closes the last snapshot with no
successor. As in the store, snapshot numbers start at 1 and go on after a delete (the entity
keeps its ``eid``; re-creating it starts with empty previous values). ``sid`` grows by one per
snapshot across the whole table. As the store does, each put and delete takes the star's next
change sequence number: a put on the snapshot it opens (``seq``), a delete on its row of
``deletions`` (by which the Lookback projection notices it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import duckdb

__all__ = ["OPEN_END", "SnapshotWriter"]

OPEN_END: Final = "9999-01-01T00:00:00+00:00"
# Parameter: the star. The next sid, eid and change sequence number.
_NEXT_IDS: Final = (
    "SELECT coalesce(max(sid), 0) + 1, coalesce(max(eid), 0) + 1, "
    "(SELECT coalesce(max(seq), 0) + 1 FROM (SELECT seq FROM snapshots WHERE star = ? "
    "UNION ALL SELECT seq FROM deletions WHERE star = ?)) FROM snapshots"
)
_CLOSE: Final = "UPDATE snapshots SET valid_to = ? WHERE sid = ?"
# Parameters: star, seq, the closed sid, when, by whom.
_LOG_DELETE: Final = "INSERT INTO deletions VALUES (?, ?, ?, ?, ?)"
_INSERT: Final = (
    "INSERT INTO snapshots (sid, eid, star, type, id, snapshot_number, valid_from, valid_to, "
    "value, previous_values, etag, changed_by, schema_version, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class _Open:
    sid: int
    value: dict[str, Any]


@dataclass
class _Entity:
    eid: int
    last_number: int


@dataclass
class SnapshotWriter:
    """Appends versions of resources in one star; times must not go backwards per resource."""

    con: duckdb.DuckDBPyConnection
    star: str
    _open: dict[tuple[str, str], _Open] = field(default_factory=dict)
    _entities: dict[tuple[str, str], _Entity] = field(default_factory=dict)

    def put(
        self,
        type_: str,
        id_: str,
        value: Mapping[str, Any],
        at: datetime,
        by: str = "tester",
        schema_version: int = 1,
    ) -> int:
        """Create or update ``type_/id_`` at ``at``; returns the new snapshot's ``sid``."""
        key = (type_, id_)
        sid, new_eid, seq = self._next_ids()
        previous = self._open.pop(key, None)
        old: dict[str, Any] = {}
        if previous is not None:
            self.con.execute(_CLOSE, [at, previous.sid])
            old = previous.value
        entity = self._entities.setdefault(key, _Entity(new_eid, 0))
        entity.last_number += 1
        changed = {
            name: old.get(name)
            for name in sorted({*old, *value})
            if _encoded(old, name) != _encoded(value, name)
        }
        self.con.execute(
            _INSERT,
            [
                sid,
                entity.eid,
                self.star,
                type_,
                id_,
                entity.last_number,
                at,
                OPEN_END,
                json.dumps(dict(value)),
                json.dumps(changed if previous is not None else {}),
                f"e{sid}",
                by,
                schema_version,
                seq,
            ],
        )
        self._open[key] = _Open(sid, dict(value))
        return sid

    def delete(self, type_: str, id_: str, at: datetime) -> None:
        """Close the open snapshot of ``type_/id_`` at ``at``."""
        previous = self._open.pop((type_, id_))
        self.con.execute(_CLOSE, [at, previous.sid])
        seq = self._next_ids()[2]
        self.con.execute(_LOG_DELETE, [self.star, seq, previous.sid, at, "tester"])

    def _next_ids(self) -> tuple[int, int, int]:
        row = self.con.execute(_NEXT_IDS, [self.star, self.star]).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])


def _encoded(value: Mapping[str, Any], name: str) -> str | None:
    """The field as JSON text (so ``1`` and ``true`` differ), or ``None`` when absent."""
    return json.dumps(value[name], sort_keys=True) if name in value else None
