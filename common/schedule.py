"""The weekly schedule's rules, written once for every service. Pure functions, no I/O.

A weekly schedule is a set of switch points (weekday, local wall-clock time,
temperature). From a switch point on, its temperature holds until the next one;
the week wraps round; a room without switch points has its default.

On the time line each occurrence of a switch point is placed once:

* a wall-clock time that does not exist (inside the spring-forward gap) takes
  effect at the first valid instant after it, i.e. the moment the clocks jump;
* a wall-clock time that occurs twice (the autumn hour) takes effect at its
  first occurrence only, so nothing fires twice.

Devices with a clock of their own (the eQ-3 valve's week program) run on wall
clock time and know nothing of instants: ``wall_clock_value`` and
``device_week_program`` give the schedule as such a device holds it.

The controller API, the simulated house and the SQL of the reports
(db/migrations, checked against this module in tests/reporting) follow these
rules; this module is the reference.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple, Sequence
from zoneinfo import ZoneInfo

UTC = timezone.utc
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MAX_SWITCH_POINTS_PER_DAY = 12
MIN_TEMP_C, MAX_TEMP_C = 5.0, 30.0
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, order=True)
class SwitchPoint:
    weekday: int  # 0 = Monday
    at_time: time  # local wall-clock time
    temperature_c: float

    @property
    def week_minute(self) -> int:
        """Minutes since Monday 00:00 on the wall clock."""
        return self.weekday * MINUTES_PER_DAY + self.at_time.hour * 60 + self.at_time.minute


@dataclass(frozen=True)
class Occurrence:
    """A switch point placed on the time line."""

    point: SwitchPoint
    instant: datetime  # aware, UTC


class ScheduleError(ValueError):
    """A schedule that breaks the rules; ``errors`` names each field as the API does."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


# Parsing -----------------------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_schedule(document: dict) -> list[SwitchPoint]:
    """Switch points from the API's shape ``{"switch_points": [{"weekday", "time", "temperature_c"}]}``.

    Guarantees the rules the API stores by: weekday 0..6, ``HH:MM``, 5..30 °C in
    steps of 0.5, no two points at one time, at most 12 a day. Raises
    ScheduleError naming every offending field (``switch_points[3].time``).
    """
    if not isinstance(document, dict) or not isinstance(document.get("switch_points"), list):
        raise ScheduleError([{"field": "switch_points", "message": "must be a list of switch points"}])
    errors: list[dict] = []
    points: list[SwitchPoint] = []
    seen: set[tuple[int, time]] = set()
    per_day = [0] * 7
    for k, item in enumerate(document["switch_points"]):
        where = f"switch_points[{k}]"
        if not isinstance(item, dict):
            errors.append({"field": where, "message": "must be an object"})
            continue
        unknown = sorted(set(item) - {"weekday", "time", "temperature_c"})
        if unknown:
            errors.append({"field": f"{where}.{unknown[0]}", "message": "unknown field"})
        weekday, text, temp = item.get("weekday"), item.get("time"), item.get("temperature_c")
        bad = len(errors)
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            errors.append({"field": f"{where}.weekday", "message": "must be a whole number 0 (Monday) to 6 (Sunday)"})
        match = _HHMM.match(text) if isinstance(text, str) else None
        if match is None:
            errors.append({"field": f"{where}.time", "message": "must be HH:MM, 00:00 to 23:59"})
        if isinstance(temp, bool) or not isinstance(temp, (int, float)) or not math.isfinite(temp):
            errors.append({"field": f"{where}.temperature_c", "message": "must be a number"})
        elif not MIN_TEMP_C <= temp <= MAX_TEMP_C or temp * 2 != int(temp * 2):
            errors.append({"field": f"{where}.temperature_c",
                           "message": f"must be {MIN_TEMP_C:g} to {MAX_TEMP_C:g} °C in steps of 0.5"})
        if len(errors) > bad:
            continue
        at_time = time(int(match.group(1)), int(match.group(2)))
        if (weekday, at_time) in seen:
            errors.append({"field": f"{where}.time", "message": f"two switch points on weekday {weekday} at {text}"})
            continue
        seen.add((weekday, at_time))
        per_day[weekday] += 1
        if per_day[weekday] == MAX_SWITCH_POINTS_PER_DAY + 1:
            errors.append({"field": f"{where}.weekday",
                           "message": f"more than {MAX_SWITCH_POINTS_PER_DAY} switch points on weekday {weekday}"})
        points.append(SwitchPoint(weekday, at_time, float(temp)))
    if errors:
        raise ScheduleError(errors)
    return sorted(points)


# The time line -----------------------------------------------------------------

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


def occurrences(points: Sequence[SwitchPoint], start: datetime, end: datetime,
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


def switch_points_between(points: Sequence[SwitchPoint], start: datetime, end: datetime,
                          zone: ZoneInfo) -> list[Occurrence]:
    """The switch points that take effect in [start, end), in time order (``occurrences``)."""
    return occurrences(points, start, end, zone)


def schedule_at(points: Sequence[SwitchPoint], at: datetime,
                zone: ZoneInfo) -> tuple[Occurrence | None, Occurrence | None]:
    """The switch point in force at ``at`` and the next one after it."""
    if not points:
        return None, None
    week = timedelta(days=7)
    past = occurrences(points, at - week - timedelta(days=1), at + timedelta(microseconds=1), zone)
    future = occurrences(points, at + timedelta(microseconds=1), at + week + timedelta(days=1), zone)
    return (past[-1] if past else None), (future[0] if future else None)


def next_switch_point(points: Sequence[SwitchPoint], at: datetime, zone: ZoneInfo) -> Occurrence | None:
    """The first switch point that takes effect after ``at`` (None without points)."""
    return schedule_at(points, at, zone)[1]


def scheduled_temp(points: Sequence[SwitchPoint], at: datetime, zone: ZoneInfo, default_c: float) -> float:
    """The schedule's temperature at instant ``at``: the switch point in force, else ``default_c``."""
    current, _ = schedule_at(points, at, zone)
    return default_c if current is None else current.point.temperature_c


# The wall clock (devices with a clock of their own) -------------------------------

def wall_clock_value(points: Sequence[SwitchPoint], week_minute: int, default: float) -> float:
    """The value in force at a minute of the wall-clock week (0 = Monday 00:00), the week wrapping round.

    This is the rule without time zones: what a device that runs its own week
    program on local time does. It equals ``scheduled_temp`` except in the hour
    that occurs twice in autumn, where a wall clock repeats a switch point's
    hour and the time line does not.
    """
    if not points:
        return default
    ordered = sorted(points, key=lambda p: p.week_minute)
    keys = [p.week_minute for p in ordered]
    return ordered[(bisect.bisect_right(keys, week_minute % MINUTES_PER_WEEK) - 1) % len(ordered)].temperature_c


def wall_clock_week(points: Sequence[SwitchPoint], default: float) -> list[float]:
    """``wall_clock_value`` for each of the week's 10,080 minutes, in one pass."""
    if not points:
        return [default] * MINUTES_PER_WEEK
    ordered = sorted(points, key=lambda p: p.week_minute)
    table = [ordered[-1].temperature_c] * MINUTES_PER_WEEK  # before the week's first point, its last holds
    for k, point in enumerate(ordered):
        end = ordered[k + 1].week_minute if k + 1 < len(ordered) else MINUTES_PER_WEEK
        table[point.week_minute:end] = [point.temperature_c] * (end - point.week_minute)
    return table


# The schedule as a device's week program --------------------------------------------

DEVICE_MIN_TEMP_C, DEVICE_MAX_TEMP_C = 4.5, 30.0
# A period that ends up cooler than the schedule asks leaves someone cold; one
# that ends up warmer costs some gas. Reductions weigh the first twice, so they
# fold short cool gaps into the comfort around them rather than cut comfort short.
_COOLER_WEIGHT = 2.0


class ProgramPoint(NamedTuple):
    """One entry of a device's day: ``temp_c`` holds until ``until_minute`` (minutes after 00:00, at most 1440)."""

    until_minute: int
    temp_c: float


@dataclass(frozen=True)
class DeviceProgram:
    """A week program as a device holds it.

    ``days`` maps 'mon'..'sun' to at most ``max_points`` ProgramPoints whose
    last ``until_minute`` is 1440. ``exact`` is true when the device does
    exactly what the schedule says; otherwise ``message`` says, for the
    household, what was changed. ``version`` is a hash of ``days``: it changes
    exactly when the program does.
    """

    days: dict[str, tuple[ProgramPoint, ...]]
    exact: bool
    message: str
    version: str


@dataclass
class _Period:
    start: int
    end: int
    temp_c: float

    @property
    def minutes(self) -> int:
        return self.end - self.start


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _temp(value: float) -> str:
    return f"{value:g} °C"


def _round_temp(value: float) -> float:
    # Half degrees, halves rounded up, within what the valve can set.
    return min(DEVICE_MAX_TEMP_C, max(DEVICE_MIN_TEMP_C, math.floor(value * 2 + 0.5) / 2))


def _quantised_points(points: Sequence[SwitchPoint], step_min: int) -> list[tuple[int, float]]:
    """(week minute on the step grid, temperature) in the order they act, one per grid minute."""
    placed: list[tuple[int, int, float]] = []
    for point in points:
        key = point.week_minute
        grid = (key + step_min // 2) // step_min * step_min  # nearest boundary, halves later
        order = key
        if grid >= MINUTES_PER_WEEK:
            # Sunday night rounded to Monday 00:00: it acted before Monday's own points.
            grid, order = grid - MINUTES_PER_WEEK, key - MINUTES_PER_WEEK
        placed.append((grid, order, _round_temp(point.temperature_c)))
    placed.sort()
    latest: dict[int, float] = {}
    for grid, _, temp in placed:
        latest[grid] = temp  # of two points on one boundary, the later one holds from there
    return sorted(latest.items())


def _day_periods(grid_points: list[tuple[int, float]], weekday: int, default_c: float) -> list[_Period]:
    """The day's periods on the device's grid, neighbours at one temperature joined."""
    day_start = weekday * MINUTES_PER_DAY
    if not grid_points:
        return [_Period(0, MINUTES_PER_DAY, _round_temp(default_c))]
    keys = [k for k, _ in grid_points]
    at_midnight = grid_points[(bisect.bisect_right(keys, day_start) - 1) % len(grid_points)][1]
    periods = [_Period(0, MINUTES_PER_DAY, at_midnight)]
    for key, temp in grid_points:
        if day_start < key < day_start + MINUTES_PER_DAY:
            minute = key - day_start
            periods[-1].end = minute
            periods.append(_Period(minute, MINUTES_PER_DAY, temp))
    joined: list[_Period] = []
    for period in periods:
        if joined and joined[-1].temp_c == period.temp_c:
            joined[-1].end = period.end
        else:
            joined.append(period)
    return joined


def _fold_cost(periods: Sequence[_Period], temp_c: float) -> float:
    """Weighted area (K × min) between the periods' temperatures and one held temperature."""
    cost = 0.0
    for period in periods:
        gap = period.temp_c - temp_c
        cost += period.minutes * abs(gap) * (_COOLER_WEIGHT if gap > 0 else 1.0)
    return cost


def _reduce(periods: list[_Period], max_points: int) -> list[tuple[list[_Period], float]]:
    """The day as at most ``max_points`` groups of consecutive periods, each held at one temperature.

    The optimum, by dynamic programming over the cut positions (a day has a
    dozen periods or so): the grouping, and for each group one of its own
    temperatures, with the least weighted area of difference from the
    schedule. Of equal costs the warmer temperature and the earlier grouping win.
    """
    n = len(periods)
    inf = float("inf")
    # best[g][j]: (cost, choices) for the first j periods in g groups.
    best: list[list[tuple[float, list[tuple[int, int, float]]]]] = [
        [(inf, [])] * (n + 1) for _ in range(max_points + 1)]
    best[0][0] = (0.0, [])
    for g in range(1, max_points + 1):
        for j in range(1, n + 1):
            for i in range(g - 1, j):
                cost_before, choices = best[g - 1][i]
                if cost_before == inf:
                    continue
                group = periods[i:j]
                temps = sorted({p.temp_c for p in group}, reverse=True)  # warmer first on ties
                temp = min(temps, key=lambda t: _fold_cost(group, t))
                total = cost_before + _fold_cost(group, temp)
                if total < best[g][j][0] - 1e-9:
                    best[g][j] = (total, choices + [(i, j, temp)])
    _, choices = min((best[g][n] for g in range(1, max_points + 1)), key=lambda entry: entry[0])
    return [(periods[i:j], temp) for i, j, temp in choices]


def device_week_program(schedule: Sequence[SwitchPoint], default_temp_c: float, *, max_points: int = 7,
                        step_min: int = 10) -> DeviceProgram:
    """The schedule as a device's week program: per day at most ``max_points`` (until, temperature) pairs.

    Times are moved to the nearest ``step_min`` boundary, temperatures to the
    nearest 0.5 °C within 4.5..30 °C. Each day starts with what the schedule
    holds at midnight (carried from the day before). A day with more periods
    than the device holds is reduced to the program with the least area of
    temperature difference × time, where time spent cooler than the schedule
    counts twice (so comfort periods are kept whole); see ``_reduce``.
    """
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if step_min < 1 or MINUTES_PER_DAY % step_min:
        raise ValueError("step_min must divide a day (1440 minutes)")
    grid_points = _quantised_points(schedule, step_min)
    notes: list[str] = []
    moved = [p for p in schedule if p.week_minute % step_min]
    if moved:
        shown = ", ".join(
            f"{WEEKDAY_NAMES[p.weekday]} {p.at_time:%H:%M} becomes "
            f"{_hhmm((p.at_time.hour * 60 + p.at_time.minute + step_min // 2) // step_min * step_min % MINUTES_PER_DAY)}"
            for p in sorted(moved)[:3])
        more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
        notes.append(f"The valves switch on whole {step_min} minutes, so {shown}{more}.")
    temps = [p.temperature_c for p in schedule] if schedule else [default_temp_c]
    rounded = sorted({t for t in temps if _round_temp(t) != t})
    if rounded:
        notes.append("The valves set half degrees from 4.5 to 30 °C, so "
                     + ", ".join(f"{_temp(t)} becomes {_temp(_round_temp(t))}" for t in rounded) + ".")
    days: dict[str, tuple[ProgramPoint, ...]] = {}
    for weekday, key in enumerate(WEEKDAY_KEYS):
        periods = _day_periods(grid_points, weekday, default_temp_c)
        if len(periods) <= max_points:
            days[key] = tuple(ProgramPoint(p.end, p.temp_c) for p in periods)
            continue
        groups = _reduce(periods, max_points)
        program: list[ProgramPoint] = []
        folded: list[str] = []
        for group, temp in groups:
            if program and program[-1].temp_c == temp:
                program[-1] = ProgramPoint(group[-1].end, temp)
            else:
                program.append(ProgramPoint(group[-1].end, temp))
            span = f"{_hhmm(group[0].start)}–{_hhmm(group[-1].end)}"
            folded += [f"{_hhmm(p.start)}–{_hhmm(p.end)} at {_temp(p.temp_c)} is folded into "
                       f"the {_temp(temp)} period {span}" for p in group if p.temp_c != temp]
        days[key] = tuple(program)
        notes.append(f"{WEEKDAY_NAMES[weekday]} has {len(periods)} periods; the valves hold {max_points} a day: "
                     + "; ".join(folded) + ".")
    exact = not notes
    canonical = json.dumps({k: [[p.until_minute, p.temp_c] for p in v] for k, v in days.items()},
                           separators=(",", ":"))
    version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    message = " ".join(notes) if notes else "The valves hold this schedule exactly."
    return DeviceProgram(days, exact, message, version)

