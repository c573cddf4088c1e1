"""A simulated eQ-3 eqiva radiator valve that speaks the real command bytes.

It accepts the frames a real valve accepts (decoded with protocols.eq3), answers
with the status notification a real valve would send (older or newer firmware
layout), and runs its own thermostat: the house model calls ``step`` every
simulated step and reads ``valve_pct`` to compute the radiator's flow.

Model of the valve's own thermostat (simple on purpose):
- the wanted opening is proportional to (target − room temperature) over a
  band of ``proportional_band_k`` (default 1.5 K, reaching 100 % at the band's end);
  target 30.0 °C (ON) is always fully open and 4.5 °C (OFF) always closed;
- the motor moves at ``full_stroke_s`` (default 40 s) for 0 → 100 %;
- auto mode follows a week program: comfort from ``comfort_from`` to
  ``comfort_until`` every day, eco otherwise (the factory program's shape); a
  target command in auto mode holds until the program's next switch;
- boost opens fully for 5 minutes, then returns to what it did before;
- away holds its temperature until its end, then returns to auto.

Thread-safe: commands (from a bridge thread) and steps (from the house loop)
take the same lock.
"""
from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from protocols import eq3

BOOST_S = 300.0


class SimulatedValveError(Exception):
    """Base of the simulated valve's errors."""


class FrameIgnored(SimulatedValveError):
    """The frame is one a real valve ignores: it sends no notification."""


class ValveUnreachable(SimulatedValveError):
    """The valve cannot be reached now (out of range, flat battery, forced by a test)."""


class SimulatedEq3Valve:
    def __init__(
        self,
        mac: str,
        *,
        firmware: str = "new",
        battery_low: bool = False,
        zone: str | ZoneInfo = "Europe/Amsterdam",
        target_c: float = 20.0,
        mode: str = "auto",
        comfort_c: float = 21.0,
        eco_c: float = 17.0,
        comfort_from: time = time(6, 0),
        comfort_until: time = time(22, 0),
        window_open_c: float = 12.0,
        window_open_minutes: int = 15,
        offset_c: float = 0.0,
        valve_pct: float = 0.0,
        full_stroke_s: float = 40.0,
        proportional_band_k: float = 1.5,
    ):
        if firmware not in ("new", "old"):
            raise ValueError(f"firmware must be 'new' or 'old', not {firmware!r}")
        if mode not in ("auto", "manual"):
            raise ValueError(f"mode must be 'auto' or 'manual', not {mode!r}")
        eq3.temp_to_byte(target_c)
        self.mac = mac.upper()
        self.firmware = firmware
        self.low_battery = battery_low
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.manual = mode == "manual"
        self.target_c = target_c
        self.comfort_c = comfort_c
        self.eco_c = eco_c
        self.comfort_from = comfort_from
        self.comfort_until = comfort_until
        self.window_open_c = window_open_c
        self.window_open_minutes = window_open_minutes
        self.offset_c = offset_c
        self.locked = False
        self.window_open = False
        self.away_until: datetime | None = None
        self.boost_until: datetime | None = None
        self.full_stroke_s = full_stroke_s
        self.proportional_band_k = proportional_band_k
        #: Set by tests and the house: the valve answers nothing while True.
        self.unreachable = False
        self.commands_received: list[bytes] = []
        self._position_pct = float(valve_pct)
        self._clock_offset: timedelta | None = None
        self._program_slot: bool | None = None
        self._fail_next = 0
        self._garble_next = 0
        self._garbled_answer = b""
        self._lock = threading.RLock()

    # --- knobs for tests and the house ---

    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` commands get no answer (the bridge sees a Bluetooth timeout)."""
        with self._lock:
            self._fail_next = count

    def garble_next(self, count: int = 1, answer: bytes = bytes.fromhex("0201")) -> None:
        """The next ``count`` commands are carried out but answered with ``answer`` (default: a truncated status)."""
        with self._lock:
            self._garble_next = count
            self._garbled_answer = bytes(answer)

    @property
    def valve_pct(self) -> int:
        """How far the valve is open, 0–100 %, as it would report it."""
        with self._lock:
            return int(round(self._position_pct))

    @property
    def away(self) -> bool:
        return self.away_until is not None

    # --- the radio side ---

    def handle_command(self, frame: bytes, now: datetime) -> bytes:
        """Carry out one written frame and return the notification the real valve sends.

        Raises ValveUnreachable when the valve is unreachable (or told to fail),
        FrameIgnored for frames a real valve ignores; neither changes anything.
        """
        with self._lock:
            if self.unreachable:
                raise ValveUnreachable(f"valve {self.mac} is unreachable")
            if self._fail_next > 0:
                self._fail_next -= 1
                raise ValveUnreachable(f"valve {self.mac} did not answer (forced)")
            try:
                command = eq3.decode_command(frame)
            except eq3.Eq3DecodeError as exc:
                raise FrameIgnored(f"valve {self.mac} ignores {bytes(frame).hex()}: {exc}") from exc
            self.commands_received.append(bytes(frame))
            self._apply(command, now)
            if self._garble_next > 0:
                self._garble_next -= 1
                return self._garbled_answer
            return eq3.encode_status(self.status(now), newer_layout=self.firmware == "new")

    def status(self, now: datetime) -> eq3.Eq3Status:
        """What the valve would report now (no notification is sent)."""
        with self._lock:
            self._expire(now)
            presets = eq3.Eq3Presets(self.window_open_c, self.window_open_minutes, self.comfort_c,
                                     self.eco_c, self.offset_c)
            return eq3.Eq3Status(
                manual=self.manual, away=self.away, boost=self.boost_until is not None,
                dst=bool(self.local_time(now).dst()), window_open=self.window_open, locked=self.locked,
                low_battery=self.low_battery, valve_pct=self.valve_pct, target_temp_c=self.target_c,
                away_until=self.away_until.replace(tzinfo=None) if self.away_until else None,
                presets=presets if self.firmware == "new" else None)

    def local_time(self, now: datetime) -> datetime:
        """The valve's own wall clock: as last set by a status request, else the zone's time."""
        local = now.astimezone(self.zone)
        if self._clock_offset is not None:
            return local + self._clock_offset
        return local

    def _apply(self, command: eq3.Eq3Command, now: datetime) -> None:
        self._expire(now)
        match command:
            case eq3.StatusRequest(local_time=valve_time):
                local = now.astimezone(self.zone)
                self._clock_offset = valve_time - local.replace(tzinfo=None)
            case eq3.SetTarget(temp_c=temp_c):
                self.target_c = temp_c
                self._program_slot = self._in_comfort(now)
            case eq3.SetModeAuto():
                self.manual = False
                self.away_until = None
                self._program_slot = None
                self._follow_program(now)
            case eq3.SetModeManual(temp_c=temp_c):
                if temp_c is None and self.firmware == "new":
                    # The newer firmware refuses a bare switch to manual (eq3btsmart notes this).
                    return
                self.manual = True
                self.away_until = None
                if temp_c is not None:
                    self.target_c = temp_c
            case eq3.SetAway(temp_c=temp_c, until=until):
                self.manual = False
                self.target_c = temp_c
                self.away_until = until.replace(tzinfo=self.zone)
            case eq3.SetBoost(on=on):
                self.boost_until = now + timedelta(seconds=BOOST_S) if on else None
            case eq3.SelectComfort():
                self.target_c = self.comfort_c
                self._program_slot = self._in_comfort(now)
            case eq3.SelectEco():
                self.target_c = self.eco_c
                self._program_slot = self._in_comfort(now)
            case eq3.ConfigureComfortEco(comfort_temp_c=comfort_c, eco_temp_c=eco_c):
                self.comfort_c, self.eco_c = comfort_c, eco_c
            case eq3.ConfigureOffset(offset_c=offset_c):
                self.offset_c = offset_c
            case eq3.ConfigureWindow(temp_c=temp_c, minutes=minutes):
                self.window_open_c, self.window_open_minutes = temp_c, minutes
            case eq3.SetLock(on=on):
                self.locked = on

    # --- the valve's own thermostat ---

    def step(self, room_temp_c: float, dt_s: float, now: datetime) -> None:
        """Advance the valve by ``dt_s`` seconds with the room at ``room_temp_c`` (its own sensor)."""
        with self._lock:
            self._expire(now)
            if not self.manual and not self.away:
                self._follow_program(now)
            wanted = self._wanted_pct(room_temp_c + self.offset_c)
            max_move = 100.0 * dt_s / self.full_stroke_s
            delta = max(-max_move, min(max_move, wanted - self._position_pct))
            self._position_pct = max(0.0, min(100.0, self._position_pct + delta))

    def _wanted_pct(self, sensed_c: float) -> float:
        if self.boost_until is not None or self.target_c >= eq3.ON_TEMP_C:
            return 100.0
        if self.target_c <= eq3.OFF_TEMP_C:
            return 0.0
        return max(0.0, min(100.0, (self.target_c - sensed_c) / self.proportional_band_k * 100.0))

    def _expire(self, now: datetime) -> None:
        if self.boost_until is not None and now >= self.boost_until:
            self.boost_until = None
        if self.away_until is not None and self.local_time(now).replace(tzinfo=None) >= \
                self.away_until.replace(tzinfo=None):
            self.away_until = None
            self._program_slot = None
            self._follow_program(now)

    def _in_comfort(self, now: datetime) -> bool:
        local = self.local_time(now).time()
        return self.comfort_from <= local < self.comfort_until

    def _follow_program(self, now: datetime) -> None:
        if self.manual:
            return
        slot = self._in_comfort(now)
        if slot != self._program_slot:
            # A program switch point passed (or auto mode just began): the program's temperature wins.
            self._program_slot = slot
            self.target_c = self.comfort_c if slot else self.eco_c
