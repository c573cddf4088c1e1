"""Boiler driver for a Nefit Easy through nefit-easy-http-server (docs/protocols.md).

Heat is asked by putting the thermostat in manual mode with a high manual
setpoint (it then fires), and stopped with a low one; every write is followed
by reading ``GET /api/status`` back, and only what the boiler reports there is
returned. The server handles one request at a time, so calls are serialised.
"""
from __future__ import annotations

import threading

import requests

from onoff.drivers import PermanentDeviceError, RetryableDeviceError

HC1 = "/bridge/heatingCircuits/hc1"
#: The indicator as nefit-easy-core reports it; older versions pass the backend's short codes.
INDICATORS = {"central heating": "central heating", "hot water": "hot water", "off": "off",
              "CH": "central heating", "HW": "hot water", "No": "off"}


class NefitBoiler:
    def __init__(self, base_url: str, timeout_s: float = 20.0, heat_setpoint_c: float = 30.0,
                 stop_setpoint_c: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.heat_setpoint_c = heat_setpoint_c
        self.stop_setpoint_c = stop_setpoint_c
        self._session = requests.Session()
        self._lock = threading.Lock()

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
        setpoint_c = float(setpoint) if setpoint is not None else None
        return {
            "heat_demand": user_mode == "manual" and setpoint_c is not None and setpoint_c >= self.heat_setpoint_c - 0.25,
            "user_mode": user_mode if user_mode in ("manual", "clock") else None,
            "setpoint_c": setpoint_c,
            "indicator": INDICATORS.get(indicator) if isinstance(indicator, str) else None,
        }

    def status(self) -> dict:
        with self._lock:
            return self._read_status()

    def ask_heat(self, heat: bool) -> dict:
        """Manual mode with the high (heat) or low (stop) setpoint; raises unless the boiler confirms it."""
        setpoint_c = self.heat_setpoint_c if heat else self.stop_setpoint_c
        with self._lock:
            self._call("POST", f"{HC1}/usermode", "manual")
            self._call("POST", f"{HC1}/temperatureRoomManual", setpoint_c)
            self._call("POST", f"{HC1}/manualTempOverride/status", "on")
            self._call("POST", f"{HC1}/manualTempOverride/temperature", setpoint_c)
            confirmed = self._read_status()
        if confirmed["user_mode"] != "manual" or confirmed["setpoint_c"] is None \
                or abs(confirmed["setpoint_c"] - setpoint_c) >= 0.25:
            raise RetryableDeviceError(
                f"boiler reports mode {confirmed['user_mode']} setpoint {confirmed['setpoint_c']} after being asked "
                f"for manual {setpoint_c:g} °C", "not_confirmed")
        return confirmed

    def to_clock_program(self) -> dict:
        """Clock mode (the boiler's own program); raises unless the boiler confirms it."""
        with self._lock:
            self._call("POST", f"{HC1}/usermode", "clock")
            # A manual override left on would hold the stop setpoint over the program.
            self._call("POST", f"{HC1}/manualTempOverride/status", "off")
            confirmed = self._read_status()
        if confirmed["user_mode"] != "clock":
            raise RetryableDeviceError(f"boiler reports mode {confirmed['user_mode']} after being asked for clock",
                                       "not_confirmed")
        return confirmed
