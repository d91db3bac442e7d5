"""Property: every Lookback query gives the same result on the typed projection as on the JSON.

Two in-memory stores get the same random history, written in two batches; one star is
projected in the first store only (the second is too small ever to be projected on its own), and
each query runs on both after each batch. The histories mix types on purpose: a field is a
number in one snapshot and a string, boolean, null, object or absent in the next, keys appear
late, entities are deleted and re-created, and later snapshots carry another schema version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from nebula_kernel.drivers.duckdb._lookback_projection import (
    MAX_FIELDS,
    project_star,
    projected_source,
)
from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.lookback import cube, find, time_in_state, time_series, transitions
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.projection.star"
T0 = datetime(2025, 3, 3, tzinfo=UTC)
ENTITIES = ("a", "b", "c", "d", "e")

scalars = st.one_of(
    st.integers(min_value=-3, max_value=8),
    st.sampled_from([0.5, 2.5, 1e300]),
    st.sampled_from(["Backlog", "Done", "5", "true", ""]),
    st.booleans(),
    st.none(),
)
field_values = st.one_of(
    scalars, st.fixed_dictionaries({"x": scalars}), st.lists(scalars, max_size=2)
)
values = st.fixed_dictionaries(
    {},
    optional={
        "State": st.one_of(st.sampled_from(["Backlog", "Ready", "Done"]), field_values),
        "Points": st.one_of(st.integers(min_value=0, max_value=8), field_values),
        "Team": field_values,
        "late_key": field_values,
    },
)
# (entity, minutes since the previous event, new value or None for a delete, schema version)
events = st.lists(
    st.tuples(
        st.sampled_from(ENTITIES),
        st.integers(min_value=1, max_value=600),
        st.none() | values,
        st.sampled_from([1, 2]),
    ),
    min_size=1,
    max_size=20,
)
fields = st.sampled_from(["State", "Points", "Team", "late_key", "Team.x", "Points.0"])
ordered = st.one_of(st.integers(min_value=-3, max_value=8), st.sampled_from(["Done", "5"]))
leaves = st.one_of(
    st.tuples(fields, scalars).map(lambda t: {t[0]: t[1]}),
    st.tuples(fields, st.lists(scalars, min_size=1, max_size=3)).map(
        lambda t: {t[0]: {"$in": t[1]}}
    ),
    st.tuples(fields, st.sampled_from(["$gt", "$gte", "$lt"]), ordered).map(
        lambda t: {t[0]: {t[1]: t[2]}}
    ),
    st.tuples(fields, scalars).map(lambda t: {t[0]: {"$ne": t[1]}}),
    st.tuples(fields, st.booleans()).map(lambda t: {t[0]: {"$exists": t[1]}}),
    st.sampled_from(["Done", "Backlog"]).map(lambda s: {"_PreviousValues.State": s}),
    st.just({"State": {"$regex": "^D"}}),
)
filters = st.one_of(
    st.just({}), leaves, st.lists(leaves, min_size=2, max_size=3).map(lambda f: {"$or": f})
)


@contextmanager
def _stores() -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]]:
    """Two empty in-memory stores (new ones per example: history is never deleted)."""
    pair = (duckdb.connect(":memory:"), duckdb.connect(":memory:"))
    try:
        for connection in pair:
            for statement in SCHEMA_STATEMENTS:
                connection.execute(statement)
        yield pair
    finally:
        for connection in pair:
            connection.close()


def _write(
    writers: list[SnapshotWriter],
    batch: list[tuple[str, int, dict[str, Any] | None, int]],
    now: datetime,
    live: set[str],
) -> datetime:
    for entity, gap, value, version in batch:
        now += timedelta(minutes=gap)
        for writer in writers:
            if value is None:
                if entity in live:
                    writer.delete("Story", entity, now)
            else:
                writer.put("Story", entity, value, now, schema_version=version)
        if value is None:
            live.discard(entity)
        else:
            live.add(entity)
    return now


def _results(con: duckdb.DuckDBPyConnection, doc: dict[str, Any], at: datetime, sort: str) -> Any:
    window = {
        "tz": "Europe/Paris",
        "start": T0.isoformat(),
        "end": (T0 + timedelta(days=12)).isoformat(),
    }
    first = find(
        con, STAR, {"find": doc, "__At": at.isoformat(), "sort": {sort: -1}, "pagesize": 3}
    )
    rest = find(con, STAR, {"find": doc, "start": 3, "read_point": first.read_point})
    return (
        first.to_dict(),
        rest.to_dict(),
        find(con, STAR, {"find": doc, "fields": ["_Id", sort, "_PreviousValues"]}).to_dict(),
        time_series(
            con,
            STAR,
            {
                **window,
                "granularity": "day",
                "filter": doc,
                "metrics": [
                    {"as": "n", "f": "count"},
                    {"as": "sum", "f": "sum", "field": "Points"},
                    {"as": "p50", "f": "median", "field": "Team"},
                    {"as": "done", "f": "max", "field": "Points", "filter": {"State": "Done"}},
                ],
                "group_by": {"field": "State", "values": ["Done", "Backlog", 5, True]},
            },
        ).table,
        *(
            cube(
                con,
                STAR,
                {
                    "__At": instant,
                    "filter": doc,
                    "dimensions": [{"field": "State"}, {"field": "Team"}],
                    "metrics": [
                        {"as": "n", "f": "count"},
                        {"as": "s", "f": "sum", "field": "Points"},
                        {"as": "p50", "f": "median", "field": "Points"},
                    ],
                },
            )
            for instant in (at.isoformat(), "current")
        ),
        find(con, STAR, {"find": doc, "__At": "current", "sort": {sort: 1}}).to_dict(),
        time_in_state(
            con,
            STAR,
            {
                **window,
                "predicate": doc,
                "granularity": "minute",
                "fields": ["State", "Points", "late_key"],
            },
        ),
        transitions(
            con, STAR, {**window, "granularity": "day", "predicate": doc, "field": "Points"}
        ),
    )


@settings(max_examples=40, deadline=None)
@given(
    first=events,
    second=events,
    doc=filters,
    probe=st.integers(min_value=0, max_value=12 * 24 * 60),
    sort=fields,
)
def test_projected_and_json_queries_agree(
    first: list[tuple[str, int, dict[str, Any] | None, int]],
    second: list[tuple[str, int, dict[str, Any] | None, int]],
    doc: dict[str, Any],
    probe: int,
    sort: str,
) -> None:
    with _stores() as (projected, plain):
        writers = [SnapshotWriter(projected, STAR), SnapshotWriter(plain, STAR)]
        at = T0 + timedelta(minutes=probe)
        live: set[str] = set()
        now = _write(writers, first, T0, live)
        project_star(projected, STAR)
        assert projected_source(projected, STAR) is not None
        assert projected_source(plain, STAR) is None
        assert _results(projected, doc, at, sort) == _results(plain, doc, at, sort)

        _write(writers, second, now, live)  # the projection catches up on the next query
        assert _results(projected, doc, at, sort) == _results(plain, doc, at, sort)
        assert projected_source(projected, STAR) is not None


def test_fields_beyond_the_limit_read_the_json() -> None:
    wide = {f"k{n:03}": n % 4 for n in range(MAX_FIELDS + 20)}
    late = f"k{MAX_FIELDS + 10:03}"
    with _stores() as (projected, plain):
        writers = [SnapshotWriter(projected, STAR), SnapshotWriter(plain, STAR)]
        for writer in writers:
            writer.put("Story", "a", {**wide, "State": "Ready"}, T0)
            writer.put("Story", "a", {**wide, late: 9, "State": "Done"}, T0 + timedelta(hours=1))
        project_star(projected, STAR)
        source = projected_source(projected, STAR)
        assert source is not None and source.columns is not None
        assert ("value", late) not in source.columns
        assert ("previous_values", late) in source.unprojected
        spec = {
            "tz": "UTC",
            "start": T0.isoformat(),
            "end": (T0 + timedelta(days=2)).isoformat(),
            "granularity": "day",
        }
        for predicate in ({late: 9}, {late: {"$lt": 9}}, {"State": "Done", "_Id": "a"}):
            for con in (projected, plain):
                assert find(con, STAR, {"find": predicate}).total == 1
            assert transitions(projected, STAR, {**spec, "predicate": predicate}) == transitions(
                plain, STAR, {**spec, "predicate": predicate}
            )


def test_a_read_only_store_reads_the_json_while_the_projection_is_behind(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "store.duckdb")
    with duckdb.connect(path) as con:
        for statement in SCHEMA_STATEMENTS:
            con.execute(statement)
        writer = SnapshotWriter(con, STAR)
        writer.put("Story", "a", {"State": "Ready"}, T0)
        project_star(con, STAR)
        writer.put("Story", "a", {"State": "Done"}, T0 + timedelta(hours=1))
        writer.delete("Story", "a", T0 + timedelta(hours=2))
    with duckdb.connect(path, read_only=True) as con:
        assert projected_source(con, STAR) is None
        at = (T0 + timedelta(minutes=90)).isoformat()
        assert [r["State"] for r in find(con, STAR, {"find": {}, "__At": at}).records()] == ["Done"]
        assert find(con, STAR, {"find": {}, "__At": "current"}).total == 0
    with duckdb.connect(path) as con:  # writable: the next query catches up
        assert projected_source(con, STAR) is not None
        assert find(con, STAR, {"find": {}, "__At": at}).records()[0]["State"] == "Done"
        assert find(con, STAR, {"find": {}, "__At": "current"}).total == 0


def test_a_projection_of_an_older_layout_is_read_on_the_json_then_made_again(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "store.duckdb")
    spec = {"dimensions": [{"field": "State"}], "metrics": [{"as": "n", "f": "count"}]}
    expected = [("Done", [], 1), (None, ["State"], 1)]  # b was deleted; a is Done
    with duckdb.connect(path) as con:
        for statement in SCHEMA_STATEMENTS:
            con.execute(statement)
        writer = SnapshotWriter(con, STAR)
        for hours, (entity, state) in enumerate((("a", "Ready"), ("b", "Ready"), ("a", "Done"))):
            writer.put("Story", entity, {"State": state}, T0 + timedelta(hours=hours))
        writer.delete("Story", "b", T0 + timedelta(hours=3))
        project_star(con, STAR)
        # As a projection made before the current rows, has_prior and rewrites existed.
        con.execute("DROP TABLE lookback_current")
        con.execute("ALTER TABLE lookback_projection DROP COLUMN has_prior")
        con.execute("ALTER TABLE lookback_projection_state DROP COLUMN rewritten_count")
        con.execute("UPDATE lookback_projection_state SET token = 'a-token-of-layout-1'")
    with duckdb.connect(path, read_only=True) as con:
        assert projected_source(con, STAR) is None
        assert list(cube(con, STAR, spec).rows) == expected
    with duckdb.connect(path) as con:
        source = projected_source(con, STAR)
        assert source is not None and source.current_relation == "lookback_current"
        assert con.execute("SELECT id, has_prior FROM lookback_current").fetchall() == [("a", True)]
        assert list(cube(con, STAR, spec).rows) == expected


def test_an_unchanged_write_is_no_crossing_and_a_recreation_is_one_on_both_sources() -> None:
    spec = {
        "tz": "UTC",
        "start": T0.isoformat(),
        "end": (T0 + timedelta(days=1)).isoformat(),
        "granularity": "day",
        "predicate": {"State": "Done"},
        "now": (T0 + timedelta(days=2)).isoformat(),
    }
    with _stores() as (projected, plain):
        for con in (projected, plain):
            writer = SnapshotWriter(con, STAR)
            writer.put("Story", "a", {"State": "Done"}, T0 + timedelta(hours=1))
            writer.put("Story", "a", {"State": "Done"}, T0 + timedelta(hours=2))  # unchanged
            writer.put("Story", "b", {"State": "Done"}, T0 + timedelta(hours=3))
            writer.delete("Story", "b", T0 + timedelta(hours=4))
            writer.put("Story", "b", {"State": "Done"}, T0 + timedelta(hours=5))  # re-created
            writer.put("Story", "c", {"State": "Ready"}, T0 + timedelta(hours=6))
            writer.put("Story", "c", {"State": "Done"}, T0 + timedelta(hours=7))
        project_star(projected, STAR)
        assert projected_source(projected, STAR) is not None
        assert projected_source(plain, STAR) is None
        for con in (projected, plain):
            assert [row[3:] for row in transitions(con, STAR, spec).rows] == [(4, 0, 4)]


def test_a_value_a_migration_writes_back_is_projected_again(tmp_path: Path) -> None:
    """Reading a resource of an older type version writes its current snapshot back, in place,
    at the new version; the projection reads the new value from then on, in the history and in
    the current rows."""
    from nebula_kernel.drivers.duckdb import DuckDbResourceRepo
    from nebula_kernel.resources import ResourceStore

    with ResourceStore(DuckDbResourceRepo(tmp_path / "store.duckdb"), default_star=STAR) as store:
        store.define_type("Story", json_schema={"type": "object"})
        for entity in ("a", "b", "c"):
            store.put("Story", entity, {"State": "Ready"})
        con = store.repo.connection_for_queries()
        project_star(con, STAR)
        store.define_type(
            "Story",
            json_schema={"type": "object"},
            version=2,
            migrate=lambda value: {"State": str(value["State"]).lower()},
        )
        assert store.get("Story", "b").value == {"State": "ready"}  # written back
        spec = {"dimensions": [{"field": "State"}], "metrics": [{"as": "n", "f": "count"}]}
        assert list(cube(con, STAR, spec).rows) == [
            ("Ready", [], 2),
            ("ready", [], 1),
            (None, ["State"], 3),
        ]
        found = find(con, STAR, {"find": {"State": "ready"}, "fields": ["_Id", "State"]})
        assert found.results == ({"_Id": "b", "State": "ready"},)
        assert projected_source(con, STAR) is not None  # answered by the projection
