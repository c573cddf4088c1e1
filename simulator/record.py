"""Recording a simulated run the way the live system would have stored it.

``RecordingController`` sits between the runner and a real controller and,
each simulated minute, notes what the readers and the control loop would have
sent to the controller API: every thermometer reading, every valve's confirmed
state when it changes, the boiler's state when it changes, the gas meter every
five minutes (like a DSMR 5 meter) and the control decisions. It also keeps
the simulator's own books over the recorded window (heat each room's
radiators gave, gas for heating and for hot water), so the attribution of
gas can be compared with what really happened.

``record_days`` runs a house for some days and returns the ``Recording``;
``post_recording`` writes it through the controller API.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from common.api_client import ApiClient
from simulator.controllers import Controller, ControlOutput, make_controller
from simulator.house import House
from simulator.runner import TICK_S, run
from simulator.simhouse import SimulatedHouse, ValveRecord, _iso

log = logging.getLogger("simulator.record")

#: A DSMR 5 meter reads the gas meter every five minutes.
METER_INTERVAL_S = 300
#: What the simulated thermometers would report besides temperature and humidity
#: (the values simulator.adverts and the status builder use).
BATTERY_PCT = 93
VOLTAGE_V = 2.98
RSSI_DBM = -70
#: The API takes at most this many readings or decisions per request.
BATCH = 1000


@dataclass
class Recording:
    """What the house's devices and control loop reported over [start, end), and what really happened."""

    start: datetime
    end: datetime
    controller: str
    readings: list[dict] = field(default_factory=list)
    #: (valve MAC, POST /api/valves/{id}/state body), in time order.
    valve_states: list[tuple[str, dict]] = field(default_factory=list)
    boiler_states: list[dict] = field(default_factory=list)
    gas: list[dict] = field(default_factory=list)
    #: (room name or None, POST /api/decisions item without room_id).
    decisions: list[tuple[str | None, dict]] = field(default_factory=list)
    #: Heat the radiators of each room (by name) gave to its air over the window (kWh).
    room_heat_kwh: dict[str, float] = field(default_factory=dict)
    gas_space_m3: float = 0.0
    gas_hot_water_m3: float = 0.0


class RecordingController:
    """A Controller that delegates to ``inner`` and records from ``record_from`` on.

    It must be the controller the runner calls once per simulated minute on
    ``sim``; ``finish(end)`` closes the recording after the run.
    """

    def __init__(self, inner: Controller, sim: SimulatedHouse, record_from: datetime, *,
                 follow_position: bool = False):
        self.inner = inner
        self.name = inner.name
        self.sim = sim
        self.record_from = record_from.astimezone(timezone.utc)
        house = sim.house
        self._per_m3_j = 3.6e6 * house.boiler.gas_kwh_per_m3
        self._room_names = [room.name for room in house.rooms]
        self.recording = Recording(self.record_from, self.record_from, inner.name)
        self._seen: dict[str, ValveRecord] = {}
        self._last_body: dict[str, dict] = {}
        #: Also record a valve's opening when a status read would show it changed
        #: (the control loop records only the answers to its commands).
        self.follow_position = follow_position
        self._boiler: tuple | None = None
        self._books_at_start: tuple | None = None

    def step(self, status: dict, weather: dict, now: datetime) -> ControlOutput:
        recording = now >= self.record_from
        if recording:
            self._observe(now)
        output = self.inner.step(status, weather, now)
        if recording:
            for decision in output.decisions:
                index = decision.get("room_id")
                room = self._room_names[index - 1] if index else None
                self.recording.decisions.append((room, {k: v for k, v in decision.items() if k != "room_id"}))
        return output

    def finish(self, end: datetime) -> Recording:
        """Closes the recording at ``end`` (the instant the run stopped) and returns it."""
        self._observe(end.astimezone(timezone.utc))
        recording = self.recording
        recording.end = end.astimezone(timezone.utc)
        if self._books_at_start is not None:
            heat_j, gas_ch_j, gas_hw_j = self._books_at_start
            per_room = self.sim.books.heat_to_rooms_j - heat_j
            recording.room_heat_kwh = {name: float(j) / 3.6e6 for name, j in zip(self._room_names, per_room)}
            books = self.sim.boiler.books
            recording.gas_space_m3 = (books.gas_ch_j - gas_ch_j) / self._per_m3_j
            recording.gas_hot_water_m3 = (books.gas_hw_j - gas_hw_j) / self._per_m3_j
        return recording

    def _observe(self, now: datetime) -> None:
        sim, out = self.sim, self.recording
        if self._books_at_start is None:
            books = sim.boiler.books
            self._books_at_start = (sim.books.heat_to_rooms_j.copy(), books.gas_ch_j, books.gas_hw_j)
        for room, reading in zip(sim.house.rooms, sim.readings):
            # Slow formats (stock Xiaomi firmware) report only every few minutes.
            if reading is not None and reading.time == now:
                thermometer = room.thermometer
                out.readings.append({
                    "mac": thermometer.mac, "time": reading.time_iso, "temperature_c": reading.temperature_c,
                    "humidity_pct": reading.humidity_pct, "battery_pct": BATTERY_PCT, "voltage_v": VOLTAGE_V,
                    "rssi_dbm": RSSI_DBM, "format": thermometer.format, "name": thermometer.name or None,
                    "encrypted": bool(thermometer.bind_key)})
        # Records written since the last minute: the commands of the last
        # step. The first time round this is each valve's state before the
        # window, which the attribution needs at the window's start.
        for mac, record in sim.valve_records.items():
            if self._seen.get(mac) is not record:
                self._seen[mac] = record
                body = dict(record.as_api(), reason="simulated")
                out.valve_states.append((mac, body))
                self._last_body[mac] = body
            # A notification answers the command before the motor has moved,
            # so it carries the old opening; a later status read gives the new.
            position_pct = sim.valves[mac].valve_pct
            last = self._last_body[mac]
            if self.follow_position and position_pct != last["valve_pct"]:
                body = dict(last, time=_iso(now), valve_pct=position_pct, reason="status read")
                out.valve_states.append((mac, body))
                self._last_body[mac] = body
        # The boiler's state now is what it did over the minute just simulated.
        boiler = sim.boiler
        state = (boiler.demand, boiler.user_mode, boiler.setpoint_c(), boiler.indicator)
        if state != self._boiler:
            self._boiler = state
            out.boiler_states.append({"time": _iso(now - timedelta(seconds=TICK_S)), "heat_demand": state[0],
                                      "user_mode": state[1], "setpoint_c": state[2], "indicator": state[3],
                                      "reason": "simulated"})
        if int(now.timestamp()) % METER_INTERVAL_S == 0:
            books = boiler.books
            gas_m3 = sim.house.boiler.gas_meter_start_m3 + (books.gas_ch_j + books.gas_hw_j) / self._per_m3_j
            # The meter's display resolution, as the P1 telegram carries it.
            out.gas.append({"time": _iso(now), "gas_m3": round(gas_m3, 3), "meter_id": sim.house.boiler.meter_id})


def record_days(house: House, controller_name: str, start: datetime, days: float,
                warmup_days: float = 1.0, *, follow_position: bool = False) -> Recording:
    """Runs ``controller_name`` on ``house`` for ``warmup_days`` (not recorded), then ``days`` recorded from ``start``.

    ``start`` should fall on a whole five minutes so the window opens with a
    meter reading.
    """
    start = start.astimezone(timezone.utc)
    begin = start - timedelta(days=warmup_days)
    sim = SimulatedHouse(house, begin)
    recorder = RecordingController(make_controller(controller_name), sim, start, follow_position=follow_position)
    run(house, recorder, begin, warmup_days, days, sim=sim)
    return recorder.finish(sim.now)


def post_recording(client: ApiClient, recording: Recording) -> dict[str, int]:
    """Writes a recording through the controller API (service token); returns how many of each were sent.

    Rooms, valves and thermometers must exist already (``simulator.provision``).
    """
    valve_ids = {v["mac"].upper(): v["id"] for v in client.get("/api/valves")["valves"]}
    room_ids = {r["name"]: r["id"] for r in client.get("/api/rooms")["rooms"]}
    for start in range(0, len(recording.readings), BATCH):
        client.post("/api/readings", {"readings": recording.readings[start:start + BATCH]})
    for mac, body in recording.valve_states:
        client.post(f"/api/valves/{valve_ids[mac.upper()]}/state", body)
    for body in recording.boiler_states:
        client.post("/api/boiler/state", body)
    for start in range(0, len(recording.gas), BATCH):
        client.post("/api/meter-readings", {"gas": recording.gas[start:start + BATCH], "electricity": []})
    decisions = [dict(body, room_id=room_ids[room] if room else None) for room, body in recording.decisions]
    for start in range(0, len(decisions), BATCH):
        client.post("/api/decisions", {"decisions": decisions[start:start + BATCH]})
    counts = {"readings": len(recording.readings), "valve_states": len(recording.valve_states),
              "boiler_states": len(recording.boiler_states), "gas": len(recording.gas),
              "decisions": len(decisions)}
    log.info("wrote the simulated %s run of %s to %s: %s", recording.controller, _iso(recording.start),
             _iso(recording.end), counts)
    return counts

