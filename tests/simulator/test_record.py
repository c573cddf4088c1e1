"""simulator/record.py: what a simulated run's devices would have reported, and writing it through the API."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from simulator.controllers import make_controller
from simulator.house import load_house
from simulator.provision import provision
from simulator.record import METER_INTERVAL_S, RecordingController, post_recording, record_days
from simulator.runner import run
from simulator.simhouse import RESOLUTION_C, SimulatedHouse

BEGIN = datetime(2026, 1, 12, tzinfo=timezone.utc)
WARMUP_DAYS = 0.25
DAYS = 0.5
RECORD_FROM = BEGIN + timedelta(days=WARMUP_DAYS)
END = RECORD_FROM + timedelta(days=DAYS)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def recorded():
    house = load_house()
    sim = SimulatedHouse(house, BEGIN)
    recorder = RecordingController(make_controller("zoning"), sim, RECORD_FROM, follow_position=True)
    run(house, recorder, BEGIN, WARMUP_DAYS, DAYS, sim=sim)
    return house, sim, recorder.finish(sim.now)


def test_readings_come_once_per_report_inside_the_window(recorded):
    house, _, recording = recorded
    assert (recording.start, recording.end) == (RECORD_FROM, END)
    times = [_at(r["time"]) for r in recording.readings]
    assert min(times) == RECORD_FROM and max(times) < END
    per_mac = Counter(r["mac"] for r in recording.readings)
    assert len(set((r["mac"], r["time"]) for r in recording.readings)) == len(recording.readings)
    minutes = int(DAYS * 1440)
    for room in house.rooms:
        thermometer = room.thermometer
        # Stock Xiaomi firmware reports every ten minutes, custom firmware every minute here.
        expected = minutes // 10 if thermometer.format == "mibeacon" else minutes
        assert per_mac[thermometer.mac] == expected, (room.name, thermometer.format)
    for reading in recording.readings:
        step = RESOLUTION_C[reading["format"]]
        assert reading["temperature_c"] == pytest.approx(round(reading["temperature_c"] / step) * step, abs=1e-9)
        assert 5 <= reading["temperature_c"] <= 30 and 0 < reading["humidity_pct"] < 100


def test_gas_meter_every_five_minutes_counts_what_the_boiler_burnt(recorded):
    house, _, recording = recorded
    times = [_at(g["time"]) for g in recording.gas]
    assert times == [RECORD_FROM + timedelta(seconds=METER_INTERVAL_S * i) for i in range(len(times))]
    assert times[-1] == END
    values = [g["gas_m3"] for g in recording.gas]
    assert values == sorted(values) and values[0] >= house.boiler.gas_meter_start_m3
    # The meter shows three decimals: the books and the meter agree to that.
    burnt = recording.gas_space_m3 + recording.gas_hot_water_m3
    assert burnt > 0.5 and recording.gas_hot_water_m3 > 0
    assert values[-1] - values[0] == pytest.approx(burnt, abs=0.0011)


def test_valve_states_are_the_confirmed_records_then_status_reads(recorded):
    _, sim, recording = recorded
    last: dict[str, dict] = {}
    for mac, body in recording.valve_states:
        assert mac in sim.valves
        if body["reason"] == "status read":
            previous = last[mac]
            assert (body["state"], body["target_c"]) == (previous["state"], previous["target_c"])
            assert body["valve_pct"] != previous["valve_pct"]
        last[mac] = body
    # Each valve's state before the window is there, so the window starts known.
    assert set(last) == set(sim.valve_records)
    first: dict[str, datetime] = {}
    for mac, body in recording.valve_states:
        first.setdefault(mac, _at(body["time"]))
    assert all(at <= RECORD_FROM for at in first.values())
    for mac, body in last.items():
        assert body["valve_pct"] == sim.valves[mac].valve_pct
        assert body["target_c"] == sim.valve_records[mac].status.target_temp_c
    reasons = Counter(body["reason"] for _, body in recording.valve_states)
    assert reasons["simulated"] > 10 and reasons["status read"] > 10


def test_boiler_states_are_changes_only_and_end_where_the_boiler_is(recorded):
    _, sim, recording = recorded
    states = [(b["heat_demand"], b["user_mode"], b["setpoint_c"], b["indicator"]) for b in recording.boiler_states]
    assert all(a != b for a, b in zip(states, states[1:]))
    assert {s[3] for s in states} == {"central heating", "hot water", "off"}
    boiler = sim.boiler
    assert states[-1] == (boiler.demand, boiler.user_mode, boiler.setpoint_c(), boiler.indicator)
    times = [_at(b["time"]) for b in recording.boiler_states]
    assert times == sorted(times) and times[0] == RECORD_FROM - timedelta(minutes=1)


def test_room_heat_is_the_books_over_the_window_only(recorded):
    house, sim, recording = recorded
    assert list(recording.room_heat_kwh) == [room.name for room in house.rooms]
    total_kwh = float(sim.books.heat_to_rooms_j.sum()) / 3.6e6
    assert 0 < sum(recording.room_heat_kwh.values()) < total_kwh


def test_without_status_reads_only_the_command_answers_are_kept():
    house = load_house()
    sim = SimulatedHouse(house, BEGIN)
    recorder = RecordingController(make_controller("zoning"), sim, BEGIN + timedelta(hours=2), follow_position=False)
    run(house, recorder, BEGIN, 0, 0.25, sim=sim)
    recording = recorder.finish(sim.now)
    assert recording.valve_states
    assert {body["reason"] for _, body in recording.valve_states} == {"simulated"}


def test_a_recording_goes_through_the_api(api_server):
    client = api_server.client()
    house = load_house()
    provision(client, house)
    recording = record_days(house, "zoning", datetime(2026, 1, 12, 6, tzinfo=timezone.utc), 0.125,
                            warmup_days=0.125)
    counts = post_recording(client, recording)
    assert counts["readings"] == len(recording.readings) > 0 and counts["decisions"] > 0
    with psycopg.connect(api_server.database_url) as conn:
        stored = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("readings", "valve_states", "boiler_states", "gas_readings", "decisions")}
        rooms = dict(conn.execute("SELECT name, id FROM rooms").fetchall())
        decided = conn.execute("SELECT DISTINCT r.name FROM decisions d JOIN rooms r ON r.id = d.room_id").fetchall()
    assert stored == {"readings": counts["readings"], "valve_states": counts["valve_states"],
                      "boiler_states": counts["boiler_states"], "gas_readings": counts["gas"],
                      "decisions": counts["decisions"]}
    expected = {room for room, _ in recording.decisions if room}
    assert {name for (name,) in decided} == expected and expected <= set(rooms)
