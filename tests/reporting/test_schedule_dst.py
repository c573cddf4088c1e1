"""The SQL schedule line places switch points exactly as the API's rules do."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest

from controller_api.schedule import SwitchPoint, occurrences

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
POINTS = [SwitchPoint(6, time(2, 0), 19.0), SwitchPoint(6, time(2, 30), 21.0), SwitchPoint(6, time(2, 45), 20.0),
          SwitchPoint(6, time(9, 0), 17.0), SwitchPoint(0, time(6, 30), 20.5)]


@pytest.mark.parametrize("start, end", [
    (datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 12, tzinfo=UTC)),    # spring forward
    (datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC)),  # fall back
    (datetime(2026, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 20, 0, tzinfo=UTC)),      # an ordinary week
])
def test_sql_switch_instants_match_the_api(database_url, start, end):
    with psycopg.connect(database_url) as conn:
        room = conn.execute("INSERT INTO rooms (name, frost_temp_c) VALUES ('Living room', 5) RETURNING id").fetchone()[0]
        for p in POINTS:
            conn.execute("INSERT INTO switch_points VALUES (%s, %s, %s, %s)",
                         (room, p.weekday, p.at_time, p.temperature_c))
        rows = conn.execute(
            "SELECT time, temperature_c FROM reporting.scheduled_targets(%s, %s, 'Europe/Amsterdam') "
            "WHERE time > %s AND time < %s ORDER BY time", (start, end, start, end)).fetchall()
    expected = [(o.instant, o.point.temperature_c) for o in occurrences(POINTS, start, end, AMS)
                if start < o.instant < end]
    assert [(t.astimezone(UTC), c) for t, c in rows] == expected
