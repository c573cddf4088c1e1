"""common/schedule.py: parsing, the time line across DST, and the schedule as a device's week program."""
from __future__ import annotations

import itertools
import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from common.schedule import (MINUTES_PER_DAY, WEEKDAY_KEYS, ScheduleError, SwitchPoint, device_week_program,
                             next_switch_point, occurrences, parse_schedule, schedule_at, scheduled_temp,
                             switch_points_between, wall_clock_value, wall_clock_week)

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Parsing ------------------------------------------------------------------------

def test_parse_gives_sorted_switch_points():
    points = parse_schedule({"switch_points": [{"weekday": 1, "time": "22:00", "temperature_c": 16},
                                               {"weekday": 0, "time": "06:30", "temperature_c": 20.5}]})
    assert points == [SwitchPoint(0, time(6, 30), 20.5), SwitchPoint(1, time(22, 0), 16.0)]


@pytest.mark.parametrize("item, field", [
    ({"weekday": 7, "time": "06:00", "temperature_c": 20}, "switch_points[0].weekday"),
    ({"weekday": True, "time": "06:00", "temperature_c": 20}, "switch_points[0].weekday"),
    ({"weekday": 0, "time": "24:00", "temperature_c": 20}, "switch_points[0].time"),
    ({"weekday": 0, "time": "6:00", "temperature_c": 20}, "switch_points[0].time"),
    ({"weekday": 0, "time": "06:00", "temperature_c": 20.3}, "switch_points[0].temperature_c"),
    ({"weekday": 0, "time": "06:00", "temperature_c": 31}, "switch_points[0].temperature_c"),
    ({"weekday": 0, "time": "06:00", "temperature_c": "warm"}, "switch_points[0].temperature_c"),
    ({"weekday": 0, "time": "06:00", "temperature_c": 20, "colour": "red"}, "switch_points[0].colour"),
])
def test_parse_names_the_bad_field(item, field):
    with pytest.raises(ScheduleError) as raised:
        parse_schedule({"switch_points": [item]})
    assert field in [e["field"] for e in raised.value.errors]


def test_parse_refuses_duplicates_and_crowded_days():
    with pytest.raises(ScheduleError, match="two switch points"):
        parse_schedule({"switch_points": [{"weekday": 0, "time": "06:00", "temperature_c": 20}] * 2})
    crowded = [{"weekday": 2, "time": f"{h:02d}:00", "temperature_c": 20} for h in range(13)]
    with pytest.raises(ScheduleError, match="more than 12"):
        parse_schedule({"switch_points": crowded})
    assert len(parse_schedule({"switch_points": crowded[:12]})) == 12
    with pytest.raises(ScheduleError):
        parse_schedule({"points": []})


# The time line ------------------------------------------------------------------------

def _random_points(rng: random.Random, per_day: int = 6) -> list[SwitchPoint]:
    found: dict[tuple[int, time], float] = {}
    for weekday in range(7):
        for _ in range(rng.randint(0, per_day)):
            minute = rng.randrange(0, 240) if rng.random() < 0.4 else rng.randrange(0, MINUTES_PER_DAY)
            found[(weekday, time(minute // 60, minute % 60))] = rng.randrange(10, 61) / 2
    return [SwitchPoint(d, t, c) for (d, t), c in sorted(found.items())]


def test_next_switch_point_and_scheduled_temp_agree_with_the_occurrences():
    rng = random.Random(7)
    for _ in range(20):
        points = _random_points(rng)
        if not points:
            continue
        start = utc(2026, 3, 27) if rng.random() < 0.5 else utc(2026, 10, 23)
        line = occurrences(points, start - timedelta(days=8), start + timedelta(days=10), AMS)
        for _ in range(30):
            at = start + timedelta(seconds=rng.randrange(0, 3 * 86400))
            before = [o for o in line if o.instant <= at]
            after = [o for o in line if o.instant > at]
            assert scheduled_temp(points, at, AMS, 99.0) == before[-1].point.temperature_c
            assert next_switch_point(points, at, AMS) == after[0]
            assert schedule_at(points, at, AMS) == (before[-1], after[0])


def test_no_points_means_the_default_and_no_switch():
    assert scheduled_temp([], utc(2026, 1, 12), AMS, 18.5) == 18.5
    assert next_switch_point([], utc(2026, 1, 12), AMS) is None


def test_switch_points_between_are_the_occurrences_in_the_range():
    points = [SwitchPoint(6, time(2, 30), 21.0), SwitchPoint(6, time(8, 0), 17.0)]
    found = switch_points_between(points, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), AMS)
    # 02:30 does not exist that Sunday: it takes effect when the clocks jump, 01:00 UTC.
    assert [(o.instant, o.point.temperature_c) for o in found] == [(utc(2026, 3, 29, 1), 21.0),
                                                                   (utc(2026, 3, 29, 6), 17.0)]


def test_the_wall_clock_agrees_with_the_time_line_except_in_the_repeated_hour():
    rng = random.Random(11)
    for _ in range(10):
        points = _random_points(rng)
        table = wall_clock_week(points, 18.0)
        for day_start in (utc(2026, 3, 28, 23), utc(2026, 10, 24, 22), utc(2026, 1, 11, 23)):
            for k in range(0, 26 * 60, 13):
                at = day_start + timedelta(minutes=k)
                local = at.astimezone(AMS)
                if local.fold == 1 or (local.dst() and (at + timedelta(hours=1)).astimezone(AMS).fold == 1):
                    continue  # the hour the wall clock shows twice
                minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
                assert table[minute] == wall_clock_value(points, minute, 18.0)
                assert table[minute] == scheduled_temp(points, at, AMS, 18.0), (points, at)


# The device's week program -------------------------------------------------------------

def _program_minutes(program, weekday: int) -> list[float]:
    values, start = [], 0
    for until, temp in program.days[WEEKDAY_KEYS[weekday]]:
        values += [temp] * (until - start)
        start = until
    return values


def _weighted_area(schedule_minutes: list[float], held: list[float]) -> float:
    return sum(abs(s - h) * (2 if h < s else 1) for s, h in zip(schedule_minutes, held))


def _best_area(schedule_minutes: list[float], max_points: int) -> float:
    """By brute force: the least weighted area of any program of at most ``max_points`` periods
    whose changes are at the schedule's own changes and whose temperatures are its own."""
    changes = [m for m in range(1, len(schedule_minutes)) if schedule_minutes[m] != schedule_minutes[m - 1]]
    starts = [0, *changes]
    runs = [(b - a, schedule_minutes[a]) for a, b in zip(starts, [*changes, len(schedule_minutes)])]

    def area(part: list[tuple[int, float]], held: float) -> float:
        return sum(n * abs(s - held) * (2 if held < s else 1) for n, s in part)

    best = float("inf")
    for kept in range(0, min(max_points - 1, len(changes)) + 1):
        for cuts in itertools.combinations(range(1, len(runs)), kept):
            bounds = [0, *cuts, len(runs)]
            total = sum(min(area(runs[a:b], t) for _, t in runs[a:b]) for a, b in zip(bounds, bounds[1:]))
            best = min(best, total)
    return best


def test_an_exact_program_holds_the_schedule_minute_by_minute():
    rng = random.Random(3)
    for _ in range(20):
        points = [p for p in _random_points(rng, per_day=3) if p.at_time.minute % 10 == 0] or \
                 [SwitchPoint(2, time(7, 0), 21.0)]
        program = device_week_program(points, 18.0)
        table = wall_clock_week(points, 18.0)
        for weekday in range(7):
            day = program.days[WEEKDAY_KEYS[weekday]]
            assert day[-1].until_minute == MINUTES_PER_DAY and all(p.until_minute % 10 == 0 for p in day)
            if len(day) < 7:
                assert _program_minutes(program, weekday) == table[weekday * 1440:(weekday + 1) * 1440]


def test_midnight_carries_the_previous_day():
    program = device_week_program([SwitchPoint(6, time(22, 0), 16.0), SwitchPoint(0, time(6, 0), 20.0)], 18.0)
    assert program.exact
    assert program.days["mon"] == ((360, 16.0), (1440, 20.0))
    assert program.days["sat"] == ((1440, 20.0),)
    assert program.days["sun"] == ((1320, 20.0), (1440, 16.0))


def test_times_and_temperatures_move_onto_the_device_grid():
    points = [SwitchPoint(0, time(6, 4), 20.0), SwitchPoint(0, time(6, 5), 20.2), SwitchPoint(0, time(21, 56), 16.0)]
    program = device_week_program(points, 18.0)
    assert not program.exact
    # 06:04 and 06:05 round to 06:00 and 06:10; 21:56 to 22:00; 20.2 °C to 20 °C.
    assert program.days["mon"] == ((360, 16.0), (1320, 20.0), (1440, 16.0))
    assert "06:05 becomes 06:10" in program.message and "20.2 °C becomes 20 °C" in program.message
    # Sunday 23:58 rounds to Monday 00:00 and holds Monday from midnight.
    late = device_week_program([SwitchPoint(6, time(23, 58), 17.0), SwitchPoint(3, time(12, 0), 21.0)], 18.0)
    assert late.days["mon"] == ((1440, 17.0),) and late.days["sun"] == ((1440, 21.0),)
    # Temperatures the valve cannot set are brought within 4.5..30.
    assert device_week_program([], 3.0).days["tue"] == ((1440, 4.5),)


def test_a_reduction_keeps_comfort_whole_and_says_what_it_folded():
    # Two short comfort periods and a 40-minute dip inside a third: warming the dip
    # (40 min × 4 K) costs less than cutting the 30-minute comfort period (30 min × 5 K, counted twice).
    points = [SwitchPoint(0, time(6, 0), 21.0), SwitchPoint(0, time(6, 30), 16.0), SwitchPoint(0, time(12, 0), 21.0),
              SwitchPoint(0, time(13, 0), 17.0), SwitchPoint(0, time(13, 40), 21.0), SwitchPoint(0, time(15, 0), 16.0)]
    program = device_week_program(points, 18.0, max_points=5)
    assert not program.exact
    assert program.days["mon"] == ((360, 16.0), (390, 21.0), (720, 16.0), (900, 21.0), (1440, 16.0))
    assert "Monday has 7 periods; the valves hold 5 a day" in program.message
    assert "13:00–13:40 at 17 °C is folded into the 21 °C period 12:00–15:00" in program.message
    assert "Tuesday" not in program.message


def test_reductions_are_the_least_weighted_area_of_any_program():
    rng = random.Random(2026)
    checked = 0
    for _ in range(40):
        max_points = rng.randint(2, 7)
        points = [SwitchPoint(0, time(m // 60, m % 60), rng.randrange(30, 50) / 2)
                  for m in sorted(rng.sample(range(0, MINUTES_PER_DAY, 10), rng.randint(1, 12)))]
        program = device_week_program(points, 18.0, max_points=max_points)
        schedule_minutes = wall_clock_week(points, 18.0)[:MINUTES_PER_DAY]
        held = _program_minutes(program, 0)
        assert len(program.days["mon"]) <= max_points and len(held) == MINUTES_PER_DAY
        assert _weighted_area(schedule_minutes, held) == pytest.approx(_best_area(schedule_minutes, max_points))
        assert program.exact == (held == schedule_minutes)
        checked += not program.exact
    assert checked >= 10  # enough of them needed a reduction


def test_the_version_changes_with_the_program_only():
    points = [SwitchPoint(0, time(6, 0), 20.0), SwitchPoint(0, time(22, 0), 16.0)]
    version = device_week_program(points, 18.0).version
    assert device_week_program(list(reversed(points)), 18.0).version == version
    # The default does not matter while there are switch points; 06:01 lands on 06:00 all the same.
    assert device_week_program(points, 21.0).version == version
    assert device_week_program([SwitchPoint(0, time(6, 1), 20.0), points[1]], 18.0).version == version
    assert device_week_program([points[0], SwitchPoint(0, time(22, 0), 16.5)], 18.0).version != version
    assert device_week_program([], 18.0).version != device_week_program([], 18.5).version


def test_bad_device_limits_are_refused():
    with pytest.raises(ValueError):
        device_week_program([], 18.0, max_points=0)
    with pytest.raises(ValueError):
        device_week_program([], 18.0, step_min=7)
