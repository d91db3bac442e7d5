"""Cron triggers: which scheduled fires are due, exactly once, across restarts and downtime.

**Schedules** are standard five-field cron expressions (``"30 2 * * *"``, ``"*/15 9-17 * * 1-5"``,
``"@daily"``) read in an IANA time zone. They name *wall-clock* times, and daylight saving time
is handled like this:

- a wall time that does not exist (spring forward, 02:30 when clocks jump from 02:00 to 03:00)
  fires once, at the moment of the jump (03:00 local);
- a wall time that occurs twice (fall back, 01:30) fires once, at its first occurrence;
- several wall times that map to the same instant (02:00 and 02:30 in a skipped hour) fire once.

So every day a daily schedule fires exactly once, and fire times never go backwards.

**Watermarks.** A trigger's state is one instant, its *watermark*: every slot up to it has been
decided (fired or deliberately skipped). :func:`plan_fires` turns ``(watermark, now)`` into the
fires to start and the new watermark. Slots no older than ``grace`` are on time and always fire;
older ones were *missed* (the host was down) and follow ``catch_up``: ``"skip"`` fires none,
``"latest"`` only the most recent, ``"all"`` each of them, but no more than the ``max_catch_up``
most recent. A trigger seen for the first time (no watermark) starts from ``now``.

**No double fire.** Each :class:`Fire` has a stable ``fire_id`` (trigger id + scheduled instant).
The runtime starts each fire's execution with ``fire_id`` as its idempotency key and *then*
advances the watermark (:meth:`CronScheduler.commit`). A crash in between re-plans the same
fires with the same ids after the restart, which the idempotency key turns into no-ops; once the
watermark is stored, the fires are never planned again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from nebula_kernel.errors import Conflict, InvalidDefinition, InvalidRequest
from nebula_kernel.resources._ids import check_resource_id

__all__ = [
    "CatchUp",
    "CronScheduler",
    "CronTrigger",
    "Fire",
    "FirePlan",
    "InMemoryTriggerStateRepo",
    "TriggerStateRepo",
    "plan_fires",
]

CatchUp: TypeAlias = Literal["skip", "latest", "all"]


@dataclass(frozen=True, slots=True)
class CronTrigger:
    """Start a workflow on a cron schedule in ``timezone``."""

    id: str
    schedule: str
    timezone: str = "UTC"
    catch_up: CatchUp = "latest"
    max_catch_up: int = 100
    grace: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        check_resource_id(self.id)  # it becomes part of every fire id
        where = f"Cron trigger {self.id!r}"
        fields = self.schedule.split()
        if not (self.schedule.startswith("@") or len(fields) == 5) or not croniter.is_valid(
            self.schedule
        ):
            raise InvalidDefinition(
                f"{where}: {self.schedule!r} is not a five-field cron expression "
                "(minute hour day-of-month month day-of-week, e.g. '30 2 * * *', or '@daily').",
                trigger=self.id,
            )
        try:
            # Valid fields can still describe no date at all ("0 0 30 2 *").
            croniter(self.schedule, datetime(2000, 1, 1)).get_next(datetime)
        except CroniterBadDateError:
            raise InvalidDefinition(
                f"{where}: {self.schedule!r} never fires (no date matches it).", trigger=self.id
            ) from None
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidDefinition(
                f"{where}: {self.timezone!r} is not an IANA time zone (e.g. 'Europe/Paris').",
                trigger=self.id,
            ) from None
        if self.catch_up not in ("skip", "latest", "all") or self.max_catch_up < 1:
            raise InvalidDefinition(
                f"{where}: catch_up must be 'skip', 'latest' or 'all', and max_catch_up >= 1.",
                trigger=self.id,
            )
        if self.grace < timedelta(0):
            raise InvalidDefinition(f"{where}: grace must not be negative.", trigger=self.id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def next_fire(self, after: datetime) -> datetime:
        """The first fire time (UTC) strictly after ``after``; sleep until then."""
        zone = self.zone
        wall = croniter(self.schedule, _wall_bound(_aware(after, "after"), zone)).get_next(datetime)
        return _instant(wall, zone)


@dataclass(frozen=True, slots=True)
class Fire:
    """One scheduled run. ``fire_id`` is stable: use it as the execution's idempotency key."""

    trigger_id: str
    scheduled_at: datetime
    missed: bool

    @property
    def fire_id(self) -> str:
        return f"cron:{self.trigger_id}:{self.scheduled_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"

    def input_document(self) -> dict[str, Any]:
        """The workflow input: ``{"trigger": {...}}``."""
        return {
            "trigger": {
                "kind": "cron",
                "id": self.trigger_id,
                "fire_id": self.fire_id,
                "scheduled_at": self.scheduled_at.isoformat().replace("+00:00", "Z"),
                "missed": self.missed,
            }
        }


@dataclass(frozen=True, slots=True)
class FirePlan:
    """What to start now, and the watermark to store once it is started."""

    trigger_id: str
    previous: datetime | None
    fires: tuple[Fire, ...]
    watermark: datetime


def plan_fires(trigger: CronTrigger, watermark: datetime | None, now: datetime) -> FirePlan:
    """The fires due in ``(watermark, now]`` under the trigger's catch-up policy."""
    now = _aware(now, "now").astimezone(UTC)
    if watermark is None:
        return FirePlan(trigger.id, None, (), now)
    start = _aware(watermark, "watermark").astimezone(UTC)
    if now <= start:
        return FirePlan(trigger.id, watermark, (), start)
    zone = trigger.zone
    cut = max(start, now - trigger.grace)
    keep = {"skip": 0, "latest": 1, "all": trigger.max_catch_up}[trigger.catch_up]
    missed = _latest_slots(trigger.schedule, zone, start, cut, keep)
    on_time = _slots(trigger.schedule, zone, cut, now)
    fires = [Fire(trigger.id, t, True) for t in missed]
    fires += [Fire(trigger.id, t, False) for t in on_time]
    return FirePlan(trigger.id, watermark, tuple(fires), now)


class TriggerStateRepo(Protocol):
    """Where each trigger's watermark survives restarts.

    A DuckDB implementation needs one table, ``trigger_state(trigger_id VARCHAR PRIMARY KEY,
    watermark TIMESTAMPTZ NOT NULL)``; ``advance`` is ``INSERT ... ON CONFLICT DO NOTHING`` when
    ``expected`` is ``None`` and ``UPDATE ... WHERE trigger_id = ? AND watermark = ?`` otherwise,
    succeeding iff one row changed.
    """

    def load(self, trigger_id: str) -> datetime | None: ...

    def advance(self, trigger_id: str, expected: datetime | None, watermark: datetime) -> bool:
        """Compare-and-set: store ``watermark`` only if the stored one is still ``expected``."""
        ...


class InMemoryTriggerStateRepo:
    """A :class:`TriggerStateRepo` for tests and single-process hosts without persistence."""

    def __init__(self) -> None:
        self._marks: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def load(self, trigger_id: str) -> datetime | None:
        with self._lock:
            return self._marks.get(trigger_id)

    def advance(self, trigger_id: str, expected: datetime | None, watermark: datetime) -> bool:
        with self._lock:
            if self._marks.get(trigger_id) != expected:
                return False
            self._marks[trigger_id] = watermark
            return True


class CronScheduler:
    """Plans fires from stored watermarks and records them once the fires are started::

    plan = scheduler.plan(trigger, clock.now())
    for fire in plan.fires:
        runtime.start(workflow, fire.input_document(), idempotency_key=fire.fire_id)
    scheduler.commit(plan)
    """

    def __init__(self, repo: TriggerStateRepo) -> None:
        self._repo = repo

    def plan(self, trigger: CronTrigger, now: datetime) -> FirePlan:
        return plan_fires(trigger, self._repo.load(trigger.id), now)

    def commit(self, plan: FirePlan) -> None:
        """Store the plan's watermark; :class:`Conflict` if another scheduler moved it first."""
        if plan.watermark == plan.previous:
            return
        if not self._repo.advance(plan.trigger_id, plan.previous, plan.watermark):
            raise Conflict(
                f"Cron trigger {plan.trigger_id!r} was advanced by another scheduler since it was "
                "planned; its fires were started there too (the idempotency keys make the "
                "duplicates no-ops). Plan again.",
                trigger=plan.trigger_id,
            )


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequest(
            f"{what}={moment.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(UTC))."
        )
    return moment


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive wall time in ``zone`` fires at (see the module's DST rules)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # ``wall`` falls in a gap. fold=1 reads it with the offset after the jump, an instant
    # before the jump; fold=0 one after it. The jump is the first second between them whose
    # wall time is past ``wall``.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _wall_bound(moment: datetime, zone: ZoneInfo) -> datetime:
    """The latest naive wall time whose fire instant is not after ``moment``.

    Normally ``moment``'s own wall time. During the second pass of a repeated hour, wall times up
    to the end of that hour already fired (at their first occurrence), so the bound moves there.
    """
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if local.fold == 1:
        earlier = wall.replace(tzinfo=zone, fold=0).utcoffset()
        later = wall.replace(tzinfo=zone, fold=1).utcoffset()
        assert earlier is not None and later is not None
        wall += earlier - later
    return wall


def _slots(schedule: str, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Fire instants in ``(after, until]``, ascending, each once."""
    end = _wall_bound(until, zone)
    walls = croniter(schedule, _wall_bound(after, zone))
    found: list[datetime] = []
    while (wall := walls.get_next(datetime)) <= end:
        instant = _instant(wall, zone)
        if not found or found[-1] != instant:
            found.append(instant)
    return found


def _latest_slots(
    schedule: str, zone: ZoneInfo, after: datetime, until: datetime, keep: int
) -> list[datetime]:
    """The last ``keep`` fire instants in ``(after, until]``, ascending, found by walking back
    from ``until`` so a long downtime costs no more than ``keep`` steps."""
    if keep == 0 or until <= after:
        return []
    start = _wall_bound(after, zone)
    # get_prev is strictly before its start; the second after the bound's includes the bound
    # (slots fall on whole seconds: a bound's own fraction of a second would reach past it).
    bound = _wall_bound(until, zone).replace(microsecond=0)
    walls = croniter(schedule, bound + timedelta(seconds=1))
    found: list[datetime] = []
    while len(found) < keep and (wall := walls.get_prev(datetime)) > start:
        instant = _instant(wall, zone)
        if not found or found[-1] != instant:
            found.append(instant)
    return found[::-1]
