"""The simulated Nefit boiler: its own room thermostat, burner, hot water and gas meter.

It behaves like a Nefit Easy as far as this project sees it: in ``manual``
user mode it asks for heat while its living-room sensor is below the manual
setpoint; in ``clock`` mode it follows its own clock program the same way
(a manual temperature override lasts until the program's next switch point).
The thermostat has a small hysteresis. The burner modulates between its
minimum and maximum power to hold the loop's supply temperature on the
heating curve, stops when the water runs too hot at minimum power (anti-
cycling) and gives priority to hot-water draws, which burn gas too.

The backend values (``bridge_get``/``bridge_post``) are those nefit-easy-
http-server relays: paths under ``/heatingCircuits/hc1/...``, the
``/ecus/rrc/uiStatus`` record, and ``status()`` is its ``GET /api/status``.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field

import numpy as np

from simulator.house import Boiler, House
from simulator.schedule import MINUTES_PER_WEEK, WeekSchedule

#: Thermostat range the Nefit Easy accepts (°C).
SETPOINT_MIN_C, SETPOINT_MAX_C = 5.0, 30.0
#: Time constant with which the burner closes the gap to the supply setpoint.
LOOP_RESPONSE_S = 300.0
#: The lowest return temperature the mixed radiator water can reach (°C): no radiator cools its
#: water below a heated room's air.
MIN_RETURN_C = 15.0

#: Condensing efficiency on the upper heating value against the return water temperature and the
#: firing rate: Lochinvar's published curve for its Knight XL condensing boiler, as tabulated by
#: the Modelica Buildings Library (lbl-srg/modelica-buildings,
#: Buildings/Fluid/Boilers/Data/Lochinvar/KnightXL.mo; source lochinvar.com "Knight XL
#: efficiency curve"). Rows: firing rate (share of the maximum power); columns: return °C.
EFFICIENCY_RETURN_C = np.array([21.08, 26.64, 32.19, 37.74, 43.27, 48.86, 54.39, 59.95, 65.51, 71.07])
EFFICIENCY_FIRING = np.array([0.1, 0.5, 1.0])
EFFICIENCY_TABLE = np.array([
    [0.988, 0.981, 0.972, 0.958, 0.940, 0.915, 0.893, 0.877, 0.871, 0.869],
    [0.982, 0.975, 0.966, 0.953, 0.934, 0.910, 0.890, 0.876, 0.870, 0.869],
    [0.977, 0.970, 0.961, 0.947, 0.927, 0.904, 0.887, 0.875, 0.869, 0.868],
])


def condensing_efficiency(return_c: float, firing: float) -> float:
    """Heat out over gas in (upper heating value) at this return temperature and firing rate,
    interpolated linearly in the manufacturer's table and held at its edges."""
    firing = min(max(firing, EFFICIENCY_FIRING[0]), EFFICIENCY_FIRING[-1])
    by_firing = [np.interp(return_c, EFFICIENCY_RETURN_C, row) for row in EFFICIENCY_TABLE]
    return float(np.interp(firing, EFFICIENCY_FIRING, by_firing))


class BoilerRejected(ValueError):
    """A write the boiler's backend refuses (the HTTP server answers 500 with this text)."""


class UnknownPath(LookupError):
    """No such backend path."""


@dataclass
class BoilerStep:
    """What the boiler does over one step."""

    pump_on: bool
    burner_w: float
    hot_water_w: float
    indicator: str  # "central heating", "hot water", "off"


@dataclass
class GasBooks:
    """Cumulative energy of the boiler (J) and its burns."""

    gas_ch_j: float = 0.0
    gas_hw_j: float = 0.0
    heat_ch_j: float = 0.0
    heat_hw_j: float = 0.0
    starts: int = 0
    burn_lengths_s: list[float] = field(default_factory=list)
    #: Σ burner heat × return temperature (J·°C): over heat_ch_j, the burner-weighted return.
    return_heat_j_c: float = 0.0


class NefitBoiler:
    """The boiler's state machine; thread-safe for the HTTP surface."""

    def __init__(self, house: House):
        self.spec: Boiler = house.boiler
        clock_room = house.rooms[house.room_index(self.spec.clock_program_room)]
        self.clock_program = WeekSchedule(clock_room.schedule, clock_room.default_temp_c)
        table = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for weekday, minute, minutes in self.spec.hot_water:
            start = weekday * 1440 + minute
            table[np.arange(start, start + minutes) % MINUTES_PER_WEEK] = True
        self.hot_water_table = table
        self.user_mode = "clock"
        self.manual_setpoint_c = 20.0
        self.override_on = False
        self.override_temp_c = 20.0
        self._override_index: int | None = None
        self.demand = False
        self.burner_on = False
        self.indicator = "off"
        self.in_house_temp_c = 20.0
        self.outdoor_temp_c = 5.0
        self.supply_temp_c = 30.0
        self.return_temp_c = 30.0
        #: The room control's integral part (K of supply temperature), kept between burns.
        self._integral_k = 0.0
        self.week_minute = 0
        self.books = GasBooks()
        self._burn_s = 0.0
        self.lock = threading.RLock()

    # -- the thermostat ---------------------------------------------------------------

    def setpoint_c(self, week_minute: int | None = None) -> float:
        """The room temperature the boiler's thermostat aims at now."""
        week_minute = self.week_minute if week_minute is None else week_minute
        if self.user_mode == "manual":
            return self.manual_setpoint_c
        if self.override_on:
            return self.override_temp_c
        return float(self.clock_program.table[week_minute])

    def raise_comfort(self, raise_k: float) -> None:
        """Turn the clock program's comfort periods (every value above its lowest) up by ``raise_k``,
        as a household does at the thermostat when rooms are cold."""
        points = self.clock_program.points
        if not points or raise_k == 0:
            return
        low = min(p.value for p in points)
        raised = tuple(dataclasses.replace(p, value=min(SETPOINT_MAX_C, p.value + raise_k)) if p.value > low else p
                       for p in points)
        self.clock_program = WeekSchedule(raised, self.clock_program.default)

    def program_setpoint_c(self, week_minute: int | None = None) -> float:
        """What the boiler's own clock program asks for now (whatever the user mode)."""
        week_minute = self.week_minute if week_minute is None else week_minute
        return float(self.clock_program.table[week_minute])

    def program_next_s(self, week_minute: int | None = None) -> float | None:
        """Seconds (whole minutes) to the clock program's next switch point, where an override ends."""
        week_minute = self.week_minute if week_minute is None else week_minute
        keys = sorted(p.weekday * 1440 + p.minute for p in self.clock_program.points)
        if not keys:
            return None
        later = [k for k in keys if k > week_minute]
        return 60.0 * ((later[0] if later else keys[0] + MINUTES_PER_WEEK) - week_minute)

    def user_program(self) -> list[dict]:
        """The clock program as the backend's ``UserProgram`` record: six switch points a day,
        Sunday first, unused ones ``active: off`` (the layout in marcelrv/nefit_easy_protocol
        program1.md). A day with more than six points keeps its first six."""
        days = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
        by_day: dict[int, list] = {d: [] for d in range(7)}
        for point in self.clock_program.points:
            by_day[point.weekday].append(point)
        record = []
        for weekday in (6, 0, 1, 2, 3, 4, 5):
            points = by_day[weekday][:6]
            for n in range(6):
                if n < len(points):
                    value = points[n].value
                    record.append({"active": "on", "t": points[n].minute,
                                   "T": int(value) if float(value).is_integer() else value,
                                   "name": n, "d": days[weekday]})
                else:
                    record.append({"active": "off", "t": 0, "T": 5, "name": 0, "d": days[weekday]})
        return record

    def supply_setpoint_c(self, outdoor_c: float) -> float:
        """The heating curve: supply temperature for the outdoor temperature."""
        cold, mild = self.spec.supply_at_minus10_c, self.spec.supply_at_plus15_c
        value = mild + (cold - mild) * (15.0 - outdoor_c) / 25.0
        return float(np.clip(value, min(cold, mild), max(cold, mild)))

    def room_supply_c(self, setpoint_c: float, sensor_c: float, dt_s: float) -> float:
        """Room control: the supply temperature from how far the room is below its setpoint, a PI
        law between the lowest and highest supply temperature. The further below, the hotter the
        water; the integral part finds the supply temperature the weather needs."""
        spec = self.spec
        error = setpoint_c - sensor_c
        span = spec.supply_max_c - spec.supply_min_c
        if self.demand:
            self._integral_k = float(np.clip(self._integral_k + spec.room_gain_k_per_k * error * dt_s
                                             / spec.room_integral_s, 0.0, span))
        return float(np.clip(spec.supply_min_c + spec.room_gain_k_per_k * error + self._integral_k,
                             spec.supply_min_c, spec.supply_max_c))

    def control(self, dt_s: float, week_minute: int, sensor_c: float, outdoor_c: float, loop_c: float,
                rad_c: np.ndarray, flow_w_per_k: np.ndarray) -> BoilerStep:
        """Decide pump, burner and hot water for the next ``dt_s`` seconds and book the gas.

        ``flow_w_per_k`` is the radiators' water flow (2·ṁ·c_p) were the pump running.
        """
        with self.lock:
            self.week_minute = week_minute
            self.in_house_temp_c = sensor_c
            self.outdoor_temp_c = outdoor_c
            if self.override_on and self.user_mode == "clock":
                index = self.clock_program.index_at(week_minute)
                if self._override_index is None:
                    self._override_index = index
                elif index != self._override_index:
                    self.override_on = False
                    self._override_index = None
            setpoint = self.setpoint_c(week_minute)
            half = self.spec.hysteresis_k / 2.0
            if sensor_c < setpoint - half:
                self.demand = True
            elif sensor_c > setpoint + half:
                self.demand = False
            self.supply_temp_c = (self.room_supply_c(setpoint, sensor_c, dt_s) if self.spec.control == "room"
                                  else self.supply_setpoint_c(outdoor_c))
            hot_water = bool(self.hot_water_table[week_minute])
            spec = self.spec
            pump_on = self.demand and not hot_water
            burner_w = 0.0
            hot_water_w = 0.0
            if hot_water:
                hot_water_w = spec.hot_water_power_kw * 1000.0
                self.indicator = "hot water"
                was_burning = self.burner_on
                self.burner_on = False
                if was_burning:
                    self._end_burn()
            elif pump_on:
                if self.burner_on and loop_c > self.supply_temp_c + spec.burner_off_above_k:
                    self.burner_on = False
                    self._end_burn()
                elif not self.burner_on and loop_c < self.supply_temp_c:
                    self.burner_on = True
                    self.books.starts += 1
                    self._burn_s = 0.0
                if self.burner_on:
                    need = float(flow_w_per_k @ (loop_c - rad_c)) \
                        + spec.loop_capacity_kj_per_k * 1000.0 * (self.supply_temp_c - loop_c) / LOOP_RESPONSE_S
                    burner_w = float(np.clip(need, spec.power_min_kw * 1000.0, spec.power_max_kw * 1000.0))
                    self._burn_s += dt_s
                self.indicator = "central heating"
            else:
                if self.burner_on:
                    self.burner_on = False
                    self._end_burn()
                self.indicator = "off"
            books = self.books
            if burner_w > 0:
                # Each radiator cools its share of the water by 2·(loop − radiator) (its mean lies
                # halfway between supply and return); the boiler gets the flow-weighted mix.
                flow = float(flow_w_per_k.sum())
                mixed = (loop_c - 2.0 * float(flow_w_per_k @ (loop_c - rad_c)) / flow) if flow > 0 else loop_c
                self.return_temp_c = max(MIN_RETURN_C, min(loop_c, mixed))
                efficiency = condensing_efficiency(self.return_temp_c, burner_w / (spec.power_max_kw * 1000.0))
                books.heat_ch_j += burner_w * dt_s
                books.gas_ch_j += burner_w * dt_s / efficiency
                books.return_heat_j_c += burner_w * dt_s * self.return_temp_c
            books.heat_hw_j += hot_water_w * dt_s
            books.gas_hw_j += hot_water_w * dt_s / spec.efficiency
            return BoilerStep(pump_on=pump_on, burner_w=burner_w, hot_water_w=hot_water_w, indicator=self.indicator)

    def _end_burn(self) -> None:
        self.books.burn_lengths_s.append(self._burn_s)
        self._burn_s = 0.0

    @property
    def gas_m3(self) -> float:
        """The gas meter's reading (m³)."""
        return self.spec.gas_meter_start_m3 + (self.books.gas_ch_j + self.books.gas_hw_j) / 3.6e6 / self.spec.gas_kwh_per_m3

    # -- the backend surface -----------------------------------------------------------

    def ui_status(self) -> dict:
        """The ``/ecus/rrc/uiStatus`` record (strings, as the backend sends them)."""
        with self.lock:
            index = self.clock_program.index_at(self.week_minute)
            return {
                "CTD": "", "CTR": "room", "UMD": self.user_mode, "MMT": f"{self.manual_setpoint_c:.1f}",
                "CPM": "auto", "CSP": str(index if index is not None else 0), "TOR": "on" if self.override_on else "off",
                "TOD": "0", "TOT": f"{self.override_temp_c:.1f}", "TSP": f"{self.setpoint_c():.1f}",
                "IHS": "ok", "IHT": f"{self.in_house_temp_c:.2f}", "DAS": "off", "TAS": "off",
                "HMD": "off", "ARS": "init", "FPA": "off", "ESI": "off",
                "BAI": {"central heating": "CH", "hot water": "HW"}.get(self.indicator, "No"),
                "BLE": "false", "BBE": "false", "BMR": "false", "PMR": "false", "RS": "off",
                "HED_EN": "false", "HED_DEV": "false", "FAH": "false", "DHW": "on",
            }

    def status(self) -> dict:
        """``GET /api/status`` of nefit-easy-http-server (nefit-easy-commands' status())."""
        v = self.ui_status()
        on = {"on": True, "true": True}
        return {
            "user mode": v["UMD"], "clock program": v["CPM"], "in house status": v["IHS"],
            "in house temp": float(v["IHT"]),
            "boiler indicator": {"CH": "central heating", "HW": "hot water", "No": "off"}[v["BAI"]],
            "control": v["CTR"], "temp override duration": float(v["TOD"]),
            "current switchpoint": float(v["CSP"]), "ps active": on.get(v["ESI"], False),
            "powersave mode": on.get(v["ESI"], False), "fp active": on.get(v["FPA"], False),
            "fireplace mode": on.get(v["FPA"], False), "temp override": on.get(v["TOR"], False),
            "holiday mode": on.get(v["HMD"], False), "boiler block": on.get(v["BBE"], False),
            "boiler lock": on.get(v["BLE"], False), "boiler maintenance": on.get(v["BMR"], False),
            "temp setpoint": float(v["TSP"]), "temp override temp setpoint": float(v["TOT"]),
            "temp manual setpoint": float(v["MMT"]), "hed enabled": on.get(v["HED_EN"], False),
            "hed device at home": on.get(v["HED_DEV"], False),
            "outdoor temp": round(self.outdoor_temp_c, 1), "outdoor source type": "virtual",
        }

    def bridge_get(self, path: str) -> dict:
        """A backend value as ``GET /bridge/<path>`` returns it."""
        path = "/" + path.strip("/")
        with self.lock:
            values = {
                "/heatingCircuits/hc1/usermode": ("stringValue", self.user_mode),
                "/heatingCircuits/hc1/temperatureRoomManual": ("floatValue", self.manual_setpoint_c),
                "/heatingCircuits/hc1/manualTempOverride/status": ("stringValue", "on" if self.override_on else "off"),
                "/heatingCircuits/hc1/manualTempOverride/temperature": ("floatValue", self.override_temp_c),
                "/heatingCircuits/hc1/actualSupplyTemperature": ("floatValue", round(self.supply_temp_c, 1)),
                "/system/sensors/temperatures/outdoor_t1": ("floatValue", round(self.outdoor_temp_c, 1)),
                "/system/appliance/systemPressure": ("floatValue", 1.8),
                "/ecus/rrc/uiStatus": ("uiUpdate", self.ui_status()),
                "/ecus/rrc/userprogram/activeprogram": ("floatValue", 1),
                "/ecus/rrc/userprogram/program1": ("UserProgram", self.user_program()),
            }
        if path not in values:
            raise UnknownPath(path)
        kind, value = values[path]
        writeable = path.startswith(("/heating", "/ecus/rrc/userprogram"))
        answer = {"id": path, "type": kind, "recordable": 0, "writeable": 1 if writeable else 0,
                  "value": value}
        if path.endswith("/activeprogram"):
            answer.update(minValue=0, maxValue=2, unitOfMeasure="")
        if path == "/heatingCircuits/hc1/usermode":
            answer["allowedValues"] = ["clock", "manual"]
        return answer

    def bridge_post(self, path: str, value) -> None:
        """A write as ``POST /bridge/<path>`` with ``{"value": …}`` does it; ``BoilerRejected`` if refused."""
        path = "/" + path.strip("/")
        with self.lock:
            if path == "/heatingCircuits/hc1/usermode":
                if value not in ("clock", "manual"):
                    raise BoilerRejected(f"Error: invalid user mode {value!r} (allowed: clock, manual)")
                self.user_mode = value
                if value == "manual":
                    self.override_on = False
            elif path in ("/heatingCircuits/hc1/temperatureRoomManual",
                          "/heatingCircuits/hc1/manualTempOverride/temperature"):
                temp = _temperature(value)
                if path.endswith("temperatureRoomManual"):
                    self.manual_setpoint_c = temp
                else:
                    self.override_temp_c = temp
            elif path == "/heatingCircuits/hc1/manualTempOverride/status":
                if value not in ("on", "off"):
                    raise BoilerRejected(f"Error: invalid override status {value!r} (allowed: on, off)")
                self.override_on = value == "on"
                self._override_index = None
            else:
                raise UnknownPath(path)

    def seen(self) -> dict:
        """What the control loop's driver reads of the boiler (onoff.drivers.nefit status())."""
        with self.lock:
            override = self.override_on and self.user_mode == "clock"
            return {"user_mode": self.user_mode, "override": override,
                    "override_c": self.override_temp_c if override else None, "in_house_c": self.in_house_temp_c}

    def to_clock_program(self) -> None:
        """Clock mode without an override, as the control loop hands the boiler back."""
        self.bridge_post("heatingCircuits/hc1/usermode", "clock")
        self.bridge_post("heatingCircuits/hc1/manualTempOverride/status", "off")

    def set_override(self, setpoint_c: float) -> None:
        """A temporary override of the clock program, written as the control loop's driver does."""
        if self.user_mode != "clock":
            self.bridge_post("heatingCircuits/hc1/usermode", "clock")
        self.bridge_post("heatingCircuits/hc1/manualTempOverride/temperature", setpoint_c)
        self.bridge_post("heatingCircuits/hc1/manualTempOverride/status", "on")


def _temperature(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BoilerRejected(f"Error: invalid temperature {value!r}")
    try:
        temp = float(value)
    except ValueError:
        raise BoilerRejected(f"Error: invalid temperature {value!r}") from None
    if not SETPOINT_MIN_C <= temp <= SETPOINT_MAX_C:
        raise BoilerRejected(f"Error: temperature {temp} outside {SETPOINT_MIN_C}..{SETPOINT_MAX_C}")
    return temp
