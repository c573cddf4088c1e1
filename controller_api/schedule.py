"""Which temperature a room should have at a given instant. Pure functions, no I/O.

The schedule's rules (switch points placed on the time line in the home's
time zone, DST days included) are common/schedule.py's.

The target at an instant is: an active override, else the house mode
(away / holiday / summer: the frost temperature, heating off), else the last switch point before the instant, else the
room's default; and never below the room's frost temperature.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# The schedule's own rules live in common/schedule.py, shared with the
# simulated house and checked against the reports' SQL; the names stay
# importable from here for the API's modules.
from common.schedule import (DeviceProgram, Occurrence, SwitchPoint, device_week_program,  # noqa: F401
                             occurrences, schedule_at)

# The eQ-3 valve's week program: seven (until, temperature) pairs a day, on 10-minute steps.
VALVE_MAX_POINTS = 7
VALVE_STEP_MIN = 10


@dataclass(frozen=True)
class Override:
    temperature_c: float
    kind: str  # "manual" or "boost"
    starts_at: datetime
    #: None: until it is ended by hand.
    ends_at: datetime | None

    def active_at(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True)
class HouseMode:
    mode: str  # "home", "away", "holiday" or "summer"
    away_temp_c: float
    holiday_temp_c: float
    holiday_until: datetime | None
    #: A holiday planned ahead starts here (None: it started when it was set).
    holiday_from: datetime | None = None

    def effective(self, at: datetime) -> str:
        """The mode in force at ``at``: a holiday starts and ends by itself."""
        if self.mode == "holiday" and self.holiday_until is not None and at >= self.holiday_until:
            return "home"
        if self.mode == "holiday" and self.holiday_from is not None and at < self.holiday_from:
            return "home"
        return self.mode


@dataclass(frozen=True)
class Target:
    target_c: float
    source: str  # override, boost, away, holiday, schedule, default, frost
    current: Occurrence | None
    next: Occurrence | None


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
    elif house is not None and house.effective(at) == "summer":
        # Heating off: only the frost floor. The valves' own weekly descaling run is theirs and goes on.
        value, source = frost_c, "summer"
    elif current is not None:
        value, source = current.point.temperature_c, "schedule"
    else:
        value, source = default_c, "default"
    if value < frost_c and source != "summer":
        value, source = frost_c, "frost"
    return Target(value, source, current, upcoming)


def target_changes(*, start: datetime, end: datetime, zone: ZoneInfo, points: list[SwitchPoint],
                   default_c: float, frost_c: float, override: Override | None,
                   house: HouseMode | None) -> list[tuple[datetime, float, str]]:
    """The target as a step function on [start, end): (instant, target_c, source) at each change."""
    moments = {start}
    moments.update(o.instant for o in occurrences(points, start, end, zone))
    if override is not None:
        moments.update(t for t in (override.starts_at, override.ends_at) if t is not None and start < t < end)
    if house is not None and house.holiday_until is not None and start < house.holiday_until < end:
        moments.add(house.holiday_until)
    if house is not None and house.holiday_from is not None and start < house.holiday_from < end:
        moments.add(house.holiday_from)
    steps: list[tuple[datetime, float, str]] = []
    for moment in sorted(moments):
        target = resolve_target(at=moment, zone=zone, points=points, default_c=default_c,
                                frost_c=frost_c, override=override, house=house)
        if not steps or (steps[-1][1], steps[-1][2]) != (target.target_c, target.source):
            steps.append((moment, target.target_c, target.source))
    return steps


def house_valve_program(points: list[SwitchPoint], default_temp_c: float, frost_temp_c: float,
                        house: HouseMode | None, at: datetime) -> DeviceProgram:
    """The week program the room's valves should hold at ``at``: the schedule, or in summer the
    frost temperature all week, so valves left to themselves (a controller that died) do not heat.
    The valves' own weekly descaling run is part of their firmware and goes on either way."""
    if house is not None and house.effective(at) == "summer":
        return valve_program([], frost_temp_c)
    return valve_program(points, default_temp_c)


def valve_program(points: list[SwitchPoint], default_temp_c: float) -> DeviceProgram:
    """The room's schedule as its valves' own week program holds it (``version`` changes with it)."""
    return device_week_program(points, default_temp_c, max_points=VALVE_MAX_POINTS, step_min=VALVE_STEP_MIN)
