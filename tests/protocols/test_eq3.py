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
    "", "00", "41", "412c00", "4108", "413d", "4001", "40c0", "40a3", "4502", "8002", "4300", "1121",
    "130f", "14180d", "0316060f0a2d", "03160d0f0a2d1e",
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
