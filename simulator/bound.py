"""The perfect-foresight bound: the least gas the house could burn at a given comfort.

A linear program on the same thermal network as the simulation (air and
fabric of every room, the same conductances, capacities, sun and internal
gains), discretised exactly (zero-order hold) at 15-minute steps. The valves
and the boiler are relaxed to continuous: each room may receive any heat
between zero and what its radiators give at the heating curve's supply
temperature (the EN 442 law evaluated at the room's target, which linearises
it), the rooms together no more than the boiler's maximum. The radiator and
loop water are left out: a controller cannot store heat there for long, and
leaving them out only makes the bound lower. Minimising gas subject to a
total discomfort no larger than a controller reached gives the gas no
controller can beat at that comfort (up to the 15-minute sampling);
``frontier`` traces it over several comfort levels for the plot.

Solved with scipy's ``linprog`` (HiGHS).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.linalg import expm
from scipy.optimize import linprog

from simulator.house import House
from simulator.runner import WARM_BAND_K, Boundary
from simulator.thermal import DESIGN_DROP_K, NOMINAL_DT_K, RADIATOR_EXPONENT, build_network

STEP_S = 900.0


class BoundError(RuntimeError):
    """The linear program has no solution (e.g. a comfort no heating could reach)."""


@dataclass
class BoundResult:
    discomfort_kh_per_room: float
    space_heat_kwh: float
    gas_space_m3: float
    air_c: np.ndarray  # steps × rooms


def _discretise(house: House, step_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact ZOH matrices of dx/dt = C⁻¹(A x + P u) for the air+fabric nodes: (Ad, Bd_heat, Bd_out)."""
    net = build_network(house)
    n = net.n
    lap = np.diag(net.h_rooms.sum(axis=1)) - net.h_rooms
    a = np.zeros((2 * n, 2 * n))
    idx = np.arange(n)
    a[:n, :n] = -lap
    a[idx, idx] -= net.h_air_out + net.h_air_env
    a[idx, n + idx] += net.h_air_env
    a[n + idx, n + idx] -= net.h_env_out + net.h_air_env
    a[n + idx, idx] += net.h_air_env
    cap = np.concatenate([net.c_air, net.c_env])
    m = a / cap[:, None]
    ad = expm(m * step_s)
    # ∫₀ᵀ e^{Ms} ds C⁻¹ = M⁻¹ (Ad − I) C⁻¹ for heat inputs (W) into the nodes.
    integral = np.linalg.solve(m, ad - np.eye(2 * n))
    bd = integral / cap[None, :]
    return ad, bd, np.concatenate([net.h_air_out, net.h_env_out])


def _step_means(values: np.ndarray, per_step: int) -> np.ndarray:
    steps = values.shape[0] // per_step
    return values[: steps * per_step].reshape(steps, per_step, *values.shape[1:]).mean(axis=1)


class Bound:
    """The LP over one test window; ``solve(max_discomfort)`` and ``frontier(levels)``."""

    def __init__(self, house: House, boundary: Boundary, start_index: int, air_c: np.ndarray, env_c: np.ndarray,
                 tick_s: float = 60.0, step_s: float = STEP_S):
        self.house = house
        self.step_s = step_s
        net = build_network(house)
        n = net.n
        per = int(round(step_s / tick_s))
        sl = slice(start_index, None)
        outdoor = _step_means(boundary.outdoor_c[sl], per)
        sun = _step_means(boundary.sun_wm2[sl], per)
        internal = _step_means(boundary.internal_w[sl], per)
        # Targets and comfort periods at the end of each step, where the LP measures the air.
        targets = boundary.target_c[sl][per - 1::per][: len(outdoor)]
        steps = len(outdoor)
        self.steps, self.n = steps, n
        ad, bd, h_out = _discretise(house, step_s)
        solar = sun @ net.solar_area_m2.T  # steps × rooms
        heat_in = np.zeros((steps, 2 * n))
        heat_in[:, :n] = internal + 0.5 * solar + net.h_air_out[None, :] * outdoor[:, None]
        heat_in[:, n:] = 0.5 * solar + net.h_env_out[None, :] * outdoor[:, None]
        drift = heat_in @ bd.T  # steps × 2n: the free response's input part
        boiler = house.boiler
        supply = np.clip(boiler.supply_at_plus15_c + (boiler.supply_at_minus10_c - boiler.supply_at_plus15_c)
                         * (15.0 - outdoor) / 25.0, min(boiler.supply_at_minus10_c, boiler.supply_at_plus15_c),
                         max(boiler.supply_at_minus10_c, boiler.supply_at_plus15_c))
        mean_water = supply - DESIGN_DROP_K / 2.0
        dt_k = np.clip(mean_water[:, None] - targets, 0.0, None)
        self.q_max = net.radiator_nominal_w[None, :] * (dt_k / NOMINAL_DT_K) ** RADIATOR_EXPONENT
        self.p_max = boiler.power_max_kw * 1000.0
        self.targets = targets
        # Variables per step t: x_{t+1} (2n), q_t (n), cold_{t+1} (n), warm_{t+1} (n).
        width = 5 * n
        self.width = width
        # Heat in kW keeps the program well scaled for the solver.
        bq = bd[:, :n] * 1000.0
        eye2 = sparse.identity(2 * n, format="csr")
        block = sparse.hstack([eye2, sparse.csr_matrix(-bq), sparse.csr_matrix((2 * n, 2 * n))])
        prev = sparse.hstack([sparse.csr_matrix(-ad), sparse.csr_matrix((2 * n, 3 * n))])
        self.a_eq = (sparse.kron(sparse.identity(steps), block)
                     + sparse.kron(sparse.eye(steps, k=-1), prev)).tocsr()
        x0 = np.concatenate([air_c, env_c])
        b_eq = drift.copy()
        b_eq[0] += ad @ x0
        self.b_eq = b_eq.ravel()
        e_air = sparse.hstack([sparse.identity(n), sparse.csr_matrix((n, n))])
        zn = sparse.csr_matrix((n, n))
        cold = sparse.hstack([-e_air, zn, -sparse.identity(n), zn])
        warm = sparse.hstack([e_air, zn, zn, -sparse.identity(n)])
        power = sparse.hstack([sparse.csr_matrix((1, 2 * n)), sparse.csr_matrix(np.ones((1, n))),
                               sparse.csr_matrix((1, 2 * n))])
        per_step = sparse.vstack([cold, warm, power])
        self.a_ub_steps = sparse.kron(sparse.identity(steps), per_step).tocsr()
        self.b_ub_steps = np.concatenate(
            [np.concatenate([-targets[t], targets[t] + WARM_BAND_K, [self.p_max / 1000.0]]) for t in range(steps)])
        hours = step_s / 3600.0
        comfort_row = np.zeros(width)
        comfort_row[3 * n:] = hours / n
        self.comfort_row = sparse.csr_matrix(np.tile(comfort_row, steps))
        cost = np.zeros(width)
        cost[2 * n:3 * n] = step_s / 3600.0  # kWh of heat per kW
        self.cost = np.tile(cost, steps)
        bounds = []
        for t in range(steps):
            bounds += [(None, None)] * (2 * n)
            bounds += [(0.0, float(q) / 1000.0) for q in self.q_max[t]]
            bounds += [(0.0, None)] * (2 * n)
        self.bounds = bounds

    #: HiGHS interior point: several times faster than simplex on this banded program.
    method = "highs-ipm"

    def solve(self, max_discomfort_kh_per_room: float) -> BoundResult:
        """Least heat with mean discomfort per room ≤ the given Kh; ``BoundError`` if none exists."""
        a_ub = sparse.vstack([self.a_ub_steps, self.comfort_row]).tocsr()
        b_ub = np.concatenate([self.b_ub_steps, [max_discomfort_kh_per_room]])
        result = linprog(self.cost, A_ub=a_ub, b_ub=b_ub, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bounds,
                         method=self.method)
        if result.status != 0:
            raise BoundError(f"no heating reaches {max_discomfort_kh_per_room:.2f} Kh per room: {result.message}")
        z = result.x.reshape(self.steps, self.width)
        n = self.n
        heat_kwh = float(result.fun)
        discomfort = float(z[:, 3 * n:].sum() * self.step_s / 3600.0 / n)
        boiler = self.house.boiler
        gas = heat_kwh / boiler.efficiency / boiler.gas_kwh_per_m3
        return BoundResult(discomfort, heat_kwh, gas, z[:, :n].copy())

    def frontier(self, levels_kh: list[float]) -> list[BoundResult]:
        """The bound at each comfort level that heating can reach (the others are left out)."""
        found = []
        for level in sorted(levels_kh):
            try:
                found.append(self.solve(level))
            except BoundError:
                continue
        return found
