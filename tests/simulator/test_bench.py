"""The benchmark: the season's gas is plausible, the scenario dates are the computed ones, the bound holds."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import date, datetime

import numpy as np
import pytest

from simulator import bench
from simulator.bound import Bound, BoundError
from simulator.controllers import controller_names, make_controller
from simulator.house import load_house
from simulator.runner import run


@pytest.fixture(scope="module")
def house():
    return load_house()


def test_baseline_season_gas_is_plausible_and_the_scenario_days_are_the_computed_ones(house):
    chosen = bench.choose_days(house)
    # A Dutch terraced house of 1975–1990 burns about 900–1,200 m³ a year for space heating.
    assert 900 <= chosen["season_space_heating_m3"] <= 1200
    assert 100 <= chosen["season_hot_water_m3"] <= 300
    assert date.fromisoformat(chosen["peak_day"]) == bench.SCENARIOS["peak"].day
    assert date.fromisoformat(chosen["typical_day"]) == bench.SCENARIOS["typical"].day
    assert chosen["peak_day_m3"] > 3 * chosen["typical_day_m3"]


def _short_run(house, name):
    start = datetime(2026, 1, 2, tzinfo=house.zone)
    return run(house, make_controller(name), start, 2, 3, keep_trace=True)


@pytest.mark.parametrize("name", ["single-thermostat"] + [n for n in controller_names() if n != "single-thermostat"][:1])
def test_bound_uses_no_more_gas_than_the_controller_at_its_comfort(house, name):
    result = _short_run(house, name)
    state = result.state_at_test_start
    bound = Bound(house, result.trace["boundary"], 2 * 1440, state["air_c"], state["env_c"])
    level = float(result.discomfort_kh.mean())
    at_comfort = bound.solve(level)
    assert at_comfort.discomfort_kh_per_room <= level + 1e-6
    assert at_comfort.gas_space_m3 <= result.gas_space_m3
    frontier = bound.frontier([level * 0.5, level, level * 2])
    gas = [p.gas_space_m3 for p in frontier]
    assert gas == sorted(gas, reverse=True)  # less discomfort costs more gas


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


def test_report_and_plot(house, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "TEST_DAYS", 2)
    monkeypatch.setattr(bench, "WARMUP_DAYS", 1)
    report = bench.benchmark(house, "peak", "single-thermostat", frontier=True)
    kpis = report["controllers"]["single-thermostat"]
    assert kpis["gas_ratio_vs_baseline"] == 1.0 and kpis["bound_gas_m3"] < kpis["gas_m3"]
    path = tmp_path / "plot.png"
    bench.plot(report, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bound_counts_warmth_as_discomfort_only_in_comfort_periods(house):
    # Heat forbidden and every target far below the rooms' temperatures: all discomfort the LP
    # sees is warmth, which BOPTEST's band counts in comfort periods and not outside them.
    class Off:
        name = "off"

        def step(self, status, weather, now):
            from simulator.controllers import ControlOutput
            return ControlOutput(boiler_heat=False)

    start = datetime(2026, 1, 2, tzinfo=house.zone)
    result = run(house, Off(), start, 0, 1, keep_trace=True)
    state = {"air_c": np.full(len(house.rooms), 18.0), "env_c": np.full(len(house.rooms), 17.0)}
    base = result.trace["boundary"]
    low = np.full_like(base.target_c, 5.0)
    bounds = {}
    for occupied in (True, False):
        boundary = dataclasses.replace(base, target_c=low, occupied=np.full_like(base.occupied, occupied),
                                       upper_c=None)
        bounds[occupied] = Bound(house, boundary, 0, state["air_c"], state["env_c"])
        bounds[occupied]._upper[:, 2 * bounds[occupied].n:3 * bounds[occupied].n] = 0.0
    with pytest.raises(BoundError):
        bounds[True].solve(1.0)  # rooms at 10–18 °C against a 7 °C limit all day: no way to 1 Kh
    assert bounds[False].solve(0.01).discomfort_kh_per_room <= 0.01


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
