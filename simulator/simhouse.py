"""The simulated house as one object: physics, boiler, valves, thermometers and their books.

``SimulatedHouse.advance(dt_s, inputs)`` moves everything on by one step:
each eQ-3 valve's own thermostat moves its valve (``SimulatedEq3Valve.step``),
the valve openings set the water flow, the boiler decides pump, burner and
hot water, and the thermal network is solved. The energy books (gas, heat
into rooms, hot water, heat stored in radiators and loop) are kept so that
gas × its efficiency at each step = heat into rooms + hot water + Δ stored heat.

The live runner (``simulator.run``) and the benchmark (``simulator.bench``)
both drive this class; the device surfaces read from it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from protocols import eq3
from simulator.boiler import NefitBoiler
from simulator.eq3_valve import SimulatedEq3Valve, ValveUnreachable, FrameIgnored
from simulator.house import House
from simulator.schedule import WeekSchedule, local_week_minutes
from simulator.thermal import DESIGN_DROP_K, Network, ThermalState, build_network, flow_fraction
from simulator.weather import Weather

#: Resolution of each advertisement format's temperature (°C).
RESOLUTION_C = {"pvvx": 0.01, "bthome": 0.01, "atc1441": 0.1, "mibeacon": 0.1}
#: Water vapour pressure indoors in a Dutch winter (Pa): about 45 % relative humidity at 20 °C.
INDOOR_VAPOUR_PA = 1050.0
#: Stock Xiaomi firmware sends a new reading about every ten minutes.
MIBEACON_INTERVAL_S = 600.0


@dataclass
class Inputs:
    """The boundary conditions of one step."""

    week_minute: int
    outdoor_c: float
    sun_wm2: np.ndarray  # vertical N, E, S, W
    internal_w: np.ndarray  # per room


@dataclass
class EnergyBooks:
    """Cumulative energy (J) since the start, for the balance and the KPIs."""

    heat_to_rooms_j: np.ndarray
    solar_j: np.ndarray
    internal_j: np.ndarray
    hot_water_j: float = 0.0


@dataclass
class ValveRecord:
    """A valve's last confirmed state, from its status notification."""

    time: datetime
    status: eq3.Eq3Status
    #: The home's zone: the valve reports its away end on its own (local) wall clock.
    zone: ZoneInfo | None = None

    def __post_init__(self) -> None:
        status = self.status
        target = status.target_temp_c
        held = status.manual or status.away
        state = ("open" if held and target >= eq3.ON_TEMP_C else "closed" if held and target <= 5.0
                 else "target")
        until = None
        if status.away and status.away_until is not None and self.zone is not None:
            until = _iso(status.away_until.replace(tzinfo=self.zone))
        self._api = {"time": _iso(self.time), "state": state, "target_c": target,
                     "valve_pct": status.valve_pct, "mode": "away" if status.away else status.mode,
                     "until": until}

    def as_api(self) -> dict:
        return dict(self._api)


@dataclass
class Reading:
    """What a room's thermometer last reported."""

    temperature_c: float
    humidity_pct: float
    time: datetime

    def __post_init__(self) -> None:
        self.time_iso = _iso(self.time)


class SimulatedHouse:
    """Everything in the house that changes; ``lock`` guards it for the live surfaces."""

    def __init__(self, house: House, start: datetime, *, initial_air_c: float = 18.0,
                 initial_env_c: float = 17.0, weather: Weather | None = None):
        self.house = house
        self.zone = house.zone
        self.now = start.astimezone(timezone.utc)
        self.network: Network = build_network(house)
        self.state = ThermalState(self.network, initial_air_c, initial_env_c, initial_air_c, loop_c=initial_air_c)
        self.boiler = NefitBoiler(house)
        self.weather = weather or Weather(house.weather_file, house.timezone)
        self.valves: dict[str, SimulatedEq3Valve] = {}
        self.valve_room: dict[str, int] = {}
        self.valve_nominal_w: dict[str, float] = {}
        for room_index, valve in house.valves:
            # A house without smart control: every valve open, holding 30 °C.
            self.valves[valve.mac] = SimulatedEq3Valve(valve.mac, zone=self.zone, mode="manual",
                                                       target_c=eq3.ON_TEMP_C, valve_pct=100.0,
                                                       version=valve.firmware)
            # The house's own stand-ins (its bridges, the benchmark's controllers) were paired when it
            # was installed; a central from outside (the Pi's adapter behind the simulated BlueZ) is not.
            self.valves[valve.mac].bonds.update({HOUSE_CENTRAL, *house.bridges})
            self.valve_room[valve.mac] = room_index
            self.valve_nominal_w[valve.mac] = valve.power_w
        self._valve_macs = list(self.valves)
        self._valve_rooms = np.array([self.valve_room[m] for m in self._valve_macs], dtype=int)
        self._valve_flow_nominal = np.array([self.valve_nominal_w[m] for m in self._valve_macs]) * 2.0 / DESIGN_DROP_K
        self._open_flow = np.array([r.open_radiator_w for r in house.rooms]) * 2.0 / DESIGN_DROP_K
        self.valve_records: dict[str, ValveRecord] = {}
        self.schedules = [WeekSchedule(r.schedule, r.default_temp_c) for r in house.rooms]
        self.gain_schedules = [WeekSchedule(r.gains, 0.0) for r in house.rooms]
        n = len(house.rooms)
        self.books = EnergyBooks(np.zeros(n), np.zeros(n), np.zeros(n))
        self.stored_at_start_j = self.state.stored_heat_j()
        self.readings: list[Reading | None] = [None] * n
        self._next_mibeacon = [start for _ in house.rooms]
        self.electricity_kwh = [house.electricity.get("start_t1_kwh", 0.0), house.electricity.get("start_t2_kwh", 0.0)]
        self.power_kw = house.electricity.get("base_load_kw", 0.15)
        self.lock = threading.RLock()

    # -- physics -----------------------------------------------------------------------

    def inputs_at(self, now: datetime) -> Inputs:
        """Boundary conditions at ``now`` from the weather file and the gain schedules."""
        t = np.array([now.timestamp()])
        w = self.weather.at(t)
        week_minute = int(local_week_minutes(t, self.zone)[0])
        sun = np.array([w[f"poa_{o}_wm2"][0] for o in ("N", "E", "S", "W")])
        gains = np.array([g.table[week_minute] for g in self.gain_schedules])
        return Inputs(week_minute, float(w["temp_c"][0]), sun, gains)

    def flows_w_per_k(self) -> np.ndarray:
        """2·ṁ·c_p of each room's radiators at the valves' present openings (pump running)."""
        pct = np.array([self.valves[m].valve_pct for m in self._valve_macs], dtype=float)
        flow = self._open_flow.copy()
        np.add.at(flow, self._valve_rooms, self._valve_flow_nominal * flow_fraction(pct))
        return flow

    def advance(self, dt_s: float, inputs: Inputs) -> None:
        """Move the house on by ``dt_s`` seconds under ``inputs``."""
        with self.lock:
            air = self.state.air_c
            for mac, room in zip(self._valve_macs, self._valve_rooms):
                self.valves[mac].step(float(air[room]), dt_s, self.now)
            flows = self.flows_w_per_k()
            sensor = self.house.room_index(self.house.boiler.sensor_room)
            step = self.boiler.control(dt_s, inputs.week_minute, float(air[sensor]), inputs.outdoor_c,
                                       self.state.loop_c, self.state.rad_c, flows)
            fluxes = self.state.step(dt_s, inputs.outdoor_c, inputs.sun_wm2, inputs.internal_w,
                                     flows if step.pump_on else np.zeros_like(flows), step.burner_w)
            self.books.heat_to_rooms_j += fluxes.radiator_to_air_w * dt_s
            self.books.solar_j += fluxes.solar_w * dt_s
            self.books.internal_j += fluxes.internal_w * dt_s
            self.books.hot_water_j += step.hot_water_w * dt_s
            self.now = self.now + timedelta(seconds=dt_s)
            self._electricity(dt_s, inputs.week_minute)

    def _electricity(self, dt_s: float, week_minute: int) -> None:
        minute_of_day = week_minute % 1440
        evening = 17 * 60 <= minute_of_day < 23 * 60
        e = self.house.electricity
        self.power_kw = e.get("base_load_kw", 0.15) + (e.get("evening_load_kw", 0.6) if evening else 0.0)
        # Tariff 1 (low) at night and at weekends, tariff 2 (normal) on weekday days.
        weekday = week_minute // 1440
        t1 = weekday >= 5 or minute_of_day < 7 * 60 or minute_of_day >= 23 * 60
        self.electricity_kwh[0 if t1 else 1] += self.power_kw * dt_s / 3600.0

    # -- energy books --------------------------------------------------------------------

    def energy_balance(self) -> dict[str, float]:
        """The boiler's heat (gas × its efficiency at each step) against heat into rooms + hot water
        + Δ stored heat (kWh)."""
        books = self.boiler.books
        heat_in = books.heat_ch_j + books.heat_hw_j
        stored = self.state.stored_heat_j() - self.stored_at_start_j
        out = float(self.books.heat_to_rooms_j.sum()) + self.books.hot_water_j + stored
        kwh = 1 / 3.6e6
        return {"gas_heat_kwh": heat_in * kwh, "rooms_kwh": float(self.books.heat_to_rooms_j.sum()) * kwh,
                "hot_water_kwh": self.books.hot_water_j * kwh, "stored_kwh": stored * kwh,
                "accounted_kwh": out * kwh}

    # -- thermometers ----------------------------------------------------------------------

    @property
    def humidity_pct(self) -> np.ndarray:
        """Relative humidity of each room: a constant indoor vapour pressure over the saturation
        pressure at the room's temperature (Magnus formula), so warmer rooms read drier."""
        air = self.state.air_c
        saturation_pa = 610.94 * np.exp(17.625 * air / (air + 243.04))
        return np.clip(100.0 * INDOOR_VAPOUR_PA / saturation_pa, 5.0, 95.0)

    def sense(self, now: datetime) -> None:
        """Let each thermometer take its reading if it is due, quantised like the real device."""
        with self.lock:
            humidity_pct = self.humidity_pct
            for i, room in enumerate(self.house.rooms):
                fmt = room.thermometer.format
                if fmt == "mibeacon":
                    if now < self._next_mibeacon[i]:
                        continue
                    self._next_mibeacon[i] = now + timedelta(seconds=MIBEACON_INTERVAL_S)
                resolution = RESOLUTION_C[fmt]
                temp = round(round(float(self.state.air_c[i]) / resolution) * resolution, 2)
                humidity = round(float(humidity_pct[i]), 0 if fmt == "atc1441" else 1 if fmt == "mibeacon" else 2)
                self.readings[i] = Reading(temp, humidity, now)

    # -- valves through their real command bytes -------------------------------------------

    def command_valve(self, mac: str, frame: bytes, now: datetime) -> eq3.Eq3Status | None:
        """Send one eQ-3 frame to a valve; returns the decoded notification (None if no answer)."""
        with self.lock:
            try:
                notification = self.valves[mac].handle_command(frame, now, HOUSE_CENTRAL)
            except (ValveUnreachable, FrameIgnored):
                return None
            try:
                status = eq3.decode_status(notification)
            except eq3.Eq3DecodeError:
                return None
            self.valve_records[mac] = ValveRecord(now, status, self.zone)
            return status


#: The central the house's own controllers command valves as (simulator.bench).
HOUSE_CENTRAL = "house"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
