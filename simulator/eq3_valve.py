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
- auto mode follows the valve's own week program (7 days of up to 7 periods,
  ``protocols.eq3.DayProgram``) on the valve's clock; a target command in auto
  mode holds until the program's next switch point; a program write takes
  effect at the next switch point too (what the valve shows is kept until then);
- the program is read (``20 <day>``, answered ``21 <day> …``) and written
  (``10 <day> …``, answered ``02 02 <day>``) as the real valve does
  (Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Timers");
- boost opens fully for 5 minutes, then returns to what it did before;
- the window-open function: when a window is opened (the valve notices the
  fall of its temperature; here the house or a test says so with
  ``open_window``) the valve holds its window-open temperature (factory 12.0 °C)
  for its window-open duration (factory 15 minutes, 0 = the function is off),
  reports flag 0x10 meanwhile, then returns to what it did before (CC-RT-BLE
  user manual, "Window-open function"; flag: Heckie75/eQ-3-radiator-thermostat
  eq-3-radiator-thermostat-api.md, "Status notification", bit 0x10);
- low battery is flag 0x80 of every status (same source); ``battery_low``;
- pairing: firmware 1.48 and later accept commands only from a central bonded
  with the 6-digit PIN the valve shows on its display (Bluetooth passkey entry;
  Home Assistant's eq3btsmart integration documents it, and users report
  commands failing after a firmware update until they pair); ``version``
  (default "1.46") and ``pin``; older firmware needs no pairing. Bonds are kept
  per central (the Pi's adapter, an ESP32 bridge) and survive the central's
  restarts, as the valve's and BlueZ's/NimBLE's stored bonds do;
- firmware: ``firmware="old"`` answers with the short 6-byte status (10 with an
  away end) that firmware before 1.20 sends, without the window-open, comfort,
  eco and offset settings; ``"new"`` appends them (15 bytes). Both carry the
  same flags byte. (rytilahti/python-eq3bt eq3bt/structures.py, ``Status`` with
  its optional ``presets``; the codec's ``decode_status``.)
- away holds its temperature until its end on the valve's own clock, then the
  valve returns to auto and takes the program's temperature.

The default program is the eQ-3 factory program, the same every day: 17.0 °C
until 06:00, 21.0 °C until 09:00, 17.0 °C until 17:00, 21.0 °C until 23:00,
17.0 °C until 24:00 (the eQ-3 manuals, "Week program: Example": CC-RT-BLE
user manual section 11.1 and, with the full table, the eQ-3 CC-RT-O classic
operation manual, "Weekly program: Examples"). ``comfort_from``/``comfort_until``
still build the older simple shape (comfort between them, eco otherwise) for
callers that ask for it.

Thread-safe: commands (from a bridge thread) and steps (from the house loop)
take the same lock.
"""
from __future__ import annotations

import threading
import zlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from protocols import eq3

BOOST_S = 300.0
#: The first firmware that needs a PIN before it accepts commands.
PIN_FROM_VERSION = (1, 48)


def valve_pin(mac: str) -> str:
    """The PIN a simulated valve shows when none is given: fixed per MAC, so a restarted house shows the same."""
    return f"{zlib.crc32(mac.upper().encode()) % 1_000_000:06d}"


def parse_version(text: str) -> tuple[int, int]:
    try:
        major, minor = (int(part) for part in str(text).split("."))
    except ValueError:
        raise ValueError(f"firmware version must look like 1.48, not {text!r}") from None
    return major, minor
# The factory program (see the module docstring): (until minute, °C) for every day.
FACTORY_DAY: tuple[tuple[int, float], ...] = ((360, 17.0), (540, 21.0), (1020, 17.0), (1380, 21.0), (1440, 17.0))


def factory_program() -> dict[str, eq3.DayProgram]:
    return {day: eq3.DayProgram(day, FACTORY_DAY) for day in eq3.WEEK_ORDER}


def simple_program(comfort_from: time, comfort_until: time, comfort_c: float,
                   eco_c: float) -> dict[str, eq3.DayProgram]:
    """Comfort from ``comfort_from`` to ``comfort_until`` every day, eco otherwise."""
    start = comfort_from.hour * 60 + comfort_from.minute
    end = comfort_until.hour * 60 + comfort_until.minute if comfort_until != time(0) else eq3.DAY_END_MIN
    points = [(start, eco_c), (end, comfort_c), (eq3.DAY_END_MIN, eco_c)]
    points = tuple(p for i, p in enumerate(points) if p[0] > (points[i - 1][0] if i else 0))
    return {day: eq3.DayProgram(day, points) for day in eq3.WEEK_ORDER}


class SimulatedValveError(Exception):
    """Base of the simulated valve's errors."""


class FrameIgnored(SimulatedValveError):
    """The frame is one a real valve ignores: it sends no notification."""


class ValveUnreachable(SimulatedValveError):
    """The valve cannot be reached now (out of range, flat battery, forced by a test)."""


class NotPaired(SimulatedValveError):
    """The valve needs a PIN and this central is not bonded with it: it refuses the write."""


class SimulatedEq3Valve:
    def __init__(
        self,
        mac: str,
        *,
        firmware: str = "new",
        version: str = "1.46",
        pin: str | None = None,
        battery_low: bool = False,
        zone: str | ZoneInfo = "Europe/Amsterdam",
        target_c: float = 20.0,
        mode: str = "auto",
        comfort_c: float = 21.0,
        eco_c: float = 17.0,
        comfort_from: time | None = None,
        comfort_until: time | None = None,
        program: dict[str, eq3.DayProgram] | None = None,
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
        self.version = version
        self.needs_pin = parse_version(version) >= PIN_FROM_VERSION
        self.pin = pin or valve_pin(self.mac)
        if len(self.pin) != 6 or not self.pin.isdigit():
            raise ValueError(f"pin must be 6 digits, not {self.pin!r}")
        #: The centrals (adapter addresses, bridge names) bonded with this valve.
        self.bonds: set[str] = set()
        self.low_battery = battery_low
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.manual = mode == "manual"
        self.target_c = target_c
        self.comfort_c = comfort_c
        self.eco_c = eco_c
        if program is None and (comfort_from is not None or comfort_until is not None):
            program = simple_program(comfort_from or time(6, 0), comfort_until or time(22, 0), comfort_c, eco_c)
        #: The week program by day name ('mon' … 'sun'), always all 7 days.
        self.program: dict[str, eq3.DayProgram] = factory_program()
        for day, day_program in (program or {}).items():
            eq3.encode_program_write(day_program)  # refuses a program a real valve could not hold
            self.program[day] = day_program
        self.window_open_c = window_open_c
        self.window_open_minutes = window_open_minutes
        self.offset_c = offset_c
        self.locked = False
        self.window_open = False
        self.away_until: datetime | None = None
        self.boost_until: datetime | None = None
        #: While the window-open function holds: its end. ``target_c`` stays what the valve returns to
        #: (commands and program switch points still change it); the valve shows and holds window_open_c.
        self.window_until: datetime | None = None
        self.full_stroke_s = full_stroke_s
        self.proportional_band_k = proportional_band_k
        #: Set by tests and the house: the valve answers nothing while True.
        self.unreachable = False
        self.commands_received: list[bytes] = []
        self._position_pct = float(valve_pct)
        self._clock_offset: timedelta | None = None
        # The program period the valve last took its target from: (valve date, period end minute).
        self._program_period: tuple[date, int] | None = None
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

    def turn_by_hand(self, temp_c: float, now: datetime) -> bool:
        """Someone turns the wheel to ``temp_c``; False (nothing changes) while the controls are locked.

        The mode stays. In auto mode the temperature holds until the program's next switch point
        (the eQ-3 Bluetooth Smart manual, section 11 "Setting the program for the week": "In auto
        mode, the temperature can be changed at any time using the control wheel. The modified
        temperature will then remain the same until the next point at which the program changes"),
        as a target sent over Bluetooth does; in manual mode until it is changed again. The manuals
        say nothing of the wheel in holiday mode: here the target changes and the holiday's end
        stays. The wheel needs no radio, so an unreachable valve takes it too.
        """
        eq3.temp_to_byte(temp_c)  # the wheel's range: 4.5 (OFF) to 30.0 (ON) in 0.5 °C steps
        with self._lock:
            self._expire(now)
            if self.locked:
                return False
            self.target_c = float(temp_c)
            # Held until the current program period ends; outside auto mode this mark is unused.
            self._program_period = self._period(now)
            return True

    def open_window(self, now: datetime) -> bool:
        """A window is opened next to the valve: the window-open function starts (False when it is off)."""
        with self._lock:
            self._expire(now)
            if self.window_open_minutes == 0:
                return False
            self.window_open = True
            self.window_until = now + timedelta(minutes=self.window_open_minutes)
            return True

    @property
    def holding_c(self) -> float:
        """The temperature the valve holds and shows now."""
        return self.window_open_c if self.window_open else self.target_c

    @property
    def valve_pct(self) -> int:
        """How far the valve is open, 0–100 %, as it would report it."""
        with self._lock:
            return int(round(self._position_pct))

    @property
    def away(self) -> bool:
        return self.away_until is not None

    # --- the radio side ---

    def pair(self, central: str, pin: str) -> bool:
        """Passkey entry from ``central`` with ``pin``: True (bonded) when it is the PIN on the display.
        Older firmware needs no PIN and bonds with any."""
        with self._lock:
            if self.unreachable:
                raise ValveUnreachable(f"valve {self.mac} is unreachable")
            if self.needs_pin and pin != self.pin:
                return False
            self.bonds.add(central)
            return True

    def paired_with(self, central: str | None) -> bool:
        return not self.needs_pin or central in self.bonds

    def handle_command(self, frame: bytes, now: datetime, central: str | None = None) -> bytes:
        """Carry out one written frame from ``central`` and return the notification the real valve sends.

        Raises ValveUnreachable when the valve is unreachable (or told to fail),
        FrameIgnored for frames a real valve ignores, NotPaired when the valve needs
        a PIN and ``central`` is not bonded; none of them changes anything.
        """
        with self._lock:
            if self.unreachable:
                raise ValveUnreachable(f"valve {self.mac} is unreachable")
            if not self.paired_with(central):
                raise NotPaired(f"valve {self.mac} (firmware {self.version}) is not paired with {central}")
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
            match command:
                case eq3.ReadProgram(day=day):
                    return eq3.encode_program_answer(self.program[day])
                case eq3.WriteProgram(program=program):
                    return eq3.encode_program_written(program.day)
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
                low_battery=self.low_battery, valve_pct=self.valve_pct, target_temp_c=self.holding_c,
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
                self._program_period = self._period(now)
            case eq3.SetModeAuto():
                self.manual = False
                self.away_until = None
                self._program_period = None
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
                self._program_period = self._period(now)
            case eq3.SelectEco():
                self.target_c = self.eco_c
                self._program_period = self._period(now)
            case eq3.ConfigureComfortEco(comfort_temp_c=comfort_c, eco_temp_c=eco_c):
                self.comfort_c, self.eco_c = comfort_c, eco_c
            case eq3.ConfigureOffset(offset_c=offset_c):
                self.offset_c = offset_c
            case eq3.ConfigureWindow(temp_c=temp_c, minutes=minutes):
                self.window_open_c, self.window_open_minutes = temp_c, minutes
            case eq3.SetLock(on=on):
                self.locked = on
            case eq3.WriteProgram(program=program):
                self.program[program.day] = program
                if self._program_period is not None:
                    # The new program applies from its next switch point, like a target set by hand.
                    self._program_period = self._period(now)
            case eq3.ReadProgram():
                pass

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
        target_c = self.holding_c
        if self.boost_until is not None or target_c >= eq3.ON_TEMP_C:
            return 100.0
        if target_c <= eq3.OFF_TEMP_C:
            return 0.0
        return max(0.0, min(100.0, (target_c - sensed_c) / self.proportional_band_k * 100.0))

    def _expire(self, now: datetime) -> None:
        if self.boost_until is not None and now >= self.boost_until:
            self.boost_until = None
        if self.window_until is not None and now >= self.window_until:
            self.window_open = False
            self.window_until = None
        if self.away_until is not None and self.local_time(now).replace(tzinfo=None) >= \
                self.away_until.replace(tzinfo=None):
            self.away_until = None
            self._program_period = None
            self._follow_program(now)

    def _day_program(self, local: datetime) -> eq3.DayProgram:
        return self.program[eq3.WEEK_ORDER[local.weekday()]]

    def _period(self, now: datetime) -> tuple[date, int]:
        local = self.local_time(now)
        return local.date(), self._day_program(local).period_end(local.hour * 60 + local.minute)

    def program_temp_c(self, now: datetime) -> float:
        """The temperature the week program asks for now (on the valve's clock)."""
        with self._lock:
            local = self.local_time(now)
            return self._day_program(local).temp_at(local.hour * 60 + local.minute)

    def _follow_program(self, now: datetime) -> None:
        if self.manual:
            return
        period = self._period(now)
        if period != self._program_period:
            # A program switch point passed (or auto mode just began): the program's temperature wins.
            self._program_period = period
            self.target_c = self.program_temp_c(now)
