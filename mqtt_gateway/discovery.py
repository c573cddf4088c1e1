"""What the gateway publishes: Home Assistant discovery configs and state, from the API's documents.

Pure functions of ``GET /api/status`` and ``GET /api/gas``: the service decides when to publish,
this decides what. Every entity has a unique id built from database ids (rooms, valves) or fixed
names, so Home Assistant keeps its customisations (names, areas, history) across restarts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PRESETS = ("schedule", "boost", "away")
HOUSE_MODES = ("home", "away", "holiday")
BOOST_MINUTES = 20


@dataclass(frozen=True)
class Topics:
    discovery_prefix: str
    base: str

    @property
    def node(self) -> str:
        # A node id may hold only [a-zA-Z0-9_-]; the base topic may have levels.
        return "".join(c if c.isalnum() or c in "_-" else "_" for c in self.base)

    @property
    def availability(self) -> str:
        return f"{self.base}/status"

    @property
    def house_state(self) -> str:
        return f"{self.base}/house/state"

    @property
    def house_mode_set(self) -> str:
        return f"{self.base}/house/mode/set"

    def room_state(self, room_id: int) -> str:
        return f"{self.base}/room/{room_id}/state"

    def room_target_set(self, room_id: int) -> str:
        return f"{self.base}/room/{room_id}/target/set"

    def room_preset_set(self, room_id: int) -> str:
        return f"{self.base}/room/{room_id}/preset/set"

    def room_contact(self, room_id: int, name: str | None = None) -> str:
        return f"{self.base}/room/{room_id}/contact" + (f"/{name}" if name else "")

    def presence(self, person: str) -> str:
        return f"{self.base}/presence/{person}"

    @property
    def outdoor_temperature(self) -> str:
        return f"{self.base}/outdoor/temperature"

    def problem_state(self, key: str) -> str:
        return f"{self.base}/problem/{key}/state"

    def config(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node}/{object_id}/config"

    @property
    def all_configs(self) -> str:
        """The subscription that finds every config of ours the broker retains (also an earlier run's)."""
        return f"{self.discovery_prefix}/+/{self.node}/+/config"


def _value(key: str) -> str:
    # A missing value renders as None, which Home Assistant shows as "unknown".
    return "{{ value_json.%s }}" % key


def room_has_climate(room: dict) -> bool:
    return bool(room["valves"])


def hvac_action(room: dict) -> str | None:
    """heating while a valve of the room reported itself open, idle when all reported closed; None
    before any valve reported (a command is never taken for a state)."""
    states = [v["state"] for v in room["valves"] if v.get("state")]
    if not states:
        return None
    if any(s["state"] == "open" or (s.get("valve_pct") or 0) > 0 for s in states):
        return "heating"
    return "idle"


def preset(room: dict) -> str:
    override = room.get("override")
    if override and override["kind"] == "boost":
        return "boost"
    if room["target_source"] in ("away", "holiday"):
        return "away"
    if override:
        return "none"  # a temperature set by hand: no preset
    return "schedule"


def gas_by_room(gas: dict | None) -> dict[int, float]:
    if not gas:
        return {}
    return {r["room_id"]: r["gas_m3"] for r in gas["totals"]["rooms"]}


def room_state(room: dict, gas_today: dict[int, float], gas_month: dict[int, float]) -> dict:
    return {
        "temperature_c": room["temperature_c"], "humidity_pct": room["humidity_pct"],
        "battery_pct": room["battery_pct"], "in_sync": room["in_sync"],
        "target_c": room["target_c"], "target_source": room["target_source"],
        "override_until": room["override"]["ends_at"] if room.get("override") else None,
        "hvac_action": hvac_action(room), "preset": preset(room), "window_open": room.get("window_open"),
        "valve_openings": {str(v["id"]): (v["state"] or {}).get("valve_pct") for v in room["valves"]},
        "gas_today_m3": gas_today.get(room["id"]), "gas_month_m3": gas_month.get(room["id"]),
    }


def house_state(status: dict) -> dict:
    boiler = status.get("boiler") or {}
    heat = boiler.get("heat_demand")
    return {"mode": status["house_mode"]["mode"],
            "boiler_heating": None if heat is None else ("ON" if heat else "OFF"),
            "boiler_setpoint_c": boiler.get("setpoint_c"),
            "problems": len(status.get("problems", []))}


def problem_key(problem: dict) -> str:
    """Stable while the same device has the same trouble, so a problem that comes back is the same entity."""
    subject = problem["subject"]
    return f"{problem['code']}_{subject['kind']}_{subject['id'] if subject['id'] is not None else 'house'}"


def problem_state(problem: dict) -> dict:
    return {"state": "ON", "message": problem["message"], "severity": problem["severity"],
            "since": problem["since"], "code": problem["code"], "subject": problem["subject"]}


class Discovery:
    """Builds the configs of one house; ``configs`` maps a config topic to its payload (a dict)."""

    def __init__(self, topics: Topics, version: str = ""):
        self.t = topics
        self.origin = {"name": "home-heating", "sw_version": version} if version else {"name": "home-heating"}

    def _house_device(self) -> dict:
        return {"identifiers": [f"{self.t.node}_house"], "name": "Heating", "manufacturer": "home-heating",
                "model": "Zoned radiator heating"}

    def _room_device(self, room: dict) -> dict:
        return {"identifiers": [f"{self.t.node}_room_{room['id']}"], "name": room["name"],
                "suggested_area": room["name"], "manufacturer": "home-heating", "model": "Room",
                "via_device": f"{self.t.node}_house"}

    def _entity(self, unique: str, device: dict, **fields: Any) -> dict:
        return {"unique_id": f"{self.t.node}_{unique}", "object_id": f"{self.t.node}_{unique}",
                "device": device, "origin": self.origin, "availability_topic": self.t.availability,
                "payload_available": "online", "payload_not_available": "offline", **fields}

    def configs(self, status: dict) -> dict[str, dict]:
        out: dict[str, dict] = {}
        house = self._house_device()
        out[self.t.config("select", "house_mode")] = self._entity(
            "house_mode", house, name="House mode", icon="mdi:home-account", options=list(HOUSE_MODES),
            state_topic=self.t.house_state, value_template=_value("mode"), command_topic=self.t.house_mode_set)
        out[self.t.config("binary_sensor", "boiler_heating")] = self._entity(
            "boiler_heating", house, name="Boiler heating", device_class="heat", state_topic=self.t.house_state,
            value_template=_value("boiler_heating"))
        out[self.t.config("sensor", "boiler_setpoint")] = self._entity(
            "boiler_setpoint", house, name="Boiler setpoint", device_class="temperature",
            unit_of_measurement="°C", state_class="measurement", state_topic=self.t.house_state,
            value_template=_value("boiler_setpoint_c"))
        room_of_device = {}
        for room in status["rooms"]:
            device = self._room_device(room)
            for kind in ("valves", "thermometers"):
                for item in room[kind]:
                    room_of_device[(kind[:-1], item["id"])] = device
            out.update(self._room_configs(room, device))
        for problem in status.get("problems", []):
            key = problem_key(problem)
            device = room_of_device.get((problem["subject"]["kind"], problem["subject"]["id"]), house)
            state = self.t.problem_state(key)
            out[self.t.config("binary_sensor", f"problem_{key}")] = self._entity(
                f"problem_{key}", device, name=problem["message"][:60], device_class="problem",
                entity_category="diagnostic", state_topic=state, value_template=_value("state"),
                json_attributes_topic=state)
        return out

    def _room_configs(self, room: dict, device: dict) -> dict[str, dict]:
        rid = room["id"]
        state = self.t.room_state(rid)
        prefix = f"room_{rid}"
        out: dict[str, dict] = {}
        if room_has_climate(room):
            out[self.t.config("climate", prefix)] = self._entity(
                prefix, device, name=None, temperature_unit="C", precision=0.1, temp_step=0.5,
                min_temp=max(5.0, room["frost_temp_c"]), max_temp=30.0,
                modes=["heat"], mode_state_topic=state, mode_state_template="heat",
                current_temperature_topic=state, current_temperature_template=_value("temperature_c"),
                current_humidity_topic=state, current_humidity_template=_value("humidity_pct"),
                temperature_state_topic=state, temperature_state_template=_value("target_c"),
                temperature_command_topic=self.t.room_target_set(rid),
                action_topic=state, action_template=_value("hvac_action"),
                preset_modes=list(PRESETS), preset_mode_state_topic=state,
                preset_mode_value_template=_value("preset"), preset_mode_command_topic=self.t.room_preset_set(rid),
                json_attributes_topic=state,
                json_attributes_template="{{ {'target_source': value_json.target_source, "
                                         "'override_until': value_json.override_until} | tojson }}")
        sensors = [
            ("temperature", "Temperature", "temperature_c", {"device_class": "temperature",
                                                            "unit_of_measurement": "°C",
                                                            "state_class": "measurement"}),
            ("humidity", "Humidity", "humidity_pct", {"device_class": "humidity", "unit_of_measurement": "%",
                                                     "state_class": "measurement"}),
            ("battery", "Thermometer battery", "battery_pct", {"device_class": "battery", "unit_of_measurement": "%",
                                                               "state_class": "measurement",
                                                               "entity_category": "diagnostic"}),
            ("gas_today", "Gas today", "gas_today_m3", {"device_class": "gas", "unit_of_measurement": "m³",
                                                        "state_class": "total_increasing"}),
            ("gas_month", "Gas this month", "gas_month_m3", {"device_class": "gas", "unit_of_measurement": "m³",
                                                             "state_class": "total_increasing"}),
        ]
        for key, name, field, extra in sensors:
            out[self.t.config("sensor", f"{prefix}_{key}")] = self._entity(
                f"{prefix}_{key}", device, name=name, state_topic=state, value_template=_value(field), **extra)
        for valve in room["valves"]:
            vid = valve["id"]
            out[self.t.config("sensor", f"{prefix}_valve_{vid}_opening")] = self._entity(
                f"{prefix}_valve_{vid}_opening", device, name=f"Valve {valve['name'] or valve['mac']} opening",
                unit_of_measurement="%", state_class="measurement", icon="mdi:valve", state_topic=state,
                value_template="{{ value_json.valve_openings['%d'] }}" % vid)
        return out

    def states(self, status: dict, gas_today: dict | None, gas_month: dict | None) -> dict[str, dict]:
        """State topic → payload (a dict), everything the configs refer to."""
        today, month = gas_by_room(gas_today), gas_by_room(gas_month)
        out = {self.t.house_state: house_state(status)}
        for room in status["rooms"]:
            out[self.t.room_state(room["id"])] = room_state(room, today, month)
        for problem in status.get("problems", []):
            out[self.t.problem_state(problem_key(problem))] = problem_state(problem)
        return out


def encode(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
