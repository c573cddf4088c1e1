"""Turning a simulated eQ-3's wheel by hand (``SimulatedEq3Valve.turn_by_hand``), in each mode.

The factory program (17 °C until 06:00, 21 °C until 09:00, 17 °C until 17:00, …) is the valve's
own; times below are Amsterdam wall-clock times in January (UTC+1).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from protocols import eq3
from simulator.eq3_valve import SimulatedEq3Valve

MAC = "00:1A:22:0A:0B:0C"
AT_0800 = datetime(2026, 1, 12, 7, 0, tzinfo=timezone.utc)  # a Monday, in the 06:00–09:00 comfort period


def _settle(valve: SimulatedEq3Valve, now: datetime) -> None:
    valve.step(20.0, 30.0, now)


def test_in_auto_mode_the_wheel_holds_until_the_programs_next_switch_point():
    valve = SimulatedEq3Valve(MAC, mode="auto")
    assert valve.program_temp_c(AT_0800) == 21.0
    # Turned before its first step: the program must not take the period back at that step.
    assert valve.turn_by_hand(23.5, AT_0800) is True
    _settle(valve, AT_0800 + timedelta(minutes=59))
    assert (valve.target_c, valve.status(AT_0800).mode) == (23.5, "auto")
    _settle(valve, AT_0800 + timedelta(minutes=61))  # 09:01: the program's 17 °C period began
    assert valve.target_c == 17.0 and not valve.manual


def test_in_manual_mode_the_wheel_holds_past_switch_points():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=19.0)
    assert valve.turn_by_hand(23.5, AT_0800) is True
    for hours in (2, 10, 30):
        _settle(valve, AT_0800 + timedelta(hours=hours))
        assert valve.target_c == 23.5 and valve.manual


def test_in_away_mode_the_wheel_changes_the_target_and_the_holiday_still_ends_on_time():
    valve = SimulatedEq3Valve(MAC, mode="auto")
    until = datetime(2026, 1, 12, 12, 0)  # the valve's local time
    valve.handle_command(eq3.encode_away(12.0, until), AT_0800)
    assert valve.turn_by_hand(15.0, AT_0800) is True
    _settle(valve, AT_0800 + timedelta(hours=2))
    assert valve.target_c == 15.0 and valve.away and valve.away_until.replace(tzinfo=None) == until
    _settle(valve, AT_0800 + timedelta(hours=4, minutes=1))  # 12:01: holiday over, back to the program
    assert not valve.away and valve.target_c == 17.0


def test_the_wheel_needs_no_radio_but_a_locked_valve_ignores_it():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=19.0)
    valve.unreachable = True
    assert valve.turn_by_hand(22.0, AT_0800) is True and valve.target_c == 22.0
    valve.unreachable = False
    valve.handle_command(eq3.encode_lock(True), AT_0800)
    assert valve.turn_by_hand(25.0, AT_0800) is False
    assert valve.target_c == 22.0


@pytest.mark.parametrize("temp_c", [4.0, 30.5, 20.2, True])
def test_the_wheel_has_the_valves_range_and_steps(temp_c):
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=19.0)
    with pytest.raises(eq3.Eq3EncodeError):
        valve.turn_by_hand(temp_c, AT_0800)
    assert valve.target_c == 19.0
