"""Valve driver over the valve bridge HTTP contract (docs/bridge-api.md).

One client per bridge base URL; every call has a timeout. Answers are the
status the valve reported back, never the request.
"""
from __future__ import annotations

from urllib.parse import quote

import requests

from onoff.drivers import PermanentDeviceError, RetryableDeviceError

#: Bridge error codes worth retrying (docs/bridge-api.md, "Errors").
RETRYABLE_CODES = {"bluetooth_timeout", "busy", "bad_response"}


class BridgeClient:
    """Talks to one valve bridge. Thread-safe for concurrent calls to different valves."""

    def __init__(self, base_url: str, timeout_s: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> dict:
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(method, url, json=body, params=params, timeout=self.timeout_s)
        except requests.Timeout as exc:
            raise RetryableDeviceError(f"bridge {self.base_url} did not answer within {self.timeout_s:g} s", "timeout") from exc
        except requests.RequestException as exc:
            raise RetryableDeviceError(f"bridge {self.base_url} unreachable: {exc}", "connection") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            code = payload.get("error") if isinstance(payload, dict) else None
            message = payload.get("message") if isinstance(payload, dict) else response.text[:200]
            text = f"{method} {url}: HTTP {response.status_code} {code or ''} {message or ''}".strip()
            if code in RETRYABLE_CODES or (code is None and response.status_code >= 500):
                raise RetryableDeviceError(text, code or f"http_{response.status_code}")
            raise PermanentDeviceError(text, code or f"http_{response.status_code}")
        if not isinstance(payload, dict):
            raise RetryableDeviceError(f"{method} {url}: answer is not a JSON object", "bad_answer")
        return payload

    @staticmethod
    def _path(mac: str) -> str:
        return f"/valves/{quote(mac.upper(), safe=':')}"

    def status(self, mac: str, refresh: bool = False) -> dict:
        return self._call("GET", self._path(mac), params={"refresh": "1"} if refresh else None)

    def set_mode(self, mac: str, mode: str) -> dict:
        return self._call("POST", self._path(mac) + "/mode", {"mode": mode})

    def set_target(self, mac: str, target_c: float) -> dict:
        return self._call("POST", self._path(mac) + "/target", {"temperature_c": target_c})

    def apply(self, mac: str, mode: str, target_c: float | None, known_mode: str | None = None) -> dict:
        """Bring the valve to (mode, target_c) and return its final reported status.

        The mode is sent unless known_mode (the last confirmed one) already is
        it; manual mode goes first (the bridge sends it with the current
        target), then the target if the valve does not report it already.
        Raises the driver errors; whatever the valve confirmed before a failure
        is lost to the caller, which re-reads the status next time.
        """
        if known_mode == mode == "manual" and target_c is not None:
            return self.set_target(mac, target_c)
        status = self.set_mode(mac, mode)
        if mode == "manual" and target_c is not None:
            reported = status.get("target_c")
            if reported is None or abs(float(reported) - target_c) >= 0.25:
                status = self.set_target(mac, target_c)
        return status
