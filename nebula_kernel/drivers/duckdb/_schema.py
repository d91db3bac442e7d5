"""The DuckDB schema of a Nebula store, its version, and the steps from older versions.

``snapshots`` is the permanent history (one row per snapshot, Snodgrass valid time); Lookback
queries read it directly. ``heads`` finds each resource's latest snapshot by its key: it holds
the snapshot's ``sid``, not a copy of it, so a write changes two narrow columns there (version 2
copied the whole snapshot, its documents included, on every write).

``snapshots`` is also each star's change log, for subscribers that resume: a put is the snapshot
it opened (``seq`` is its place in the star's sequence). A delete opens no snapshot, so it has a
row in ``deletions`` (its sequence number, the snapshot it closed, when and by whom). Version 1
logged every change in a table of its own: one more row per write, saying again what the
snapshot says.
"""

from __future__ import annotations

__all__ = ["LOOKBACK_TABLES", "SCHEMA_STATEMENTS", "SCHEMA_VERSION", "UPGRADES"]

SCHEMA_VERSION = 3

_SNAPSHOTS_TABLE = """CREATE TABLE IF NOT EXISTS {name} (
        sid BIGINT PRIMARY KEY,
        eid BIGINT NOT NULL,
        star VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        snapshot_number INTEGER NOT NULL,
        valid_from TIMESTAMPTZ NOT NULL,
        valid_to TIMESTAMPTZ NOT NULL,
        value JSON NOT NULL,
        previous_values JSON NOT NULL,
        etag VARCHAR NOT NULL,
        changed_by VARCHAR NOT NULL,
        schema_version INTEGER NOT NULL,
        seq BIGINT NOT NULL)"""

# Each resource's latest snapshot (closed if the resource is deleted), keyed by 'star/type/id'
# for point reads and eTag checks; the key's parts again, for listing a star's resources.
_HEADS_TABLE = """CREATE TABLE IF NOT EXISTS {name} (
        rkey VARCHAR PRIMARY KEY,
        deleted BOOLEAN NOT NULL,
        sid BIGINT NOT NULL,
        eid BIGINT NOT NULL,
        star VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        id VARCHAR NOT NULL)"""

SCHEMA_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS nebula_meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS stars (
        star VARCHAR PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL,
        created_by VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS resource_types (
        star VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        json_schema JSON NOT NULL,
        defined_at TIMESTAMPTZ NOT NULL,
        defined_by VARCHAR NOT NULL,
        PRIMARY KEY (star, name, version))""",
    _SNAPSHOTS_TABLE.format(name="snapshots"),
    _HEADS_TABLE.format(name="heads"),
    """CREATE TABLE IF NOT EXISTS deletions (
        star VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        sid BIGINT NOT NULL,
        deleted_at TIMESTAMPTZ NOT NULL,
        deleted_by VARCHAR NOT NULL)""",
    # The snapshots whose value was rewritten in place (a schema migration writing the current
    # snapshot back at the new version), numbered 1, 2, ... so that a reader of snapshots that
    # keeps a derived copy (the Lookback projection) knows which it has not seen yet.
    """CREATE TABLE IF NOT EXISTS rewrites (
        n BIGINT NOT NULL,
        sid BIGINT NOT NULL)""",
)

LOOKBACK_TABLES: tuple[str, ...] = (
    "lookback_projection",
    "lookback_current",
    "lookback_projection_fields",
    "lookback_projection_stars",
    "lookback_projection_state",
)
"""The Lookback projection's tables (see ``_lookback_projection``): derived from ``snapshots``,
made again by the next Lookback query whenever they are missing."""

# The columns of version 1's snapshots, as the upgrade from it selects them.
_V1_SNAPSHOT_COLUMNS = (
    "s.sid, s.eid, s.star, s.type, s.id, s.snapshot_number, s.valid_from, s.valid_to, s.value, "
    "s.previous_values, s.etag, s.changed_by, s.schema_version"
)

UPGRADES: dict[int, tuple[str, ...]] = {
    # From version 1: the change log moves into the snapshots it names. DuckDB cannot add a
    # NOT NULL column to a keyed table in place, so snapshots is written anew, in sid order. A
    # snapshot that was never logged (written by hand) gets seq 0: replay never showed it.
    # The Lookback projection is derived from snapshots: dropped, it is rebuilt when next read.
    1: (
        _SNAPSHOTS_TABLE.format(name="snapshots_v2"),
        "INSERT INTO snapshots_v2 SELECT "  # noqa: S608 - constants only
        + _V1_SNAPSHOT_COLUMNS
        + ", coalesce(p.seq, 0) FROM snapshots s "
        "LEFT JOIN changes p ON p.sid = s.sid AND p.op = 'put' ORDER BY s.sid",
        "INSERT INTO deletions SELECT star, seq, sid, committed_at, changed_by FROM changes "
        "WHERE op = 'delete' ORDER BY star, seq",
        "DROP TABLE snapshots",
        "DROP TABLE changes",
        "ALTER TABLE snapshots_v2 RENAME TO snapshots",
        *("DROP TABLE IF EXISTS " + table for table in LOOKBACK_TABLES),
    ),
    # From version 2: heads point at their snapshots instead of copying them.
    2: (
        _HEADS_TABLE.format(name="heads_v3"),
        "INSERT INTO heads_v3 SELECT rkey, deleted, sid, eid, star, type, id FROM heads",
        "DROP TABLE heads",
        "ALTER TABLE heads_v3 RENAME TO heads",
    ),
}
"""Per schema version, the statements that bring a store of that version to the next one."""
