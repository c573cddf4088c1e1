"""The bridge contract's request/response logic (docs/bridge-api.md), without HTTP or radio.

``BridgeCore.handle(method, target, body)`` turns one request into one reply:
an HTTP status and a JSON-ready dict. The Pi's bridge and the simulated
house's bridge serve this same logic over different transports; the ESP32
firmware's C++ core reproduces it, and tests/contract holds them to it.

Guarantees: every write answers with the status the valve reported back; a
request that fails (bad input, no answer, bad answer, full queue) changes
nothing in the cached status.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from protocols import eq3
from thermostat_reader.valve_bridge.transport import BluetoothTimeout, ValveTransport

log = logging.getLogger(__name__)

CONTRACT_VERSION = "1.0"
MAC_PATTERN = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


class RequestError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def normalise_mac(text: str) -> str:
    """Upper-case MAC for a well-formed one; ValueError otherwise."""
    if not MAC_PATTERN.fullmatch(text):
        raise ValueError(f"not a Bluetooth MAC: {text!r}")
    return text.upper()


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_json(mac: str, status: eq3.Eq3Status | None, last_seen: datetime | None) -> dict[str, Any]:
    """The contract's status object for a decoded notification (all null before the valve was heard)."""
    if status is None:
        return {"mac": mac, "mode": None, "valve_pct": None, "target_c": None, "boost": None, "away": None,
                "away_until": None, "window_open": None, "locked": None, "low_battery": None, "dst": None,
                "presets": None, "last_seen": None}
    presets = None
    if status.presets is not None:
        p = status.presets
        presets = {"comfort_c": p.comfort_temp_c, "eco_c": p.eco_temp_c, "window_open_c": p.window_open_temp_c,
                   "window_open_minutes": p.window_open_minutes, "offset_c": p.offset_c}
    return {
        "mac": mac, "mode": status.mode, "valve_pct": status.valve_pct, "target_c": status.target_temp_c,
        "boost": status.boost, "away": status.away,
        "away_until": status.away_until.strftime("%Y-%m-%dT%H:%M") if status.away_until else None,
        "window_open": status.window_open, "locked": status.locked, "low_battery": status.low_battery,
        "dst": status.dst, "presets": presets, "last_seen": _iso_utc(last_seen) if last_seen else None,
    }


MAX_BODY_DEPTH = 32


def _nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _parse_body(body: bytes) -> dict[str, Any]:
    def refuse_constant(name: str) -> None:
        raise ValueError(name)

    try:
        text = body.decode("utf-8")
        # The ESP32 parses on a small stack and refuses deeper bodies; every bridge answers alike.
        if _nesting_depth(text) > MAX_BODY_DEPTH:
            raise ValueError("nested too deeply")
        parsed = json.loads(text, parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestError(400, "bad_request", "the body is not a JSON object") from exc
    if not isinstance(parsed, dict):
        raise RequestError(400, "bad_request", "the body is not a JSON object")
    return parsed


def _temperature(body: dict[str, Any], field: str, *, required: bool = True) -> float | None:
    if field not in body and not required:
        return None
    if field not in body:
        raise RequestError(400, "bad_request", f"{field} is required")
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not eq3.TEMP_MIN_C <= value <= eq3.TEMP_MAX_C \
            or value * 2 != int(value * 2):
        raise RequestError(400, "bad_request", f"{field} must be a number from 4.5 to 30.0 in steps of 0.5")
    return float(value)


class _ValveSlot:
    """One valve's cache and queue: commands to one valve run one at a time."""

    def __init__(self, mac: str):
        self.mac = mac
        self.status: eq3.Eq3Status | None = None
        self.last_seen: datetime | None = None
        self.lock = threading.Lock()
        self.waiting = 0


class BridgeCore:
    def __init__(
        self,
        valve_macs: list[str],
        transport: ValveTransport,
        *,
        kind: str,
        now: Callable[[], datetime],
        zone: ZoneInfo,
        timeout_s: float = 10.0,
        max_waiting: int = 4,
    ):
        self.kind = kind
        self.transport = transport
        self.now = now
        self.zone = zone
        self.timeout_s = timeout_s
        self.max_waiting = max_waiting
        self._started = time.monotonic()
        self._slots: dict[str, _ValveSlot] = {}
        self._slots_lock = threading.Lock()
        self.set_valves(valve_macs)

    # --- configuration ---

    def set_valves(self, valve_macs: list[str]) -> None:
        """Serve exactly these valves, in this order; a valve kept keeps its cached status."""
        macs = [normalise_mac(mac) for mac in valve_macs]
        with self._slots_lock:
            self._slots = {mac: self._slots.get(mac) or _ValveSlot(mac) for mac in dict.fromkeys(macs)}

    @property
    def valve_macs(self) -> list[str]:
        with self._slots_lock:
            return list(self._slots)

    def cached_status(self, mac: str) -> dict[str, Any]:
        return self._status_of(self._slot(normalise_mac(mac)))

    def _status_of(self, slot: _ValveSlot) -> dict[str, Any]:
        with self._slots_lock:
            status, last_seen = slot.status, slot.last_seen
        return status_json(slot.mac, status, last_seen)

    # --- requests ---

    def handle(self, method: str, target: str, body: bytes = b"") -> Reply:
        """One request to one reply; never raises for anything a client sends."""
        try:
            return Reply(200, self._route(method.upper(), target, body))
        except RequestError as exc:
            return Reply(exc.status, {"error": exc.error, "message": exc.message})

    def _route(self, method: str, target: str, body: bytes) -> dict[str, Any]:
        url = urlsplit(target)
        parts = [part for part in url.path.split("/") if part]
        if parts == ["health"]:
            self._allow(method, "GET")
            return {"ok": True, "kind": self.kind, "version": CONTRACT_VERSION, "valves": len(self.valve_macs),
                    "uptime_s": int(time.monotonic() - self._started)}
        if parts == ["valves"]:
            self._allow(method, "GET")
            with self._slots_lock:
                slots = list(self._slots.values())
            return {"valves": [self._status_of(slot) for slot in slots]}
        if len(parts) == 2 and parts[0] == "valves":
            self._allow(method, "GET")
            slot = self._slot_for(parts[1])
            refresh = parse_qs(url.query).get("refresh", [""])[-1]
            if refresh in ("1", "true"):
                return self._command(slot, lambda: eq3.encode_status_request(self._valve_time()))
            return self._status_of(slot)
        if len(parts) == 3 and parts[0] == "valves" and parts[2] in ("target", "mode", "boost"):
            self._allow(method, "POST")
            slot = self._slot_for(parts[1])
            request = _parse_body(body)
            if parts[2] == "target":
                temp_c = _temperature(request, "temperature_c")
                return self._command(slot, lambda: eq3.encode_target(temp_c))
            if parts[2] == "mode":
                mode = request.get("mode")
                if mode not in ("auto", "manual"):
                    raise RequestError(400, "bad_request", 'mode must be "auto" or "manual"')
                if mode == "auto":
                    return self._command(slot, eq3.encode_mode_auto)
                temp_c = _temperature(request, "temperature_c", required=False)
                return self._command(slot, lambda: eq3.encode_mode_manual(temp_c), learn_target=temp_c is None)
            on = request.get("on")
            if not isinstance(on, bool):
                raise RequestError(400, "bad_request", "on must be true or false")
            return self._command(slot, lambda: eq3.encode_boost(on))
        raise RequestError(404, "not_found", "no such endpoint")

    @staticmethod
    def _allow(method: str, allowed: str) -> None:
        if method != allowed:
            raise RequestError(405, "method_not_allowed", f"use {allowed} on this endpoint")

    def _slot_for(self, raw_mac: str) -> _ValveSlot:
        try:
            mac = normalise_mac(raw_mac)
        except ValueError:
            raise RequestError(400, "bad_request",
                               "the valve must be a Bluetooth MAC such as 00:1A:22:0C:3B:5D") from None
        return self._slot(mac)

    def _slot(self, mac: str) -> _ValveSlot:
        with self._slots_lock:
            slot = self._slots.get(mac)
        if slot is None:
            raise RequestError(404, "unknown_valve", f"valve {mac} is not one of this bridge's valves")
        return slot

    def _valve_time(self) -> datetime:
        return self.now().astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def _command(self, slot: _ValveSlot, make_frame: Callable[[], bytes], *, learn_target: bool = False) -> dict:
        with self._slots_lock:
            if slot.waiting >= self.max_waiting:
                raise RequestError(503, "busy", f"valve {slot.mac} has too many commands waiting")
            slot.waiting += 1
        try:
            with slot.lock:
                if learn_target and slot.status is None:
                    # Manual mode is sent with the valve's own target, which must be known first.
                    self._exchange(slot, eq3.encode_status_request(self._valve_time()))
                if learn_target:
                    make_frame = lambda target_c=slot.status.target_temp_c: eq3.encode_mode_manual(target_c)  # noqa: E731
                self._exchange(slot, make_frame())
                return self._status_of(slot)
        finally:
            with self._slots_lock:
                slot.waiting -= 1

    def _exchange(self, slot: _ValveSlot, frame: bytes) -> None:
        try:
            answer = self.transport.exchange(slot.mac, frame, self.timeout_s)
        except BluetoothTimeout as exc:
            log.warning("Valve %s did not answer command %s (%s); its last known state is kept, "
                        "the control loop will try again.", slot.mac, frame.hex(), exc)
            raise RequestError(504, "bluetooth_timeout", f"valve {slot.mac} did not answer over Bluetooth") from exc
        try:
            decoded = eq3.decode_status(answer)
        except eq3.Eq3DecodeError as exc:
            log.warning("Valve %s answered command %s with %r, which is not a status notification (%s); "
                        "its last known state is kept.", slot.mac, frame.hex(), bytes(answer).hex(), exc)
            raise RequestError(502, "bad_response",
                               f"valve {slot.mac} answered, but not with a status notification") from exc
        seen = self.now()
        with self._slots_lock:
            slot.status, slot.last_seen = decoded, seen
