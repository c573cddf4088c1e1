"""The simulator's schedules agree with the controller API's resolver, across DST changes."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import numpy as np
import pytest

from controller_api import schedule as api_schedule
from simulator.house import load_house
from simulator.schedule import WeekSchedule, local_week_minutes


def _instants():
    # Every 7 minutes through the autumn and spring DST weeks of 2025/2026, and a plain January week.
    for start in (datetime(2025, 10, 24, tzinfo=timezone.utc), datetime(2026, 3, 26, tzinfo=timezone.utc),
                  datetime(2026, 1, 12, tzinfo=timezone.utc)):
        for k in range(0, 7 * 1440, 7):
            yield start + timedelta(minutes=k)


@pytest.mark.parametrize("room_key", ["living", "kitchen", "bathroom", "guest", "hall"])
def test_targets_and_switch_points_match_the_api(room_key):
    house = load_house()
    room = house.rooms[house.room_index(room_key)]
    ours = WeekSchedule(room.schedule, room.default_temp_c)
    points = [api_schedule.SwitchPoint(p.weekday, time(p.minute // 60, p.minute % 60), p.value) for p in room.schedule]
    instants = list(_instants())
    week = local_week_minutes(np.array([t.timestamp() for t in instants]), house.zone)
    values = ours.values(week)
    for k, at in enumerate(instants[::11]):
        expected = api_schedule.resolve_target(at=at, zone=house.zone, points=points, default_c=room.default_temp_c,
                                               frost_c=5.0, override=None, house=None)
        assert values[::11][k] == expected.target_c, at
        current, upcoming = ours.current_and_next(at, house.zone)
        if expected.current is None:
            assert current is None
        else:
            assert current["temperature_c"] == expected.current.point.temperature_c
            assert current["at"] == expected.current.instant.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert upcoming["at"] == expected.next.instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_week_minutes_follow_local_time_across_the_dst_change():
    zone = load_house().zone
    # 2026-03-29 01:00 UTC is 03:00 CEST on a Sunday (weekday 6).
    t = datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc).timestamp()
    assert local_week_minutes(np.array([t - 60, t]), zone).tolist() == [6 * 1440 + 119, 6 * 1440 + 180]
