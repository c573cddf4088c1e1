"""The live loop end to end: the real API (api_server), the simulated house's bridge HTTP server over
simulated eQ-3 valves, a nefit-easy-http-server stand-in (conftest.py), and a small two-room house
stepped one simulated minute per tick."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.rows import dict_row

from common.api_client import ApiClient
from onoff.config import ControlConfig
from onoff.drivers.nefit import NefitBoiler
from onoff.records import RecordQueue
from onoff.service import ControlLoop
from onoff.strategies import make_strategy
from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import SimulatedEq3Valve

BRIDGE_TOKEN = "test-bridge-token-0123456789"
START = datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc)  # a Monday morning
OUTDOOR_C = 0.0
HEAT_K_PER_H = 4.0  # rise of a room with its radiator fully open and the boiler burning
LOSS_PER_H = 0.02  # fraction of the indoor-outdoor difference lost per hour


class FakeClock:
    def __init__(self, start: datetime):
        self.instant = start

    def now(self) -> datetime:
        return self.instant

    def advance(self, seconds: float) -> None:
        self.instant += timedelta(seconds=seconds)


@dataclass
class Room:
    name: str
    target_c: float
    temp_c: float
    thermometer_mac: str
    valve_mac: str
    room_id: int = 0
    valve_id: int = 0


class House:
    """API configuration, simulated valves behind a real bridge, a toy thermal model, and the loop."""

    def __init__(self, api_server, nefit, nefit_url, rooms: list[Room], api_down_ticks: int = 3):
        self.clock = FakeClock(START)
        self.api = ApiClient(api_server.url, api_server.service_token)
        self.database_url = api_server.database_url
        self.rooms = rooms
        self.nefit = nefit
        self.valves = {r.valve_mac: SimulatedEq3Valve(r.valve_mac, mode="auto", target_c=17.0) for r in rooms}
        self.bridge = SimulatedBridgeServer(self.valves, now=self.clock.now, timeout_s=0.5,
                                            token=BRIDGE_TOKEN).start()
        bridge = self.api.post("/api/bridges", {"name": "Simulated", "kind": "simulated", "base_url": self.bridge.url,
                                                "token": BRIDGE_TOKEN})
        for room in rooms:
            room.room_id = self.api.post("/api/rooms", {"name": room.name, "default_temp_c": room.target_c})["id"]
            self.api.post("/api/thermometers", {"mac": room.thermometer_mac, "room_id": room.room_id})
            room.valve_id = self.api.post("/api/valves", {"mac": room.valve_mac, "room_id": room.room_id,
                                                          "bridge_id": bridge["id"]})["id"]
        loop_api = ApiClient(api_server.url, api_server.service_token, timeout_s=2)
        self.loop = ControlLoop(loop_api, self.clock, make_strategy("zoning"), ControlConfig(),
                                boiler=NefitBoiler(nefit_url, timeout_s=5), records=RecordQueue(loop_api),
                                bridge_timeout_s=5, retry_initial_s=60, retry_max_s=240,
                                api_down_ticks=api_down_ticks)
        self.reports = []

    def boiler_burning(self) -> bool:
        return self.nefit.status()["boiler indicator"] == "central heating"

    def minute(self, post_readings: bool = True):
        """One simulated minute: the house warms or cools, thermometers report, the loop ticks."""
        self.clock.advance(60)
        burning = self.boiler_burning()
        for room in self.rooms:
            valve = self.valves[room.valve_mac]
            valve.step(room.temp_c, 60, self.clock.now())
            gain = HEAT_K_PER_H * valve.valve_pct / 100 if burning else 0.0
            room.temp_c += (gain - LOSS_PER_H * (room.temp_c - OUTDOOR_C)) / 60
        if post_readings:
            self.api.post("/api/readings", {"readings": [
                {"mac": r.thermometer_mac, "time": self.clock.now().isoformat(), "temperature_c": round(r.temp_c, 1)}
                for r in self.rooms]})
        report = self.loop.tick()
        self.reports.append(report)
        return report

    def rows(self, query: str, *args) -> list[dict]:
        with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
            return conn.execute(query, args).fetchall()

    def valve_states(self, room: Room) -> list[dict]:
        return self.rows("SELECT time, state, target_c, valve_pct, mode, until, reason FROM valve_states "
                         "WHERE valve_id = %s "
                         "ORDER BY time, id", room.valve_id)

    def boiler_states(self) -> list[dict]:
        return self.rows("SELECT time, heat_demand, user_mode, setpoint_c, reason FROM boiler_states ORDER BY time, id")

    def close(self):
        self.loop.close()
        self.api.close()
        self.bridge.stop()


def commanded(states: list[dict]) -> list[dict]:
    """The valve states recorded from answers to commands, without the read-backs."""
    return [s for s in states if not (s["reason"] or "").startswith(("read back", "periodic check"))]


@pytest.fixture
def house(api_server, nefit_server):
    fake, url = nefit_server
    built = House(api_server, fake, url, [
        Room("Living room", 20.0, 17.0, "A4:C1:38:00:00:01", "00:1A:22:00:00:01"),
        Room("Bedroom", 18.0, 16.5, "A4:C1:38:00:00:02", "00:1A:22:00:00:02"),
    ])
    yield built
    built.close()


def test_cold_morning_heats_the_rooms_and_stops(house):
    for _ in range(150):
        house.minute()
    living, bedroom = house.rooms
    for room in house.rooms:
        # What the valves answered to commands (read-backs are recorded too: see the next test).
        states = commanded(house.valve_states(room))
        # Every setting ends on the valve by itself, 10 to 40 minutes after it was sent ...
        for state in states:
            assert state["mode"] == "away", state
            assert timedelta(minutes=10) <= state["until"] - state["time"] <= timedelta(minutes=40), state
        # ... and is sent again before it ends while the room still needs it: "open" more than once.
        changes = [s for n, s in enumerate(states) if n == 0 or s["state"] != states[n - 1]["state"]]
        assert [s["state"] for s in changes][:2] == ["open", "closed"], states
        opened, closed = changes[0]["time"], changes[1]["time"]
        assert opened <= START + timedelta(minutes=2)
        assert closed > opened
        renewals = [s for s in states if s["state"] == "open" and s["time"] < closed]
        if closed - opened > timedelta(minutes=60):
            assert len(renewals) >= 2, states
        for before, after in zip(renewals, renewals[1:]):
            assert after["time"] < before["until"], "renewed before it ended"
    boiler = house.boiler_states()
    # At start no room needs heat yet: an override of the clock program below what the thermostat measures.
    # First what the boiler reported when the loop first read it, then the loop's "no heat" override.
    assert boiler[0]["reason"] == "read from the boiler" and boiler[0]["time"] == START + timedelta(minutes=1)
    assert boiler[1]["heat_demand"] is False and boiler[1]["time"] == START + timedelta(minutes=1)
    assert boiler[1]["user_mode"] == "clock" and boiler[1]["setpoint_c"] < 18.3
    boiler = boiler[2:]
    demand = [b["heat_demand"] for b in boiler]
    assert demand[:1] == [True] and False in demand, boiler
    first_open = min(house.valve_states(r)[0]["time"] for r in house.rooms)
    # heat only once a valve had been confirmed open for the delay
    assert boiler[0]["time"] >= first_open + timedelta(seconds=150)
    # the boiler stops only after the last room closed
    stopped = boiler[demand.index(False)]
    last_close = max(s["time"] for r in house.rooms for s in house.valve_states(r) if s["state"] == "closed")
    first_closes = [next(s["time"] for s in house.valve_states(r) if s["state"] == "closed") for r in house.rooms]
    assert stopped["time"] >= max(first_closes), (stopped, last_close)
    # Heat: an override just above what the thermostat measures (18.3 °C in the stand-in), in clock mode.
    assert boiler[0]["user_mode"] == "clock" and 18.3 < boiler[0]["setpoint_c"] <= 20.0
    # the rooms got warm: each reached its target
    peak = house.rows("SELECT room_id, max(temperature_c) AS peak FROM readings GROUP BY room_id")
    peaks = {row["room_id"]: row["peak"] for row in peak}
    assert peaks[living.room_id] >= 20.0 and peaks[bedroom.room_id] >= 18.0
    decisions = house.rows("SELECT room_id, outcome, reason FROM decisions ORDER BY time, id")
    assert {d["outcome"] for d in decisions if d["room_id"] == living.room_id} >= {"open", "closed"}
    assert any(d["room_id"] is None and d["outcome"] == "heat" for d in decisions)
    # the loop asks a confirmed valve nothing: no more commands once everything settled
    assert house.reports[-1].valve_commands == []


def test_bridge_timeout_leaves_the_loop_running_and_records_nothing_unconfirmed(house):
    living, bedroom = house.rooms
    house.valves[living.valve_mac].unreachable = True
    for _ in range(3):
        report = house.minute()
    assert report.status_ok
    assert house.valve_states(living) == []
    assert [s["state"] for s in commanded(house.valve_states(bedroom))] == ["open"]
    assert not house.valves[living.valve_mac].away
    failed = [living.valve_mac in r.valve_errors for r in house.reports]
    # retried 60 s after the first failure, then 120 s after the second: not at the third tick
    assert failed == [True, True, False]
    assert house.reports[0].valve_errors[living.valve_mac] == "bluetooth_timeout"
    house.valves[living.valve_mac].unreachable = False
    for _ in range(3):
        house.minute()
    assert [s["state"] for s in commanded(house.valve_states(living))] == ["open"]
    assert house.valves[living.valve_mac].away is True


def test_boiler_error_leaves_the_loop_running_and_records_nothing_unconfirmed(house):
    house.nefit.fail_next = 10_000
    for _ in range(8):
        report = house.minute()
    assert report.status_ok and report.boiler_heat is True
    assert any(r.boiler_error == "boiler_error" for r in house.reports)
    assert house.boiler_states() == []
    assert all(len(commanded(house.valve_states(r))) == 1 for r in house.rooms)
    house.nefit.fail_next = 0
    for _ in range(6):
        house.minute()
    states = house.boiler_states()
    # What the boiler reported when it answered again, then the loop's heat request, confirmed.
    assert [s["reason"] == "read from the boiler" for s in states] == [True, False], states
    assert states[-1]["heat_demand"] is True


def test_api_down_hands_the_house_back_and_records_everything_later(house, api_server, make_api_server):
    for _ in range(6):
        house.minute()
    assert house.nefit.status()["user mode"] == "clock" and house.nefit.status()["temp override"] is True
    api_server.stop()
    for _ in range(4):
        report = house.minute(post_readings=False)
        assert report.status_ok is False
    # after api_down_ticks (3) failed ticks: valves on their own program, boiler on its clock program
    assert all(valve.manual is False and not valve.away for valve in house.valves.values())
    assert house.nefit.status()["user mode"] == "clock" and house.nefit.status()["temp override"] is False
    assert len(house.loop.records) >= 3
    # The API comes back (same database, new port).
    again = make_api_server(api_server.database_url)
    house.api = ApiClient(again.url, again.service_token)
    house.loop.api.base_url = again.url
    house.loop.records.api.base_url = again.url
    house.minute()
    assert len(house.loop.records) == 0
    for room in house.rooms:
        states = house.valve_states(room)
        assert states[-2]["mode"] == "auto" and "handed back" in states[-2]["reason"]
        assert states[-1]["state"] == "open"  # taken back
    boiler = house.boiler_states()
    assert boiler[-2]["user_mode"] == "clock" and "handed back" in boiler[-2]["reason"]
    # taken back: an override again, no heat until the reopened valves had their delay
    assert boiler[-1]["user_mode"] == "clock" and boiler[-1]["heat_demand"] is False


def test_simulated_house_cold_morning(api_server):
    """The whole simulated house in fast mode: its real bridge and nefit servers, the real API, the loop."""
    from simulator.house import load_house
    from simulator.nefit_server import NefitServer
    from simulator.provision import provision
    from simulator.simhouse import SimulatedHouse

    house_spec = load_house()
    start = datetime(2026, 1, 12, 4, 30, tzinfo=timezone.utc)  # Monday 05:30 in Amsterdam, a cold house
    clock = FakeClock(start)
    sim = SimulatedHouse(house_spec, start, initial_air_c=15.0, initial_env_c=14.0)
    bridges = {}
    for name in house_spec.bridges:
        valves = {v.mac: sim.valves[v.mac] for _, v in house_spec.valves if v.bridge == name}
        bridges[name] = SimulatedBridgeServer(valves, now=clock.now, zone=house_spec.zone, timeout_s=1.0,
                                              token=BRIDGE_TOKEN).start()
    nefit = NefitServer(sim.boiler).start()
    api = ApiClient(api_server.url, api_server.service_token)
    provision(api, house_spec, bridge_ports={name: bridge.port for name, bridge in bridges.items()},
              bridge_token=BRIDGE_TOKEN)
    # The house's newer valves take commands only once paired with the PIN on their display, as on the page.
    for valve in api.get("/api/valves")["valves"]:
        simulated = sim.valves[valve["mac"].upper()]
        if simulated.needs_pin:
            api.post(f"/api/valves/{valve['id']}/pair", {"pin": simulated.pin})
    loop_api = ApiClient(api_server.url, api_server.service_token, timeout_s=5)
    loop = ControlLoop(loop_api, clock, make_strategy("zoning"), ControlConfig(),
                       boiler=NefitBoiler(nefit.url, timeout_s=5), records=RecordQueue(loop_api))
    living = house_spec.room_index("living")
    living_macs = [v.mac for v in house_spec.rooms[living].valves]
    try:
        trace = []
        for _ in range(10 * 60):
            clock.advance(60)
            while sim.now + timedelta(seconds=30) <= clock.now():
                sim.advance(30.0, sim.inputs_at(sim.now + timedelta(seconds=15)))
            api.post("/api/readings", {"readings": [
                {"mac": room.thermometer.mac, "time": clock.now().isoformat(), "temperature_c": round(float(t), 1)}
                for room, t in zip(house_spec.rooms, sim.state.air_c)]})
            loop.tick()
            trace.append((clock.now(), float(sim.state.air_c[living]),
                          all(sim.valves[m].away and sim.valves[m].target_c == 30.0 for m in living_macs),
                          sim.boiler.override_on and sim.boiler.setpoint_c() > sim.boiler.in_house_temp_c))
            heats = [heat for *_, heat in trace]
            if clock.now() > start + timedelta(hours=4) and True in heats and not heats[-1]:
                break  # the morning is done: the boiler has stopped
    finally:
        loop.close()
        api.close()
        nefit.stop()
        for bridge in bridges.values():
            bridge.stop()
    switch = datetime(2026, 1, 12, 5, 30, tzinfo=timezone.utc)
    opened = [t for t, _, is_open, _ in trace if is_open and t >= switch]
    # a new target lifts the minimum closed time: open at the switch point
    assert opened and opened[0] <= switch + timedelta(minutes=2), "living room valves open at its switch point"
    with psycopg.connect(api_server.database_url) as conn:
        first_confirmed_open = conn.execute("SELECT min(time) FROM valve_states WHERE state = 'open'").fetchone()[0]
    fired = [t for t, _, _, heat in trace if heat]
    assert fired and fired[0] >= first_confirmed_open + timedelta(seconds=150), "boiler fires once valves are open"
    # its target: 20 °C from 06:30 local, 19 °C from 08:30 local (simulator/houses/default.toml)
    warm = [t for t, temp, _, _ in trace if t > opened[0]
            and temp >= (20.0 if t < datetime(2026, 1, 12, 7, 30, tzinfo=timezone.utc) else 19.0)]
    assert warm, "the living room reaches its target"
    closed = [t for t, _, is_open, _ in trace if not is_open and t > warm[0]]
    assert closed, "its valves close once it is warm"
    stopped = [t for t, _, _, heat in trace if not heat and t > fired[0]]
    assert stopped, "the boiler stops when no room needs heat"
    with psycopg.connect(api_server.database_url) as conn:
        recorded = conn.execute("SELECT count(*) FROM valve_states").fetchone()[0]
        boiler_rows = conn.execute("SELECT heat_demand FROM boiler_states ORDER BY time, id").fetchall()
    assert recorded > len(sim.valves)
    assert [True] in [list(r) for r in boiler_rows] and [False] in [list(r) for r in boiler_rows]


def test_a_boiler_changed_by_hand_is_set_back(house):
    for _ in range(8):
        house.minute()
    assert house.boiler_states()[-1]["heat_demand"] is True
    before = len(house.boiler_states())
    # Someone puts the thermostat in manual mode at 16 °C: no heat.
    house.nefit.write("/heatingCircuits/hc1/usermode", "manual")
    house.nefit.write("/heatingCircuits/hc1/temperatureRoomManual", 16.0)
    for _ in range(4):
        house.minute()
    # Seen within the loop's 2-minute read, recorded as the boiler reported it, and set back.
    assert house.nefit.status()["user mode"] == "clock" and house.nefit.status()["temp override"] is True
    states = house.boiler_states()
    assert [(s["user_mode"], s["heat_demand"]) for s in states[before:]] == [("manual", False), ("clock", True)], \
        states
    assert states[before]["setpoint_c"] == 16.0 and states[before]["reason"] == "read from the boiler"


def test_moves_are_read_back_and_a_valve_turned_by_hand_is_put_right(house):
    living, bedroom = house.rooms
    for _ in range(5):
        house.minute()
    states = house.valve_states(living)
    assert states[0]["state"] == "open" and states[0]["mode"] == "away"
    # The answer to the command was sent before the motor moved; two minutes on it is read back.
    read = [s for s in states if s["reason"].startswith("read back")]
    assert read and read[0]["time"] - states[0]["time"] == timedelta(minutes=2)
    assert read[0]["valve_pct"] == house.valves[living.valve_mac].valve_pct == 100
    # Someone turns the living room's valve down to 16 °C by hand.
    house.valves[living.valve_mac].turn_by_hand(16.0, house.clock.now())
    turned_at = house.clock.now()
    for _ in range(16):
        house.minute()
    valve = house.valves[living.valve_mac]
    assert valve.target_c == 30.0, "put right"
    logged = [s for s in house.valve_states(living) if "turned by hand" in (s["reason"] or "")]
    assert logged and logged[0]["target_c"] == 16.0 and logged[0]["time"] - turned_at <= timedelta(minutes=15)


def test_the_weather_the_loop_uses_is_recorded_for_the_page(house):
    from onoff.weather import OpenMeteoClient
    from tests.onoff.test_weather import TEMPERATURES_C, _Server

    server = _Server()
    try:
        house.loop.weather = OpenMeteoClient(52.37, 4.89, server.url, timeout_s=5)
        for _ in range(20):
            house.minute()
        rows = house.rows("SELECT time, outdoor_temp_c, forecast FROM weather ORDER BY time")
        # Every quarter of an hour, not every tick.
        assert [row["time"] for row in rows] == [START + timedelta(minutes=1), START + timedelta(minutes=16)]
        # As the loop asks: at its own instant.
        weather = house.api.get(f"/api/status?at={house.clock.now().isoformat().replace('+00:00', 'Z')}")["weather"]
        # 05:20 lies between the 05:00 and 06:00 hours, both 15.0 °C.
        assert weather["outdoor_temp_c"] == pytest.approx(TEMPERATURES_C[5])
        assert [hour["temperature_c"] for hour in weather["forecast"]] == TEMPERATURES_C[6:]
    finally:
        server.stop()


def test_the_targets_the_loop_used_are_recorded_and_drawn_in_history(house):
    living = house.rooms[0]
    for _ in range(3):
        house.minute()
    # Everyone away: the next tick records it, with why; unchanged targets are not repeated.
    house.api.put("/api/mode", {"mode": "away", "away_temp_c": 15.0})
    for _ in range(3):
        house.minute()
    rows = house.rows("SELECT time, target_c, source, reason FROM target_history WHERE room_id = %s ORDER BY time",
                      living.room_id)
    assert [(r["target_c"], r["source"]) for r in rows] == [(20.0, "default"), (15.0, "away")]
    assert rows[0]["time"] == START + timedelta(minutes=1)
    assert rows[1]["time"] == START + timedelta(minutes=4) and rows[1]["reason"] == "away"
    # History draws the recorded targets, not today's schedule, for the time the loop ran.
    history = house.api.get(f"/api/rooms/{living.room_id}/history?from=2026-01-12T05:00:00Z&to=2026-01-12T05:06:00Z")
    recorded = [(t["target_c"], t["source"]) for t in history["targets"] if t["recorded"]]
    assert recorded == [(20.0, "default"), (15.0, "away")]


def test_a_window_contact_shuts_the_rooms_valve_through_its_bridge_at_once(house):
    living = house.rooms[0]
    for _ in range(5):
        house.minute()
    valve = house.valves[living.valve_mac]
    assert valve.target_c == 30.0, "the cold living room heats"
    house.api.post(f"/api/rooms/{living.room_id}/contacts", {"name": "balcony door", "open": True,
                                                             "time": house.clock.now().isoformat()})
    house.minute()
    assert valve.target_c == ControlConfig().closed_target_c
    assert valve.away and valve.away_until is not None, "a setting that ends by itself"
    assert house.valves[house.rooms[1].valve_mac].target_c == 30.0, "the bedroom goes on heating"
    [decision] = house.rows("SELECT reason FROM decisions WHERE room_id = %s AND outcome = 'closed'", living.room_id)
    assert "balcony door contact reports open" in decision["reason"]
    house.api.post(f"/api/rooms/{living.room_id}/contacts", {"name": "balcony door", "open": False,
                                                             "time": house.clock.now().isoformat()})
    house.minute()
    assert valve.target_c == 30.0, "heating again at once, without the minimum closed time"
