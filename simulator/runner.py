"""Running a controller on the simulated house, as fast as the machine allows.

Once per simulated minute: the thermometers take their readings, the
controller gets the status the controller API would serve and the weather
with its true 48-hour forecast, its valve settings go to the valves as real
eQ-3 frames and its boiler request to the boiler as the Nefit writes, and
the physics advances one minute. The KPIs of docs/benchmark.md are collected
over the test window.
"""
from __future__ import annotations

import time as wallclock
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

import numpy as np

from common import schedule as rules
from common.schedule import device_week_program
from protocols import eq3
from simulator.controllers import Controller, ControlOutput
from simulator.house import House
from simulator.schedule import local_week_minutes
from simulator.simhouse import Inputs, SimulatedHouse, _iso
from simulator.thermal import ORIENTATION_ORDER

TICK_S = 60.0
STALE_AFTER_S = 900
FROST_C = 7.0
#: During the schedule's comfort periods a temperature more than this above target counts as
#: too warm (docs/benchmark.md).
WARM_BAND_K = 2.0
#: Outside the comfort periods only a room above this counts as too warm: BOPTEST's unoccupied
#: upper comfort bound (its cooling set point; ibpsa/project1-boptest
#: testcases/bestest_hydronic/doc/index.html: 24 °C occupied, 30 °C unoccupied). A bedroom
#: that stays at 18 °C through its 15 °C daytime setback is warmth nobody feels, not discomfort.
UNOCCUPIED_UPPER_C = 30.0
SHORT_BURN_S = 600.0


@dataclass
class Boundary:
    """Per-minute boundary conditions and targets for a whole run (arrays over minutes)."""

    times_s: np.ndarray
    week_minutes: np.ndarray
    outdoor_c: np.ndarray
    sun_wm2: np.ndarray  # minutes × 4
    ghi_wm2: np.ndarray
    internal_w: np.ndarray  # minutes × rooms
    target_c: np.ndarray  # minutes × rooms
    #: minutes × rooms: the comfort periods of the schedule (above its lowest value), where cold
    #: and warmth are scored; a room with a flat schedule (the hall) has none.
    occupied: np.ndarray
    #: minutes × rooms: above this a room is too warm (``upper_comfort_c``); derived when not given.
    upper_c: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.upper_c is None:
            self.upper_c = upper_comfort_c(self.target_c, self.occupied)


def upper_comfort_c(target_c: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """The temperature above which a room counts as too warm: target + WARM_BAND_K in a comfort
    period, UNOCCUPIED_UPPER_C outside one (never below target + WARM_BAND_K)."""
    banded = np.asarray(target_c, dtype=float) + WARM_BAND_K
    return np.where(occupied, banded, np.maximum(banded, UNOCCUPIED_UPPER_C))


def boundary(sim: SimulatedHouse, start: datetime, minutes: int) -> Boundary:
    """Weather, gains and targets for ``minutes`` minutes from ``start``, computed at once."""
    times = start.timestamp() + TICK_S * np.arange(minutes)
    # Boundary values at the middle of each minute's step.
    w = sim.weather.at(times + TICK_S / 2)
    week = local_week_minutes(times, sim.zone)
    internal = np.stack([g.values(week) for g in sim.gain_schedules], axis=1)
    targets = np.stack([np.maximum(s.values(week), FROST_C) for s in sim.schedules], axis=1)
    # A room with a flat schedule (the hall) has no comfort period, so it is never occupied.
    occupied = np.stack([s.values(week) > s.table.min() for s in sim.schedules], axis=1)
    sun = np.stack([w[f"poa_{o}_wm2"] for o in ORIENTATION_ORDER], axis=1)
    return Boundary(times, week, w["temp_c"], sun, w["ghi_wm2"], internal, targets, occupied)


class StatusBuilder:
    """Builds ``GET /api/status`` of docs/api.md from the simulated house."""

    def __init__(self, sim: SimulatedHouse, bridge_urls: dict[str, str] | None = None):
        self.sim = sim
        house = sim.house
        bridges = {}
        for n, (name, bridge) in enumerate(house.bridges.items(), start=1):
            url = (bridge_urls or {}).get(name, f"http://127.0.0.1:{bridge.port}")
            bridges[name] = {"id": n, "name": name, "kind": "simulated", "base_url": url}
        self._rooms = []
        valve_id = 0
        for i, room in enumerate(house.rooms, start=1):
            valves = []
            for valve in room.valves:
                valve_id += 1
                valves.append({"id": valve_id, "mac": valve.mac, "name": valve.name,
                               "radiator_power_w": int(valve.power_w), "bridge": bridges[valve.bridge]})
            self._rooms.append({
                "id": i, "name": room.name, "sort_order": i - 1, "override": None,
                "default_temp_c": room.default_temp_c, "frost_temp_c": FROST_C, "hysteresis_k": 0.3,
                "offset_k": 0.0, "smart_heat": False, "control": "auto",
                "thermometers": [{"id": i, "mac": room.thermometer.mac, "name": room.thermometer.name}],
                "valves": valves,
            })
        self._switch_cache: list[tuple[int | None, tuple]] = [(None, (None, None))] * len(house.rooms)
        self._next_at = [float("inf")] * len(house.rooms)
        self.boiler_heat: bool | None = None

    def _switch_points(self, i: int, now: datetime) -> tuple[dict | None, dict | None]:
        """The room's current and next switch point, resolved by the controller API's own rules."""
        current, upcoming = rules.schedule_at(self.sim.schedules[i].rule_points, now, self.sim.zone)

        def shape(occurrence) -> dict | None:
            if occurrence is None:
                return None
            point = occurrence.point
            return {"weekday": point.weekday, "time": point.at_time.strftime("%H:%M"),
                    "temperature_c": point.temperature_c, "at": _iso(occurrence.instant)}

        return shape(current), shape(upcoming)

    def build(self, now: datetime, week_minute: int) -> dict:
        sim = self.sim
        now_ts = now.timestamp()
        now_iso = _iso(now)
        rooms = []
        for i, static in enumerate(self._rooms):
            schedule = sim.schedules[i]
            index = schedule.index_at(week_minute)
            cached_index, points = self._switch_cache[i]
            if cached_index != index or now_ts >= self._next_at[i]:
                points = self._switch_points(i, now)
                self._switch_cache[i] = (index, points)
                self._next_at[i] = (datetime.fromisoformat(points[1]["at"].replace("Z", "+00:00")).timestamp()
                                    if points[1] else float("inf"))
            value = float(schedule.table[week_minute])
            target, source = (value, "schedule") if schedule.points else (value, "default")
            if target < FROST_C:
                target, source = FROST_C, "frost"
            reading = sim.readings[i]
            room = dict(static)
            if reading is None:
                room.update(temperature_c=None, measured_temperature_c=None, humidity_pct=None, battery_pct=None,
                            reading_time=None, reading_age_s=None, in_sync=False)
            else:
                age = int((now - reading.time).total_seconds())
                room.update(temperature_c=reading.temperature_c, measured_temperature_c=reading.temperature_c,
                            humidity_pct=reading.humidity_pct, battery_pct=93, reading_time=reading.time_iso,
                            reading_age_s=age, in_sync=age < STALE_AFTER_S)
            room.update(target_c=target, target_source=source, current_switch_point=points[0],
                        next_switch_point=points[1])
            room["valves"] = [dict(v, state=sim.valve_records[v["mac"]].as_api()
                                   if v["mac"] in sim.valve_records else None) for v in static["valves"]]
            rooms.append(room)
        boiler = sim.boiler
        return {
            "time": now_iso,
            "house_mode": {"mode": "home", "away_temp_c": 15.0, "holiday_temp_c": 12.0, "holiday_until": None},
            "boiler": {"time": now_iso, "heat_demand": boiler.demand if self.boiler_heat is None else self.boiler_heat,
                       "user_mode": boiler.user_mode, "setpoint_c": boiler.setpoint_c(),
                       "indicator": boiler.indicator, "reason": "simulated"},
            "stale_after_s": STALE_AFTER_S,
            "rooms": rooms,
        }


def write_valve_programs(sim: SimulatedHouse, now: datetime) -> None:
    """Every valve's own week program set to its room's schedule, in the real command frames, as the
    control loop keeps them (onoff/programs.py): what a valve does when a setting of the loop ends."""
    for i, room in enumerate(sim.house.rooms):
        program = device_week_program(sim.schedules[i].rule_points, room.default_temp_c)
        for valve in room.valves:
            for day, points in program.days.items():
                frame = eq3.encode_program_write(eq3.DayProgram(day, tuple((p.until_minute, p.temp_c) for p in points)))
                sim.command_valve(valve.mac, frame, now)


def apply_output(sim: SimulatedHouse, output: ControlOutput, now: datetime, applied: dict) -> int:
    """Carry out a controller's commands: valve frames, then the boiler writes. Returns frames sent."""
    frames = 0
    for mac, setting in output.valves.items():
        mac = mac.upper()
        if mac not in sim.valves:
            continue
        record = sim.valve_records.get(mac)
        if setting.mode == "away":
            until_local = setting.until.astimezone(sim.zone).replace(tzinfo=None)
            commands = [eq3.encode_away(setting.target_c, until_local)]
        elif setting.mode == "auto":
            commands = [eq3.encode_mode_auto()]
            if setting.target_c is not None:
                commands.append(eq3.encode_target(setting.target_c))
        elif record is not None and record.status.manual:
            commands = [eq3.encode_target(setting.target_c)]
        else:
            commands = [eq3.encode_mode_manual(setting.target_c)]
        for frame in commands:
            sim.command_valve(mac, frame, now)
            frames += 1
    for mac in output.reads:
        # A read-back: the status request, which also sets the valve's clock (as the bridges send it).
        if mac.upper() in sim.valves:
            sim.command_valve(mac.upper(), eq3.encode_status_request(now.astimezone(sim.zone).replace(tzinfo=None)),
                              now)
            frames += 1
    boiler = sim.boiler
    if output.boiler_heat is None:
        if applied.get("boiler", "unset") is not None:
            boiler.to_clock_program()
            applied["boiler"] = None
    else:
        # The same request the live loop writes (onoff.engine.boiler_request), read from the boiler.
        from onoff.config import ControlConfig
        from onoff.engine import boiler_request

        program = (boiler.program_setpoint_c(), boiler.program_next_s())
        setpoint = boiler_request(output.boiler_heat, boiler.seen(), program, output.config or ControlConfig())
        if setpoint is not None:
            boiler.set_override(setpoint)
        applied["boiler"] = output.boiler_heat
    return frames


class WeatherFeed:
    """The controllers' weather: now and the true forecast, refreshed each hour."""

    def __init__(self, sim: SimulatedHouse):
        self.sim = sim
        self._hour: int | None = None
        self._forecast: list[dict] = []

    def at(self, now: datetime, outdoor_c: float) -> dict:
        hour = int(now.timestamp() // 3600)
        if hour != self._hour:
            self._forecast = self.sim.weather.forecast(now)
            self._hour = hour
        return {"time": _iso(now), "outdoor_temp_c": round(outdoor_c, 1), "forecast": self._forecast}


@dataclass
class RunResult:
    controller: str
    start: datetime
    test_start: datetime
    test_days: float
    rooms: list[str]
    discomfort_kh: np.ndarray  # per room, cold + warm
    cold_kh: np.ndarray
    occupied_cold_kh: np.ndarray
    gas_m3: float
    gas_space_m3: float
    gas_hot_water_m3: float
    gas_kwh: float
    starts: int
    burns_s: list[float]
    valve_moves: dict[str, int]
    compute_s: float
    ticks: int
    energy: dict[str, float]
    state_at_test_start: dict
    daily_space_m3: list[float] = field(default_factory=list)
    trace: dict = field(default_factory=dict)
    #: Per room over the test: the warm part of the discomfort (Kh) and the radiators' heat (kWh).
    warm_kh: np.ndarray | None = None
    heat_to_rooms_kwh: np.ndarray | None = None
    #: Per room: whether it has a radiator with no valve (heated whenever the pump runs).
    always_open: list[bool] = field(default_factory=list)
    #: Bluetooth connections the controller's valve commands cost over the test, per valve (each
    #: setting sent is one connection, whatever frames it carries): the battery's price.
    valve_connections: dict[str, int] = field(default_factory=dict)
    #: Of those, the read-backs (status requests) alone.
    valve_reads: dict[str, int] = field(default_factory=dict)
    #: Per room over the test: the warm part of the discomfort inside the comfort periods (Kh).
    occupied_warm_kh: np.ndarray | None = None
    #: Burner starts in each hour of the test (space heating and hot water alike).
    starts_per_hour: np.ndarray | None = None
    #: Space heating over the test: heat over gas, and the burner-weighted return temperature (°C).
    boiler_efficiency: float | None = None
    return_c: float | None = None

    def kpis(self) -> dict:
        days = self.test_days
        moves = np.array(list(self.valve_moves.values()), dtype=float) / days if self.valve_moves else np.zeros(1)
        short = sum(1 for b in self.burns_s if b < SHORT_BURN_S)
        per_room = {}
        for i, room in enumerate(self.rooms):
            entry = {"cold_kh": round(float(self.cold_kh[i]), 2),
                     "warm_kh": round(float(self.warm_kh[i]), 2) if self.warm_kh is not None else None,
                     "occupied_cold_kh": round(float(self.occupied_cold_kh[i]), 2)}
            if self.occupied_warm_kh is not None:
                entry["occupied_warm_kh"] = round(float(self.occupied_warm_kh[i]), 2)
            if self.heat_to_rooms_kwh is not None:
                entry["heat_kwh"] = round(float(self.heat_to_rooms_kwh[i]), 1)
            per_room[room] = entry
        open_share = None
        if self.heat_to_rooms_kwh is not None and self.always_open and self.heat_to_rooms_kwh.sum() > 0:
            open_share = round(float(self.heat_to_rooms_kwh[np.array(self.always_open)].sum()
                                     / self.heat_to_rooms_kwh.sum()), 3)
        burns = np.array(self.burns_s) if self.burns_s else np.zeros(0)
        return {
            "controller": self.controller,
            "test_start": _iso(self.test_start),
            "test_days": days,
            "discomfort_kh_per_room": round(float(self.discomfort_kh.mean()), 2),
            "discomfort_kh": {r: round(float(v), 2) for r, v in zip(self.rooms, self.discomfort_kh)},
            "occupied_cold_discomfort_kh_per_room": round(float(self.occupied_cold_kh.mean()), 2),
            "occupied_cold_discomfort_kh": {r: round(float(v), 2) for r, v in zip(self.rooms, self.occupied_cold_kh)},
            "occupied_warm_discomfort_kh_per_room": round(float(self.occupied_warm_kh.mean()), 2)
            if self.occupied_warm_kh is not None else None,
            "gas_m3": round(self.gas_m3, 2),
            "gas_kwh": round(self.gas_kwh, 1),
            "gas_space_heating_m3": round(self.gas_space_m3, 2),
            "gas_hot_water_m3": round(self.gas_hot_water_m3, 2),
            "boiler_starts_per_day": round(self.starts / days, 2),
            "boiler_efficiency": round(self.boiler_efficiency, 3) if self.boiler_efficiency else None,
            "return_c_burner_weighted": round(self.return_c, 1) if self.return_c else None,
            "boiler_starts_per_hour_max": int(self.starts_per_hour.max())
            if self.starts_per_hour is not None and self.starts_per_hour.size else None,
            "short_burn_share": round(short / len(self.burns_s), 3) if self.burns_s else 0.0,
            "burn_median_min": round(float(np.median(burns)) / 60.0, 1) if burns.size else 0.0,
            "heat_to_rooms_kwh": round(float(self.heat_to_rooms_kwh.sum()), 1)
            if self.heat_to_rooms_kwh is not None else None,
            # Radiators without a valve (the hall) take heat whenever the pump runs, asked or not.
            "always_open_heat_share": open_share,
            "rooms": per_room,
            "valve_moves_per_valve_per_day_mean": round(float(moves.mean()), 2),
            "valve_moves_per_valve_per_day_max": round(float(moves.max()), 2),
            "valve_connections_per_valve_per_day": round(
                sum(self.valve_connections.values()) / max(len(self.valve_connections), 1) / days, 1),
            "valve_reads_per_valve_per_day": round(
                sum(self.valve_reads.values()) / max(len(self.valve_reads), 1) / days, 1),
            "compute_ratio": self.compute_s / max(self.ticks, 1) / TICK_S,
        }


def run(house: House, controller: Controller, start: datetime, warmup_days: float, test_days: float,
        *, keep_trace: bool = False, sim: SimulatedHouse | None = None) -> RunResult:
    """Run ``controller`` from ``start``: ``warmup_days`` unscored, then ``test_days`` scored."""
    start = start.astimezone(timezone.utc)
    sim = sim or SimulatedHouse(house, start)
    write_valve_programs(sim, start)
    sim.boiler.raise_comfort(getattr(controller, "clock_program_raise_k", 0.0))
    warm = int(round(warmup_days * 1440))
    total = warm + int(round(test_days * 1440))
    b = boundary(sim, start, total)
    builder = StatusBuilder(sim)
    feed = WeatherFeed(sim)
    applied: dict = {}
    n = len(house.rooms)
    cold = np.zeros(n)
    warmk = np.zeros(n)
    occ_cold = np.zeros(n)
    occ_warm = np.zeros(n)
    hourly_starts = np.zeros(int(np.ceil((total - warm) / 60)), dtype=int)
    compute_s = 0.0
    macs = list(sim.valves)
    was_open = {m: sim.valves[m].valve_pct > 0 for m in macs}
    moves = {m: 0 for m in macs}
    connections = {m: 0 for m in macs}
    reads = {m: 0 for m in macs}
    books_at_test = None
    state_at_test = None
    room_heat_at_test = sim.books.heat_to_rooms_j.copy()
    daily: list[float] = []
    day_gas = sim.boiler.books.gas_ch_j
    trace_air = np.zeros((total, n)) if keep_trace else None
    for k in range(total):
        now = datetime.fromtimestamp(b.times_s[k], tz=timezone.utc)
        if k == warm:
            books = sim.boiler.books
            books_at_test = (books.gas_ch_j, books.gas_hw_j, books.starts, len(books.burn_lengths_s),
                             books.heat_ch_j, books.return_heat_j_c,
                             sim.energy_balance())
            room_heat_at_test = sim.books.heat_to_rooms_j.copy()
            state_at_test = {"air_c": sim.state.air_c.copy(), "env_c": sim.state.env_c.copy(),
                             "rad_c": sim.state.rad_c.copy(), "loop_c": sim.state.loop_c}
        week_minute = int(b.week_minutes[k])
        # A controller that says it is idle (the baseline once its valves are
        # open) leaves the house to itself: no status to build, no call.
        if not getattr(controller, "idle", False):
            sim.sense(now)
            status = builder.build(now, week_minute)
            weather = feed.at(now, float(b.outdoor_c[k]))
            t0 = wallclock.perf_counter()
            output = controller.step(status, weather, now)
            if k >= warm:
                compute_s += wallclock.perf_counter() - t0
            builder.boiler_heat = output.boiler_heat
            apply_output(sim, output, now, applied)
            if k >= warm:
                for mac in [*output.valves, *output.reads]:
                    if mac.upper() in connections:
                        connections[mac.upper()] += 1
                for mac in output.reads:
                    if mac.upper() in reads:
                        reads[mac.upper()] += 1
        starts_before = sim.boiler.books.starts
        sim.advance(TICK_S, Inputs(week_minute, float(b.outdoor_c[k]), b.sun_wm2[k], b.internal_w[k]))
        air = sim.state.air_c
        if keep_trace:
            trace_air[k] = air
        if k >= warm:
            target = b.target_c[k]
            c = np.maximum(target - air, 0.0) / 60.0
            cold += c
            w = np.maximum(air - b.upper_c[k], 0.0) / 60.0
            warmk += w
            occ_cold += np.where(b.occupied[k], c, 0.0)
            occ_warm += np.where(b.occupied[k], w, 0.0)
            hourly_starts[(k - warm) // 60] += sim.boiler.books.starts - starts_before
            for m in macs:
                is_open = sim.valves[m].valve_pct > 0
                if is_open != was_open[m]:
                    moves[m] += 1
                    was_open[m] = is_open
        else:
            for m in macs:
                was_open[m] = sim.valves[m].valve_pct > 0
        if (k + 1) % 1440 == 0:
            daily.append((sim.boiler.books.gas_ch_j - day_gas) / 3.6e6 / house.boiler.gas_kwh_per_m3)
            day_gas = sim.boiler.books.gas_ch_j
    books = sim.boiler.books
    if books_at_test is None:
        books_at_test = (0.0, 0.0, 0, 0, 0.0, 0.0, sim.energy_balance())
        room_heat_at_test = sim.books.heat_to_rooms_j.copy()
        state_at_test = {"air_c": sim.state.air_c.copy(), "env_c": sim.state.env_c.copy(),
                         "rad_c": sim.state.rad_c.copy(), "loop_c": sim.state.loop_c}
    per_m3 = 3.6e6 * house.boiler.gas_kwh_per_m3
    gas_ch = (books.gas_ch_j - books_at_test[0]) / per_m3
    gas_hw = (books.gas_hw_j - books_at_test[1]) / per_m3
    heat_ch = books.heat_ch_j - books_at_test[4]
    boiler_efficiency = heat_ch / (books.gas_ch_j - books_at_test[0]) if heat_ch > 0 else None
    return_c = (books.return_heat_j_c - books_at_test[5]) / heat_ch if heat_ch > 0 else None
    result = RunResult(
        controller=getattr(controller, "name", type(controller).__name__),
        start=start, test_start=start + timedelta(minutes=warm), test_days=test_days,
        rooms=[r.key for r in house.rooms], discomfort_kh=cold + warmk, cold_kh=cold, occupied_cold_kh=occ_cold,
        gas_m3=gas_ch + gas_hw, gas_space_m3=gas_ch, gas_hot_water_m3=gas_hw,
        gas_kwh=(gas_ch + gas_hw) * house.boiler.gas_kwh_per_m3,
        starts=books.starts - books_at_test[2], burns_s=books.burn_lengths_s[books_at_test[3]:],
        valve_moves=moves, compute_s=compute_s, ticks=total - warm, energy=sim.energy_balance(),
        state_at_test_start=state_at_test, daily_space_m3=daily, warm_kh=warmk,
        heat_to_rooms_kwh=(sim.books.heat_to_rooms_j - room_heat_at_test) / 3.6e6,
        always_open=[r.open_radiator_w > 0 and not r.valves for r in house.rooms],
        valve_connections=connections, valve_reads=reads, occupied_warm_kh=occ_warm, starts_per_hour=hourly_starts,
        boiler_efficiency=boiler_efficiency, return_c=return_c,
    )
    if keep_trace:
        result.trace = {"air_c": trace_air, "boundary": b}
    return result
