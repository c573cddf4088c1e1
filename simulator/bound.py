"""The perfect-foresight bound: the least gas the house could burn at a given comfort.

A linear program on the same thermal network as the simulation (air and
fabric of every room, the same conductances, capacities, sun and internal
gains), discretised exactly (zero-order hold) at one-hour steps (``STEP_S``). The valves
and the boiler are relaxed to continuous: each room may receive any heat
between zero and what its radiators give at the heating curve's supply
temperature (the EN 442 law evaluated at the room's target, which linearises
it), the rooms together no more than the boiler's maximum. The pump runs a
share ``p`` of each step: a valved room takes at most ``p`` times its maximum,
a radiator without a valve (the hall) exactly ``p`` times its own, since it
heats whenever the pump runs. The radiator and loop water are not nodes of
their own: the radiators' capacity is added to their room's air, and the
loop's is left out (a controller cannot store heat there for long).
Minimising gas subject to each room's cold discomfort in its comfort periods
being no larger than under a controller gives the gas no controller can beat
at that comfort, room by room (up to the hourly sampling of comfort);
``frontier`` traces it over several comfort levels for the plot.

Solved with scipy's ``linprog`` (HiGHS).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.linalg import expm
from scipy.optimize import linprog

from simulator.boiler import condensing_efficiency
from simulator.house import House
from simulator.runner import Boundary
from simulator.thermal import DESIGN_DROP_K, NOMINAL_DT_K, RADIATOR_EXPONENT, build_network

#: One-hour steps: on the peak fortnight the bound at the baseline's comfort is 137.86 m³ at
#: 15-minute steps, 137.84 at 30 and 138.07 at 60 (0.2 % apart), while the solve takes about
#: 40, 8 and 2.5 s; the benchmark solves several of them.
STEP_S = 3600.0


class BoundError(RuntimeError):
    """The linear program has no solution (e.g. a comfort no heating could reach)."""


@dataclass
class BoundResult:
    #: Mean over rooms of the cold discomfort in comfort periods (Kh), and per room.
    discomfort_kh_per_room: float
    space_heat_kwh: float
    gas_space_m3: float
    air_c: np.ndarray  # steps × rooms
    occupied_cold_kh: np.ndarray | None = None  # per room
    pump_share: np.ndarray | None = None  # per step, 0..1
    heat_kw: np.ndarray | None = None  # steps × rooms


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
    # The radiators' water and steel share the air's temperature here (their own node is left out).
    cap = np.concatenate([net.c_air + net.c_rad, net.c_env])
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
    """The LP over one test window; ``solve(cold_kh_per_room)`` and ``frontier(levels)``."""

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
        # Targets and where cold counts, at the end of each step, where the LP measures the air.
        targets = boundary.target_c[sl][per - 1::per][: len(outdoor)]
        occupied = boundary.occupied[sl][per - 1::per][: len(outdoor)].astype(float)
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
        # Gas per kWh of heat: the boiler's condensing efficiency at the return temperature of the
        # heating curve's water (supply − the design drop), at half its power.
        self.efficiency = np.array([condensing_efficiency(float(t), 0.5) for t in supply - DESIGN_DROP_K])
        self.unvalved = np.array([r.open_radiator_w > 0 and not r.valves for r in house.rooms])
        # Variables per step t: x_{t+1} (2n), q_t (n, kW), cold_{t+1} (n), each room's occupied cold
        # summed up to t (n) and the pump's share p_t (1). The running sums keep every row short: one
        # row over all steps would couple every variable and slow the interior-point solver down by
        # an order of magnitude.
        width = 5 * n + 1
        self.width = width
        hours = step_s / 3600.0
        iq, ic, isum, ip = 2 * n, 3 * n, 4 * n, 5 * n
        base = np.arange(steps)[:, None] * width  # first column of each step
        bq = bd[:, :n] * 1000.0  # heat in kW keeps the program well scaled for the solver
        zeros = sparse.csr_matrix
        dynamics = sparse.hstack([sparse.identity(2 * n), zeros(-bq), zeros((2 * n, 2 * n + 1))])
        dynamics_prev = sparse.hstack([zeros(-ad), zeros((2 * n, 3 * n + 1))])
        eq_dyn = (sparse.kron(sparse.identity(steps), dynamics) + sparse.kron(sparse.eye(steps, k=-1), dynamics_prev))
        # s_t,r − s_{t−1},r − hours · occupied_t,r · cold_t,r = 0
        rooms = np.arange(n)[None, :]
        row = np.arange(steps * n).reshape(steps, n)
        later = row[1:]
        eq_sum = sparse.coo_matrix((
            np.concatenate([np.ones(steps * n), (-hours * occupied).ravel(), -np.ones(later.size)]),
            (np.concatenate([row.ravel(), row.ravel(), later.ravel()]),
             np.concatenate([(base + isum + rooms).ravel(), (base + ic + rooms).ravel(),
                             (base[1:] - width + isum + rooms).ravel()]))),
            shape=(steps * n, steps * width))
        qkw = self.q_max / 1000.0

        def coupling(which: np.ndarray) -> sparse.coo_matrix:
            # q_t,r − qmax_t,r · p_t for the rooms in ``which``.
            idx = np.flatnonzero(which)
            k = len(idx)
            r = np.arange(steps * k).reshape(steps, k)
            data = np.concatenate([np.ones((steps, k)).ravel(), -qkw[:, idx].ravel()])
            rr = np.concatenate([r.ravel(), r.ravel()])
            cc = np.concatenate([(base + iq + idx[None, :]).ravel(), np.repeat(base[:, 0] + ip, k)])
            return sparse.coo_matrix((data, (rr, cc)), shape=(steps * k, steps * width))

        self.a_eq = sparse.vstack([eq_dyn, eq_sum, coupling(self.unvalved)]).tocsr()
        x0 = np.concatenate([air_c, env_c])
        b_dyn = drift.copy()
        b_dyn[0] += ad @ x0
        self.b_eq = np.concatenate([b_dyn.ravel(), np.zeros(steps * n), np.zeros(steps * int(self.unvalved.sum()))])
        e_air = sparse.hstack([sparse.identity(n), zeros((n, n))])
        zn = zeros((n, n))
        cold = sparse.hstack([-e_air, zn, -sparse.identity(n), zn, zeros((n, 1))])
        power = sparse.hstack([zeros((1, 2 * n)), zeros(np.ones((1, n))), zeros((1, 2 * n + 1))])
        self.a_ub = sparse.vstack([sparse.kron(sparse.identity(steps), cold), coupling(~self.unvalved),
                                   sparse.kron(sparse.identity(steps), power)]).tocsr()
        self.b_ub = np.concatenate([-targets.ravel(), np.zeros(steps * int((~self.unvalved).sum())),
                                    np.full(steps, self.p_max / 1000.0)])
        cost = np.zeros((steps, width))
        cost[:, iq:ic] = hours / self.efficiency[:, None]  # kWh of gas per kW of heat
        self.cost = cost.ravel()
        lower = np.zeros((steps, width))
        upper = np.full((steps, width), np.inf)
        lower[:, :2 * n] = -np.inf
        upper[:, iq:ic] = qkw
        upper[:, ip] = 1.0
        self._lower, self._upper = lower, upper

    method = "highs-ipm"

    def solve(self, max_cold_kh: float | np.ndarray) -> BoundResult:
        """Least heat with each room's cold discomfort in its comfort periods at most ``max_cold_kh``
        (one figure for all rooms, or one per room); ``BoundError`` if no heating reaches it."""
        n = self.n
        budget = np.broadcast_to(np.asarray(max_cold_kh, dtype=float), (n,))
        upper = self._upper.copy()
        upper[-1, 4 * n:5 * n] = np.maximum(budget, 0.0)
        bounds = np.stack([self._lower.ravel(), upper.ravel()], axis=1)
        result = linprog(self.cost, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bounds,
                         method=self.method)
        if result.status != 0:
            raise BoundError(f"no heating reaches {float(budget.mean()):.2f} Kh per room: {result.message}")
        z = result.x.reshape(self.steps, self.width)
        heat_kwh = float(z[:, 2 * n:3 * n].sum() * self.step_s / 3600.0)
        per_room = z[-1, 4 * n:5 * n].copy()
        gas = float(result.fun) / self.house.boiler.gas_kwh_per_m3
        return BoundResult(float(per_room.mean()), heat_kwh, gas, z[:, :n].copy(), per_room, z[:, 5 * n].copy(),
                           z[:, 2 * n:3 * n].copy())

    def frontier(self, levels_kh: list) -> list[BoundResult]:
        """The bound at each comfort level (a figure or per-room budgets) that heating can reach."""
        found = []
        for level in levels_kh:
            try:
                found.append(self.solve(level))
            except BoundError:
                continue
        return sorted(found, key=lambda r: r.discomfort_kh_per_room)
