"""The DuckDB tables of the workflow journal; they sit beside the store's in the same file.

``wf_journal`` is append-only: nothing ever updates or deletes a row. ``wf_executions`` holds
each execution's current status and lease, changed only by compare-and-set updates written in
the same transaction as the journal entry that explains them, and the star it belongs to.

Files written before executions had a star gain the column when opened; their executions belong
to the default star (the only one there was).
"""

from __future__ import annotations

from nebula_kernel.resources import DEFAULT_STAR

__all__ = ["JOURNAL_SCHEMA_STATEMENTS"]

JOURNAL_SCHEMA_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS wf_executions (
        id VARCHAR PRIMARY KEY,
        workflow_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        lease_holder VARCHAR,
        lease_until TIMESTAMPTZ,
        star VARCHAR NOT NULL)""",
    # Last, so new files and upgraded ones have the same columns in the same order.
    f"ALTER TABLE wf_executions ADD COLUMN IF NOT EXISTS star VARCHAR DEFAULT '{DEFAULT_STAR}'",
    # Bodies are VARCHAR, not JSON: the JSON type would re-validate every body on insert, and
    # the bodies were produced by a JSON encoder a moment before.
    """CREATE TABLE IF NOT EXISTS wf_journal (
        seq BIGINT NOT NULL,
        execution_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        node_id VARCHAR,
        attempt INTEGER,
        format_version INTEGER NOT NULL,
        written_at TIMESTAMPTZ NOT NULL,
        body VARCHAR NOT NULL)""",
)
