"""The pure target rules, DST days included (Europe/Amsterdam)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from common.schedule import SwitchPoint, effective_instant, occurrences, schedule_at
from controller_api.schedule import HouseMode, Override, resolve_target, target_changes

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("day, wall, expected", [
    (date(2026, 1, 12), time(6, 30), utc(2026, 1, 12, 5, 30)),       # winter, +01:00
    (date(2026, 7, 6), time(6, 30), utc(2026, 7, 6, 4, 30)),         # summer, +02:00
    (date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),         # gap: the clocks jump at 01:00 UTC
    (date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),        # gap: first valid instant
    (date(2026, 3, 29), time(2, 59), utc(2026, 3, 29, 1, 0)),
    (date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),         # first valid wall time itself
    (date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
    (date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),     # twice: the first occurrence
    (date(2026, 10, 25), time(3, 0), utc(2026, 10, 25, 2, 0)),
])
def test_effective_instant(day, wall, expected):
    assert effective_instant(day, wall, AMS) == expected


def test_spring_gap_switch_point_takes_effect_once_at_the_jump():
    points = [SwitchPoint(6, time(2, 30), 21.0), SwitchPoint(6, time(8, 0), 17.0)]
    found = occurrences(points, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), AMS)
    assert [(o.instant, o.point.temperature_c) for o in found] == [
        (utc(2026, 3, 29, 1, 0), 21.0), (utc(2026, 3, 29, 6, 0), 17.0)]
    just_before = resolve_target(at=utc(2026, 3, 29, 0, 59, 59), zone=AMS, points=points, default_c=18,
                                 frost_c=7, override=None, house=None)
    at_jump = resolve_target(at=utc(2026, 3, 29, 1, 0), zone=AMS, points=points, default_c=18,
                             frost_c=7, override=None, house=None)
    assert (just_before.target_c, at_jump.target_c) == (17.0, 21.0)


def test_two_points_in_the_gap_the_later_wins():
    points = [SwitchPoint(6, time(2, 0), 19.0), SwitchPoint(6, time(2, 30), 22.0)]
    found = occurrences(points, utc(2026, 3, 29, 0), utc(2026, 3, 29, 3), AMS)
    assert [(o.instant, o.point.temperature_c) for o in found] == [(utc(2026, 3, 29, 1, 0), 22.0)]


def test_autumn_hour_fires_once():
    points = [SwitchPoint(6, time(2, 30), 21.0), SwitchPoint(6, time(2, 45), 16.0)]
    found = occurrences(points, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12), AMS)
    # 02:30 and 02:45 CEST, never again an hour later in CET.
    assert [o.instant for o in found] == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 45)]
    # During the repeated hour (02:30 CET = 01:30 UTC) the 02:45 target stays in force.
    target = resolve_target(at=utc(2026, 10, 25, 1, 35), zone=AMS, points=points, default_c=18,
                            frost_c=7, override=None, house=None)
    assert target.target_c == 16.0


def test_week_wraps_round():
    points = [SwitchPoint(4, time(22, 0), 15.0), SwitchPoint(0, time(6, 0), 20.0)]  # Fri night, Mon morning
    current, upcoming = schedule_at(points, utc(2026, 1, 11, 12), AMS)  # a Sunday
    assert current.point.weekday == 4 and current.instant == utc(2026, 1, 9, 21, 0)
    assert upcoming.point.weekday == 0 and upcoming.instant == utc(2026, 1, 12, 5, 0)


def test_local_day_boundary_in_summer():
    # Monday 00:30 CEST is Sunday 22:30 UTC: the weekday is the local one.
    points = [SwitchPoint(0, time(0, 30), 19.0)]
    current, _ = schedule_at(points, utc(2026, 7, 5, 22, 31), AMS)
    assert current.instant == utc(2026, 7, 5, 22, 30)


RULES = [
    # override, house, points, expected (target, source)
    (None, None, [], (18.0, "default")),
    (None, None, [SwitchPoint(0, time(5, 0), 21.0)], (21.0, "schedule")),
    (Override(22.5, "manual", utc(2026, 1, 12, 4), utc(2026, 1, 12, 8)), None, [SwitchPoint(0, time(5, 0), 21.0)],
     (22.5, "override")),
    (Override(22.5, "manual", utc(2026, 1, 12, 4), utc(2026, 1, 12, 5)), None, [SwitchPoint(0, time(5, 0), 21.0)],
     (21.0, "schedule")),  # expired exactly at the instant asked
    (None, HouseMode("away", 15.0, 12.0, None), [SwitchPoint(0, time(5, 0), 21.0)], (15.0, "away")),
    (None, HouseMode("holiday", 15.0, 12.0, utc(2026, 1, 20)), [SwitchPoint(0, time(5, 0), 21.0)],
     (12.0, "holiday")),
    (None, HouseMode("holiday", 15.0, 12.0, utc(2026, 1, 12, 5)), [SwitchPoint(0, time(5, 0), 21.0)],
     (21.0, "schedule")),  # the holiday ended by itself
    (Override(20.0, "manual", utc(2026, 1, 12, 4), utc(2026, 1, 12, 8)), HouseMode("away", 15.0, 12.0, None), [],
     (20.0, "override")),
    (Override(30.0, "boost", utc(2026, 1, 12, 4), utc(2026, 1, 12, 8)), None, [], (30.0, "boost")),
    (None, HouseMode("holiday", 15.0, 5.0, utc(2026, 1, 20)), [], (7.0, "frost")),  # never below frost
    (None, None, [SwitchPoint(0, time(5, 0), 5.0)], (7.0, "frost")),
]


@pytest.mark.parametrize("override, house, points, expected", RULES)
def test_precedence(override, house, points, expected):
    target = resolve_target(at=utc(2026, 1, 12, 5, 0), zone=AMS, points=points, default_c=18.0, frost_c=7.0,
                            override=override, house=house)
    assert (target.target_c, target.source) == expected


def test_target_changes_is_a_step_function():
    points = [SwitchPoint(d, time(7, 0), 20.0) for d in range(7)] + \
             [SwitchPoint(d, time(23, 0), 16.0) for d in range(7)]
    override = Override(22.0, "manual", utc(2026, 1, 12, 12), utc(2026, 1, 12, 14))
    steps = target_changes(start=utc(2026, 1, 12, 0), end=utc(2026, 1, 13, 0), zone=AMS, points=points,
                           default_c=18, frost_c=7, override=override, house=None)
    assert steps == [(utc(2026, 1, 12, 0), 16.0, "schedule"), (utc(2026, 1, 12, 6), 20.0, "schedule"),
                     (utc(2026, 1, 12, 12), 22.0, "override"), (utc(2026, 1, 12, 14), 20.0, "schedule"),
                     (utc(2026, 1, 12, 22), 16.0, "schedule")]
    assert all(b[0] - a[0] > timedelta(0) for a, b in zip(steps, steps[1:]))
