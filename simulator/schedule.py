"""Weekly switch-point schedules of the simulated house, resolved in the home's time zone.

The rule is the controller API's: from a switch point on, its value holds
until the next one; the week wraps round; a room without switch points has
its default. Wall-clock times are local, so a 06:30 switch point is at 06:30
in winter and in summer time.
"""
from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from simulator.house import SwitchPoint

MINUTES_PER_WEEK = 7 * 1440


class WeekSchedule:
    """A week of switch points with a default for an empty week."""

    def __init__(self, points: tuple[SwitchPoint, ...], default: float):
        self.points = tuple(sorted(points, key=lambda p: (p.weekday, p.minute)))
        self.default = default
        self._keys = [p.weekday * 1440 + p.minute for p in self.points]
        table = np.full(MINUTES_PER_WEEK, default, dtype=float)
        if self.points:
            # Before the week's first switch point the last one of the week holds.
            table[:] = self.points[-1].value
            for key, point in zip(self._keys, self.points):
                table[key:] = point.value
        self.table = table

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
        local = now.astimezone(zone)
        week_minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        i = self.index_at(week_minute)
        current, following = self.points[i], self.points[(i + 1) % len(self.points)]

        def at(point: SwitchPoint, forward: bool) -> str:
            delta = point.weekday * 1440 + point.minute - week_minute
            if forward and delta <= 0:
                delta += MINUTES_PER_WEEK
            if not forward and delta > 0:
                delta -= MINUTES_PER_WEEK
            wall = local.replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=delta)
            return wall.replace(tzinfo=zone).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        def shape(point: SwitchPoint, forward: bool) -> dict:
            return {"weekday": point.weekday, "time": point.time, "temperature_c": point.value,
                    "at": at(point, forward)}

        return shape(current, False), shape(following, True)


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
