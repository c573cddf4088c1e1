"""db/migrations/0010_reporting.sql: gas attribution, gas per hour and day, scheduled targets.

Every case checks that rooms + hot water + unattributed add up to what the
meter counted, to 1e-9 m³.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.reporting.house_week import DAYS, START, ZONE, week_database

UTC = timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")
EXACT = 1e-9


def t(text: str) -> datetime:
    """An instant from 'YYYY-MM-DD HH:MM' in UTC."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


class House:
    """A small house written straight into the database, for hand-made cases."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.bridge_id = conn.execute(
            "INSERT INTO bridges (name, kind, base_url) VALUES ('Pi', 'pi', 'http://127.0.0.1:8091') RETURNING id"
        ).fetchone()[0]
        self.valves: dict[str, tuple[int, str, int, int]] = {}

    def room(self, name: str) -> int:
        return self.conn.execute("INSERT INTO rooms (name) VALUES (%s) RETURNING id", (name,)).fetchone()[0]

    def valve(self, name: str, room_id: int, power_w: int) -> None:
        mac = f"00:1A:22:0C:3B:{len(self.valves) + 1:02X}"
        valve_id = self.conn.execute(
            "INSERT INTO valves (mac, room_id, bridge_id, name, radiator_power_w) VALUES (%s, %s, %s, %s, %s) "
            "RETURNING id", (mac, room_id, self.bridge_id, name, power_w)).fetchone()[0]
        self.valves[name] = (valve_id, mac, room_id, power_w)

    def state(self, name: str, at: datetime, state: str, valve_pct: int | None = None) -> None:
        valve_id, mac, room_id, power_w = self.valves[name]
        if valve_pct is None and state in ("open", "closed"):
            valve_pct = 100 if state == "open" else 0
        self.conn.execute(
            "INSERT INTO valve_states (valve_id, mac, room_id, radiator_power_w, time, state, valve_pct) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)", (valve_id, mac, room_id, power_w, at, state, valve_pct))

    def boiler(self, at: datetime, indicator: str | None, heat_demand: bool | None = None) -> None:
        demand = heat_demand if heat_demand is not None else indicator == "central heating"
        self.conn.execute("INSERT INTO boiler_states (time, heat_demand, indicator) VALUES (%s, %s, %s)",
                          (at, demand, indicator))

    def meter(self, at: datetime, gas_m3: float) -> None:
        self.conn.execute("INSERT INTO gas_readings (time, gas_m3) VALUES (%s, %s)", (at, gas_m3))

    def attribution(self, start: datetime, end: datetime, tz: str = "Europe/Amsterdam") -> list[dict]:
        cur = self.conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute("SELECT * FROM reporting.gas_attribution(%s, %s, %s)", (start, end, tz)).fetchall()

    def usage(self, start: datetime, end: datetime, group: str, tz: str = "Europe/Amsterdam") -> list[dict]:
        cur = self.conn.cursor(row_factory=psycopg.rows.dict_row)
        return cur.execute("SELECT * FROM reporting.gas_usage(%s, %s, %s, %s)", (start, end, group, tz)).fetchall()


@pytest.fixture
def house(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield House(conn)


def _total(rows) -> float:
    return float(sum(row["gas_m3"] for row in rows))


def _by(rows, *keys) -> dict:
    out: dict = defaultdict(float)
    for row in rows:
        out[tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]] += float(row["gas_m3"])
    return dict(out)


def test_rooms_share_an_interval_by_radiator_power(house):
    living, bedroom = house.room("Living room"), house.room("Bedroom")
    house.valve("living", living, 1500)
    house.valve("bedroom", bedroom, 1000)
    house.state("living", t("2026-01-12 05:00"), "open")
    house.state("bedroom", t("2026-01-12 05:00"), "open")
    house.boiler(t("2026-01-12 05:00"), "central heating")
    house.meter(t("2026-01-12 06:00"), 100.0)
    house.meter(t("2026-01-12 06:05"), 100.5)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 06:05"))
    rooms = _by(rows, "room_id")
    assert rooms[living] == pytest.approx(0.3, abs=EXACT)
    assert rooms[bedroom] == pytest.approx(0.2, abs=EXACT)
    assert abs(_total(rows) - 0.5) < EXACT


def test_valve_opening_and_duration_weigh(house):
    living, bedroom = house.room("Living room"), house.room("Bedroom")
    house.valve("living", living, 1000)
    house.valve("bedroom", bedroom, 1000)
    # Living open the whole 10 minutes at 50 %, bedroom fully open for the last 2.
    house.state("living", t("2026-01-12 06:00"), "target", valve_pct=50)
    house.state("bedroom", t("2026-01-12 06:00"), "closed")
    house.state("bedroom", t("2026-01-12 06:08"), "open")
    house.boiler(t("2026-01-12 06:00"), "central heating")
    house.meter(t("2026-01-12 06:00"), 10.0)
    house.meter(t("2026-01-12 06:10"), 10.9)
    rooms = _by(house.attribution(t("2026-01-12 06:00"), t("2026-01-12 06:10")), "room_id")
    # weights: living 1000 × 50 % × 10 min = 5000, bedroom 1000 × 100 % × 2 min = 2000
    assert rooms[living] == pytest.approx(0.9 * 5 / 7, abs=EXACT)
    assert rooms[bedroom] == pytest.approx(0.9 * 2 / 7, abs=EXACT)


def test_hourly_meter_puts_gas_in_the_hours_it_was_burnt(house):
    """A DSMR 4 meter reports once an hour; heating ran 10:30-11:30 local."""
    living = house.room("Living room")
    house.valve("living", living, 1500)
    house.state("living", t("2026-01-12 08:00"), "closed")
    house.boiler(t("2026-01-12 08:00"), "off")
    house.state("living", t("2026-01-12 09:30"), "open")
    house.boiler(t("2026-01-12 09:30"), "central heating")
    house.state("living", t("2026-01-12 10:30"), "closed")
    house.boiler(t("2026-01-12 10:30"), "off")
    for hour, gas_m3 in [(9, 200.0), (10, 200.12), (11, 200.25), (12, 200.25)]:
        house.meter(t(f"2026-01-12 {hour:02d}:00"), gas_m3)
    rows = house.usage(t("2026-01-12 09:00"), t("2026-01-12 12:00"), "hour")
    per_hour = {row["bucket_start"]: row["gas_m3"] for row in rows}
    # The 09:00-10:00 UTC reading interval (10-11 local) burnt only after 09:30.
    assert per_hour == {
        t("2026-01-12 09:00"): pytest.approx(0.12, abs=EXACT),
        t("2026-01-12 10:00"): pytest.approx(0.13, abs=EXACT),
    }
    assert {row["series"] for row in rows} == {"Living room"}


def test_hourly_meter_interval_spread_over_the_hours_of_activity(house):
    """Two hours between readings: the gas follows the 45 minutes of heating, not the reading."""
    living = house.room("Living room")
    house.valve("living", living, 1500)
    house.state("living", t("2026-01-12 09:00"), "closed")
    house.state("living", t("2026-01-12 09:45"), "open")
    house.state("living", t("2026-01-12 10:15"), "closed")
    house.boiler(t("2026-01-12 09:00"), "central heating", heat_demand=True)
    house.meter(t("2026-01-12 09:00"), 50.0)
    house.meter(t("2026-01-12 11:00"), 50.6)
    rows = house.attribution(t("2026-01-12 09:00"), t("2026-01-12 11:00"))
    rooms = _by(rows, "hour_start", "category")
    # 15 minutes open in each hour; the boiler heating with no radiator open
    # weighs boiler_min_power_w (5000) against the radiator's 1500.
    room_weight, idle_weight = 1500 * 15, 5000 * 45
    share = room_weight / (2 * room_weight + 2 * idle_weight)
    assert rooms[(t("2026-01-12 09:00"), "room")] == pytest.approx(0.6 * share, abs=EXACT)
    assert rooms[(t("2026-01-12 10:00"), "room")] == pytest.approx(0.6 * share, abs=EXACT)
    assert rooms[(t("2026-01-12 09:00"), "unattributed")] == pytest.approx(0.6 * (0.5 - share), abs=EXACT)
    assert abs(_total(rows) - 0.6) < EXACT


def test_hot_water_indication_takes_its_share(house):
    living = house.room("Living room")
    house.valve("living", living, 2000)
    house.state("living", t("2026-01-12 06:00"), "open")
    house.boiler(t("2026-01-12 06:00"), "central heating")
    house.boiler(t("2026-01-12 06:20"), "hot water")
    house.boiler(t("2026-01-12 06:30"), "central heating")
    house.meter(t("2026-01-12 06:00"), 1.0)
    house.meter(t("2026-01-12 07:00"), 2.0)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 07:00"))
    by_category = _by(rows, "category")
    # radiator 2000 W × 50 min against hot water 24000 W × 10 min
    assert by_category["room"] == pytest.approx(100_000 / 340_000, abs=EXACT)
    assert by_category["hot water"] == pytest.approx(240_000 / 340_000, abs=EXACT)
    assert abs(_total(rows) - 1.0) < EXACT


@pytest.mark.parametrize(("boiler", "expected_category", "expected_reason"), [
    ("central heating", "unattributed", "boiler heating with no radiator open"),
    (None, "hot water", "no radiator open, no boiler status: hot-water pattern"),
    ("off", "unattributed", "gas used while the boiler reported off"),
])
def test_reading_with_no_valve_open(house, boiler, expected_category, expected_reason):
    living = house.room("Living room")
    house.valve("living", living, 1500)
    house.state("living", t("2026-01-12 05:00"), "closed")
    if boiler is not None:
        house.boiler(t("2026-01-12 05:00"), boiler)
    house.meter(t("2026-01-12 06:00"), 7.0)
    house.meter(t("2026-01-12 06:05"), 7.08)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 06:05"))
    assert [(r["category"], r["reason"]) for r in rows] == [(expected_category, expected_reason)]
    assert abs(_total(rows) - 0.08) < EXACT


def test_interval_without_any_state_data_is_unattributed(house):
    house.meter(t("2026-01-12 06:00"), 7.0)
    house.meter(t("2026-01-12 09:00"), 7.5)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 09:00"))
    assert {(r["category"], r["reason"]) for r in rows} == {("unattributed", "no valve state known")}
    # Spread over the interval's three hours by time.
    assert [float(r["gas_m3"]) for r in sorted(rows, key=lambda r: r["hour_start"])] == [
        pytest.approx(0.5 / 3, abs=EXACT)] * 3
    assert abs(_total(rows) - 0.5) < EXACT


def test_meter_gap_spreads_gas_over_the_gap_by_activity(house):
    living, kitchen = house.room("Living room"), house.room("Kitchen")
    house.valve("living", living, 1500)
    house.valve("kitchen", kitchen, 1000)
    house.state("living", t("2026-01-12 00:00"), "closed")
    house.state("kitchen", t("2026-01-12 00:00"), "closed")
    house.boiler(t("2026-01-12 00:00"), None, heat_demand=False)
    house.meter(t("2026-01-12 00:00"), 300.0)
    house.meter(t("2026-01-12 00:05"), 300.0)
    # The reader was down from 00:05 until 06:05.
    house.state("living", t("2026-01-12 02:00"), "open")
    house.state("living", t("2026-01-12 03:00"), "closed")
    house.state("kitchen", t("2026-01-12 04:30"), "open")
    house.state("kitchen", t("2026-01-12 05:30"), "closed")
    house.meter(t("2026-01-12 06:05"), 301.0)
    rows = house.attribution(t("2026-01-12 00:00"), t("2026-01-12 06:05"))
    per_hour = _by(rows, "hour_start", "room_id")
    total_weight = 1500 * 60 + 1000 * 60
    assert per_hour == {
        (t("2026-01-12 02:00"), living): pytest.approx(1500 * 60 / total_weight, abs=EXACT),
        (t("2026-01-12 04:00"), kitchen): pytest.approx(1000 * 30 / total_weight, abs=EXACT),
        (t("2026-01-12 05:00"), kitchen): pytest.approx(1000 * 30 / total_weight, abs=EXACT),
    }
    assert abs(_total(rows) - 1.0) < EXACT


def test_a_valve_moved_to_another_room_heats_the_new_room(house):
    living, study = house.room("Living room"), house.room("Study")
    house.valve("radiator", living, 1000)
    house.state("radiator", t("2026-01-12 06:00"), "open")
    # The valve is moved to the study: its state rows carry the new room.
    valve_id, mac, _, power_w = house.valves["radiator"]
    house.valves["radiator"] = (valve_id, mac, study, power_w)
    house.state("radiator", t("2026-01-12 06:45"), "open")
    house.boiler(t("2026-01-12 06:00"), "central heating")
    house.meter(t("2026-01-12 06:00"), 1.0)
    house.meter(t("2026-01-12 07:00"), 1.8)
    rooms = _by(house.attribution(t("2026-01-12 06:00"), t("2026-01-12 07:00")), "room_id")
    assert rooms == {living: pytest.approx(0.6, abs=EXACT), study: pytest.approx(0.2, abs=EXACT)}


def test_a_valve_on_its_own_thermostat_without_opening_is_no_state_data(house):
    living = house.room("Living room")
    house.valve("living", living, 1000)
    house.state("living", t("2026-01-12 05:00"), "target", valve_pct=None)
    house.meter(t("2026-01-12 06:00"), 1.0)
    house.meter(t("2026-01-12 06:05"), 1.1)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 06:05"))
    assert [(r["category"], r["reason"]) for r in rows] == [("unattributed", "no valve state known")]


def test_window_inside_an_interval_gets_its_share(house):
    living = house.room("Living room")
    house.valve("living", living, 1500)
    house.state("living", t("2026-01-12 06:00"), "open")
    house.boiler(t("2026-01-12 06:00"), "central heating")
    house.meter(t("2026-01-12 06:00"), 1.0)
    house.meter(t("2026-01-12 08:00"), 2.2)
    part = house.attribution(t("2026-01-12 06:30"), t("2026-01-12 07:00"))
    assert abs(_total(part) - 1.2 / 4) < EXACT
    assert {r["interval_start"] for r in part} == {t("2026-01-12 06:00")}


def test_counter_going_down_counts_no_gas(house):
    house.meter(t("2026-01-12 06:00"), 5000.0)
    house.meter(t("2026-01-12 07:00"), 3.0)
    house.meter(t("2026-01-12 08:00"), 3.4)
    rows = house.attribution(t("2026-01-12 06:00"), t("2026-01-12 08:00"))
    assert abs(_total(rows) - 0.4) < EXACT


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-01-12", 24)])
def test_dst_days_have_their_own_number_of_hours(house, day, hours):
    """An hourly meter through a whole local day, heating all day."""
    living = house.room("Living room")
    house.valve("living", living, 1500)
    local_midnight = datetime.fromisoformat(day).replace(tzinfo=AMS)
    start = local_midnight.astimezone(UTC)
    end = (local_midnight + timedelta(days=1)).astimezone(UTC)
    assert (end - start) == timedelta(hours=hours)
    house.state("living", start - timedelta(hours=1), "open")
    house.boiler(start - timedelta(hours=1), "central heating")
    meter_m3, at = 1000.0, start - timedelta(hours=2)
    readings = {}
    while at <= end + timedelta(hours=2):
        house.meter(at, round(meter_m3, 3))
        readings[at] = round(meter_m3, 3)
        meter_m3 += 0.1 + 0.01 * at.hour
        at += timedelta(hours=1)
    hourly = house.usage(start, end, "hour")
    assert len({row["bucket_start"] for row in hourly}) == hours
    for row in hourly:
        stop = row["bucket_start"] + timedelta(hours=1)
        assert row["gas_m3"] == pytest.approx(readings[stop] - readings[row["bucket_start"]], abs=EXACT)
    daily = house.usage(start - timedelta(hours=2), end + timedelta(hours=2), "day")
    per_day = {row["bucket_start"]: row["gas_m3"] for row in daily}
    assert per_day[start] == pytest.approx(readings[end] - readings[start], abs=EXACT)
    assert sorted(per_day) == [(local_midnight - timedelta(days=1)).astimezone(UTC), start, end]


def test_local_hours_of_a_half_hour_zone(house):
    """India is UTC+05:30: its hours start at half past in UTC and share two meter intervals."""
    living = house.room("Living room")
    house.valve("living", living, 1000)
    house.state("living", t("2026-01-12 05:00"), "open")
    house.meter(t("2026-01-12 06:00"), 10.0)
    house.meter(t("2026-01-12 07:00"), 10.4)
    house.meter(t("2026-01-12 08:00"), 11.0)
    rows = house.usage(t("2026-01-12 06:00"), t("2026-01-12 08:00"), "hour", tz="Asia/Kolkata")
    assert [(row["bucket_start"], row["gas_m3"]) for row in rows] == [
        (t("2026-01-12 05:30"), pytest.approx(0.2, abs=EXACT)),
        (t("2026-01-12 06:30"), pytest.approx(0.5, abs=EXACT)),
        (t("2026-01-12 07:30"), pytest.approx(0.3, abs=EXACT)),
    ]


def test_usage_energy_and_cost_follow_the_settings(house):
    living = house.room("Living room")
    house.valve("living", living, 1500)
    house.state("living", t("2026-01-12 06:00"), "open")
    house.meter(t("2026-01-12 06:00"), 1.0)
    house.meter(t("2026-01-12 07:00"), 3.0)
    house.conn.execute("INSERT INTO settings (key, value) VALUES ('gas_price_per_m3', '2.0'), "
                       "('gas_kwh_per_m3', '10.0')")
    [row] = house.usage(t("2026-01-12 06:00"), t("2026-01-12 07:00"), "hour")
    assert (row["series"], row["gas_m3"], row["energy_kwh"], row["cost"]) == ("Living room", 2.0, 20.0, 4.0)


def test_usage_refuses_an_unknown_group(house):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="hour"):
        house.usage(t("2026-01-12 06:00"), t("2026-01-12 07:00"), "week")


def test_scheduled_targets_follow_the_week_and_frost(house):
    living = house.room("Living room")
    house.conn.execute("UPDATE rooms SET frost_temp_c = 10 WHERE id = %s", (living,))
    # Monday 06:30 → 20 °C, Monday 22:00 → 8 °C (below frost: 10 °C)
    house.conn.execute("INSERT INTO switch_points VALUES (%s, 0, '06:30', 20.0), (%s, 0, '22:00', 8.0)",
                       (living, living))
    rows = house.conn.execute(
        "SELECT time, temperature_c FROM reporting.scheduled_targets(%s, %s, 'Europe/Amsterdam') "
        "WHERE room_id = %s", (t("2026-01-12 00:00"), t("2026-01-13 00:00"), living)).fetchall()
    assert rows == [(t("2026-01-12 00:00"), 10.0), (t("2026-01-12 05:30"), 20.0), (t("2026-01-12 21:00"), 10.0),
                    (t("2026-01-13 00:00"), 10.0)]


def test_home_timezone_comes_from_the_settings(house):
    assert house.conn.execute("SELECT reporting.home_timezone()").fetchone()[0] == house.conn.execute(
        "SHOW TimeZone").fetchone()[0]
    house.conn.execute("INSERT INTO settings (key, value) VALUES ('timezone', '\"Europe/Amsterdam\"')")
    assert house.conn.execute("SELECT reporting.home_timezone()").fetchone()[0] == "Europe/Amsterdam"


@pytest.fixture(scope="module")
def week(pg_server_url, migrated_template):
    """One database with the simulated week, shared by the week's tests (they only read)."""
    with week_database(pg_server_url, migrated_template) as filled:
        yield filled


def test_week_adds_up_exactly(week):
    url, truth = week
    with psycopg.connect(url) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        rows = cur.execute("SELECT * FROM reporting.gas_attribution(%s, %s, NULL)",
                           (truth.first_reading, truth.last_reading)).fetchall()
        metered = truth.meter_m3[truth.last_reading] - truth.meter_m3[truth.first_reading]
        assert metered > 20
        assert abs(_total(rows) - metered) < EXACT
        # Every local day, bounded by readings at local midnight, adds up too.
        daily = cur.execute("SELECT bucket_start, sum(gas_m3) AS gas_m3 FROM reporting.gas_usage(%s, %s, 'day', "
                            "NULL) GROUP BY 1 ORDER BY 1", (truth.first_reading, truth.last_reading)).fetchall()
        assert len(daily) == DAYS
        for row in daily:
            day_end = (row["bucket_start"].astimezone(ZONE) + timedelta(days=1)).astimezone(UTC)
            assert row["gas_m3"] == pytest.approx(
                truth.meter_m3[day_end] - truth.meter_m3[row["bucket_start"]], abs=EXACT)
        assert daily[0]["bucket_start"] == START


def test_week_attribution_is_close_to_what_the_house_burnt(week):
    url, truth = week
    with psycopg.connect(url) as conn:
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        rows = cur.execute("SELECT series, category, sum(gas_m3) AS gas_m3 FROM reporting.gas_usage(%s, %s, "
                           "'hour', NULL) GROUP BY 1, 2", (truth.first_reading, truth.last_reading)).fetchall()
    by_series = {row["series"]: row["gas_m3"] for row in rows}
    for name, true_m3 in truth.gas_per_room_m3.items():
        assert by_series[name] == pytest.approx(true_m3, rel=0.05), name
    assert by_series["Hot water"] == pytest.approx(truth.hot_water_m3, rel=0.05)
    assert by_series.get("Unattributed", 0.0) < 0.02 * sum(by_series.values())


def test_results_do_not_depend_on_the_sessions_time_zone(week):
    url, truth = week
    results = []
    for session_zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        with psycopg.connect(url) as conn:
            conn.execute(f"SET TimeZone = '{session_zone}'")
            results.append(conn.execute(
                "SELECT bucket_start, series, gas_m3 FROM reporting.gas_usage(%s, %s, 'day', 'Europe/Amsterdam') "
                "UNION ALL SELECT time, room_id::text, temperature_c FROM reporting.scheduled_targets(%s, %s, "
                "'Europe/Amsterdam') ORDER BY 1, 2",
                (truth.first_reading, truth.last_reading) * 2).fetchall())
    assert results[0] == results[1] == results[2]
    assert len(results[0]) > DAYS * 5
