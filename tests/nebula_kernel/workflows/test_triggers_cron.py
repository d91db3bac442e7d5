"""Cron triggers: due fires, catch-up policies, DST, and no double fire across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nebula_kernel.errors import Conflict, InvalidDefinition, InvalidIdentifier, InvalidRequest
from nebula_kernel.workflows._cron import (
    CronScheduler,
    CronTrigger,
    Fire,
    InMemoryTriggerStateRepo,
    plan_fires,
)

NY = ZoneInfo("America/New_York")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ny(year: int, month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """A New York wall time (``fold=1``: its second occurrence) as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=NY, fold=fold).astimezone(UTC)


def run_ticks(trigger: CronTrigger, start: datetime, end: datetime, step: timedelta) -> list[Fire]:
    """Poll like a runtime would, with a persisted watermark; return every fire started."""
    scheduler = CronScheduler(InMemoryTriggerStateRepo())
    scheduler.commit(scheduler.plan(trigger, start))
    fired: list[Fire] = []
    now = start
    while now < end:
        now = min(end, now + step)
        plan = scheduler.plan(trigger, now)
        fired.extend(plan.fires)
        scheduler.commit(plan)
    return fired


def test_first_sight_starts_from_now() -> None:
    trigger = CronTrigger("t", "* * * * *")
    plan = plan_fires(trigger, None, utc(2024, 1, 1, 10, 0, 30))
    assert plan.fires == () and plan.watermark == utc(2024, 1, 1, 10, 0, 30)


def test_on_time_fires_with_stable_ids_and_inputs() -> None:
    trigger = CronTrigger("nightly", "*/15 * * * *")
    plan = plan_fires(trigger, utc(2024, 1, 1, 10, 14), utc(2024, 1, 1, 10, 15, 20))
    (fire,) = plan.fires
    assert fire == Fire("nightly", utc(2024, 1, 1, 10, 15), missed=False)
    assert fire.fire_id == "cron:nightly:2024-01-01T10:15:00Z"
    assert fire.input_document() == {
        "trigger": {
            "kind": "cron",
            "id": "nightly",
            "fire_id": "cron:nightly:2024-01-01T10:15:00Z",
            "scheduled_at": "2024-01-01T10:15:00Z",
            "missed": False,
        }
    }
    assert plan.watermark == utc(2024, 1, 1, 10, 15, 20)
    assert plan_fires(trigger, plan.watermark, utc(2024, 1, 1, 10, 16)).fires == ()


@pytest.mark.parametrize(
    ("catch_up", "expected_missed"),
    [
        ("skip", []),
        ("latest", [utc(2024, 1, 3, 9, 0)]),
        ("all", [utc(2024, 1, 2, 9, 0), utc(2024, 1, 3, 9, 0)]),
    ],
)
def test_catch_up_policies_after_downtime(catch_up: str, expected_missed: list[datetime]) -> None:
    trigger = CronTrigger("t", "0 9 * * *", catch_up=catch_up)  # type: ignore[arg-type]
    # Down from Jan 1 12:00 until Jan 4 09:00:30: Jan 2 and 3 were missed, Jan 4 is on time.
    plan = plan_fires(trigger, utc(2024, 1, 1, 12), utc(2024, 1, 4, 9, 0, 30))
    assert [f.scheduled_at for f in plan.fires if f.missed] == expected_missed
    assert [f.scheduled_at for f in plan.fires if not f.missed] == [utc(2024, 1, 4, 9)]


def test_catch_up_all_keeps_only_the_most_recent_max() -> None:
    trigger = CronTrigger("t", "* * * * *", catch_up="all", max_catch_up=3)
    # A year of every-minute slots missed: the plan walks back only three steps.
    plan = plan_fires(trigger, utc(2023, 1, 1), utc(2024, 1, 1, 0, 0, 30))
    assert [f.scheduled_at for f in plan.fires] == [
        utc(2023, 12, 31, 23, 57),
        utc(2023, 12, 31, 23, 58),
        utc(2023, 12, 31, 23, 59),
        utc(2024, 1, 1, 0, 0),
    ]
    assert [f.missed for f in plan.fires] == [True, True, True, False]


def test_restart_does_not_fire_twice() -> None:
    repo = InMemoryTriggerStateRepo()
    trigger = CronTrigger("t", "0 * * * *")
    first = CronScheduler(repo)
    first.commit(first.plan(trigger, utc(2024, 1, 1, 9, 30)))
    plan = first.plan(trigger, utc(2024, 1, 1, 10, 0, 5))
    assert len(plan.fires) == 1
    # Crash before the commit: the restarted scheduler plans the same fire, same id.
    replanned = CronScheduler(repo).plan(trigger, utc(2024, 1, 1, 10, 0, 10))
    assert [f.fire_id for f in replanned.fires] == [f.fire_id for f in plan.fires]
    CronScheduler(repo).commit(replanned)
    # After the commit, a restart (even with an earlier clock) plans nothing again.
    assert CronScheduler(repo).plan(trigger, utc(2024, 1, 1, 10, 0, 20)).fires == ()
    assert CronScheduler(repo).plan(trigger, utc(2024, 1, 1, 10, 0, 1)).fires == ()


def test_a_stale_plan_cannot_be_committed() -> None:
    repo = InMemoryTriggerStateRepo()
    trigger = CronTrigger("t", "0 * * * *")
    scheduler = CronScheduler(repo)
    scheduler.commit(scheduler.plan(trigger, utc(2024, 1, 1, 9)))
    a = scheduler.plan(trigger, utc(2024, 1, 1, 10, 0, 1))
    b = scheduler.plan(trigger, utc(2024, 1, 1, 10, 0, 2))
    scheduler.commit(b)
    with pytest.raises(Conflict, match="advanced by another scheduler"):
        scheduler.commit(a)


def test_spring_forward_skipped_time_fires_once_at_the_jump() -> None:
    trigger = CronTrigger("t", "30 2 * * *", timezone="America/New_York")
    fired = run_ticks(trigger, ny(2024, 3, 8, 12), ny(2024, 3, 12, 12), timedelta(minutes=7))
    assert [f.scheduled_at for f in fired] == [
        ny(2024, 3, 9, 2, 30),
        ny(2024, 3, 10, 3, 0),  # 02:30 does not exist that day: at the jump to 03:00
        ny(2024, 3, 11, 2, 30),
        ny(2024, 3, 12, 2, 30),
    ]


def test_fall_back_repeated_time_fires_once_at_its_first_occurrence() -> None:
    trigger = CronTrigger("t", "30 1 * * *", timezone="America/New_York")
    fired = run_ticks(trigger, ny(2024, 11, 2, 12), ny(2024, 11, 4, 12), timedelta(minutes=5))
    assert [f.scheduled_at for f in fired] == [
        ny(2024, 11, 3, 1, 30, fold=0),
        ny(2024, 11, 4, 1, 30),
    ]


def test_hourly_schedule_on_dst_days_fires_each_wall_hour_once() -> None:
    trigger = CronTrigger("t", "0 * * * *", timezone="America/New_York")
    spring = run_ticks(
        trigger, ny(2024, 3, 10, 0, 30), ny(2024, 3, 11, 0, 30), timedelta(minutes=9)
    )
    fall = run_ticks(trigger, ny(2024, 11, 3, 0, 30), ny(2024, 11, 4, 0, 30), timedelta(minutes=9))
    assert len(spring) == 23  # 02:00 does not exist; it coincides with 03:00 and fires once
    assert len(fall) == 24  # the repeated 01:00 fires only the first time
    for fires in (spring, fall):
        instants = [f.scheduled_at for f in fires]
        assert instants == sorted(set(instants))


def test_next_fire_is_in_utc_and_dst_aware() -> None:
    trigger = CronTrigger("t", "30 2 * * *", timezone="America/New_York")
    assert trigger.next_fire(ny(2024, 3, 9, 3)) == ny(2024, 3, 10, 3, 0)
    assert trigger.next_fire(ny(2024, 3, 10, 3, 0)) == ny(2024, 3, 11, 2, 30)
    assert trigger.next_fire(ny(2024, 3, 10, 3, 0)).tzinfo is UTC


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"schedule": "* * * * * *"}, "five-field"),
        ({"schedule": "61 * * * *"}, "five-field"),
        ({"schedule": "0 0 30 2 *"}, "never fires"),
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"catch_up": "some"}, "catch_up"),
        ({"max_catch_up": 0}, "catch_up"),
        ({"grace": timedelta(seconds=-1)}, "grace"),
    ],
)
def test_invalid_triggers_are_refused(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"id": "t", "schedule": "* * * * *", **kwargs}
    with pytest.raises(InvalidDefinition, match=match):
        CronTrigger(**arguments)  # type: ignore[arg-type]


def test_trigger_ids_are_checked() -> None:
    with pytest.raises(InvalidIdentifier):
        CronTrigger("", "* * * * *")


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="no time zone"):
        plan_fires(CronTrigger("t", "* * * * *"), None, datetime(2024, 1, 1))


@settings(max_examples=40, deadline=None)
@given(
    schedule=st.sampled_from(["*/20 * * * *", "30 1,2 * * *", "0 * * * *", "15 2 * * 0"]),
    zone=st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]),
    start=st.datetimes(min_value=datetime(2024, 3, 1), max_value=datetime(2024, 11, 1)),
    steps=st.lists(st.integers(1, 400), min_size=1, max_size=40),
)
def test_polling_pattern_never_changes_what_fires(
    schedule: str, zone: str, start: datetime, steps: list[int]
) -> None:
    trigger = CronTrigger("t", schedule, timezone=zone, catch_up="all", max_catch_up=10_000)
    begin = start.replace(tzinfo=UTC)
    end = begin + timedelta(minutes=sum(steps))
    repo = InMemoryTriggerStateRepo()
    scheduler = CronScheduler(repo)
    scheduler.commit(scheduler.plan(trigger, begin))
    polled: list[Fire] = []
    now = begin
    for step in steps:
        now += timedelta(minutes=step)
        plan = scheduler.plan(trigger, now)
        polled.extend(plan.fires)
        scheduler.commit(plan)
    at_once = plan_fires(trigger, begin, end).fires
    polled_times = [f.scheduled_at for f in polled]
    assert polled_times == [f.scheduled_at for f in at_once]
    assert polled_times == sorted(set(polled_times))  # increasing: no duplicates
    assert all(begin < t <= end for t in polled_times)


def test_a_poll_between_whole_seconds_fires_each_slot_once() -> None:
    # The grace cut 03:19:59.096 once read as reaching 03:20:00, which then fired again on time.
    trigger = CronTrigger("t", "*/20 * * * *", timezone="Europe/Berlin", catch_up="all")
    begin = datetime(2024, 3, 1, 2, 28, 59, 96230, tzinfo=UTC)
    now = begin + timedelta(minutes=52)
    fires = [f.scheduled_at for f in plan_fires(trigger, begin, now).fires]
    assert fires == [datetime(2024, 3, 1, h, m, tzinfo=UTC) for h, m in ((2, 40), (3, 0), (3, 20))]
