"""Which temperature a room should have at a given instant. Pure functions, no I/O.

A weekly schedule is a set of switch points (weekday, local wall-clock time,
temperature). Each switch point occurrence is placed on the time line once:

* a wall-clock time that does not exist (inside the spring-forward gap) takes
  effect at the first valid instant after it, i.e. the moment the clocks jump;
* a wall-clock time that occurs twice (the autumn hour) takes effect at its
  first occurrence only, so nothing fires twice.

The target at an instant is then: an active override, else the house mode
(away / holiday), else the last switch point before the instant, else the
room's default; and never below the room's frost temperature.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc


@dataclass(frozen=True, order=True)
class SwitchPoint:
    weekday: int  # 0 = Monday
    at_time: time
    temperature_c: float


@dataclass(frozen=True)
class Occurrence:
    """A switch point placed on the time line."""

    point: SwitchPoint
    instant: datetime  # aware, UTC


@dataclass(frozen=True)
class Override:
    temperature_c: float
    kind: str  # "manual" or "boost"
    starts_at: datetime
    ends_at: datetime

    def active_at(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class HouseMode:
    mode: str  # "home", "away" or "holiday"
    away_temp_c: float
    holiday_temp_c: float
    holiday_until: datetime | None

    def effective(self, at: datetime) -> str:
        """The mode in force at ``at``: a holiday ends by itself."""
        if self.mode == "holiday" and self.holiday_until is not None and at >= self.holiday_until:
            return "home"
        return self.mode


@dataclass(frozen=True)
class Target:
    target_c: float
    source: str  # override, boost, away, holiday, schedule, default, frost
    current: Occurrence | None
    next: Occurrence | None


def _local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    # Through UTC: astimezone() to the datetime's own zone would return it
    # unchanged, hiding a non-existent wall time.
    return instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def effective_instant(day: date, at_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which wall-clock ``at_time`` on ``day`` takes effect."""
    naive = datetime.combine(day, at_time)
    first = naive.replace(tzinfo=zone, fold=0)
    if _local_wall(first, zone) == naive:
        # Exists; for a time that occurs twice, fold=0 is its first occurrence.
        return first.astimezone(UTC)
    # Inside a gap: the first valid instant after it is the transition itself.
    before = naive.replace(tzinfo=zone, fold=0).utcoffset()
    after = naive.replace(tzinfo=zone, fold=1).utcoffset()
    low = (naive - max(before, after)).replace(tzinfo=UTC)
    high = (naive - min(before, after)).replace(tzinfo=UTC)
    # Smallest instant whose wall clock reads at or after ``naive``.
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _local_wall(middle, zone) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def occurrences(points: list[SwitchPoint], start: datetime, end: datetime,
                zone: ZoneInfo) -> list[Occurrence]:
    """Every occurrence with start <= instant < end, in time order.

    When several wall-clock times fall on the same instant (two points in one
    spring-forward gap), only the last of them in wall-clock order is kept:
    it is the one in force from that instant on.
    """
    if not points:
        return []
    by_weekday: dict[int, list[SwitchPoint]] = {}
    for point in sorted(points, key=lambda p: (p.weekday, p.at_time)):
        by_weekday.setdefault(point.weekday, []).append(point)
    first_day = _local_wall(start, zone).date() - timedelta(days=1)
    last_day = _local_wall(end, zone).date() + timedelta(days=1)
    found: dict[datetime, Occurrence] = {}
    day = first_day
    while day <= last_day:
        for point in by_weekday.get(day.weekday(), []):
            instant = effective_instant(day, point.at_time, zone)
            if start <= instant < end:
                found[instant] = Occurrence(point, instant)  # later wall time wins a tie
        day += timedelta(days=1)
    return [found[k] for k in sorted(found)]


def schedule_at(points: list[SwitchPoint], at: datetime,
                zone: ZoneInfo) -> tuple[Occurrence | None, Occurrence | None]:
    """The switch point in force at ``at`` and the next one after it."""
    if not points:
        return None, None
    week = timedelta(days=7)
    past = occurrences(points, at - week - timedelta(days=1), at + timedelta(microseconds=1), zone)
    future = occurrences(points, at + timedelta(microseconds=1), at + week + timedelta(days=1), zone)
    return (past[-1] if past else None), (future[0] if future else None)


def resolve_target(*, at: datetime, zone: ZoneInfo, points: list[SwitchPoint], default_c: float,
                   frost_c: float, override: Override | None, house: HouseMode | None) -> Target:
    """The room's target at ``at`` and where it comes from."""
    current, upcoming = schedule_at(points, at, zone)
    if override is not None and override.active_at(at):
        value, source = override.temperature_c, ("boost" if override.kind == "boost" else "override")
    elif house is not None and house.effective(at) == "away":
        value, source = house.away_temp_c, "away"
    elif house is not None and house.effective(at) == "holiday":
        value, source = house.holiday_temp_c, "holiday"
    elif current is not None:
        value, source = current.point.temperature_c, "schedule"
    else:
        value, source = default_c, "default"
    if value < frost_c:
        value, source = frost_c, "frost"
    return Target(value, source, current, upcoming)


def target_changes(*, start: datetime, end: datetime, zone: ZoneInfo, points: list[SwitchPoint],
                   default_c: float, frost_c: float, override: Override | None,
                   house: HouseMode | None) -> list[tuple[datetime, float, str]]:
    """The target as a step function on [start, end): (instant, target_c, source) at each change."""
    moments = {start}
    moments.update(o.instant for o in occurrences(points, start, end, zone))
    if override is not None:
        moments.update(t for t in (override.starts_at, override.ends_at) if start < t < end)
    if house is not None and house.holiday_until is not None and start < house.holiday_until < end:
        moments.add(house.holiday_until)
    steps: list[tuple[datetime, float, str]] = []
    for moment in sorted(moments):
        target = resolve_target(at=moment, zone=zone, points=points, default_c=default_c,
                                frost_c=frost_c, override=override, house=house)
        if not steps or (steps[-1][1], steps[-1][2]) != (target.target_c, target.source):
            steps.append((moment, target.target_c, target.source))
    return steps
