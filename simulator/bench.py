"""The control-quality benchmark (docs/benchmark.md): two fortnights, KPIs, the LP bound, a plot.

Test periods are chosen the BOPTEST way from a heating season of the
single-thermostat baseline on the default house (``choose_days``): the
peak-heating day has the season's largest daily space-heating gas, the
typical day the one closest to the median; each is the middle of a 14-day
test preceded by a 7-day warm-up. The dates below are the result of that
computation (``python -m simulator choose-days`` repeats it).
"""
from __future__ import annotations

import time as wallclock
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from simulator.bound import Bound, BoundError
from simulator.controllers import DEFAULT, SingleThermostat, default_strategy, make_controller
from simulator.house import House
from simulator.runner import RunResult, run

WARMUP_DAYS = 7
TEST_DAYS = 14
#: The heating season the days are chosen from (local dates, end exclusive).
SEASON = (date(2025, 10, 1), date(2026, 5, 1))


@dataclass(frozen=True)
class Scenario:
    name: str
    day: date  # the peak or typical day, in the middle of the test

    @property
    def test_start(self) -> date:
        return self.day - timedelta(days=TEST_DAYS // 2)

    @property
    def warmup_start(self) -> date:
        return self.test_start - timedelta(days=WARMUP_DAYS)


#: Computed by ``choose_days`` on the default house (see docs/simulator.md).
SCENARIOS = {
    "peak": Scenario("peak", date(2026, 1, 7)),
    "typical": Scenario("typical", date(2025, 11, 11)),
}


def choose_days(house: House, season: tuple[date, date] = SEASON) -> dict:
    """Run the baseline over the heating season and pick the peak and typical days.

    Days too close to the season's ends to hold the warm-up and the test
    around them are not candidates.
    """
    start = datetime.combine(season[0], datetime.min.time(), tzinfo=house.zone)
    days = (season[1] - season[0]).days
    result = run(house, SingleThermostat(house), start, 0, days)
    daily = np.array(result.daily_space_m3)
    dates = [season[0] + timedelta(days=i) for i in range(len(daily))]
    margin_before = WARMUP_DAYS + TEST_DAYS // 2
    margin_after = TEST_DAYS - TEST_DAYS // 2
    candidates = np.arange(margin_before, len(daily) - margin_after)
    peak = int(candidates[np.argmax(daily[candidates])])
    median = float(np.median(daily))
    typical = int(candidates[np.argmin(np.abs(daily[candidates] - median))])
    return {"season_space_heating_m3": float(daily.sum()), "season_hot_water_m3": result.gas_hot_water_m3,
            "peak_day": dates[peak].isoformat(), "peak_day_m3": float(daily[peak]),
            "typical_day": dates[typical].isoformat(), "typical_day_m3": float(daily[typical]),
            "median_day_m3": median,
            "scenario_days_m3": {name: float(daily[(sc.day - season[0]).days]) for name, sc in SCENARIOS.items()},
            "kpis": result.kpis()}


#: The comfort-matched baseline: its thermostat and TRVs raised in these steps up to this much.
RAISE_STEP_K, RAISE_MAX_K = 0.5, 4.0
#: Kh of occupied cold a room of the baseline may be above the controller's and still count as
#: "no colder" (the figures are reported to 0.01).
MATCH_TOLERANCE_KH = 0.01


def _start(house: House, scenario: Scenario, warmup: float, test: float) -> datetime:
    start_day = scenario.day - timedelta(days=test // 2) - timedelta(days=warmup)
    return datetime.combine(start_day, datetime.min.time(), tzinfo=house.zone)


def run_scenario(house: House, scenario: Scenario, controller_name: str, *, keep_trace: bool = True,
                 warmup_days: float | None = None, test_days: float | None = None,
                 raise_k: float = 0.0) -> RunResult:
    """One controller on a scenario; ``raise_k`` turns the baseline's thermostat and TRVs up."""
    warmup = WARMUP_DAYS if warmup_days is None else warmup_days
    test = TEST_DAYS if test_days is None else test_days
    controller = (SingleThermostat(house, raise_k) if controller_name == "single-thermostat"
                  else make_controller(controller_name, house))
    return run(house, controller, _start(house, scenario, warmup, test), warmup, test, keep_trace=keep_trace)


def comfort_matched(house: House, scenario: Scenario, cold_kh: np.ndarray, plain: RunResult, *,
                    warmup_days: float, test_days: float) -> tuple[float, RunResult, bool]:
    """The baseline turned up in RAISE_STEP_K steps until no room's occupied cold discomfort is
    above ``cold_kh`` (per room), as a household does when rooms are cold; at most RAISE_MAX_K.
    Returns the raise, its run and whether it matched."""
    raise_k, result = 0.0, plain
    while True:
        if np.all(result.occupied_cold_kh <= cold_kh + MATCH_TOLERANCE_KH):
            return raise_k, result, True
        if raise_k + RAISE_STEP_K > RAISE_MAX_K + 1e-9:
            return raise_k, result, False
        raise_k += RAISE_STEP_K
        result = run_scenario(house, scenario, "single-thermostat", raise_k=raise_k, warmup_days=warmup_days,
                              test_days=test_days)


def _bound_for(house: House, result: RunResult, warmup_days: float) -> Bound:
    state = result.state_at_test_start
    return Bound(house, result.trace["boundary"], int(round(warmup_days * 1440)), state["air_c"], state["env_c"])


def benchmark(house: House, scenario_name: str, controller_name: str, *, frontier: bool = False,
              warmup_days: float | None = None, test_days: float | None = None) -> dict:
    """The baseline (plain and comfort-matched to ``controller_name``), the controller, the bound at
    the controller's comfort room by room, and the gap closed.

    ``warmup_days`` and ``test_days`` shorten the scenario around its day (for tests); by default
    the benchmark's 7 and 14.
    """
    scenario = SCENARIOS[scenario_name]
    warmup = WARMUP_DAYS if warmup_days is None else warmup_days
    test = TEST_DAYS if test_days is None else test_days
    days = {"warmup_days": warmup, "test_days": test}
    t0 = wallclock.perf_counter()
    plain = run_scenario(house, scenario, "single-thermostat", **days)
    runs = {"single-thermostat": plain}
    controller = run_scenario(house, scenario, controller_name, **days) if controller_name != "single-thermostat" \
        else plain
    raise_k, matched, reached = comfort_matched(house, scenario, controller.occupied_cold_kh, plain, **days)
    matched_name = "single-thermostat" if raise_k == 0 else f"single-thermostat +{raise_k:g} K"
    runs[matched_name] = matched
    runs[controller_name] = controller
    sim_s = wallclock.perf_counter() - t0
    first = scenario.day - timedelta(days=test // 2)
    report = {"scenario": scenario_name, "day": scenario.day.isoformat(), "controller": controller_name,
              "test_start": first.isoformat(), "test_days": test, "warmup_days": warmup,
              "simulation_wall_s": round(sim_s, 1), "controllers": {}}
    if controller_name == DEFAULT:
        report["strategy"] = default_strategy()
    t1 = wallclock.perf_counter()
    for name, result in runs.items():
        kpis = result.kpis()
        kpis["raised_k"] = raise_k if result is matched else 0.0
        bound = _bound_for(house, result, warmup)
        try:
            at_comfort = bound.solve(result.occupied_cold_kh)
            bound_gas = at_comfort.gas_space_m3 + result.gas_hot_water_m3
            kpis["bound_gas_m3"] = round(bound_gas, 2)
            gap = matched.gas_m3 - bound_gas
            kpis["gap_closed_pct"] = round(100.0 * (matched.gas_m3 - result.gas_m3) / gap, 1) if gap > 0 else None
        except BoundError as exc:
            kpis["bound_gas_m3"] = None
            kpis["gap_closed_pct"] = None
            kpis["bound_error"] = str(exc)
        kpis["gas_ratio_vs_baseline"] = round(result.gas_m3 / matched.gas_m3, 3)
        if frontier:
            level = result.occupied_cold_kh
            points = bound.frontier([level * f for f in (0.0, 0.5, 1.0, 2.0)])
            kpis["bound_frontier"] = [{"occupied_cold_kh_per_room": round(p.discomfort_kh_per_room, 2),
                                       "gas_m3": round(p.gas_space_m3 + result.gas_hot_water_m3, 2)} for p in points]
        report["controllers"][name] = kpis
    report["bound_wall_s"] = round(wallclock.perf_counter() - t1, 1)
    report.update(contract(report["controllers"][controller_name], report["controllers"][matched_name],
                           raise_k, reached))
    report["baseline"]["plain"] = {"gas_m3": report["controllers"]["single-thermostat"]["gas_m3"],
                                   "occupied_cold_kh_per_room":
                                       report["controllers"]["single-thermostat"]["occupied_cold_discomfort_kh_per_room"]}
    return report


def contract(kpis: dict, baseline: dict, raised_k: float, matched: bool = True) -> dict:
    """The benchmark's promised top-level figures (docs/simulator.md, "The bench contract")."""
    return {
        "gas_m3": kpis["gas_m3"],
        "occupied_cold_kh_per_room": kpis["occupied_cold_discomfort_kh_per_room"],
        "occupied_warm_kh_per_room": kpis["occupied_warm_discomfort_kh_per_room"],
        "valve_moves_per_valve_day": kpis["valve_moves_per_valve_per_day_mean"],
        "valve_moves_per_valve_day_max": kpis["valve_moves_per_valve_per_day_max"],
        "boiler_starts_per_day": kpis["boiler_starts_per_day"],
        "boiler_starts_per_hour_max": kpis["boiler_starts_per_hour_max"],
        "rooms": kpis["rooms"],
        "baseline": {"gas_m3": baseline["gas_m3"],
                     "occupied_cold_kh_per_room": baseline["occupied_cold_discomfort_kh_per_room"],
                     "raised_k": raised_k, "matched": matched},
        "bound": {"gas_m3": kpis.get("bound_gas_m3")},
        "gas_ratio": round(kpis["gas_m3"] / baseline["gas_m3"], 3),
        "gap_closed_pct": kpis.get("gap_closed_pct"),
    }


def plot(report: dict, path: str) -> None:
    """Gas against discomfort for every controller, with the bound's frontier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for name, kpis in report["controllers"].items():
        ax.scatter([kpis["occupied_cold_discomfort_kh_per_room"]], [kpis["gas_m3"]], s=50, label=name, zorder=3)
        frontier = kpis.get("bound_frontier") or []
        if frontier:
            ax.plot([p["occupied_cold_kh_per_room"] for p in frontier], [p["gas_m3"] for p in frontier],
                    "--", marker=".", color="grey", label=f"bound at {name}'s start" if len(report["controllers"]) > 1
                    else "perfect-foresight bound")
    ax.set_xlabel("cold in comfort periods (Kh per room over the test)")
    ax.set_ylabel("gas (m³ over the test)")
    ax.set_title(f"{report['scenario']} fortnight from {report['test_start']}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
