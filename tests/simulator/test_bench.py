"""The benchmark: the season's gas is plausible, the scenario dates are the computed ones, the bound holds."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import numpy as np
import pytest

from simulator import bench
from simulator.bound import Bound
from simulator.controllers import make_controller
from simulator.house import load_house
from simulator.runner import run


@pytest.fixture(scope="module")
def house():
    return load_house()


def test_baseline_season_gas_is_plausible_and_the_scenario_days_are_peak_and_typical(house):
    chosen = bench.choose_days(house)
    # A Dutch terraced house of 1975–1990 burns about 900–1,200 m³ a year for space heating.
    assert 900 <= chosen["season_space_heating_m3"] <= 1200
    assert 100 <= chosen["season_hot_water_m3"] <= 300
    assert date.fromisoformat(chosen["peak_day"]) == bench.SCENARIOS["peak"].day
    # The fortnights stay those chosen before the baseline had TRVs, so that figures compare; the
    # typical day is still within a tenth of the season's median day.
    assert chosen["scenario_days_m3"]["typical"] == pytest.approx(chosen["median_day_m3"], rel=0.10)
    assert chosen["peak_day_m3"] > 3 * chosen["typical_day_m3"]


def _short_run(house, name):
    start = datetime(2026, 1, 2, tzinfo=house.zone)
    return run(house, make_controller(name), start, 2, 3, keep_trace=True)


@pytest.mark.parametrize("name", ["single-thermostat", "zoning"])
def test_bound_uses_no_more_gas_than_the_controller_at_its_comfort_room_by_room(house, name):
    result = _short_run(house, name)
    state = result.state_at_test_start
    bound = Bound(house, result.trace["boundary"], 2 * 1440, state["air_c"], state["env_c"])
    at_comfort = bound.solve(result.occupied_cold_kh)
    assert np.all(at_comfort.occupied_cold_kh <= result.occupied_cold_kh + 1e-6)
    assert at_comfort.gas_space_m3 <= result.gas_space_m3
    # Pooling the rooms' budgets (any room may take the others' cold) can only be cheaper or equal.
    pooled = bound.solve(np.full(len(house.rooms), result.occupied_cold_kh.sum()))
    assert pooled.gas_space_m3 <= at_comfort.gas_space_m3 + 1e-6
    frontier = bound.frontier([result.occupied_cold_kh * f for f in (0.5, 1.0, 2.0)])
    gas = [p.gas_space_m3 for p in frontier]
    assert gas == sorted(gas, reverse=True)  # less cold costs more gas


def test_bound_heats_a_radiator_without_valve_whenever_the_pump_runs(house):
    result = _short_run(house, "zoning")
    state = result.state_at_test_start
    bound = Bound(house, result.trace["boundary"], 2 * 1440, state["air_c"], state["env_c"])
    lp = bound.solve(result.occupied_cold_kh)
    hall = [i for i, r in enumerate(house.rooms) if r.open_radiator_w > 0 and not r.valves]
    assert hall and bound.unvalved[hall].all()
    q_max_kw = bound.q_max / 1000.0
    assert lp.pump_share.max() > 0.05
    np.testing.assert_allclose(lp.heat_kw[:, hall], lp.pump_share[:, None] * q_max_kw[:, hall], atol=1e-6)
    valved = ~bound.unvalved
    assert np.all(lp.heat_kw[:, valved] <= lp.pump_share[:, None] * q_max_kw[:, valved] + 1e-6)


def test_bound_air_temperatures_follow_the_simulated_physics_without_heat(house):
    # With heat forbidden everywhere (an impossible comfort is not asked), the LP's rooms cool as
    # the simulated house does with the boiler off.
    class Off:
        name = "off"

        def step(self, status, weather, now):
            from simulator.controllers import ControlOutput
            return ControlOutput(boiler_heat=False)

    start = datetime(2026, 1, 2, tzinfo=house.zone)
    result = run(house, Off(), start, 0, 1, keep_trace=True)
    state = {"air_c": np.full(len(house.rooms), 18.0), "env_c": np.full(len(house.rooms), 17.0)}
    # 15-minute steps so that the schedules' half-hour gain changes fall on step boundaries.
    bound = Bound(house, result.trace["boundary"], 0, state["air_c"], state["env_c"], step_s=900.0)
    bound._upper[:, 2 * bound.n:3 * bound.n] = 0.0
    lp = bound.solve(1e6)
    simulated = result.trace["air_c"][14::15]
    assert np.max(np.abs(lp.air_c - simulated[: len(lp.air_c)])) < 0.3


def test_report_and_plot(house, tmp_path):
    report = bench.benchmark(house, "peak", "single-thermostat", frontier=True, warmup_days=1, test_days=2)
    kpis = report["controllers"]["single-thermostat"]
    assert kpis["gas_ratio_vs_baseline"] == 1.0 and kpis["bound_gas_m3"] < kpis["gas_m3"]
    assert report["baseline"]["raised_k"] == 0.0 and report["gap_closed_pct"] == 0.0
    path = tmp_path / "plot.png"
    bench.plot(report, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_baseline_is_the_house_before_the_product(house):
    from simulator.controllers import SingleThermostat, comfort_c
    from simulator.simhouse import SimulatedHouse

    start = datetime(2026, 1, 2, tzinfo=house.zone)
    for raise_k in (0.0, 1.5):
        sim = SimulatedHouse(house, start)
        program_before = sim.boiler.clock_program.table.copy()
        run(house, SingleThermostat(house, raise_k), start, 0, 0.1, sim=sim)
        for room in house.rooms:
            for valve in room.valves:
                target = sim.valves[valve.mac].target_c
                if room.key == house.boiler.clock_program_room:
                    assert target == 30.0  # the thermostat's room has no TRV
                else:
                    assert target == min(30.0, comfort_c(room) + raise_k)
        raised = sim.boiler.clock_program.table
        low = program_before.min()
        np.testing.assert_allclose(raised[program_before > low], program_before[program_before > low] + raise_k)
        np.testing.assert_allclose(raised[program_before == low], low)


def test_comfort_matching_turns_the_baseline_up_until_no_room_is_colder(house):
    scenario = bench.SCENARIOS["peak"]
    days = {"warmup_days": 1, "test_days": 1}
    plain = bench.run_scenario(house, scenario, "single-thermostat", **days)
    assert bench.comfort_matched(house, scenario, plain.occupied_cold_kh, plain, **days)[0] == 0.0
    # Asked for half the plain baseline's cold in every room, it turns up and gets less cold.
    raise_k, matched, reached = bench.comfort_matched(house, scenario, plain.occupied_cold_kh / 2, plain, **days)
    assert 0 < raise_k <= bench.RAISE_MAX_K and (raise_k / bench.RAISE_STEP_K).is_integer()
    assert matched.occupied_cold_kh.sum() < plain.occupied_cold_kh.sum()
    if reached:
        assert np.all(matched.occupied_cold_kh <= plain.occupied_cold_kh / 2 + bench.MATCH_TOLERANCE_KH)
    else:
        assert raise_k == bench.RAISE_MAX_K


def test_a_room_without_comfort_period_is_not_scored_in_the_occupied_figures(house):
    from simulator.runner import UNOCCUPIED_UPPER_C

    result = _short_run(house, "single-thermostat")
    b = result.trace["boundary"]
    hall = [i for i, r in enumerate(house.rooms) if len({p.value for p in r.schedule}) <= 1]
    assert hall
    assert not b.occupied[:, hall].any()
    assert (b.upper_c[:, hall] >= UNOCCUPIED_UPPER_C).all()
    assert (result.occupied_warm_kh[hall] == 0).all() and (result.occupied_cold_kh[hall] == 0).all()
    others = [i for i in range(len(house.rooms)) if i not in hall]
    assert b.occupied[:, others].any(axis=0).all() and not b.occupied[:, others].all(axis=0).any()
    # Cold and warm are scored apart, each only in the room's comfort periods.
    air = result.trace["air_c"][2 * 1440:]
    occupied = b.occupied[2 * 1440:]
    cold = (np.maximum(b.target_c[2 * 1440:] - air, 0) * occupied).sum(axis=0) / 60
    np.testing.assert_allclose(result.occupied_cold_kh, cold, atol=1e-6)


def _bench_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", "bench", *args], capture_output=True, text=True,
                          timeout=600)


def test_bench_json_contract_for_the_default_strategy():
    # A one-day test after a one-day warm-up: the same code path as the fortnights, in seconds.
    done = _bench_cli("--scenario", "typical", "--controller", "default", "--json", "--warmup-days", "1",
                      "--test-days", "1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    from simulator.controllers import default_strategy

    assert report["controller"] == "default" and report["strategy"] == default_strategy()
    for key in ("gas_m3", "occupied_cold_kh_per_room", "occupied_warm_kh_per_room", "valve_moves_per_valve_day",
                "boiler_starts_per_day", "gas_ratio"):
        assert isinstance(report[key], (int, float)) and report[key] >= 0, key
    assert report["gas_m3"] > 0
    assert set(report["rooms"]) == {r.key for r in load_house().rooms}
    assert all({"occupied_cold_kh", "occupied_warm_kh", "heat_kwh"} <= set(v) for v in report["rooms"].values())
    baseline = report["baseline"]
    assert {"gas_m3", "occupied_cold_kh_per_room", "raised_k"} <= set(baseline) and baseline["gas_m3"] > 0
    assert report["gas_ratio"] == round(report["gas_m3"] / baseline["gas_m3"], 3)
    assert 0 < report["bound"]["gas_m3"] <= report["gas_m3"]
    assert report["gap_closed_pct"] is None or isinstance(report["gap_closed_pct"], float)
    # The default run is the strategy's run: same figures under either name.
    assert report["controllers"]["default"]["gas_m3"] == report["gas_m3"]


def test_bench_refuses_an_unknown_controller_and_bad_days():
    done = _bench_cli("--scenario", "peak", "--controller", "nope")
    assert done.returncode == 2 and "unknown controller 'nope'" in done.stderr and "default" in done.stderr
    done = _bench_cli("--scenario", "peak", "--controller", "default", "--test-days", "-1")
    assert done.returncode == 2 and "--test-days" in done.stderr
