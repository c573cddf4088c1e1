"""The simulated Nefit: thermostat in manual and clock mode, hot-water priority, the backend writes."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.boiler import EFFICIENCY_TABLE, BoilerRejected, NefitBoiler, UnknownPath, condensing_efficiency
from simulator.house import load_house


@pytest.fixture
def boiler():
    return NefitBoiler(load_house())


def _step(boiler, sensor_c, week_minute=2 * 1440 + 12 * 60, loop_c=40.0):
    n = 8
    return boiler.control(60.0, week_minute, sensor_c, 5.0, loop_c, np.full(n, 30.0), np.full(n, 300.0))


def test_manual_mode_heats_below_the_setpoint_with_hysteresis(boiler):
    boiler.bridge_post("heatingCircuits/hc1/usermode", "manual")
    boiler.bridge_post("heatingCircuits/hc1/temperatureRoomManual", 20.0)
    half = boiler.spec.hysteresis_k / 2
    assert _step(boiler, 20.0 - half - 0.01).pump_on
    assert _step(boiler, 20.0).pump_on  # inside the band: keeps heating
    assert not _step(boiler, 20.0 + half + 0.01).pump_on
    assert not _step(boiler, 20.0).pump_on  # inside the band: stays off


def test_clock_mode_follows_the_living_room_program(boiler):
    # Wednesday 03:00: the night setback of 16 °C; 18:00: 20.5 °C.
    assert not _step(boiler, 18.0, week_minute=2 * 1440 + 3 * 60).pump_on
    step = _step(boiler, 18.0, week_minute=2 * 1440 + 18 * 60)
    assert step.pump_on and step.indicator == "central heating" and step.burner_w > 0
    assert boiler.status()["temp setpoint"] == 20.5


def test_override_in_clock_mode_ends_at_the_next_switch_point(boiler):
    boiler.bridge_post("heatingCircuits/hc1/manualTempOverride/temperature", 22.0)
    boiler.bridge_post("heatingCircuits/hc1/manualTempOverride/status", "on")
    _step(boiler, 19.0, week_minute=2 * 1440 + 18 * 60)
    assert boiler.setpoint_c() == 22.0
    _step(boiler, 19.0, week_minute=2 * 1440 + 22 * 60 + 31)  # past the 22:30 switch point
    assert boiler.setpoint_c() == 16.0 and not boiler.override_on


def test_hot_water_takes_priority_and_burns_gas(boiler):
    boiler.set_override(30.0)
    draw = boiler.spec.hot_water[0]
    gas_before = boiler.gas_m3
    step = _step(boiler, 15.0, week_minute=draw[0] * 1440 + draw[1])
    assert step.indicator == "hot water" and not step.pump_on and step.hot_water_w > 0
    expected_m3 = step.hot_water_w * 60 / boiler.spec.efficiency / 3.6e6 / boiler.spec.gas_kwh_per_m3
    assert boiler.gas_m3 - gas_before == pytest.approx(expected_m3)


def test_burner_modulates_within_limits_and_counts_starts(boiler):
    boiler.set_override(30.0)
    step = _step(boiler, 15.0, loop_c=20.0)
    assert boiler.spec.power_min_kw * 1000 <= step.burner_w <= boiler.spec.power_max_kw * 1000
    assert boiler.books.starts == 1
    hot = boiler.supply_temp_c + boiler.spec.burner_off_above_k + 1
    assert _step(boiler, 15.0, loop_c=hot).burner_w == 0  # anti-cycling: water too hot
    assert boiler.books.burn_lengths_s == [60.0]


def test_the_control_loop_s_writes_keep_the_clock_program(boiler):
    boiler.bridge_post("heatingCircuits/hc1/usermode", "manual")
    boiler.set_override(18.5)
    assert boiler.bridge_get("heatingCircuits/hc1/usermode")["value"] == "clock"
    assert boiler.seen() == {"user_mode": "clock", "override": True, "override_c": 18.5,
                             "in_house_c": boiler.in_house_temp_c}
    boiler.to_clock_program()
    assert boiler.status()["user mode"] == "clock" and boiler.status()["temp override"] is False


def test_the_program_as_the_backend_s_user_program_record(boiler):
    # Wednesday 03:00: the living room's night setback, 16 °C until 06:30 (3 h 30 min).
    week_minute = 2 * 1440 + 3 * 60
    assert boiler.program_setpoint_c(week_minute) == 16.0
    assert boiler.program_next_s(week_minute) == 210 * 60.0
    record = boiler.bridge_get("/ecus/rrc/userprogram/program1")
    assert record["type"] == "UserProgram" and len(record["value"]) == 42
    wednesday = [p for p in record["value"] if p["d"] == "We" and p["active"] == "on"]
    assert [(p["t"], p["T"]) for p in wednesday] == [(390, 20), (510, 19), (1020, 20.5), (1350, 16)]
    assert boiler.bridge_get("/ecus/rrc/userprogram/activeprogram")["value"] == 1


@pytest.mark.parametrize("path,value", [
    ("heatingCircuits/hc1/usermode", "eco"),
    ("heatingCircuits/hc1/temperatureRoomManual", 31),
    ("heatingCircuits/hc1/temperatureRoomManual", "warm"),
    ("heatingCircuits/hc1/manualTempOverride/status", True),
])
def test_bad_writes_are_refused_and_change_nothing(boiler, path, value):
    before = boiler.status()
    with pytest.raises(BoilerRejected):
        boiler.bridge_post(path, value)
    assert boiler.status() == before


def test_unknown_paths(boiler):
    with pytest.raises(UnknownPath):
        boiler.bridge_get("/ecus/rrc/nonsense")
    with pytest.raises(UnknownPath):
        boiler.bridge_post("/system/appliance/systemPressure", 2.0)


def test_condensing_efficiency_falls_with_the_return_temperature():
    returns = np.linspace(15.0, 80.0, 66)
    for firing in (0.05, 0.3, 0.5, 1.0):
        eta = [condensing_efficiency(r, firing) for r in returns]
        assert all(a >= b for a, b in zip(eta, eta[1:]))
    # Condensing below the flue gas's dew point (about 55 °C) is what the curve is about: the
    # efficiency drops by 8 to 9 points from a 25 °C to a 70 °C return.
    assert condensing_efficiency(25.0, 0.5) - condensing_efficiency(70.0, 0.5) > 0.08
    assert EFFICIENCY_TABLE.min() <= condensing_efficiency(100.0, 2.0) <= condensing_efficiency(0.0, 0.0) \
        <= EFFICIENCY_TABLE.max()


def _burn(boiler, setpoint_c, minutes, sensor_c=19.0):
    """Burn for ``minutes`` with the room at ``sensor_c`` and the given override; the loop is held
    at the supply temperature the boiler asks for, as a fast loop would be, and the radiators'
    mean 5 K below it (the design drop of 10 K)."""
    boiler.set_override(setpoint_c)
    n = 8
    loop = 40.0
    for _ in range(minutes):
        boiler.control(60.0, 2 * 1440 + 18 * 60, sensor_c, 5.0, loop, np.full(n, loop - 5.0), np.full(n, 300.0))
        loop = boiler.supply_temp_c
    return boiler


def test_room_control_heats_hotter_the_further_the_room_is_below_the_setpoint():
    house = load_house()
    assert house.boiler.control == "room"
    near = _burn(NefitBoiler(house), 19.5, 20)
    far = _burn(NefitBoiler(house), 22.0, 20)
    assert house.boiler.supply_min_c <= near.supply_temp_c < far.supply_temp_c <= house.boiler.supply_max_c
    # Hotter water comes back hotter and condenses less: the same heat costs more gas.
    assert near.return_temp_c < far.return_temp_c
    per_heat = [b.books.gas_ch_j / b.books.heat_ch_j for b in (near, far)]
    assert per_heat[0] < per_heat[1]
    # The integral part finds a supply temperature for a room that stays below its setpoint.
    longer = _burn(NefitBoiler(house), 19.5, 120)
    assert longer.supply_temp_c > near.supply_temp_c


def test_weather_control_follows_the_heating_curve():
    import dataclasses

    house = load_house()
    house = dataclasses.replace(house, boiler=dataclasses.replace(house.boiler, control="weather"))
    for setpoint in (19.5, 22.0):
        boiler = _burn(NefitBoiler(house), setpoint, 5)
        assert boiler.supply_temp_c == boiler.supply_setpoint_c(5.0)
