"""Valve driver over the valve bridge HTTP contract (docs/bridge-api.md).

One client per bridge base URL; every call has a timeout. Answers are the
status the valve reported back, never the request.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import requests

from onoff.drivers import PermanentDeviceError, RetryableDeviceError

#: Bridge error codes worth retrying (docs/bridge-api.md, "Errors").
RETRYABLE_CODES = {"bluetooth_timeout", "busy", "bad_response"}


class BridgeClient:
    """Talks to one valve bridge. Thread-safe for concurrent calls to different valves."""

    def __init__(self, base_url: str, timeout_s: float = 15.0, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self.token = None
        self.set_token(token)

    def set_token(self, token: str | None) -> None:
        """The bridge's token (docs/bridge-api.md, "Authentication"), sent with every request."""
        self.token = token
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        else:
            self._session.headers.pop("Authorization", None)

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

    def apply(self, mac: str, mode: str, target_c: float | None, until_local: datetime | None = None) -> dict:
        """Bring the valve to a setting and return its final reported status.

        "away": hold ``target_c`` until ``until_local`` (the valve's wall clock, on a half hour),
        after which the valve returns to its own week program by itself; "auto": its own week
        program. Raises the driver errors; nothing the valve did not report is returned.
        """
        if mode == "away":
            if target_c is None or until_local is None:
                raise ValueError("an away setting needs a temperature and an end")
            return self.set_away(mac, target_c, until_local)
        if mode == "auto":
            return self.set_mode(mac, "auto")
        raise ValueError(f"mode {mode!r} is not a setting the loop sends (away or auto)")

    def set_away(self, mac: str, temperature_c: float, until_local: datetime) -> dict:
        """Away mode at ``temperature_c`` until ``until_local`` and the valve's reported status.

        ``until_local`` is naive, the valve's wall clock (the home's time zone), on a full or
        half hour; the bridge refuses (PermanentDeviceError) an end not in the next 7 days.
        """
        if until_local.tzinfo is not None:
            raise ValueError("until_local is the valve's wall-clock time: pass a naive datetime")
        return self._call("POST", self._path(mac) + "/away",
                          {"temperature_c": temperature_c, "until": until_local.strftime("%Y-%m-%dT%H:%M")})

    def read_program(self, mac: str) -> dict:
        """The valve's week program as it reports it: ``{"mac", "days": {"mon": [...], ...}, "read_at"}``."""
        return self._call("GET", self._path(mac) + "/program")

    def write_program(self, mac: str, days: dict) -> dict:
        """Write the given days (``{"mon": [{"until": "HH:MM", "temperature_c": t}, ...], ...}``).

        Answers the whole program read back from the valve (as read_program). A failure may
        leave some of the days written: read the program back before trusting it.
        """
        return self._call("POST", self._path(mac) + "/program", {"days": days})
