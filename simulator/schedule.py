"""Weekly switch-point schedules of the simulated house, resolved in the home's time zone.

The rules are common/schedule.py's, which the controller API follows too. The
simulation looks values up by minute of the local week (fast, vectorised), so
its table is the wall-clock rule (``wall_clock_week``); the switch points it
shows are placed on the time line by the common rules, DST days included.
"""
from __future__ import annotations

import bisect
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import numpy as np

from common import schedule as rules
from common.schedule import MINUTES_PER_WEEK
from simulator.house import SwitchPoint

__all__ = ["MINUTES_PER_WEEK", "WeekSchedule", "local_week_minutes"]


class WeekSchedule:
    """A week of switch points with a default for an empty week."""

    def __init__(self, points: tuple[SwitchPoint, ...], default: float):
        self.points = tuple(sorted(points, key=lambda p: (p.weekday, p.minute)))
        self.default = default
        self._keys = [p.weekday * 1440 + p.minute for p in self.points]
        self.rule_points = [rules.SwitchPoint(p.weekday, time(p.minute // 60, p.minute % 60), p.value)
                            for p in self.points]
        # By wall-clock minute: in the autumn hour that occurs twice a switch
        # point inside it is in force from its first occurrence on the time
        # line, but the table (indexed by wall minute) repeats the hour: the
        # one place, an hour a year, where the simulation is the wall clock's.
        self.table = np.array(rules.wall_clock_week(self.rule_points, default), dtype=float)

    def index_at(self, week_minute: int) -> int | None:
        """Index of the switch point in force at this minute of the week (None without points)."""
        if not self.points:
            return None
        return (bisect.bisect_right(self._keys, week_minute) - 1) % len(self.points)

    def values(self, local_week_minutes: np.ndarray) -> np.ndarray:
        """Vectorised: the value at each minute of the week."""
        return self.table[local_week_minutes]

    def current_and_next(self, now: datetime, zone: ZoneInfo) -> tuple[dict | None, dict | None]:
        """The switch point in force and the next one, as the API's status shows them (``at`` in UTC)."""
        if not self.points:
            return None, None
        current, upcoming = rules.schedule_at(self.rule_points, now, zone)

        def shape(occurrence: rules.Occurrence) -> dict:
            point = occurrence.point
            return {"weekday": point.weekday, "time": point.at_time.strftime("%H:%M"),
                    "temperature_c": point.temperature_c,
                    "at": occurrence.instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}

        return shape(current), shape(upcoming)


def local_week_minutes(times_s: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Minute of the local week (0 = Monday 00:00) for each POSIX second, across DST changes."""
    times_s = np.asarray(times_s, dtype=float)
    # The UTC offset only changes at DST transitions: compute it per hour
    # boundary once and look it up, rather than a datetime per minute.
    first, last = int(times_s.min() // 3600), int(times_s.max() // 3600) + 1
    hours = np.arange(first, last + 1)
    offsets = np.array([datetime.fromtimestamp(h * 3600, tz=zone).utcoffset().total_seconds() for h in hours])
    local_s = times_s + offsets[(times_s // 3600).astype(np.int64) - first]
    minutes = np.floor(local_s / 60.0).astype(np.int64)
    # 1970-01-01 was a Thursday (weekday 3).
    return (minutes + 3 * 1440) % MINUTES_PER_WEEK
