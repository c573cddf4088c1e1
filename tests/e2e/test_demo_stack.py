"""The `make demo` stack in accelerated time: every part working together.

A cold Monday morning in January, at 120× real time: in about three minutes
of wall-clock time six simulated hours pass. The thermometers are heard, and the
Pi's valves driven, by thermostat_reader's real bleak code over the simulated
BlueZ. The test then shows readings for
every room, valves opening and closing as the schedules say, the boiler
firing, gas attributed to rooms, the page loading in headless Chromium, and
the dashboards' SQL returning rows.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import requests

from demo.stack import Stack, StackConfig
from tests.e2e.page import rendered_page
from tests.grafana.test_dashboards import DASHBOARDS, _load, _panels, _variables, expand

# The stack runs six simulated hours (three minutes) before the first test.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SPEED = 120.0
START = datetime(2027, 1, 11, 4, 0, tzinfo=timezone(timedelta(hours=1)))  # Monday 04:00, Amsterdam
RUN_SIMULATED = timedelta(hours=6)


@pytest.fixture(scope="module")
def stack():
    workdir = Path(tempfile.mkdtemp(prefix="heating-e2e-"))
    config = StackConfig(workdir=workdir, speed=SPEED, start=START, api_port=0, fresh=True)
    with Stack(config) as running:
        deadline = time.monotonic() + RUN_SIMULATED.total_seconds() / SPEED
        while time.monotonic() < deadline:
            running.check_alive()
            time.sleep(2)
        yield running
    shutil.rmtree(workdir, ignore_errors=True)


def _query(stack: Stack, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(stack.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def test_readings_for_every_room_with_a_thermometer(stack):
    status = requests.get(f"{stack.api_url}/api/status", timeout=10).json()
    measured = [room for room in status["rooms"] if room["thermometers"]]
    assert len(measured) >= 6
    formats = {t["mac"]: t["format"] for t in
               requests.get(f"{stack.api_url}/api/thermometers", timeout=10).json()["thermometers"]}
    for room in measured:
        assert 5 < room["temperature_c"] < 30
        if formats[room["thermometers"][0]["mac"]] == "mibeacon":
            # Stock firmware sends temperature, humidity and battery in turn,
            # each about every 10 minutes: a temperature may be 20+ minutes old.
            assert room["reading_age_s"] < 1800, room
        else:
            assert room["in_sync"], room
    per_room = dict(_query(stack, "SELECT room_id, count(*) FROM readings GROUP BY room_id"))
    for room in measured:
        # Custom firmware: one stored reading a simulated minute (6 h = 360);
        # stock firmware: one every few minutes.
        least = 10 if formats[room["thermometers"][0]["mac"]] == "mibeacon" else 250
        assert per_room.get(room["id"], 0) >= least, (room["name"], per_room)


def test_the_pis_valves_are_driven_by_the_products_own_bridge_through_bleak(stack):
    sim = requests.get(f"{stack.sim_url}/_sim/state", timeout=10).json()
    bluez = sim["bluez"]
    pi_valves = set(bluez["valves"])
    # One connection per command, and one per valve to pair it (which writes nothing).
    assert len(pi_valves) >= 5 and bluez["connects"] > 2 * len(pi_valves)
    assert bluez["writes"] >= bluez["connects"] - len(pi_valves)
    bridges = {b["name"]: b for b in requests.get(f"{stack.api_url}/api/bridges", timeout=10).json()["bridges"]}
    assert bridges["pi"]["kind"] == "pi" and bridges["esp32-attic"]["kind"] == "simulated"
    # Every valve in the Pi's range reported its state through the product's bridge, and the state
    # recorded is what the simulated valve (behind BlueZ) really does.
    answered = dict(_query(stack, """SELECT upper(v.mac::text), max(s.time) FROM valve_states s
                                     JOIN valves v ON v.id = s.valve_id GROUP BY v.mac"""))
    assert pi_valves <= set(answered), (pi_valves, answered)
    # Each of them (firmware 1.48) was paired with the Pi's adapter through the API and the bridge's agent.
    from simulator.bluez import ADAPTER_ADDRESS

    for mac in pi_valves:
        state = sim["valve_states"][mac]
        assert state["version"] == "1.48" and state["pin"] and ADAPTER_ADDRESS in state["bonded_with"], state
    status = requests.get(f"{stack.api_url}/api/status", timeout=10).json()
    assert not [p for p in status["problems"] if p["code"] == "valve_unpaired"], status["problems"]
    reader_log = (stack.config.workdir / "logs" / "thermostat_reader.log").read_text()
    assert "Scanning actively for thermometers" in reader_log
    assert "The Pi's valve bridge now serves" in reader_log
    assert reader_log.count("Paired with valve") == len(pi_valves)


def test_valves_open_and_close_as_the_schedules_say(stack):
    # What valves answered to commands; read-backs (their reasons say so) are no decisions.
    changes = _query(stack, """SELECT r.name, s.state, s.time FROM valve_states s JOIN rooms r ON r.id = s.room_id
                               WHERE s.reason NOT LIKE 'read back%%' AND s.reason NOT LIKE 'periodic check%%'
                               ORDER BY s.time""")
    opened = {name for name, state, _ in changes if state == "open"}
    closed = {name for name, state, _ in changes if state == "closed"}
    assert "Living room" in opened, changes
    assert opened & closed, "some valve opened and later closed"
    # Every open is a decision with a reason in the log.
    reasons = _query(stack, "SELECT count(*) FROM decisions WHERE outcome LIKE 'open%%' AND reason <> ''")
    assert reasons[0][0] >= len([c for c in changes if c[1] == "open"])


def test_living_room_reaches_its_morning_target(stack):
    status = requests.get(f"{stack.api_url}/api/status", timeout=10).json()
    living = next(room for room in status["rooms"] if room["name"] == "Living room")
    history = requests.get(f"{stack.api_url}/api/rooms/{living['id']}/history", timeout=10,
                           params={"from": START.isoformat(), "to": status["time"]}).json()
    temperatures = [r["temperature_c"] for r in history["readings"] if r["temperature_c"] is not None]
    peak_target = max(t["target_c"] for t in history["targets"])
    assert max(temperatures) >= peak_target - living["hysteresis_k"] - 0.3, (max(temperatures), peak_target)


def test_the_boiler_fired(stack):
    states = _query(stack, "SELECT heat_demand, indicator FROM boiler_states ORDER BY time")
    assert any(demand for demand, _ in states), states
    assert any(indicator == "central heating" for _, indicator in states), states


def test_gas_is_metered_and_attributed_to_rooms(stack):
    first, last = _query(stack, "SELECT min(time), max(time) FROM gas_readings")[0]
    # The meter's own difference between the first and last reading in range.
    metered_m3, readings = _query(stack, "SELECT max(gas_m3) - min(gas_m3), count(*) FROM gas_readings")[0]
    assert metered_m3 > 0.1 and readings > 10, (metered_m3, readings)
    report = requests.get(f"{stack.api_url}/api/gas", timeout=30, params={
        "from": (first - timedelta(hours=1)).isoformat(), "to": (last + timedelta(hours=1)).isoformat(),
        "group": "hour"}).json()
    totals = report["totals"]
    rooms_m3 = sum(room["gas_m3"] for room in totals["rooms"])
    assert rooms_m3 > 0.1, totals
    parts = rooms_m3 + totals["hot_water"]["gas_m3"] + totals["unattributed"]["gas_m3"]
    assert parts == pytest.approx(metered_m3, abs=1e-9)
    assert totals["metered"]["gas_m3"] == pytest.approx(metered_m3, abs=1e-9)


def test_the_page_loads_in_headless_chromium(stack):
    page = rendered_page(f"{stack.api_url}/")
    for name in ("Living room", "Kitchen", "Bedroom"):
        assert name in page, page[:2000]


def test_the_dashboards_sql_returns_rows(stack):
    end = datetime.fromisoformat(requests.get(f"{stack.api_url}/api/status", timeout=10).json()["time"]
                                 .replace("Z", "+00:00"))
    start = START.astimezone(timezone.utc)
    with psycopg.connect(stack.database_url) as conn:
        conn.execute("SET ROLE heating_grafana")
        for path in DASHBOARDS:
            dashboard = _load(path)
            values = _variables(conn, dashboard)
            with_rows = 0
            panels = [p for p in _panels(dashboard) if p["type"] != "row"]
            for panel in panels:
                chosen = {name: ",".join(v) for name, v in values.items()}
                repeat = panel.get("repeat")
                if repeat:  # a panel repeated per room: the first room's copy
                    chosen[repeat] = values[repeat][0]
                rows = [conn.execute(expand(t["rawSql"], chosen, start, end)).fetchall() for t in panel["targets"]]
                with_rows += any(rows)
            assert with_rows >= len(panels) * 0.75, f"{path.name}: {with_rows} of {len(panels)} panels have rows"
