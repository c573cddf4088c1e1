"""The bridge contract's request/response logic (docs/bridge-api.md), without HTTP or radio.

``BridgeCore.handle(method, target, body)`` turns one request into one reply:
an HTTP status and a JSON-ready dict. The Pi's bridge and the simulated
house's bridge serve this same logic over different transports; the ESP32
firmware's C++ core reproduces it, and tests/contract holds them to it.

Guarantees: every write answers with the status the valve reported back (a
program write: the program read back from the valve); a request that fails (bad
input, no answer, bad answer, full queue) changes nothing in the cached status.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from protocols import eq3
from thermostat_reader.valve_bridge.transport import BluetoothTimeout, NotPaired, ValveTransport, WrongPin

log = logging.getLogger(__name__)

CONTRACT_VERSION = "1.0"
MAC_PATTERN = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
AWAY_UNTIL_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})")
PROGRAM_TIME_PATTERN = re.compile(r"([0-9]{2}):([0-9]{2})")
#: How far ahead an away end may lie: further is more likely a mistake than a holiday plan,
#: and a valve left in away mode by a controller that died should be back on its program soon.
AWAY_MAX_AHEAD = timedelta(days=7)

MSG_UNTIL_REQUIRED = "until is required"
MSG_UNTIL_FORMAT = "until must be a local time such as 2026-01-12T07:30, on the hour or half hour"
MSG_UNTIL_PAST = "until must be in the future"
MSG_UNTIL_TOO_FAR = "until must be at most 7 days ahead"
MSG_DAYS = "days must be an object with one or more of mon, tue, wed, thu, fri, sat, sun"


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


def _valve_temperature(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) \
        and eq3.TEMP_MIN_C <= value <= eq3.TEMP_MAX_C and value * 2 == int(value * 2)


def _temperature(body: dict[str, Any], field: str, *, required: bool = True) -> float | None:
    if field not in body and not required:
        return None
    if field not in body:
        raise RequestError(400, "bad_request", f"{field} is required")
    value = body[field]
    if not _valve_temperature(value):
        raise RequestError(400, "bad_request", f"{field} must be a number from 4.5 to 30.0 in steps of 0.5")
    return float(value)


def _away_until(body: dict[str, Any], now_local: datetime) -> datetime:
    """The away end of a request: valve-local, on a full or half hour, in the next 7 days."""
    if "until" not in body:
        raise RequestError(400, "bad_request", MSG_UNTIL_REQUIRED)
    text = body["until"]
    match = AWAY_UNTIL_PATTERN.fullmatch(text) if isinstance(text, str) else None
    try:
        until = datetime(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        until = None
    if until is None or until.minute not in (0, 30):
        raise RequestError(400, "bad_request", MSG_UNTIL_FORMAT)
    if until <= now_local:
        raise RequestError(400, "bad_request", MSG_UNTIL_PAST)
    if until - now_local > AWAY_MAX_AHEAD:
        raise RequestError(400, "bad_request", MSG_UNTIL_TOO_FAR)
    return until


def _program_minute(text: Any) -> int | None:
    """Minutes since 00:00 of an ``HH:MM`` program time in 10-minute steps up to 24:00; None otherwise."""
    match = PROGRAM_TIME_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    minute = hours * 60 + minutes
    if minutes > 59 or minute % eq3.PROGRAM_STEP_MIN or minute > eq3.DAY_END_MIN:
        return None
    return minute


def _week_program(body: dict[str, Any]) -> list[eq3.DayProgram]:
    """The day programs of a program write, in the week order; the first fault found answers 400."""
    days = body.get("days")
    if not isinstance(days, dict) or not days or any(day not in eq3.WEEK_ORDER for day in days):
        raise RequestError(400, "bad_request", MSG_DAYS)
    programs = []
    for day in (day for day in eq3.WEEK_ORDER if day in days):
        points = days[day]
        if not isinstance(points, list) or not 1 <= len(points) <= eq3.PROGRAM_POINTS_MAX:
            raise RequestError(400, "bad_request", f"{day} must be a list of 1 to 7 points")
        bad_time = RequestError(400, "bad_request", f'until in {day} must be HH:MM in steps of 10 minutes, '
                                                    f'increasing, the last "24:00"')
        parsed, previous = [], 0
        for point in points:
            minute = _program_minute(point.get("until")) if isinstance(point, dict) else None
            if minute is None or minute <= previous:
                raise bad_time
            if not _valve_temperature(point.get("temperature_c")):
                raise RequestError(400, "bad_request",
                                   f"temperature_c in {day} must be a number from 4.5 to 30.0 in steps of 0.5")
            parsed.append((minute, float(point["temperature_c"])))
            previous = minute
        if previous != eq3.DAY_END_MIN:
            raise bad_time
        programs.append(eq3.DayProgram(day, tuple(parsed)))
    return programs


def _program_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def program_json(program: eq3.DayProgram) -> list[dict[str, Any]]:
    """One day of the contract's program answer."""
    return [{"until": _program_time(until), "temperature_c": temp_c} for until, temp_c in program.points]


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
        if len(parts) == 3 and parts[0] == "valves" and parts[2] == "program":
            if method not in ("GET", "POST"):
                raise RequestError(405, "method_not_allowed", "use GET or POST on this endpoint")
            slot = self._slot_for(parts[1])
            if method == "GET":
                return self._queued(slot, lambda: self._read_program(slot))
            programs = _week_program(_parse_body(body))
            return self._queued(slot, lambda: self._write_program(slot, programs))
        if len(parts) == 3 and parts[0] == "valves" and parts[2] == "pair":
            self._allow(method, "POST")
            slot = self._slot_for(parts[1])
            pin = _parse_body(body).get("pin")
            if not isinstance(pin, str) or len(pin) != 6 or not pin.isdigit():
                raise RequestError(400, "bad_request", "pin must be the 6 digits shown on the valve's display")
            return self._queued(slot, lambda: self._pair(slot, pin))
        if len(parts) == 3 and parts[0] == "valves" and parts[2] in ("target", "mode", "boost", "away"):
            self._allow(method, "POST")
            slot = self._slot_for(parts[1])
            request = _parse_body(body)
            if parts[2] == "away":
                temp_c = _temperature(request, "temperature_c")
                until = _away_until(request, self._valve_time())
                return self._command(slot, lambda: eq3.encode_away(temp_c, until))
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

    def _queued(self, slot: _ValveSlot, work: Callable[[], dict]) -> dict:
        """Run ``work`` as this valve's next job (one at a time), or 503 when too many wait."""
        with self._slots_lock:
            if slot.waiting >= self.max_waiting:
                raise RequestError(503, "busy", f"valve {slot.mac} has too many commands waiting")
            slot.waiting += 1
        try:
            with slot.lock:
                return work()
        finally:
            with self._slots_lock:
                slot.waiting -= 1

    def _command(self, slot: _ValveSlot, make_frame: Callable[[], bytes], *, learn_target: bool = False) -> dict:
        def work() -> dict:
            frame_maker = make_frame
            if learn_target and slot.status is None:
                # Manual mode is sent with the valve's own target, which must be known first.
                self._exchange(slot, eq3.encode_status_request(self._valve_time()))
            if learn_target:
                frame_maker = lambda target_c=slot.status.target_temp_c: eq3.encode_mode_manual(target_c)  # noqa: E731
            self._exchange(slot, frame_maker())
            return self._status_of(slot)

        return self._queued(slot, work)

    def _read_program(self, slot: _ValveSlot) -> dict:
        days = {}
        for day in eq3.WEEK_ORDER:
            answer = self._send(slot, eq3.encode_program_read(day))
            try:
                program = eq3.decode_program(answer)
                if program.day != day:
                    raise eq3.Eq3DecodeError(f"asked for {day}, got {program.day}")
            except eq3.Eq3DecodeError as exc:
                log.warning("Valve %s answered a read of its %s program with %r (%s); nothing is changed.",
                            slot.mac, day, bytes(answer).hex(), exc)
                raise RequestError(502, "bad_response",
                                   f"valve {slot.mac} answered, but not with its week program") from exc
            days[day] = program_json(program)
        return {"mac": slot.mac, "days": days, "read_at": _iso_utc(self.now())}

    def _write_program(self, slot: _ValveSlot, programs: list[eq3.DayProgram]) -> dict:
        for program in programs:
            answer = self._send(slot, eq3.encode_program_write(program))
            try:
                confirmed = eq3.decode_program_written(answer)
                if confirmed != program.day:
                    raise eq3.Eq3DecodeError(f"wrote {program.day}, the valve confirmed {confirmed}")
            except eq3.Eq3DecodeError as exc:
                log.warning("Valve %s answered the write of its %s program with %r (%s); the days before it "
                            "are written, the control loop will read the program back and try again.",
                            slot.mac, program.day, bytes(answer).hex(), exc)
                raise RequestError(502, "bad_response",
                                   f"valve {slot.mac} answered, but did not confirm the program write") from exc
        return self._read_program(slot)

    def _pair(self, slot: _ValveSlot, pin: str) -> dict:
        try:
            self.transport.pair(slot.mac, pin, self.timeout_s)
        except WrongPin as exc:
            log.warning("Valve %s refused the PIN given for pairing (%s).", slot.mac, exc)
            raise RequestError(403, "wrong_pin",
                               f"valve {slot.mac} refused the PIN: enter the 6 digits its display shows") from exc
        except BluetoothTimeout as exc:
            log.warning("Pairing with valve %s failed (%s).", slot.mac, exc)
            raise RequestError(504, "bluetooth_timeout", f"valve {slot.mac} did not answer over Bluetooth") from exc
        log.info("Paired with valve %s.", slot.mac)
        return {"mac": slot.mac, "paired": True}

    def _send(self, slot: _ValveSlot, frame: bytes) -> bytes:
        """Write one frame to the valve and return its answer; 504 when none comes, 409 when it needs pairing."""
        try:
            return self.transport.exchange(slot.mac, frame, self.timeout_s)
        except NotPaired as exc:
            log.warning("Valve %s refuses command %s until it is paired (%s).", slot.mac, frame.hex(), exc)
            raise RequestError(409, "not_paired",
                               f"valve {slot.mac} is not paired: enter the PIN shown on its display") from exc
        except BluetoothTimeout as exc:
            log.warning("Valve %s did not answer command %s (%s); its last known state is kept, "
                        "the control loop will try again.", slot.mac, frame.hex(), exc)
            raise RequestError(504, "bluetooth_timeout", f"valve {slot.mac} did not answer over Bluetooth") from exc

    def _exchange(self, slot: _ValveSlot, frame: bytes) -> None:
        answer = self._send(slot, frame)
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
