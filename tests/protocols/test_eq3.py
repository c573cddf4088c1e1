"""protocols.eq3: command encoders and the status notification decoder, on published frames."""
from __future__ import annotations

from datetime import datetime

import pytest

from protocols import eq3
from protocols.eq3 import Eq3DecodeError, Eq3EncodeError, Eq3Presets, Eq3Status

FLAGS_OFF = dict(manual=False, away=False, boost=False, dst=False, window_open=False, locked=False,
                 low_battery=False)


def status(**changes) -> Eq3Status:
    fields = dict(FLAGS_OFF, valve_pct=0, target_temp_c=20.0)
    fields.update(changes)
    return Eq3Status(**fields)


# Status notifications recorded in rytilahti/python-eq3bt eq3bt/tests/test_thermostat.py
# (STATUS_RESPONSES), with the values that test asserts.
RECORDED_STATUS = [
    ("020100000428", status()),  # 'auto'
    ("020101000428", status(manual=True)),  # 'manual'
    ("020110000428", status(window_open=True)),  # 'window'
    ("0201020004231d132e03", status(away=True, target_temp_c=17.5,
                                    away_until=datetime(2019, 3, 29, 23, 0))),  # 'away'
    ("020104000428", status(boost=True)),  # 'boost'
    ("020180000428", status(low_battery=True)),  # 'low_batt'
    ("020100160428", status(valve_pct=22)),  # 'valve_at_22'
]


@pytest.mark.parametrize("frame_hex, expected", RECORDED_STATUS)
def test_decodes_recorded_status(frame_hex, expected):
    assert eq3.decode_status(bytes.fromhex(frame_hex)) == expected


@pytest.mark.parametrize("frame_hex, expected", RECORDED_STATUS)
def test_reference_encoder_reproduces_recorded_status(frame_hex, expected):
    assert eq3.encode_status(expected, newer_layout=False).hex() == frame_hex


# The newer 15-byte layout: field order from EuleMitKeule/eq3btsmart eq3btsmart/_structures.py
# (_StatusStruct: away 4 bytes, then _PresetsStruct: window temp, window duration/5, comfort,
# eco, offset); values from that repository's tests/mock_client.py (mock_status, mock_presets:
# manual, valve 0x10, 21 °C; comfort 21, eco 17, window 12 °C for 5 min, offset 0).
NEW_LAYOUT_FRAME = "02010110042a" "00000000" "18" "01" "2a" "22" "07"
NEW_LAYOUT_STATUS = status(manual=True, valve_pct=16, target_temp_c=21.0, presets=Eq3Presets(
    window_open_temp_c=12.0, window_open_minutes=5, comfort_temp_c=21.0, eco_temp_c=17.0, offset_c=0.0))


def test_decodes_newer_layout_with_presets():
    assert eq3.decode_status(bytes.fromhex(NEW_LAYOUT_FRAME)) == NEW_LAYOUT_STATUS
    assert eq3.encode_status(NEW_LAYOUT_STATUS, newer_layout=True).hex() == NEW_LAYOUT_FRAME


def test_newer_layout_while_away_carries_the_away_end():
    # Away bytes [15, 22, 21, 6] = 2022-06-15 10:30: EuleMitKeule/eq3btsmart tests/test_eq3_away_time.py
    # (test_decode_valid_bytes); offset byte 9 = +1.0 °C: tests/test_eq3_temperature_offset.py.
    frame = bytes.fromhex("020102000423") + bytes([15, 22, 21, 6]) + bytes.fromhex("180a2a2209")
    decoded = eq3.decode_status(frame)
    assert decoded.away and decoded.away_until == datetime(2022, 6, 15, 10, 30)
    assert decoded.presets == Eq3Presets(12.0, 50, 21.0, 17.0, 1.0)
    assert eq3.encode_status(decoded, newer_layout=True) == frame


@pytest.mark.parametrize("frame_hex, why", [
    ("", "too short"),
    ("0201000004", "too short"),
    ("030100000428", "not a status notification"),
    ("020200000428", "not a status notification"),
    ("0201006504" "28", "above 100"),
    ("020100000528", "target marker"),
    ("020100000400", "outside 4.5"),
    ("02010000043d", "outside 4.5"),
    ("02010000042800", "unknown length"),
    ("0201000004280000000000", "unknown length"),
    ("0201020004231d130003" "00", "unknown length"),
    ("0201020004230013" "2e03", "not a date"),
    ("02010110042a00000000180d2a2207", "above 60"),
    ("02010110042a000000001801" "2a22" "0f", "offset byte"),
])
def test_rejects_bad_status(frame_hex, why):
    with pytest.raises(Eq3DecodeError, match=why):
        eq3.decode_status(bytes.fromhex(frame_hex))


def test_longer_future_layout_still_decodes():
    assert eq3.decode_status(bytes.fromhex(NEW_LAYOUT_FRAME + "ff")) == NEW_LAYOUT_STATUS


# Command frames. Sources: /work/shared/docs/protocols.md table (from python-eq3bt
# eq3bt/eq3btsmart.py and eq3btsmart eq3btsmart/_structures.py); time bytes [22, 6, 15, 10, 45, 30]
# from EuleMitKeule/eq3btsmart tests/test_eq3_time.py; temperature 22.0 -> 44 from
# tests/test_eq3_temperature.py; offset 1.0 -> 9 from tests/test_eq3_temperature_offset.py;
# 25 min -> 5 from tests/test_eq3_duration.py; away end 2022-06-15 10:30 -> [15, 22, 21, 6]
# from tests/test_eq3_away_time.py.
ENCODED_COMMANDS = [
    (eq3.encode_status_request(datetime(2022, 6, 15, 10, 45, 30)), "03" + bytes([22, 6, 15, 10, 45, 30]).hex(),
     eq3.StatusRequest(datetime(2022, 6, 15, 10, 45, 30))),
    (eq3.encode_target(22.0), "412c", eq3.SetTarget(22.0)),
    (eq3.encode_target(30.0), "413c", eq3.SetTarget(30.0)),
    (eq3.encode_target(4.5), "4109", eq3.SetTarget(4.5)),
    (eq3.encode_mode_auto(), "4000", eq3.SetModeAuto()),
    (eq3.encode_mode_manual(22.0), "406c", eq3.SetModeManual(22.0)),
    (eq3.encode_away(17.5, datetime(2022, 6, 15, 10, 30)), "40a3" + bytes([15, 22, 21, 6]).hex(),
     eq3.SetAway(17.5, datetime(2022, 6, 15, 10, 30))),
    (eq3.encode_boost(True), "4501", eq3.SetBoost(True)),
    (eq3.encode_boost(False), "4500", eq3.SetBoost(False)),
    (eq3.encode_comfort(), "43", eq3.SelectComfort()),
    (eq3.encode_eco(), "44", eq3.SelectEco()),
    (eq3.encode_comfort_eco_config(21.0, 17.0), "112a22", eq3.ConfigureComfortEco(21.0, 17.0)),
    (eq3.encode_offset(1.0), "1309", eq3.ConfigureOffset(1.0)),
    (eq3.encode_offset(-3.5), "1300", eq3.ConfigureOffset(-3.5)),
    (eq3.encode_window_config(12.0, 25), "141805", eq3.ConfigureWindow(12.0, 25)),
    (eq3.encode_lock(True), "8001", eq3.SetLock(True)),
    (eq3.encode_lock(False), "8000", eq3.SetLock(False)),
]


@pytest.mark.parametrize("frame, frame_hex, command", ENCODED_COMMANDS)
def test_encodes_and_decodes_commands(frame, frame_hex, command):
    assert frame.hex() == frame_hex
    assert eq3.decode_command(frame) == command


def test_bare_manual_switch_decodes_without_temperature():
    assert eq3.decode_command(bytes.fromhex("4040")) == eq3.SetModeManual(None)


@pytest.mark.parametrize("encode", [
    lambda: eq3.encode_target(4.0),
    lambda: eq3.encode_target(30.5),
    lambda: eq3.encode_target(21.3),
    lambda: eq3.encode_target(True),
    lambda: eq3.encode_target("21"),
    lambda: eq3.encode_mode_manual(31.0),
    lambda: eq3.encode_offset(4.0),
    lambda: eq3.encode_offset(0.2),
    lambda: eq3.encode_window_config(12.0, 65),
    lambda: eq3.encode_window_config(12.0, 7),
    lambda: eq3.encode_away(17.0, datetime(2022, 6, 15, 10, 45)),
    lambda: eq3.encode_away(17.0, datetime(2100, 6, 15, 10, 30)),
    lambda: eq3.encode_status_request(datetime(1999, 12, 31, 23, 59, 59)),
])
def test_refuses_values_the_valve_cannot_take(encode):
    with pytest.raises(Eq3EncodeError):
        encode()


@pytest.mark.parametrize("frame_hex", [
    "", "00", "41", "412c00", "4108", "413d", "4001", "40c0", "40a3", "450100", "8002", "4300", "1121",
    "130f", "14180d", "0316060f0a2d", "03160d0f0a2d1e",
    "20", "2007", "200200",  # program read: no day, day 7 (no such day), too long
    "1006", "100622632a89229000",  # program write shorter than the valve's 16 bytes
    "100722632a8922900000000000000000",  # day 7
    "100622632a8922800000000000000000",  # ends at 21:20, not 24:00
    "1006228922632290000000000000000000"[:32],  # times not increasing (22:50 then 16:30)
    "100622632a8922902a90000000000000",  # a period after 24:00
    "100608632a8922900000000000000000",  # 4.0 °C
    "10062200000000000000000000000000",  # an empty program (eq3btsmart's delete)
])
def test_decode_command_rejects_frames_a_valve_ignores(frame_hex):
    with pytest.raises(Eq3DecodeError):
        eq3.decode_command(bytes.fromhex(frame_hex))


def test_status_flags_table_covers_each_bit_once():
    bits = [bit for _, bit in eq3.STATUS_FLAGS]
    assert len(set(bits)) == len(bits) == 7
    for name, bit in eq3.STATUS_FLAGS:
        decoded = eq3.decode_status(bytes([2, 1, bit, 0, 4, 40]))
        assert [n for n, _ in eq3.STATUS_FLAGS if getattr(decoded, n)] == [name]


def test_boost_takes_any_non_zero_byte_as_on():
    # Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Activate boost mode":
    # "Any value greater or equal than 1 starts boost mode" (its example sends 45 ff).
    assert eq3.decode_command(bytes.fromhex("45ff")) == eq3.SetBoost(True)
    assert eq3.decode_command(bytes.fromhex("4502")) == eq3.SetBoost(True)


# --- the week program ---

# Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Set timer for a day": the
# frame written for Friday (byte 0x22 is 17.0 °C; that text calls it 17.5), and the answer 02 02 06.
FRIDAY_WRITE = "100622632a8922900000000000000000"
FRIDAY = eq3.DayProgram("fri", ((990, 17.0), (1370, 21.0), (1440, 17.0)))
# The same document, "Read timer for a day": the valve's answer for Monday (0x29 = 20.5 °C until
# 22:00 (0x84), 0x27 = 19.5 °C until 06:00 (0x24) and until 24:00 (0x90)).
MONDAY_ANSWER = "21022724298427900000000000000000"
MONDAY = eq3.DayProgram("mon", ((360, 19.5), (1320, 20.5), (1440, 19.5)))


def test_encodes_and_decodes_a_program_write():
    assert eq3.encode_program_write(FRIDAY).hex() == FRIDAY_WRITE
    assert eq3.decode_command(bytes.fromhex(FRIDAY_WRITE)) == eq3.WriteProgram(FRIDAY)


def test_decodes_the_valves_answer_to_a_write():
    assert eq3.decode_program_written(bytes.fromhex("020206")) == "fri"
    assert eq3.encode_program_written("fri").hex() == "020206"


def test_decodes_the_valves_answer_to_a_read():
    assert eq3.decode_program(bytes.fromhex(MONDAY_ANSWER)) == MONDAY
    assert eq3.encode_program_answer(MONDAY).hex() == MONDAY_ANSWER


@pytest.mark.parametrize("day, frame_hex", [
    # Day bytes: 0 = Saturday … 6 = Friday (Heckie75 "Days (Byte 2)"; python-eq3bt
    # eq3bt/structures.py NAME_TO_DAY; eq3btsmart eq3btsmart/const.py WeekDay); "2002" is
    # Heckie75's example read for Monday.
    ("sat", "2000"), ("sun", "2001"), ("mon", "2002"), ("tue", "2003"), ("wed", "2004"), ("thu", "2005"),
    ("fri", "2006"),
])
def test_encodes_and_decodes_a_program_read(day, frame_hex):
    assert eq3.encode_program_read(day).hex() == frame_hex
    assert eq3.decode_command(bytes.fromhex(frame_hex)) == eq3.ReadProgram(day)


def test_a_full_day_of_seven_periods_round_trips():
    program = eq3.DayProgram("sat", ((300, 4.5), (360, 17.0), (540, 21.0), (720, 17.0), (780, 21.5), (1020, 17.0),
                                     (1440, 30.0)))
    frame = eq3.encode_program_answer(program)
    assert len(frame) == 16 and frame[-1] == 0x90
    assert eq3.decode_program(frame) == program
    assert eq3.decode_command(eq3.encode_program_write(program)) == eq3.WriteProgram(program)


def test_program_temperature_and_period_end():
    assert [MONDAY.temp_at(m) for m in (0, 359, 360, 1319, 1320, 1439)] == [19.5, 19.5, 20.5, 20.5, 19.5, 19.5]
    assert [MONDAY.period_end(m) for m in (0, 360, 1439)] == [360, 1320, 1440]


@pytest.mark.parametrize("program", [
    eq3.DayProgram("mon", ()),
    eq3.DayProgram("mon", tuple((m, 17.0) for m in range(180, 1441, 180))),  # 8 periods
    eq3.DayProgram("mon", ((365, 17.0), (1440, 21.0))),  # not a 10-minute step
    eq3.DayProgram("mon", ((600, 17.0), (600, 21.0), (1440, 17.0))),  # not increasing
    eq3.DayProgram("mon", ((0, 17.0), (1440, 21.0))),  # a period ending at 00:00
    eq3.DayProgram("mon", ((600, 17.0), (1430, 21.0))),  # does not end at 24:00
    eq3.DayProgram("mon", ((600, 17.0), (1450, 21.0))),  # beyond 24:00
    eq3.DayProgram("mon", ((600, 4.0), (1440, 21.0))),
    eq3.DayProgram("mon", ((600, 17.0), (1440, 30.5))),
    eq3.DayProgram("mon", ((600, 17.3), (1440, 21.0))),
    eq3.DayProgram("mon", ((600.0, 17.0), (1440, 21.0))),  # a float time
    eq3.DayProgram("monday", ((1440, 21.0),)),
])
def test_refuses_programs_the_valve_cannot_take(program):
    with pytest.raises(Eq3EncodeError):
        eq3.encode_program_write(program)


@pytest.mark.parametrize("frame_hex", [
    "", "020106", "0202", "020207", "02020600",  # not 02 02 <day>
])
def test_refuses_answers_that_do_not_confirm_a_write(frame_hex):
    with pytest.raises(Eq3DecodeError):
        eq3.decode_program_written(bytes.fromhex(frame_hex))


@pytest.mark.parametrize("frame_hex", [
    "", "020100000428", FRIDAY_WRITE, MONDAY_ANSWER[:-2], MONDAY_ANSWER + "00",
    "21072724298427900000000000000000",  # day 7
    "21022724298427800000000000000000",  # ends at 21:20
    "21022724298427902790000000000000",  # a period after 24:00
    "21020024298427900000000000000000",  # temperature byte 0
])
def test_refuses_bad_program_answers(frame_hex):
    with pytest.raises(Eq3DecodeError):
        eq3.decode_program(bytes.fromhex(frame_hex))
