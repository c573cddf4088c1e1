"""Boiler driver for a Nefit Easy through nefit-easy-http-server (docs/protocols.md).

The thermostat stays on its own clock program. Heat (or no heat) is asked with
a temporary override of that program (``manualTempOverride/temperature`` and
``/status``, the writes of nefit-easy-commands' setTemperature; in clock mode the
Nefit Easy ends such an override by itself at the program's next switch point,
as its app shows and the simulated boiler models), at a setpoint the loop
chooses just above (or below) what the thermostat measures, so a boiler whose
controller died holds its room where it was and then returns to its program;
it is never left at full heat in manual mode. Every write is followed by
reading ``GET /api/status`` back, and only what the boiler reports there is
returned. The program itself is read from ``/ecus/rrc/userprogram/…`` (the
UserProgram records documented in marcelrv/nefit_easy_protocol). The server
handles one request at a time, so calls are serialised.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import requests

from common.schedule import SwitchPoint, schedule_at
from onoff.drivers import PermanentDeviceError, RetryableDeviceError

HC1 = "/bridge/heatingCircuits/hc1"
#: The indicator as nefit-easy-core reports it; older versions pass the backend's short codes.
INDICATORS = {"central heating": "central heating", "hot water": "hot water", "off": "off",
              "CH": "central heating", "HW": "hot water", "No": "off"}


PROGRAM = "/bridge/ecus/rrc/userprogram"
#: The UserProgram day names, Monday first (datetime.weekday() order).
PROGRAM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def program_points(program: list) -> list[SwitchPoint]:
    """The active switch points of a Nefit UserProgram (``{"d": "Mo", "t": minutes, "T": °C,
    "active": "on"}`` records) as the schedule's switch points; inactive and malformed ones are left out."""
    points = []
    for entry in program if isinstance(program, list) else []:
        if not isinstance(entry, dict) or entry.get("active") != "on" or entry.get("d") not in PROGRAM_DAYS:
            continue
        try:
            minute, temp = int(entry["t"]), float(entry["T"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= minute < 1440:
            points.append(SwitchPoint(PROGRAM_DAYS.index(entry["d"]), dt_time(minute // 60, minute % 60), temp))
    return points


def program_at(program: list, at: datetime, zone: ZoneInfo) -> tuple[float | None, float | None]:
    """The setpoint a Nefit UserProgram holds at ``at`` in the home's zone, and the seconds to its next
    switch point (where the Nefit ends a temporary override); by the schedule's one set of rules."""
    points = program_points(program)
    if not points:
        return None, None
    current, upcoming = schedule_at(points, at, zone)
    setpoint = current.point.temperature_c if current is not None else None
    return setpoint, (upcoming.instant - at).total_seconds() if upcoming is not None else None


class NefitBoiler:
    def __init__(self, base_url: str, timeout_s: float = 20.0, program_refresh_s: float = 3600.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.program_refresh_s = program_refresh_s
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._program: list | None = None
        self._program_read_at: float | None = None

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, value=None):
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(method, url, json=None if value is None else {"value": value},
                                             timeout=self.timeout_s)
        except requests.Timeout as exc:
            raise RetryableDeviceError(f"boiler server {self.base_url} did not answer within {self.timeout_s:g} s",
                                       "timeout") from exc
        except requests.RequestException as exc:
            raise RetryableDeviceError(f"boiler server {self.base_url} unreachable: {exc}", "connection") from exc
        if response.status_code >= 500:
            raise RetryableDeviceError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}",
                                       "boiler_error")
        if response.status_code >= 400:
            raise PermanentDeviceError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}",
                                       f"http_{response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise RetryableDeviceError(f"{method} {path}: answer is not JSON", "bad_answer") from exc

    def _read_status(self) -> dict:
        raw = self._call("GET", "/api/status")
        if not isinstance(raw, dict):
            raise RetryableDeviceError("GET /api/status: answer is not a JSON object", "bad_answer")
        user_mode = raw.get("user mode")
        setpoint = raw.get("temp manual setpoint") if user_mode == "manual" else raw.get("temp setpoint")
        if setpoint is None:
            setpoint = raw.get("temp setpoint")
        indicator = raw.get("boiler indicator")
        setpoint_c = _number(setpoint)
        in_house_c = _number(raw.get("in house temp"))
        override = bool(raw.get("temp override")) and user_mode == "clock"
        return {
            # The thermostat asks for heat while its setpoint is above what its sensor measures.
            "heat_demand": setpoint_c is not None and in_house_c is not None and setpoint_c > in_house_c,
            "user_mode": user_mode if user_mode in ("manual", "clock") else None,
            "setpoint_c": setpoint_c,
            "indicator": INDICATORS.get(indicator) if isinstance(indicator, str) else None,
            "in_house_c": in_house_c,
            "override": override,
            "override_c": _number(raw.get("temp override temp setpoint")) if override else None,
        }

    def status(self) -> dict:
        """What the boiler reports now: heat_demand, user_mode, setpoint_c, indicator, in_house_c,
        override (a temporary override of the clock program is on) and override_c."""
        with self._lock:
            return self._read_status()

    def program_at(self, at: datetime, zone: ZoneInfo) -> tuple[float | None, float | None]:
        """The boiler's own clock program at ``at``: its setpoint and the seconds to its next
        switch point. The program is read from the boiler at most every program_refresh_s (it
        changes only when someone edits it)."""
        with self._lock:
            fresh = self._program_read_at is not None and \
                time.monotonic() - self._program_read_at < self.program_refresh_s
            if not fresh:
                active = self._call("GET", f"{PROGRAM}/activeprogram")
                number = int(_number(active.get("value")) or 0) if isinstance(active, dict) else 0
                program = self._call("GET", f"{PROGRAM}/program{number}")
                self._program = program.get("value") if isinstance(program, dict) else None
                self._program_read_at = time.monotonic()
            return program_at(self._program or [], at, zone)

    def set_override(self, setpoint_c: float) -> dict:
        """A temporary override of the clock program at ``setpoint_c``; raises unless confirmed."""
        with self._lock:
            current = self._read_status()
            if current["user_mode"] != "clock":
                self._call("POST", f"{HC1}/usermode", "clock")
            self._call("POST", f"{HC1}/manualTempOverride/temperature", setpoint_c)
            self._call("POST", f"{HC1}/manualTempOverride/status", "on")
            confirmed = self._read_status()
        if confirmed["user_mode"] != "clock" or not confirmed["override"] or confirmed["override_c"] is None \
                or abs(confirmed["override_c"] - setpoint_c) >= 0.25:
            raise RetryableDeviceError(
                f"boiler reports mode {confirmed['user_mode']}, override {confirmed['override']} at "
                f"{confirmed['override_c']} after being asked for an override at {setpoint_c:g} °C", "not_confirmed")
        return confirmed

    def to_clock_program(self) -> dict:
        """Clock mode (the boiler's own program), no override; raises unless the boiler confirms it."""
        with self._lock:
            self._call("POST", f"{HC1}/usermode", "clock")
            self._call("POST", f"{HC1}/manualTempOverride/status", "off")
            confirmed = self._read_status()
        if confirmed["user_mode"] != "clock" or confirmed["override"]:
            raise RetryableDeviceError(f"boiler reports mode {confirmed['user_mode']}, override "
                                       f"{confirmed['override']} after being asked for its clock program",
                                       "not_confirmed")
        return confirmed


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
