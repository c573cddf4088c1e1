"""The house description: a TOML file people write for their own house.

``load_house(path)`` parses and checks the whole file once and returns a
typed ``House``; a bad file fails there with a ``HouseError`` naming the key.
The physics derived from it (conductances, capacities) lives in
``simulator.thermal``; this module only holds what the file says.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.eq3_valve import parse_version

DEFAULT_HOUSE = Path(__file__).with_name("houses") / "default.toml"

#: ISO 13790 (Table 12) mass classes: effective mass area per floor area and
#: heat capacity per floor area in kJ/(m²K).
MASS_CLASSES: dict[str, tuple[float, float]] = {
    "very_light": (2.5, 80.0),
    "light": (2.5, 110.0),
    "medium": (2.5, 165.0),
    "heavy": (3.0, 260.0),
    "very_heavy": (3.5, 370.0),
}

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_MAC = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")
_ORIENTATIONS = {"N": 0.0, "E": 90.0, "S": 180.0, "W": 270.0}
FORMATS = ("pvvx", "atc1441", "bthome", "mibeacon")


class HouseError(ValueError):
    """The house file is wrong; the message names the key."""


@dataclass(frozen=True)
class SwitchPoint:
    """From ``minute`` (minutes after local midnight) on ``weekday`` (0 = Monday), the value holds."""

    weekday: int
    minute: int
    value: float

    @property
    def time(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"


@dataclass(frozen=True)
class Thermometer:
    mac: str
    format: str
    name: str
    bind_key: str | None = None


@dataclass(frozen=True)
class Valve:
    mac: str
    name: str
    power_w: float
    bridge: str
    #: The valve's firmware version: 1.48 and later must be paired with the PIN on their display.
    firmware: str = "1.46"


@dataclass(frozen=True)
class Room:
    key: str
    name: str
    floor_area_m2: float
    height_m: float
    windows_m2: dict[str, float]
    wall_m2: float
    roof_m2: float
    floor_m2: float
    ach: float
    schedule: tuple[SwitchPoint, ...]
    default_temp_c: float
    gains: tuple[SwitchPoint, ...]
    thermometer: Thermometer
    valves: tuple[Valve, ...]
    open_radiator_w: float = 0.0

    @property
    def radiator_power_w(self) -> float:
        """Nominal output (ΔT 50 K) of every radiator in the room, valved or not."""
        return sum(v.power_w for v in self.valves) + self.open_radiator_w


@dataclass(frozen=True)
class Boiler:
    sensor_room: str
    clock_program_room: str
    hysteresis_k: float
    power_min_kw: float
    power_max_kw: float
    efficiency: float
    supply_at_minus10_c: float
    supply_at_plus15_c: float
    loop_capacity_kj_per_k: float
    burner_off_above_k: float
    hot_water_power_kw: float
    gas_kwh_per_m3: float
    gas_meter_start_m3: float
    meter_id: str
    hot_water: tuple[tuple[int, int, int], ...]  # (weekday, start minute, minutes)
    #: "room": the supply temperature from the room's deviation below its setpoint (the Nefit's
    #: room control); "weather": from the heating curve.
    control: str = "room"
    supply_min_c: float = 30.0
    supply_max_c: float = 75.0
    room_gain_k_per_k: float = 10.0
    room_integral_s: float = 1800.0


@dataclass(frozen=True)
class Bridge:
    name: str
    kind: str
    port: int


@dataclass(frozen=True)
class House:
    name: str
    timezone: str
    air_capacity_kj_per_m2k: float
    mass_class: str
    radiator_capacity_kj_per_k_per_kw: float
    weather_file: str
    boiler: Boiler
    bridges: dict[str, Bridge]
    rooms: tuple[Room, ...]
    neighbours: tuple[tuple[int, int, float], ...]  # (room index, room index, W/K)
    u_window: float
    u_wall: float
    u_roof: float
    u_floor: float
    floor_factor: float
    electricity: dict[str, float] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def room_index(self, key: str) -> int:
        for i, room in enumerate(self.rooms):
            if room.key == key:
                return i
        raise KeyError(key)

    @property
    def valves(self) -> list[tuple[int, Valve]]:
        """Every valve with the index of its room."""
        return [(i, v) for i, room in enumerate(self.rooms) for v in room.valves]


def _days(spec: str, where: str) -> list[int]:
    spec = spec.strip().lower()
    if "-" in spec:
        first, last = spec.split("-", 1)
        if first not in _DAYS or last not in _DAYS:
            raise HouseError(f"{where}: unknown days {spec!r} (use e.g. 'mon-fri', 'sat-sun', 'wed')")
        a, b = _DAYS.index(first), _DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    if spec not in _DAYS:
        raise HouseError(f"{where}: unknown day {spec!r}")
    return [_DAYS.index(spec)]


def _minute(text: str, where: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise HouseError(f"{where}: time {text!r} is not HH:MM")
    return int(match[1]) * 60 + int(match[2])


def _switch_points(rows, where: str, low: float, high: float) -> tuple[SwitchPoint, ...]:
    points: dict[tuple[int, int], SwitchPoint] = {}
    for n, row in enumerate(rows or []):
        here = f"{where}[{n}]"
        if not isinstance(row, list) or len(row) != 3:
            raise HouseError(f"{here}: expected [days, \"HH:MM\", value]")
        value = float(row[2])
        if not low <= value <= high:
            raise HouseError(f"{here}: value {value} outside {low}..{high}")
        minute = _minute(row[1], here)
        for day in _days(str(row[0]), here):
            if (day, minute) in points:
                raise HouseError(f"{here}: two switch points at {_DAYS[day]} {row[1]}")
            points[(day, minute)] = SwitchPoint(day, minute, value)
    return tuple(sorted(points.values(), key=lambda p: (p.weekday, p.minute)))


def _number(table: dict, key: str, where: str, default: float | None = None, low: float = 0.0,
            high: float = 1e9) -> float:
    if key not in table:
        if default is None:
            raise HouseError(f"{where}.{key}: missing")
        return default
    try:
        value = float(table[key])
    except (TypeError, ValueError):
        raise HouseError(f"{where}.{key}: {table[key]!r} is not a number") from None
    if not low <= value <= high:
        raise HouseError(f"{where}.{key}: {value} outside {low}..{high}")
    return value


def _mac(text, where: str) -> str:
    mac = str(text).upper()
    if not _MAC.match(mac):
        raise HouseError(f"{where}: {text!r} is not a MAC address like A4:C1:38:11:22:33")
    return mac


def parse_house(data: dict) -> House:
    """Check a parsed TOML document and build the ``House``; raises ``HouseError`` naming the key."""
    house = data.get("house", {})
    tz = house.get("timezone", "Europe/Amsterdam")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise HouseError(f"house.timezone: unknown time zone {tz!r}") from None
    mass_class = house.get("mass_class", "medium")
    if mass_class not in MASS_CLASSES:
        raise HouseError(f"house.mass_class: {mass_class!r} is not one of {', '.join(MASS_CLASSES)}")

    bridges = {}
    for name, table in (data.get("bridges") or {}).items():
        bridges[name] = Bridge(name=name, kind=table.get("kind", "simulated"),
                               port=int(_number(table, "port", f"bridges.{name}", low=1, high=65535)))

    rooms_data = data.get("rooms") or []
    if not rooms_data:
        raise HouseError("rooms: the house needs at least one [[rooms]] table")
    keys: list[str] = []
    rooms: list[Room] = []
    macs: set[str] = set()
    for n, table in enumerate(rooms_data):
        where = f"rooms[{n}]"
        key = str(table.get("key") or "")
        if not re.fullmatch(r"[a-z0-9_-]+", key):
            raise HouseError(f"{where}.key: {key!r} must be lower-case letters, digits, - or _")
        if key in keys:
            raise HouseError(f"{where}.key: {key!r} used twice")
        keys.append(key)
        where = f"rooms.{key}"
        windows = {}
        for orientation, area in (table.get("windows_m2") or {}).items():
            if orientation not in _ORIENTATIONS:
                raise HouseError(f"{where}.windows_m2: orientation {orientation!r} is not N, E, S or W")
            windows[orientation] = _number({"a": area}, "a", f"{where}.windows_m2.{orientation}", high=500)
        thermo = table.get("thermometer")
        if not isinstance(thermo, dict):
            raise HouseError(f"{where}.thermometer: missing")
        fmt = thermo.get("format")
        if fmt not in FORMATS:
            raise HouseError(f"{where}.thermometer.format: {fmt!r} is not one of {', '.join(FORMATS)}")
        bind_key = thermo.get("bind_key")
        if fmt == "mibeacon" and not (isinstance(bind_key, str) and re.fullmatch(r"[0-9a-f]{32}", bind_key)):
            raise HouseError(f"{where}.thermometer.bind_key: a mibeacon thermometer needs 32 lower-case hex digits")
        t_mac = _mac(thermo.get("mac"), f"{where}.thermometer.mac")
        if t_mac in macs:
            raise HouseError(f"{where}.thermometer.mac: {t_mac} used twice")
        macs.add(t_mac)
        valves = []
        for m, valve in enumerate(table.get("valves") or []):
            vwhere = f"{where}.valves[{m}]"
            v_mac = _mac(valve.get("mac"), f"{vwhere}.mac")
            if v_mac in macs:
                raise HouseError(f"{vwhere}.mac: {v_mac} used twice")
            macs.add(v_mac)
            bridge = valve.get("bridge")
            if bridge not in bridges:
                raise HouseError(f"{vwhere}.bridge: {bridge!r} is not one of the [bridges] ({', '.join(bridges)})")
            firmware = str(valve.get("firmware", "1.46"))
            try:
                parse_version(firmware)
            except ValueError as exc:
                raise HouseError(f"{vwhere}.firmware: {exc}") from None
            valves.append(Valve(mac=v_mac, name=str(valve.get("name") or v_mac), bridge=bridge,
                                power_w=_number(valve, "power_w", vwhere, low=50, high=10000), firmware=firmware))
        rooms.append(Room(
            key=key,
            name=str(table.get("name") or key),
            floor_area_m2=_number(table, "floor_area_m2", where, low=1, high=500),
            height_m=_number(table, "height_m", where, 2.6, low=1.5, high=10),
            windows_m2=windows,
            wall_m2=_number(table, "wall_m2", where, 0.0, high=1000),
            roof_m2=_number(table, "roof_m2", where, 0.0, high=1000),
            floor_m2=_number(table, "floor_m2", where, 0.0, high=1000),
            ach=_number(table, "ach", where, 0.6, high=20),
            schedule=_switch_points(table.get("schedule"), f"{where}.schedule", 5.0, 30.0),
            default_temp_c=_number(table, "default_temp_c", where, 16.0, low=5, high=30),
            gains=_switch_points(table.get("gains"), f"{where}.gains", 0.0, 10000.0),
            thermometer=Thermometer(mac=t_mac, format=fmt, name=str(thermo.get("name") or ""), bind_key=bind_key),
            valves=tuple(valves),
            open_radiator_w=_number(table, "open_radiator_w", where, 0.0, high=10000),
        ))

    neighbours = []
    for n, row in enumerate((data.get("layout") or {}).get("neighbours") or []):
        where = f"layout.neighbours[{n}]"
        if not isinstance(row, list) or len(row) != 3 or row[0] not in keys or row[1] not in keys or row[0] == row[1]:
            raise HouseError(f"{where}: expected [room key, other room key, W/K] with two different known rooms")
        neighbours.append((keys.index(row[0]), keys.index(row[1]), _number({"g": row[2]}, "g", where, high=1000)))

    b = data.get("boiler") or {}
    for room_key in ("sensor_room", "clock_program_room"):
        if b.get(room_key, "") not in keys:
            raise HouseError(f"boiler.{room_key}: {b.get(room_key)!r} is not a room key")
    draws = []
    for n, row in enumerate(b.get("hot_water") or []):
        where = f"boiler.hot_water[{n}]"
        if not isinstance(row, list) or len(row) != 3:
            raise HouseError(f"{where}: expected [days, \"HH:MM\", minutes]")
        minute = _minute(row[1], where)
        for day in _days(str(row[0]), where):
            draws.append((day, minute, int(row[2])))
    boiler = Boiler(
        sensor_room=b["sensor_room"], clock_program_room=b["clock_program_room"],
        hysteresis_k=_number(b, "hysteresis_k", "boiler", 0.3, high=3),
        power_min_kw=_number(b, "power_min_kw", "boiler", 4.0, high=100),
        power_max_kw=_number(b, "power_max_kw", "boiler", 22.0, low=1, high=100),
        efficiency=_number(b, "efficiency", "boiler", 0.9, low=0.5, high=1.1),
        supply_at_minus10_c=_number(b, "supply_at_minus10_c", "boiler", 75.0, low=25, high=90),
        supply_at_plus15_c=_number(b, "supply_at_plus15_c", "boiler", 45.0, low=25, high=90),
        loop_capacity_kj_per_k=_number(b, "loop_capacity_kj_per_k", "boiler", 150.0, low=10, high=5000),
        burner_off_above_k=_number(b, "burner_off_above_k", "boiler", 5.0, low=0.5, high=30),
        hot_water_power_kw=_number(b, "hot_water_power_kw", "boiler", 20.0, high=100),
        gas_kwh_per_m3=_number(b, "gas_kwh_per_m3", "boiler", 9.769, low=5, high=15),
        gas_meter_start_m3=_number(b, "gas_meter_start_m3", "boiler", 0.0, high=1e6),
        meter_id=str(b.get("meter_id", "4730303339303031")),
        hot_water=tuple(sorted(draws)),
        control=str(b.get("control", "room")),
        supply_min_c=_number(b, "supply_min_c", "boiler", 30.0, low=20, high=90),
        supply_max_c=_number(b, "supply_max_c", "boiler", 75.0, low=25, high=90),
        room_gain_k_per_k=_number(b, "room_gain_k_per_k", "boiler", 10.0, low=0.5, high=100),
        room_integral_s=_number(b, "room_integral_s", "boiler", 1800.0, low=60, high=86400),
    )
    if boiler.control not in ("room", "weather"):
        raise HouseError(f"boiler.control: {boiler.control!r}: expected \"room\" or \"weather\"")
    if boiler.supply_min_c >= boiler.supply_max_c:
        raise HouseError("boiler.supply_min_c: not below supply_max_c")
    if boiler.power_min_kw > boiler.power_max_kw:
        raise HouseError("boiler.power_min_kw: above power_max_kw")
    env = data.get("envelope") or {}
    return House(
        name=str(house.get("name") or "house"),
        timezone=tz,
        air_capacity_kj_per_m2k=_number(house, "air_capacity_kj_per_m2k", "house", 30.0, low=1, high=500),
        mass_class=mass_class,
        radiator_capacity_kj_per_k_per_kw=_number(house, "radiator_capacity_kj_per_k_per_kw", "house", 30.0,
                                                  low=1, high=500),
        weather_file=str((data.get("weather") or {}).get("file", "723170TYA.CSV")),
        boiler=boiler,
        bridges=bridges,
        rooms=tuple(rooms),
        neighbours=tuple(neighbours),
        u_window=_number(env, "u_window", "envelope", 2.9, high=10),
        u_wall=_number(env, "u_wall", "envelope", 0.55, high=10),
        u_roof=_number(env, "u_roof", "envelope", 0.45, high=10),
        u_floor=_number(env, "u_floor", "envelope", 0.5, high=10),
        floor_factor=_number(env, "floor_factor", "envelope", 0.5, high=1),
        electricity={k: float(v) for k, v in (data.get("electricity") or {}).items()},
    )


def load_house(path: str | Path | None = None) -> House:
    """Read and check a house file (the default house when ``path`` is None)."""
    path = Path(path) if path else DEFAULT_HOUSE
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise HouseError(f"house file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise HouseError(f"house file {path}: {exc}") from None
    return parse_house(data)
