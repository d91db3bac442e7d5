"""The DuckDB schema of a Nebula store, and its version.

``snapshots`` is the permanent history (one row per snapshot, Snodgrass valid time); Lookback
queries read it directly. ``heads`` is the latest state per resource, keyed for point reads.
``changes`` is each star's change log, in sequence order, for subscribers that resume.
"""

from __future__ import annotations

__all__ = ["SCHEMA_STATEMENTS", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

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
    """CREATE TABLE IF NOT EXISTS snapshots (
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
        schema_version INTEGER NOT NULL)""",
    # A copy of each resource's latest snapshot (closed if the resource is deleted), keyed by
    # 'star/type/id' for point reads and eTag checks.
    """CREATE TABLE IF NOT EXISTS heads (
        rkey VARCHAR PRIMARY KEY,
        deleted BOOLEAN NOT NULL,
        sid BIGINT NOT NULL,
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
        schema_version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS changes (
        star VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        op VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        sid BIGINT NOT NULL,
        committed_at TIMESTAMPTZ NOT NULL,
        changed_by VARCHAR NOT NULL)""",
)
