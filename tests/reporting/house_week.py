"""A simulated week of a four-room house, written into a heating database.

A small deterministic model (not the product's simulator): each room is one
thermal mass heated by its radiators and losing heat to a daily outdoor cycle;
a hysteresis controller follows each room's weekly schedule; the boiler gives
tap water priority at fixed draw times; the meter counts the gas the burner
used. The model also keeps the true gas per room and for hot water, so tests
can compare the attribution against it.
"""
from __future__ import annotations

import math
import os
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

ZONE = ZoneInfo("Europe/Amsterdam")
#: Monday 12 January 2026, local midnight.
START = datetime(2026, 1, 12, tzinfo=ZONE).astimezone(timezone.utc)
DAYS = 7
STEP_S = 60
GAS_KWH_PER_M3 = 9.769
BOILER_EFFICIENCY = 0.9
HOT_WATER_POWER_W = 24_000
#: Radiators give this share of their nominal (ΔT 50 K) power at the water
#: temperatures of a condensing boiler.
RADIATOR_OUTPUT_SHARE = 0.7
METER_START_M3 = 4521.337
#: The P1 reader is down for these hours on the third day (a meter gap).
METER_GAP = (START + timedelta(days=2, hours=10), START + timedelta(days=2, hours=14))
#: The bathroom thermometer's battery dies here.
BATHROOM_SILENT_FROM = START + timedelta(days=5, hours=12)


@dataclass
class RoomModel:
    name: str
    radiators_w: list[int]
    ua_w_per_k: float
    capacity_j_per_k: float
    #: (weekday or None for every day, "HH:MM", °C)
    schedule: list[tuple[int | None, str, float]]
    temperature_c: float = 18.0
    valve_open: bool = False
    room_id: int = 0
    thermometer_mac: str = ""
    valve_macs: list[str] = field(default_factory=list)
    valve_ids: list[int] = field(default_factory=list)


@dataclass
class WeekTruth:
    """What the model knows really happened, for comparison."""

    gas_per_room_m3: dict[str, float]
    hot_water_m3: float
    first_reading: datetime
    last_reading: datetime
    meter_m3: dict[datetime, float]
    room_ids: dict[str, int]


def _rooms() -> list[RoomModel]:
    return [
        RoomModel("Living room", [1500, 1000], 75.0, 2.5e6,
                  [(None, "06:30", 20.0), (None, "22:30", 16.0)], temperature_c=17.0),
        RoomModel("Kitchen", [1000], 35.0, 1.2e6,
                  [(None, "07:00", 19.0), (None, "20:00", 16.0)], temperature_c=17.0),
        RoomModel("Bedroom", [800], 28.0, 1.0e6,
                  [(None, "07:30", 15.0), (None, "21:30", 18.0)], temperature_c=16.0),
        RoomModel("Bathroom", [600], 18.0, 0.6e6,
                  [(None, "06:30", 21.0), (None, "08:30", 17.0), (5, "09:00", 21.0), (5, "11:00", 17.0)],
                  temperature_c=18.0),
    ]


def _target_c(room: RoomModel, local: datetime) -> float:
    """The schedule's target at a local time (the week wraps round)."""
    minute_of_week = local.weekday() * 1440 + local.hour * 60 + local.minute
    points = []
    for weekday, at, temp in room.schedule:
        hour, minute = map(int, at.split(":"))
        for day in ([weekday] if weekday is not None else range(7)):
            points.append((day * 1440 + hour * 60 + minute, temp))
    points.sort()
    current = points[-1][1]
    for at_minute, temp in points:
        if at_minute <= minute_of_week:
            current = temp
    return current


def _hot_water_on(local: datetime) -> bool:
    minute = local.hour * 60 + local.minute
    draws = [(7 * 60 + 10, 7 * 60 + 20), (19 * 60, 19 * 60 + 5)]
    if local.weekday() == 5:
        draws.append((10 * 60, 10 * 60 + 15))
    return any(begin <= minute < end for begin, end in draws)


def _outdoor_c(t: datetime) -> float:
    hours = (t - START).total_seconds() / 3600
    return 3.0 + 4.0 * math.sin(2 * math.pi * (hours - 9) / 24)


def _gas_m3(power_w: float, seconds: float) -> float:
    return power_w * seconds / 3600 / 1000 / GAS_KWH_PER_M3 / BOILER_EFFICIENCY


def _setup(conn: psycopg.Connection, rooms: list[RoomModel]) -> None:
    bridge_id = conn.execute(
        "INSERT INTO bridges (name, kind, base_url) VALUES ('Simulated house', 'simulated', "
        "'http://127.0.0.1:8099') RETURNING id").fetchone()[0]
    valve_number = 0
    for index, room in enumerate(rooms):
        room.room_id = conn.execute(
            "INSERT INTO rooms (name, sort_order) VALUES (%s, %s) RETURNING id", (room.name, index)).fetchone()[0]
        room.thermometer_mac = f"A4:C1:38:00:00:{index + 1:02X}"
        conn.execute("INSERT INTO thermometers (mac, room_id, format, name) VALUES (%s, %s, 'pvvx', %s)",
                     (room.thermometer_mac, room.room_id, f"{room.name} thermometer"))
        for power_w in room.radiators_w:
            valve_number += 1
            mac = f"00:1A:22:00:00:{valve_number:02X}"
            valve_id = conn.execute(
                "INSERT INTO valves (mac, room_id, bridge_id, name, radiator_power_w) VALUES (%s, %s, %s, %s, %s) "
                "RETURNING id", (mac, room.room_id, bridge_id, f"{room.name} radiator {valve_number}", power_w)
            ).fetchone()[0]
            room.valve_macs.append(mac)
            room.valve_ids.append(valve_id)
        weekly = []
        for weekday, at, temp in room.schedule:
            for day in ([weekday] if weekday is not None else range(7)):
                weekly.append((room.room_id, day, at, temp))
        conn.cursor().executemany(
            "INSERT INTO switch_points (room_id, weekday, at_time, temperature_c) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING", weekly)


def fill_week(database_url: str) -> WeekTruth:
    """Writes a week of readings, valve and boiler states, decisions and gas readings."""
    rooms = _rooms()
    noise = random.Random(20260112)
    valve_rows, boiler_rows, decision_rows, reading_rows, gas_rows = [], [], [], [], []
    truth_rooms = {room.name: 0.0 for room in rooms}
    truth_hot_water = 0.0
    meter_m3 = METER_START_M3
    meter: dict[datetime, float] = {}
    boiler_state: tuple[bool, str] | None = None

    with psycopg.connect(database_url) as conn:
        _setup(conn, rooms)
        steps = DAYS * 86400 // STEP_S
        for step in range(steps + 1):
            now = START + timedelta(seconds=step * STEP_S)
            local = now.astimezone(ZONE)
            if step % 5 == 0 and not (METER_GAP[0] < now < METER_GAP[1]):
                gas_rows.append((now, round(meter_m3, 3), "4730303339303031"))
                meter[now] = round(meter_m3, 3)
            if step == steps:
                break
            for room in rooms:
                target_c = _target_c(room, local)
                want_open = room.temperature_c < target_c - 0.3 or (
                    room.valve_open and room.temperature_c < target_c + 0.3)
                if want_open != room.valve_open or step == 0:
                    room.valve_open = want_open
                    state = "open" if want_open else "closed"
                    reason = (f"{room.temperature_c:.1f} °C is below {target_c:.1f}" if want_open
                              else f"{room.temperature_c:.1f} °C reached {target_c:.1f}")
                    for mac, valve_id, power_w in zip(room.valve_macs, room.valve_ids, room.radiators_w):
                        valve_rows.append((valve_id, mac, room.room_id, power_w, now, state,
                                           30.0 if want_open else 5.0, 100 if want_open else 0, "manual", reason))
                    decision_rows.append((now, room.room_id, "zoning", state, reason))
            demand = any(room.valve_open for room in rooms)
            hot_water = _hot_water_on(local)
            indicator = "hot water" if hot_water else ("central heating" if demand else "off")
            if boiler_state != (demand, indicator):
                boiler_state = (demand, indicator)
                reason = "a room asks for heat" if demand else "no room asks for heat"
                boiler_rows.append((now, demand, "manual", 30.0 if demand else 5.0, indicator, reason))
                decision_rows.append((now, None, "zoning", "boiler on" if demand else "boiler off", reason))
            outdoor_c = _outdoor_c(now)
            if hot_water:
                gas = _gas_m3(HOT_WATER_POWER_W, STEP_S)
                truth_hot_water += gas
                meter_m3 += gas
            for room in rooms:
                heat_w = 0.0
                if room.valve_open and not hot_water:
                    heat_w = sum(room.radiators_w) * RADIATOR_OUTPUT_SHARE
                    gas = _gas_m3(heat_w, STEP_S)
                    truth_rooms[room.name] += gas
                    meter_m3 += gas
                loss_w = room.ua_w_per_k * (room.temperature_c - outdoor_c)
                room.temperature_c += (heat_w - loss_w) * STEP_S / room.capacity_j_per_k
                silent = room.name == "Bathroom" and now >= BATHROOM_SILENT_FROM
                if step % 5 == 0 and not silent:
                    battery = 95 - step // 2000 - (40 if room.name == "Bathroom" else 0)
                    reading_rows.append((
                        room.thermometer_mac, now + timedelta(seconds=noise.randint(0, 20)), room.room_id,
                        round(room.temperature_c + noise.uniform(-0.05, 0.05), 2),
                        round(50 + 8 * math.sin(step / 700) + noise.uniform(-1, 1), 1),
                        battery, round(2.6 + battery / 250, 3), -60 - 8 * rooms.index(room) + noise.randint(-3, 3)))

        with conn.cursor() as cur:
            with cur.copy("COPY readings (mac, time, room_id, temperature_c, humidity_pct, battery_pct, voltage_v, "
                          "rssi_dbm) FROM STDIN") as copy:
                for row in reading_rows:
                    copy.write_row(row)
            cur.executemany(
                "INSERT INTO valve_states (valve_id, mac, room_id, radiator_power_w, time, state, target_c, "
                "valve_pct, mode, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", valve_rows)
            cur.executemany(
                "INSERT INTO boiler_states (time, heat_demand, user_mode, setpoint_c, indicator, reason) "
                "VALUES (%s, %s, %s, %s, %s, %s)", boiler_rows)
            cur.executemany(
                "INSERT INTO decisions (time, room_id, strategy, outcome, reason) VALUES (%s, %s, %s, %s, %s)",
                decision_rows)
            cur.executemany("INSERT INTO gas_readings (time, gas_m3, meter_id) VALUES (%s, %s, %s)", gas_rows)
            cur.execute("INSERT INTO settings (key, value) VALUES ('timezone', to_jsonb(%s::text))", (ZONE.key,))
            # A neighbour's thermometer the reader hears but nobody set up.
            cur.execute("INSERT INTO heard_devices (mac, format, name, last_seen, temperature_c, humidity_pct, "
                        "battery_pct, rssi_dbm) VALUES ('A4:C1:38:9F:00:01', 'pvvx', 'ATC_9F0001', %s, 19.5, 55, "
                        "80, -91)", (START + timedelta(days=DAYS, minutes=-3),))

    readings = sorted(meter)
    return WeekTruth(truth_rooms, truth_hot_water, readings[0], readings[-1], meter,
                     {room.name: room.room_id for room in rooms})


@contextmanager
def week_database(server_url: str, template: str):
    """A new database copied from the migrated template, filled with the week; dropped afterwards.

    Yields (database URL, WeekTruth).
    """
    name = f"heating_week_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    try:
        url = psycopg.conninfo.make_conninfo(server_url, dbname=name)
        yield url, fill_week(url)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


_numbers = iter(range(1_000_000))
