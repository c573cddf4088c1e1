"""simulator.eq3_valve: a simulated eQ-3 valve that takes the real command bytes and runs its own thermostat."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from protocols import eq3
from simulator.eq3_valve import FrameIgnored, SimulatedEq3Valve, ValveUnreachable

MAC = "00:1A:22:0C:3B:5D"
# Monday 12 January 2026, 06:00 UTC = 07:00 in Amsterdam (inside the factory program's 06:00–09:00 at 21.0 °C).
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


def test_auto_mode_follows_the_factory_week_program():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=30.0)
    valve.handle_command(eq3.encode_mode_auto(), MORNING)
    assert valve.status(MORNING).target_temp_c == 21.0
    # Amsterdam times 09:00, 16:50, 17:00, 22:50, 23:00: the factory switch points.
    for utc_hour, utc_minute, expected in ((8, 0, 17.0), (15, 50, 17.0), (16, 0, 21.0), (21, 50, 21.0),
                                           (22, 0, 17.0)):
        moment = datetime(2026, 1, 12, utc_hour, utc_minute, tzinfo=timezone.utc)
        valve.step(20.0, 1.0, moment)
        assert valve.status(moment).target_temp_c == expected, moment


def test_the_default_program_is_the_eq3_factory_program_on_every_day():
    valve = SimulatedEq3Valve(MAC)
    assert list(valve.program) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    for day, program in valve.program.items():
        assert program == eq3.DayProgram(day, ((360, 17.0), (540, 21.0), (1020, 17.0), (1380, 21.0), (1440, 17.0)))


def test_comfort_from_and_until_still_build_the_simple_shape():
    valve = SimulatedEq3Valve(MAC, comfort_from=time(7, 0), comfort_until=time(22, 0), comfort_c=20.0, eco_c=16.0)
    assert valve.program["wed"].points == ((420, 16.0), (1320, 20.0), (1440, 16.0))


def test_a_target_in_auto_mode_holds_until_the_next_switch_point():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_mode_auto(), MORNING)
    valve.handle_command(eq3.encode_target(23.0), MORNING)
    valve.step(20.0, 1.0, MORNING + timedelta(minutes=119))  # 08:59 in Amsterdam
    assert valve.status(MORNING).target_temp_c == 23.0
    switch = MORNING + timedelta(hours=2)  # 09:00 in Amsterdam
    valve.step(20.0, 1.0, switch)
    assert valve.status(switch).target_temp_c == 17.0


def test_reads_and_writes_the_program_as_the_real_valve_answers():
    valve = SimulatedEq3Valve(MAC)
    # Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Set timer for a day":
    # this write for Friday is answered 02 02 06.
    assert valve.handle_command(bytes.fromhex("100622632a8922900000000000000000"), MORNING).hex() == "020206"
    friday = eq3.DayProgram("fri", ((990, 17.0), (1370, 21.0), (1440, 17.0)))
    assert valve.program["fri"] == friday
    assert eq3.decode_program(valve.handle_command(eq3.encode_program_read("fri"), MORNING)) == friday
    monday = eq3.decode_program(valve.handle_command(bytes.fromhex("2002"), MORNING))
    assert monday.day == "mon" and monday.points[0] == (360, 17.0)


def test_a_program_write_applies_from_the_next_switch_point():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_mode_auto(), MORNING)  # Monday 07:00: 21.0 until 09:00
    new_monday = eq3.DayProgram("mon", ((480, 18.0), (1440, 19.0)))
    valve.handle_command(eq3.encode_program_write(new_monday), MORNING)
    assert valve.status(MORNING).target_temp_c == 21.0
    eight = MORNING + timedelta(hours=1)  # 08:00: the new program's switch point
    valve.step(20.0, 1.0, eight)
    assert valve.status(eight).target_temp_c == 19.0


def test_the_program_follows_the_valves_own_clock_and_weekday():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_program_write(eq3.DayProgram("sat", ((1440, 12.0),))), MORNING)
    # The bridge sets the valve's clock to Saturday 17 January 10:00 while the house says Monday.
    valve.handle_command(eq3.encode_status_request(datetime(2026, 1, 17, 10, 0)), MORNING)
    status = eq3.decode_status(valve.handle_command(eq3.encode_mode_auto(), MORNING))
    assert status.target_temp_c == 12.0


def test_boost_opens_fully_for_five_minutes_then_returns():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=4.5)
    valve.handle_command(eq3.encode_boost(True), MORNING)
    now = run(valve, 20.0, 60, MORNING)
    assert valve.valve_pct == 100 and valve.status(now).boost
    now = run(valve, 20.0, 300, now)
    assert not valve.status(now).boost and valve.valve_pct == 0


def test_away_holds_its_temperature_until_its_end_then_returns_to_the_program():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=25.0)
    valve.handle_command(eq3.encode_away(30.0, datetime(2026, 1, 12, 9, 30)), MORNING)
    status = valve.status(MORNING)
    assert status.away and status.mode == "auto" and status.target_temp_c == 30.0
    assert status.away_until == datetime(2026, 1, 12, 9, 30)
    before = MORNING + timedelta(hours=2, minutes=29)  # 09:29 local
    valve.step(20.0, 1.0, before)
    assert valve.status(before).away
    end = MORNING + timedelta(hours=2, minutes=30)  # 09:30 local
    valve.step(20.0, 1.0, end)
    status = valve.status(end)
    assert not status.away and status.mode == "auto" and status.target_temp_c == 17.0


def test_away_ends_by_the_valves_clock_not_the_houses():
    valve = SimulatedEq3Valve(MAC)
    valve.handle_command(eq3.encode_status_request(datetime(2026, 1, 12, 7, 30)), MORNING)  # 30 min ahead
    valve.handle_command(eq3.encode_away(30.0, datetime(2026, 1, 12, 8, 0)), MORNING)
    half_hour = MORNING + timedelta(minutes=30)  # 07:30 in Amsterdam, 08:00 on the valve
    valve.step(20.0, 1.0, half_hour)
    assert not valve.status(half_hour).away


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


@pytest.mark.parametrize("kwargs", [dict(firmware="ancient"), dict(mode="eco"), dict(target_c=31.0),
                                    dict(program={"mon": eq3.DayProgram("mon", ((600, 17.0),))})])
def test_refuses_impossible_valves(kwargs):
    with pytest.raises(ValueError):
        SimulatedEq3Valve(MAC, **kwargs)


def test_the_window_open_function_holds_its_temperature_then_returns():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=21.0, valve_pct=50, full_stroke_s=40)
    assert valve.open_window(MORNING)
    status = eq3.decode_status(valve.handle_command(eq3.encode_status_request(datetime(2026, 1, 12, 7, 0)), MORNING))
    assert (status.window_open, status.target_temp_c, status.mode) == (True, 12.0, "manual")
    now = run(valve, 19.0, 60, MORNING)
    assert valve.valve_pct == 0  # 12 °C wanted in a 19 °C room
    # A command meanwhile changes what the valve returns to, not what it holds.
    status = eq3.decode_status(valve.handle_command(eq3.encode_target(22.0), now))
    assert (status.window_open, status.target_temp_c) == (True, 12.0)
    after = MORNING + timedelta(minutes=15)
    status = eq3.decode_status(valve.handle_command(eq3.encode_status_request(datetime(2026, 1, 12, 7, 15)), after))
    assert (status.window_open, status.target_temp_c) == (False, 22.0)
    run(valve, 19.0, 60, after)
    assert valve.valve_pct == 100


def test_the_window_open_function_is_off_with_duration_zero_and_flags_show_in_the_old_layout():
    valve = SimulatedEq3Valve(MAC, window_open_minutes=0)
    assert not valve.open_window(MORNING)
    assert not valve.status(MORNING).window_open
    old = SimulatedEq3Valve(MAC, firmware="old", battery_low=True)
    assert old.open_window(MORNING)
    frame = old.handle_command(eq3.encode_status_request(datetime(2026, 1, 12, 7, 0)), MORNING)
    assert len(frame) == 6 and frame[2] & 0x10 and frame[2] & 0x80
    assert eq3.decode_status(frame).target_temp_c == 12.0


def test_boost_starts_with_any_byte_of_one_or_more():
    for byte in (0x01, 0x02, 0x80, 0xFF):
        valve = SimulatedEq3Valve(MAC, mode="manual", target_c=17.0)
        assert eq3.decode_status(valve.handle_command(bytes([0x45, byte]), MORNING)).boost
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=17.0)
    valve.handle_command(bytes([0x45, 0xFF]), MORNING)
    assert not eq3.decode_status(valve.handle_command(bytes([0x45, 0x00]), MORNING)).boost


def test_firmware_1_48_refuses_commands_until_paired_with_the_pin_on_its_display():
    from simulator.eq3_valve import NotPaired

    valve = SimulatedEq3Valve(MAC, version="1.48", pin="428715", mode="manual", target_c=19.0)
    with pytest.raises(NotPaired):
        valve.handle_command(eq3.encode_target(22.0), MORNING, "pi")
    assert valve.target_c == 19.0 and valve.commands_received == []
    assert not valve.pair("pi", "428716")
    assert valve.pair("pi", "428715")
    assert eq3.decode_status(valve.handle_command(eq3.encode_target(22.0), MORNING, "pi")).target_temp_c == 22.0
    # The bond is the Pi's: another central still needs the PIN.
    with pytest.raises(NotPaired):
        valve.handle_command(eq3.encode_target(23.0), MORNING, "esp32-attic")


def test_older_firmware_needs_no_pin():
    valve = SimulatedEq3Valve(MAC, version="1.46")
    assert not valve.needs_pin
    assert eq3.decode_status(valve.handle_command(eq3.encode_target(22.0), MORNING, "pi")).target_temp_c == 22.0
    with pytest.raises(ValueError, match="firmware version"):
        SimulatedEq3Valve(MAC, version="new")
