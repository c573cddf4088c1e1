"""The reports' SQL target (reporting.scheduled_targets) equals common/schedule.py at every instant asked.

Random schedules (seeded, so a failure can be replayed) crowd their switch
points round the small hours, where clocks change; instants are taken every
few minutes through each zone's DST transition days and at random over the
year. The zones cover a one-hour change at 02:00 (Amsterdam, New York), at
01:00 (London), at midnight (Santiago: the day itself starts late), a
half-hour change (Lord Howe), a two-hour change (Troll, which 0015 was
written for) and none (Kolkata).
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest

from common.schedule import SwitchPoint, scheduled_temp

UTC = timezone.utc
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
FROST_C = 4.5  # below every schedule temperature, so the frost floor never hides a difference
ROOMS_PER_ZONE = 6
ZONES = ["Europe/Amsterdam", "America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe",
         "Asia/Kolkata", "Antarctica/Troll"]


def _transitions(zone: ZoneInfo) -> list[datetime]:
    """The instants of 2026 at which the zone's UTC offset changes (to the minute)."""
    found = []
    hour = YEAR_START
    offset = hour.astimezone(zone).utcoffset()
    while hour < YEAR_START + timedelta(days=366):
        later = hour + timedelta(hours=1)
        if later.astimezone(zone).utcoffset() != offset:
            minute = hour
            while minute.astimezone(zone).utcoffset() == offset:
                minute += timedelta(minutes=1)
            found.append(minute)
            offset = later.astimezone(zone).utcoffset()
        hour = later
    return found


def _random_schedule(rng: random.Random) -> list[SwitchPoint]:
    if rng.random() < 0.15:
        return []  # the room's default holds
    points: dict[tuple[int, time], float] = {}
    for weekday in range(7):
        for _ in range(rng.randint(0, 12)):
            # Half of the points in the hours round any clock change.
            minute = rng.randrange(0, 4 * 60) if rng.random() < 0.5 else rng.randrange(0, 1440)
            points[(weekday, time(minute // 60, minute % 60))] = rng.randrange(10, 61) / 2
    return [SwitchPoint(d, t, c) for (d, t), c in sorted(points.items())]


def _instants(rng: random.Random, zone: ZoneInfo) -> list[datetime]:
    instants = []
    changes = _transitions(zone)
    for change in changes:
        # Whole minutes and odd seconds, through the day round the change.
        instants += [change + timedelta(minutes=k, seconds=rng.choice((0, 0, 1, 59)))
                     for k in range(-12 * 60, 12 * 60, 7)]
        instants += [change - timedelta(seconds=1), change]
    instants += [YEAR_START + timedelta(seconds=rng.randrange(0, 365 * 86400)) for _ in range(200 if changes else 500)]
    return sorted(set(instants))


def _value_at(line: list[tuple[datetime, float]], at: datetime) -> float:
    """The step function's value at ``at``: the last row at or before it."""
    value = None
    for moment, temp in line:
        if moment > at:
            break
        value = temp
    assert value is not None, f"the SQL line starts after {at}"
    return value


@pytest.mark.parametrize("zone_name", ZONES)
def test_sql_targets_equal_the_python_rules(database_url, zone_name):
    zone = ZoneInfo(zone_name)
    rng = random.Random(f"schedule-sql-{zone_name}")
    instants = _instants(rng, zone)
    assert len(instants) >= 400
    rooms: dict[int, tuple[list[SwitchPoint], float]] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        for n in range(ROOMS_PER_ZONE):
            points, default_c = _random_schedule(rng), rng.randrange(10, 61) / 2
            room_id = conn.execute("INSERT INTO rooms (name, default_temp_c, frost_temp_c) VALUES (%s, %s, %s) "
                                   "RETURNING id", (f"Room {n}", default_c, FROST_C)).fetchone()[0]
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO switch_points VALUES (%s, %s, %s, %s)",
                                [(room_id, p.weekday, p.at_time, p.temperature_c) for p in points])
            rooms[room_id] = (points, default_c)

        # The line over each stretch of instants, as a chart or report asks for it.
        stretches: list[list[datetime]] = []
        for at in instants:
            if stretches and at - stretches[-1][-1] < timedelta(hours=1):
                stretches[-1].append(at)
            else:
                stretches.append([at])
        differences = []
        for stretch in stretches:
            start, end = stretch[0], stretch[-1] + timedelta(seconds=1)
            rows = conn.execute("SELECT room_id, time, temperature_c FROM reporting.scheduled_targets(%s, %s, %s) "
                                "ORDER BY room_id, time", (start, end, zone_name)).fetchall()
            lines: dict[int, list[tuple[datetime, float]]] = {}
            for room_id, moment, temp in rows:
                lines.setdefault(room_id, []).append((moment, temp))
            for room_id, (points, default_c) in rooms.items():
                for at in stretch:
                    expected = max(FROST_C, scheduled_temp(points, at, zone, default_c))
                    got = _value_at(lines[room_id], at)
                    if got != expected:
                        differences.append((room_id, at.astimezone(zone).isoformat(), got, expected))

        # The target in force at the start of a range, asked instant by instant (a sample: slow in SQL).
        sample = rng.sample(instants, 60)
        rows = conn.execute(
            """SELECT i.at, s.room_id, s.temperature_c
               FROM unnest(%s::timestamptz[]) AS i(at)
               CROSS JOIN LATERAL (
                   SELECT DISTINCT ON (t.room_id) t.room_id, t.temperature_c
                   FROM reporting.scheduled_targets(i.at, i.at + interval '1 second', %s) t
                   ORDER BY t.room_id, t.time) s""", (sample, zone_name)).fetchall()
        assert len(rows) == len(sample) * len(rooms)
        for at, room_id, got in rows:
            points, default_c = rooms[room_id]
            expected = max(FROST_C, scheduled_temp(points, at, zone, default_c))
            if got != expected:
                differences.append((room_id, at.astimezone(zone).isoformat(), got, expected))
    assert not differences, f"{len(differences)} differences (room, local time, SQL, Python): {differences[:10]}"
