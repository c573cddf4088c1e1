"""The eQ-3 eqiva Bluetooth Smart radiator valve (CC-RT-BLE): a pure codec.

Commands are written to the write characteristic; the valve answers most of
them with a status notification on the notify characteristic. This module
encodes every command the system sends, decodes every command a valve accepts
(what the simulated valve needs), and decodes and encodes the status
notification, both the short layout of older firmware and the newer one that
appends the away end, the window-open settings, comfort, eco and offset; and
the valve's own week program: one day's program is written with ``10``, read
with ``20``, answered with ``21`` (a read) or ``02 02 <day>`` (a write).

No I/O, no clock: callers pass times in. Temperatures travel as ``t × 2`` in
0.5 °C steps between 4.5 °C (the valve's OFF) and 30.0 °C (its ON).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WRITE_CHARACTERISTIC_UUID = "3fa4585a-ce4a-3bad-db4b-b8df8179ea09"
NOTIFY_CHARACTERISTIC_UUID = "d0e8434d-cd29-0996-af41-6c90f4e0eb2a"

TEMP_MIN_C = 4.5
TEMP_MAX_C = 30.0
OFF_TEMP_C = TEMP_MIN_C
ON_TEMP_C = TEMP_MAX_C
OFFSET_MIN_C = -3.5
OFFSET_MAX_C = 3.5
WINDOW_MINUTES_MAX = 60

# Command bytes (the first byte of a frame written to the valve).
CMD_STATUS_REQUEST = 0x03
CMD_PROGRAM_WRITE = 0x10
CMD_PROGRAM_READ = 0x20
CMD_COMFORT_ECO_CONFIGURE = 0x11
CMD_OFFSET_CONFIGURE = 0x13
CMD_WINDOW_CONFIGURE = 0x14
CMD_MODE = 0x40
CMD_TARGET = 0x41
CMD_COMFORT = 0x43
CMD_ECO = 0x44
CMD_BOOST = 0x45
CMD_LOCK = 0x80

STATUS_FRAME_KIND = 0x02
STATUS_FRAME_SUBKIND = 0x01
STATUS_TARGET_MARKER = 0x04
STATUS_LEN_OLD = 6
STATUS_LEN_AWAY = 10
STATUS_LEN_NEW = 15

# The week program. Layouts (all read to learn, none copied):
# - Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Timers": read
#   ``20 <day>``; answer ``21 <day>`` then 7 pairs (temperature ×2, end of that period in
#   10-minute units, 24:00 = 0x90), pairs after the 24:00 one filled with zeros; write
#   ``10 <day>`` and the same 7 pairs; the valve answers a write with ``02 02 <day>``.
# - rytilahti/python-eq3bt eq3bt/structures.py (``Schedule``: cmd, day, then
#   GreedyRange(target_temp, next_change_at)) and eq3bt/eq3btsmart.py (PROP_SCHEDULE_QUERY
#   0x20, PROP_SCHEDULE_RETURN 0x21, ``NAME_TO_DAY`` with 0 = Saturday).
# - EuleMitKeule/eq3btsmart eq3btsmart/const.py (``WeekDay`` SATURDAY = 0 … FRIDAY = 6,
#   SCHEDULE_SET 0x10, SCHEDULE_GET 0x20, SCHEDULE_RETURN 0x21) and eq3btsmart/structures.py.
# A frame always carries all 7 pairs: the valve overwrites only the bytes sent (Heckie75,
# "Read latest command request"), so a shorter write could leave an old period behind.
CMD_PROGRAM_ANSWER = 0x21
PROGRAM_WRITTEN_KIND = 0x02
PROGRAM_WRITTEN_SUBKIND = 0x02
#: The valve's day byte is the index here (0 = Saturday).
PROGRAM_DAYS: tuple[str, ...] = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")
#: The order the bridges read and answer days in.
WEEK_ORDER: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROGRAM_POINTS_MAX = 7
PROGRAM_STEP_MIN = 10
DAY_END_MIN = 24 * 60
PROGRAM_FRAME_LEN = 2 + 2 * PROGRAM_POINTS_MAX

#: The status flags byte: field name -> bit. One row per flag; 0x40 has no known meaning.
STATUS_FLAGS: tuple[tuple[str, int], ...] = (
    ("manual", 0x01),
    ("away", 0x02),
    ("boost", 0x04),
    ("dst", 0x08),
    ("window_open", 0x10),
    ("locked", 0x20),
    ("low_battery", 0x80),
)


class Eq3Error(ValueError):
    """Base of the codec's errors."""


class Eq3EncodeError(Eq3Error):
    """A value cannot be expressed as an eQ-3 command (out of range, wrong step)."""


class Eq3DecodeError(Eq3Error):
    """Bytes that are not a valid eQ-3 frame of the expected kind."""


@dataclass(frozen=True)
class Eq3Presets:
    """The settings newer firmware appends to each status notification."""

    window_open_temp_c: float
    window_open_minutes: int
    comfort_temp_c: float
    eco_temp_c: float
    offset_c: float


@dataclass(frozen=True)
class Eq3Status:
    """One decoded status notification.

    ``away_until`` is the valve's local wall-clock time (naive) and is set only
    while the away flag is; ``presets`` only on firmware that reports them.
    """

    manual: bool
    away: bool
    boost: bool
    dst: bool
    window_open: bool
    locked: bool
    low_battery: bool
    valve_pct: int
    target_temp_c: float
    away_until: datetime | None = None
    presets: Eq3Presets | None = None

    @property
    def mode(self) -> str:
        return "manual" if self.manual else "auto"


@dataclass(frozen=True)
class DayProgram:
    """One day of the valve's week program.

    ``points`` are ``(until_minute, temp_c)``: ``temp_c`` holds from the previous
    point's ``until_minute`` (or 00:00) up to ``until_minute``; the last ends at 1440 (24:00).
    Construction does not validate; encoding does (Eq3EncodeError).
    """

    day: str
    points: tuple[tuple[int, float], ...]

    def temp_at(self, minute_of_day: int) -> float:
        """The program's temperature at ``minute_of_day`` (0–1439)."""
        for until_minute, temp_c in self.points:
            if minute_of_day < until_minute:
                return temp_c
        return self.points[-1][1]

    def period_end(self, minute_of_day: int) -> int:
        """The end (minute of the day) of the period that holds at ``minute_of_day``."""
        for until_minute, _ in self.points:
            if minute_of_day < until_minute:
                return until_minute
        return DAY_END_MIN


# --- commands the valve accepts, as typed values (decode_command's results) ---


@dataclass(frozen=True)
class StatusRequest:
    local_time: datetime


@dataclass(frozen=True)
class SetTarget:
    temp_c: float


@dataclass(frozen=True)
class SetModeAuto:
    pass


@dataclass(frozen=True)
class SetModeManual:
    #: None for a bare switch to manual (``40 40``), which some firmware refuses.
    temp_c: float | None


@dataclass(frozen=True)
class SetAway:
    temp_c: float
    until: datetime


@dataclass(frozen=True)
class SetBoost:
    on: bool


@dataclass(frozen=True)
class SelectComfort:
    pass


@dataclass(frozen=True)
class SelectEco:
    pass


@dataclass(frozen=True)
class ConfigureComfortEco:
    comfort_temp_c: float
    eco_temp_c: float


@dataclass(frozen=True)
class ConfigureOffset:
    offset_c: float


@dataclass(frozen=True)
class ConfigureWindow:
    temp_c: float
    minutes: int


@dataclass(frozen=True)
class SetLock:
    on: bool


@dataclass(frozen=True)
class WriteProgram:
    program: DayProgram


@dataclass(frozen=True)
class ReadProgram:
    day: str


Eq3Command = (
    StatusRequest | SetTarget | SetModeAuto | SetModeManual | SetAway | SetBoost | SelectComfort
    | SelectEco | ConfigureComfortEco | ConfigureOffset | ConfigureWindow | SetLock | WriteProgram | ReadProgram
)


# --- field codecs ---


def temp_to_byte(temp_c: float) -> int:
    """``t × 2`` for a temperature in 0.5 °C steps within 4.5–30.0 °C; Eq3EncodeError otherwise."""
    if isinstance(temp_c, bool) or not isinstance(temp_c, (int, float)):
        raise Eq3EncodeError(f"temperature must be a number, not {temp_c!r}")
    doubled = temp_c * 2
    if not TEMP_MIN_C <= temp_c <= TEMP_MAX_C or doubled != int(doubled):
        raise Eq3EncodeError(f"{temp_c} °C is not a valve temperature (4.5 to 30.0 in steps of 0.5)")
    return int(doubled)


def byte_to_temp(value: int) -> float:
    """The temperature of a ``t × 2`` byte; Eq3DecodeError outside 4.5–30.0 °C."""
    if not int(TEMP_MIN_C * 2) <= value <= int(TEMP_MAX_C * 2):
        raise Eq3DecodeError(f"temperature byte 0x{value:02x} is outside 4.5 to 30.0 °C")
    return value / 2


def offset_to_byte(offset_c: float) -> int:
    doubled = (offset_c - OFFSET_MIN_C) * 2
    if not OFFSET_MIN_C <= offset_c <= OFFSET_MAX_C or doubled != int(doubled):
        raise Eq3EncodeError(f"offset {offset_c} °C is not -3.5 to +3.5 in steps of 0.5")
    return int(doubled)


def byte_to_offset(value: int) -> float:
    if not 0 <= value <= int((OFFSET_MAX_C - OFFSET_MIN_C) * 2):
        raise Eq3DecodeError(f"offset byte 0x{value:02x} is outside -3.5 to +3.5 °C")
    return value / 2 + OFFSET_MIN_C


def away_time_to_bytes(until: datetime) -> bytes:
    """``DD YY hh×2(+1 at :30) MM``; the valve counts in half hours, so other minutes are refused."""
    if until.minute not in (0, 30) or until.second or until.microsecond:
        raise Eq3EncodeError(f"away end {until:%Y-%m-%d %H:%M:%S} must fall on a full or half hour")
    if not 2000 <= until.year <= 2099:
        raise Eq3EncodeError(f"away end year {until.year} is outside 2000 to 2099")
    return bytes([until.day, until.year - 2000, until.hour * 2 + (1 if until.minute == 30 else 0), until.month])


def bytes_to_away_time(raw: bytes) -> datetime:
    day, year, half_hours, month = raw
    try:
        return datetime(2000 + year, month, day, half_hours // 2, 30 if half_hours % 2 else 0)
    except ValueError as exc:
        raise Eq3DecodeError(f"away end {raw.hex()} is not a date and time: {exc}") from exc


# --- encoders ---


def encode_status_request(local_time: datetime) -> bytes:
    """Ask for a status notification and set the valve's clock to ``local_time`` (its wall clock)."""
    if not 2000 <= local_time.year <= 2099:
        raise Eq3EncodeError(f"year {local_time.year} is outside 2000 to 2099")
    return bytes([CMD_STATUS_REQUEST, local_time.year - 2000, local_time.month, local_time.day,
                  local_time.hour, local_time.minute, local_time.second])


def encode_target(temp_c: float) -> bytes:
    return bytes([CMD_TARGET, temp_to_byte(temp_c)])


def encode_mode_auto() -> bytes:
    return bytes([CMD_MODE, 0x00])


def encode_mode_manual(temp_c: float) -> bytes:
    """Manual mode holding ``temp_c``: sent with a temperature, since a bare switch can be refused."""
    return bytes([CMD_MODE, 0x40 | temp_to_byte(temp_c)])


def encode_away(temp_c: float, until: datetime) -> bytes:
    """Away (holiday) mode at ``temp_c`` until ``until``, the valve's local wall-clock time."""
    return bytes([CMD_MODE, 0x80 | temp_to_byte(temp_c)]) + away_time_to_bytes(until)


def encode_boost(on: bool) -> bytes:
    return bytes([CMD_BOOST, 0x01 if on else 0x00])


def encode_comfort() -> bytes:
    return bytes([CMD_COMFORT])


def encode_eco() -> bytes:
    return bytes([CMD_ECO])


def encode_comfort_eco_config(comfort_temp_c: float, eco_temp_c: float) -> bytes:
    return bytes([CMD_COMFORT_ECO_CONFIGURE, temp_to_byte(comfort_temp_c), temp_to_byte(eco_temp_c)])


def encode_offset(offset_c: float) -> bytes:
    return bytes([CMD_OFFSET_CONFIGURE, offset_to_byte(offset_c)])


def encode_window_config(temp_c: float, minutes: int) -> bytes:
    """Window-open temperature and duration; the valve counts minutes in steps of 5, up to 60."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= WINDOW_MINUTES_MAX \
            or minutes % 5:
        raise Eq3EncodeError(f"window-open duration {minutes!r} min must be 0 to 60 in steps of 5")
    return bytes([CMD_WINDOW_CONFIGURE, temp_to_byte(temp_c), minutes // 5])


def encode_lock(on: bool) -> bytes:
    return bytes([CMD_LOCK, 0x01 if on else 0x00])


def _day_byte(day: str) -> int:
    if day not in PROGRAM_DAYS:
        raise Eq3EncodeError(f"day {day!r} is not one of {', '.join(WEEK_ORDER)}")
    return PROGRAM_DAYS.index(day)


def _program_pairs(program: DayProgram) -> bytes:
    """The 7 (t×2, until/10) pairs of a valid day program, zero-filled after 24:00."""
    points = tuple(program.points)
    if not 1 <= len(points) <= PROGRAM_POINTS_MAX:
        raise Eq3EncodeError(f"a day program has 1 to 7 periods, not {len(points)}")
    pairs = bytearray()
    previous = 0
    for until_minute, temp_c in points:
        if isinstance(until_minute, bool) or not isinstance(until_minute, int) or until_minute % PROGRAM_STEP_MIN \
                or not previous < until_minute <= DAY_END_MIN:
            raise Eq3EncodeError(f"program times must increase in 10-minute steps up to 24:00, got {until_minute!r}")
        pairs += bytes([temp_to_byte(temp_c), until_minute // PROGRAM_STEP_MIN])
        previous = until_minute
    if previous != DAY_END_MIN:
        raise Eq3EncodeError("the last period of a day program must end at 24:00")
    return bytes(pairs) + bytes(2 * (PROGRAM_POINTS_MAX - len(points)))


def encode_program_write(program: DayProgram) -> bytes:
    """Write one day's program: ``10 <day>`` and 7 pairs (16 bytes); Eq3EncodeError for a bad program."""
    return bytes([CMD_PROGRAM_WRITE, _day_byte(program.day)]) + _program_pairs(program)


def encode_program_read(day: str) -> bytes:
    """Ask for one day's program (``20 <day>``); the valve answers with ``21 <day> …``."""
    return bytes([CMD_PROGRAM_READ, _day_byte(day)])


def encode_program_answer(program: DayProgram) -> bytes:
    """The valve's answer to a read of this day (the reference encoder decode_program inverts)."""
    return bytes([CMD_PROGRAM_ANSWER, _day_byte(program.day)]) + _program_pairs(program)


def encode_program_written(day: str) -> bytes:
    """The valve's answer to a write of ``day``: ``02 02 <day>``."""
    return bytes([PROGRAM_WRITTEN_KIND, PROGRAM_WRITTEN_SUBKIND, _day_byte(day)])


# --- decoders ---


def _decode_pairs(frame: bytes, day: str) -> DayProgram:
    """The points of 7 pairs up to and including the 24:00 one; what follows must be zero."""
    pairs = frame[2:]
    points: list[tuple[int, float]] = []
    previous = 0
    for index in range(0, len(pairs), 2):
        temp_raw, until_raw = pairs[index], pairs[index + 1]
        until_minute = until_raw * PROGRAM_STEP_MIN
        if not previous < until_minute <= DAY_END_MIN:
            raise Eq3DecodeError(f"program times do not increase up to 24:00: {frame.hex()}")
        points.append((until_minute, byte_to_temp(temp_raw)))
        previous = until_minute
        if until_minute == DAY_END_MIN:
            if any(pairs[index + 2:]):
                raise Eq3DecodeError(f"program has bytes after its 24:00 period: {frame.hex()}")
            return DayProgram(day, tuple(points))
    raise Eq3DecodeError(f"program does not end at 24:00: {frame.hex()}")


def _program_frame_day(frame: bytes, what: str) -> str:
    if len(frame) != PROGRAM_FRAME_LEN:
        raise Eq3DecodeError(f"{what} needs {PROGRAM_FRAME_LEN} bytes, got {len(frame)}: {frame.hex()}")
    if frame[1] >= len(PROGRAM_DAYS):
        raise Eq3DecodeError(f"{what} for day byte 0x{frame[1]:02x}, which is not a day: {frame.hex()}")
    return PROGRAM_DAYS[frame[1]]


def decode_program(frame: bytes) -> DayProgram:
    """Decode the valve's answer to a program read (``21 <day>`` and 7 pairs, 16 bytes).

    Guarantees a DayProgram with 1–7 increasing points ending at 24:00, or an Eq3DecodeError.
    """
    frame = bytes(frame)
    if not frame or frame[0] != CMD_PROGRAM_ANSWER:
        raise Eq3DecodeError(f"not a program answer: {frame.hex() or 'empty'}")
    return _decode_pairs(frame, _program_frame_day(frame, "program answer"))


def decode_program_written(frame: bytes) -> str:
    """The day the valve confirms in its answer to a program write (``02 02 <day>``); Eq3DecodeError otherwise."""
    frame = bytes(frame)
    if len(frame) != 3 or frame[0] != PROGRAM_WRITTEN_KIND or frame[1] != PROGRAM_WRITTEN_SUBKIND \
            or frame[2] >= len(PROGRAM_DAYS):
        raise Eq3DecodeError(f"not a confirmation of a program write: {frame.hex() or 'empty'}")
    return PROGRAM_DAYS[frame[2]]


def decode_status(frame: bytes) -> Eq3Status:
    """Decode a status notification (6 bytes, 10 with an away end, 15 with presets).

    Guarantees a complete Eq3Status or an Eq3DecodeError naming what is wrong.
    Bytes beyond the 15 known ones are ignored, so a longer future layout still decodes.
    """
    frame = bytes(frame)
    if len(frame) < STATUS_LEN_OLD:
        raise Eq3DecodeError(f"status notification too short: {frame.hex() or 'empty'}")
    if frame[0] != STATUS_FRAME_KIND or frame[1] != STATUS_FRAME_SUBKIND:
        raise Eq3DecodeError(f"not a status notification: {frame.hex()}")
    if STATUS_LEN_OLD < len(frame) < STATUS_LEN_AWAY or STATUS_LEN_AWAY < len(frame) < STATUS_LEN_NEW:
        raise Eq3DecodeError(f"status notification of unknown length {len(frame)}: {frame.hex()}")
    if frame[4] != STATUS_TARGET_MARKER:
        raise Eq3DecodeError(f"status notification without target marker 04: {frame.hex()}")
    flags_byte, valve_pct = frame[2], frame[3]
    if valve_pct > 100:
        raise Eq3DecodeError(f"valve position {valve_pct} % is above 100: {frame.hex()}")
    flags = {name: bool(flags_byte & bit) for name, bit in STATUS_FLAGS}
    target_temp_c = byte_to_temp(frame[5])
    away_until = None
    if len(frame) >= STATUS_LEN_AWAY and flags["away"]:
        away_until = bytes_to_away_time(frame[6:10])
    presets = None
    if len(frame) >= STATUS_LEN_NEW:
        window_raw = frame[11]
        if window_raw * 5 > WINDOW_MINUTES_MAX:
            raise Eq3DecodeError(f"window-open duration byte 0x{window_raw:02x} is above 60 min")
        presets = Eq3Presets(
            window_open_temp_c=byte_to_temp(frame[10]),
            window_open_minutes=window_raw * 5,
            comfort_temp_c=byte_to_temp(frame[12]),
            eco_temp_c=byte_to_temp(frame[13]),
            offset_c=byte_to_offset(frame[14]),
        )
    return Eq3Status(valve_pct=valve_pct, target_temp_c=target_temp_c, away_until=away_until,
                     presets=presets, **flags)


def encode_status(status: Eq3Status, *, newer_layout: bool) -> bytes:
    """The notification a valve with this status sends (the reference encoder decode_status inverts).

    The older layout carries the away end only while away; the newer one always
    carries it (zeros when not away) followed by the presets, which it requires.
    """
    flags_byte = 0
    for name, bit in STATUS_FLAGS:
        if getattr(status, name):
            flags_byte |= bit
    if not 0 <= status.valve_pct <= 100:
        raise Eq3EncodeError(f"valve position {status.valve_pct} % is outside 0 to 100")
    frame = bytes([STATUS_FRAME_KIND, STATUS_FRAME_SUBKIND, flags_byte, status.valve_pct,
                   STATUS_TARGET_MARKER, temp_to_byte(status.target_temp_c)])
    away = away_time_to_bytes(status.away_until) if status.away and status.away_until else None
    if not newer_layout:
        return frame + away if away else frame
    if status.presets is None:
        raise Eq3EncodeError("the newer status layout needs presets")
    p = status.presets
    if p.window_open_minutes % 5 or not 0 <= p.window_open_minutes <= WINDOW_MINUTES_MAX:
        raise Eq3EncodeError(f"window-open duration {p.window_open_minutes} min must be 0 to 60 in steps of 5")
    return frame + (away or bytes(4)) + bytes([
        temp_to_byte(p.window_open_temp_c), p.window_open_minutes // 5, temp_to_byte(p.comfort_temp_c),
        temp_to_byte(p.eco_temp_c), offset_to_byte(p.offset_c)])


def _expect_len(frame: bytes, length: int) -> None:
    if len(frame) != length:
        raise Eq3DecodeError(f"command 0x{frame[0]:02x} needs {length} bytes, got {len(frame)}: {frame.hex()}")


def decode_command(frame: bytes) -> Eq3Command:
    """Decode a frame written to the valve into the command it means (what a valve understands).

    Raises Eq3DecodeError for frames a valve ignores: unknown command bytes,
    wrong lengths, out-of-range values.
    """
    frame = bytes(frame)
    if not frame:
        raise Eq3DecodeError("empty command frame")
    cmd = frame[0]
    if cmd == CMD_STATUS_REQUEST:
        _expect_len(frame, 7)
        try:
            return StatusRequest(datetime(2000 + frame[1], frame[2], frame[3], frame[4], frame[5], frame[6]))
        except ValueError as exc:
            raise Eq3DecodeError(f"status request with an invalid time {frame.hex()}: {exc}") from exc
    if cmd == CMD_TARGET:
        _expect_len(frame, 2)
        return SetTarget(byte_to_temp(frame[1]))
    if cmd == CMD_MODE:
        if len(frame) < 2:
            raise Eq3DecodeError(f"mode command without a mode byte: {frame.hex()}")
        mode_byte = frame[1]
        if mode_byte & 0xC0 == 0x80:
            _expect_len(frame, 6)
            return SetAway(byte_to_temp(mode_byte & 0x3F), bytes_to_away_time(frame[2:6]))
        _expect_len(frame, 2)
        if mode_byte == 0x00:
            return SetModeAuto()
        if mode_byte & 0xC0 == 0x40:
            raw = mode_byte & 0x3F
            return SetModeManual(byte_to_temp(raw) if raw else None)
        raise Eq3DecodeError(f"unknown mode byte 0x{mode_byte:02x}")
    if cmd == CMD_BOOST:
        _expect_len(frame, 2)
        # Any non-zero byte starts boost: Heckie75/eQ-3-radiator-thermostat
        # eq-3-radiator-thermostat-api.md ("Activate boost mode", sent as 45 ff); prefixFelix/
        # eqiva-radiator-thermostat eqiva.py sends 45 ff too.
        return SetBoost(frame[1] != 0)
    if cmd == CMD_LOCK:
        _expect_len(frame, 2)
        if frame[1] not in (0, 1):
            raise Eq3DecodeError(f"command 0x{cmd:02x} takes 00 or 01, got 0x{frame[1]:02x}")
        return SetLock(frame[1] == 1)
    if cmd == CMD_PROGRAM_READ:
        _expect_len(frame, 2)
        if frame[1] >= len(PROGRAM_DAYS):
            raise Eq3DecodeError(f"program read for day byte 0x{frame[1]:02x}, which is not a day")
        return ReadProgram(PROGRAM_DAYS[frame[1]])
    if cmd == CMD_PROGRAM_WRITE:
        return WriteProgram(_decode_pairs(frame, _program_frame_day(frame, "program write")))
    if cmd == CMD_COMFORT:
        _expect_len(frame, 1)
        return SelectComfort()
    if cmd == CMD_ECO:
        _expect_len(frame, 1)
        return SelectEco()
    if cmd == CMD_COMFORT_ECO_CONFIGURE:
        _expect_len(frame, 3)
        return ConfigureComfortEco(byte_to_temp(frame[1]), byte_to_temp(frame[2]))
    if cmd == CMD_OFFSET_CONFIGURE:
        _expect_len(frame, 2)
        return ConfigureOffset(byte_to_offset(frame[1]))
    if cmd == CMD_WINDOW_CONFIGURE:
        _expect_len(frame, 3)
        if frame[2] * 5 > WINDOW_MINUTES_MAX:
            raise Eq3DecodeError(f"window-open duration byte 0x{frame[2]:02x} is above 60 min")
        return ConfigureWindow(byte_to_temp(frame[1]), frame[2] * 5)
    raise Eq3DecodeError(f"unknown command 0x{cmd:02x}: {frame.hex()}")
