"""simulator.eq3_valve: a simulated eQ-3 valve that takes the real command bytes and runs its own thermostat."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from protocols import eq3
from simulator.eq3_valve import FrameIgnored, SimulatedEq3Valve, ValveUnreachable

MAC = "00:1A:22:0C:3B:5D"
# Monday 12 January 2026, 06:00 UTC = 07:00 in Amsterdam (inside the default comfort period).
MORNING = datetime(2026, 1, 12, 6, 0, tzinfo=timezone.utc)


def run(valve: SimulatedEq3Valve, room_temp_c: float, seconds: float, start: datetime, dt_s: float = 1.0) -> datetime:
    now = start
    for _ in range(int(seconds / dt_s)):
        now += timedelta(seconds=dt_s)
        valve.step(room_temp_c, dt_s, now)
    return now


def test_answers_a_status_request_in_the_newer_layout():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=21.0, valve_pct=16)
    status = eq3.decode_status(valve.handle_command(eq3.encode_status_request(datetime(2026, 1, 12, 7, 0)), MORNING))
    assert (status.mode, status.valve_pct, status.target_temp_c) == ("manual", 16, 21.0)
    assert status.presets == eq3.Eq3Presets(12.0, 15, 21.0, 17.0, 0.0)


def test_older_firmware_answers_the_short_layout_and_reports_low_battery():
    valve = SimulatedEq3Valve(MAC, firmware="old", battery_low=True)
    frame = valve.handle_command(eq3.encode_boost(True), MORNING)
    assert len(frame) == 6
    status = eq3.decode_status(frame)
    assert status.boost and status.low_battery and status.presets is None


def test_target_30_opens_fully_at_motor_speed_and_4_5_closes():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=20.0, valve_pct=0, full_stroke_s=40)
    valve.handle_command(eq3.encode_target(30.0), MORNING)
    now = run(valve, 25.0, 20, MORNING)
    assert valve.valve_pct == 50, "half a stroke in half the stroke time"
    now = run(valve, 25.0, 30, now)
    assert valve.valve_pct == 100
    valve.handle_command(eq3.encode_target(4.5), now)
    run(valve, 2.0, 60, now)
    assert valve.valve_pct == 0


def test_manual_target_opens_in_proportion_to_the_shortfall():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=20.0, proportional_band_k=2.0)
    run(valve, 19.0, 120, MORNING)
    assert valve.valve_pct == 50
    run(valve, 20.5, 120, MORNING)
    assert valve.valve_pct == 0


def test_auto_mode_follows_the_week_program():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=30.0)
    valve.handle_command(eq3.encode_mode_auto(), MORNING)
    assert valve.status(MORNING).target_temp_c == 21.0
    evening = datetime(2026, 1, 12, 21, 30, tzinfo=timezone.utc)  # 22:30 in Amsterdam
    valve.step(20.0, 1.0, evening)
    assert valve.status(evening).target_temp_c == 17.0


def test_a_target_in_auto_mode_holds_until_the_next_switch_point():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_mode_auto(), MORNING)
    valve.handle_command(eq3.encode_target(23.0), MORNING)
    valve.step(20.0, 1.0, MORNING + timedelta(hours=2))
    assert valve.status(MORNING).target_temp_c == 23.0
    night = MORNING + timedelta(hours=16)  # 23:00 in Amsterdam
    valve.step(20.0, 1.0, night)
    assert valve.status(night).target_temp_c == 17.0


def test_boost_opens_fully_for_five_minutes_then_returns():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=4.5)
    valve.handle_command(eq3.encode_boost(True), MORNING)
    now = run(valve, 20.0, 60, MORNING)
    assert valve.valve_pct == 100 and valve.status(now).boost
    now = run(valve, 20.0, 300, now)
    assert not valve.status(now).boost and valve.valve_pct == 0


def test_away_holds_its_temperature_until_its_end():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_away(12.0, datetime(2026, 1, 12, 9, 30)), MORNING)
    status = valve.status(MORNING)
    assert status.away and status.away_until == datetime(2026, 1, 12, 9, 30) and status.target_temp_c == 12.0
    later = MORNING + timedelta(hours=3)  # 10:00 local
    valve.step(20.0, 1.0, later)
    status = valve.status(later)
    assert not status.away and status.target_temp_c == 21.0


def test_newer_firmware_ignores_a_bare_switch_to_manual():
    valve = SimulatedEq3Valve(MAC)
    status = eq3.decode_status(valve.handle_command(bytes.fromhex("4040"), MORNING))
    assert status.mode == "auto"
    old = SimulatedEq3Valve(MAC, firmware="old")
    assert eq3.decode_status(old.handle_command(bytes.fromhex("4040"), MORNING)).mode == "manual"


def test_configuration_commands_show_in_the_presets():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_comfort_eco_config(22.0, 16.0), MORNING)
    valve.handle_command(eq3.encode_offset(-1.5), MORNING)
    valve.handle_command(eq3.encode_window_config(10.0, 30), MORNING)
    locked = eq3.decode_status(valve.handle_command(eq3.encode_lock(True), MORNING))
    assert locked.locked and locked.presets == eq3.Eq3Presets(10.0, 30, 22.0, 16.0, -1.5)
    assert eq3.decode_status(valve.handle_command(eq3.encode_eco(), MORNING)).target_temp_c == 16.0
    assert eq3.decode_status(valve.handle_command(eq3.encode_comfort(), MORNING)).target_temp_c == 22.0


def test_frames_a_real_valve_ignores_raise_and_change_nothing():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=20.0)
    for frame in (b"", bytes.fromhex("4108"), bytes.fromhex("99"), bytes.fromhex("412c00")):
        with pytest.raises(FrameIgnored):
            valve.handle_command(frame, MORNING)
    assert valve.status(MORNING).target_temp_c == 20.0 and valve.commands_received == []


def test_forced_failures_answer_nothing_and_change_nothing():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=20.0)
    valve.fail_next(2)
    for _ in range(2):
        with pytest.raises(ValveUnreachable):
            valve.handle_command(eq3.encode_target(30.0), MORNING)
    assert valve.status(MORNING).target_temp_c == 20.0
    valve.unreachable = True
    with pytest.raises(ValveUnreachable):
        valve.handle_command(eq3.encode_target(30.0), MORNING)
    valve.unreachable = False
    assert eq3.decode_status(valve.handle_command(eq3.encode_target(30.0), MORNING)).target_temp_c == 30.0


def test_a_garbled_answer_still_carries_out_the_command():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=20.0)
    valve.garble_next()
    with pytest.raises(eq3.Eq3DecodeError):
        eq3.decode_status(valve.handle_command(eq3.encode_target(30.0), MORNING))
    assert valve.status(MORNING).target_temp_c == 30.0


@pytest.mark.parametrize("kwargs", [dict(firmware="ancient"), dict(mode="eco"), dict(target_c=31.0)])
def test_refuses_impossible_valves(kwargs):
    with pytest.raises(ValueError):
        SimulatedEq3Valve(MAC, **kwargs)
