"""The house's physics: rooms as thermal networks, radiators, and the heating water loop.

Each room has three temperatures: its air (with furniture and surface layers,
capacity Ci), its radiator (water and steel, Ch) and its building fabric
(envelope and internal mass, Ce). One more node is the boiler's water loop
(boiler, pipes; Cw). Heat flows:

- air ↔ outdoors: windows (U·A) and ventilation (ρc·n·V);
- fabric ↔ outdoors: opaque walls, roof, floor over the crawl space;
- air ↔ fabric: ISO 13790's h_ms = 9.1 W/(m²K) over the effective mass area;
- air ↔ air of neighbouring rooms: internal walls, doors, floors, ceilings;
- radiator → air: EN 442, Φ = Φ_nominal · (ΔT/50)^1.3 with ΔT = radiator − air;
- loop → radiator: the water flow, 2·ṁ·c_p·(T_loop − T_radiator) for a mean
  radiator temperature halfway between supply and return; ṁ scales with the
  valve opening and is zero when the pump stands still;
- boiler burner → loop; sun through the windows (half to the air, half to the
  fabric) and internal gains → air.

The step is implicit (backward Euler) on the network linearised at the start
of the step (the radiator law's exponent), so it is stable at any step
length; every flux is booked with the end-of-step temperatures the solve
produced, which makes the energy books balance to rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.house import MASS_CLASSES, House

#: Heat capacity of air per volume, J/(m³K), for the ventilation loss.
AIR_J_PER_M3K = 1200.0
#: ISO 13790 §12.2.2: heat transfer coefficient between the internal air/surface node and the mass.
H_MS_W_PER_M2K = 9.1
#: Share of the sun on a vertical window that becomes heat in the room: the
#: glazing's g-value (0.75 for double glazing × 0.9 for non-normal incidence,
#: ISO 13790 §11.4.2), a frame share of 0.3 and curtains/shading 0.9.
SOLAR_FACTOR = 0.42
#: EN 442 radiator exponent and nominal temperature difference (K).
RADIATOR_EXPONENT = 1.3
NOMINAL_DT_K = 50.0
#: Design temperature drop over a radiator at nominal output (75/65 °C): sets the nominal water flow.
DESIGN_DROP_K = 10.0
ORIENTATION_ORDER = ("N", "E", "S", "W")


def flow_fraction(valve_pct: np.ndarray) -> np.ndarray:
    """Water flow through a radiator valve relative to fully open, for the valve's opening (0–100 %).

    A thermostatic valve insert passes most of its flow in the first part of
    its stroke (quick-opening characteristic), hence the square root.
    """
    return np.sqrt(np.clip(np.asarray(valve_pct, dtype=float), 0.0, 100.0) / 100.0)


@dataclass
class Network:
    """The house's constant parameters, per room (SI units: J/K, W/K, m²)."""

    names: tuple[str, ...]
    c_air: np.ndarray
    c_env: np.ndarray
    c_rad: np.ndarray
    c_loop: float
    h_air_out: np.ndarray
    h_env_out: np.ndarray
    h_air_env: np.ndarray
    h_rooms: np.ndarray  # N×N symmetric, zero diagonal
    radiator_k: np.ndarray  # Φ = k · ΔT^1.3 (W)
    radiator_nominal_w: np.ndarray
    solar_area_m2: np.ndarray  # N×4 effective sun-collecting area per orientation

    @property
    def n(self) -> int:
        return len(self.names)

    def heat_loss_w_per_k(self) -> float:
        """Steady-state loss of the whole house to outdoors (W/K), fabric in series with h_ms."""
        series = 1.0 / (1.0 / self.h_env_out + 1.0 / self.h_air_env)
        return float(self.h_air_out.sum() + series.sum())


def build_network(house: House) -> Network:
    """Derive the network's capacities and conductances from the house description."""
    n = len(house.rooms)
    mass_area_factor, mass_kj_per_m2k = MASS_CLASSES[house.mass_class]
    area = np.array([r.floor_area_m2 for r in house.rooms])
    volume = np.array([r.floor_area_m2 * r.height_m for r in house.rooms])
    window = np.array([sum(r.windows_m2.values()) for r in house.rooms])
    ach = np.array([r.ach for r in house.rooms])
    h_air_out = house.u_window * window + AIR_J_PER_M3K * ach * volume / 3600.0
    h_env_out = np.array([house.u_wall * r.wall_m2 + house.u_roof * r.roof_m2
                          + house.u_floor * house.floor_factor * r.floor_m2 for r in house.rooms])
    # A room with no outer fabric still loses a little through it to its
    # neighbours; a tiny conductance keeps the matrix regular.
    h_env_out = np.maximum(h_env_out, 0.1)
    h_rooms = np.zeros((n, n))
    for i, j, g in house.neighbours:
        h_rooms[i, j] += g
        h_rooms[j, i] += g
    nominal = np.array([r.radiator_power_w for r in house.rooms])
    solar = np.array([[r.windows_m2.get(o, 0.0) * SOLAR_FACTOR for o in ORIENTATION_ORDER] for r in house.rooms])
    return Network(
        names=tuple(r.key for r in house.rooms),
        c_air=house.air_capacity_kj_per_m2k * 1000.0 * area,
        c_env=mass_kj_per_m2k * 1000.0 * area,
        c_rad=np.maximum(house.radiator_capacity_kj_per_k_per_kw * nominal, 1000.0),
        c_loop=house.boiler.loop_capacity_kj_per_k * 1000.0,
        h_air_out=h_air_out,
        h_env_out=h_env_out,
        h_air_env=H_MS_W_PER_M2K * mass_area_factor * area,
        h_rooms=h_rooms,
        radiator_k=nominal / NOMINAL_DT_K ** RADIATOR_EXPONENT,
        radiator_nominal_w=nominal,
        solar_area_m2=solar,
    )


@dataclass
class Fluxes:
    """Mean heat flows over one step (W)."""

    radiator_to_air_w: np.ndarray  # per room
    loop_to_radiators_w: np.ndarray  # per room
    burner_w: float
    solar_w: np.ndarray
    internal_w: np.ndarray


class ThermalState:
    """The temperatures of every node, advanced by ``step``."""

    def __init__(self, network: Network, air_c: np.ndarray | float, env_c=None, rad_c=None, loop_c: float = 30.0):
        self.net = network
        n = network.n
        self.air_c = np.broadcast_to(np.asarray(air_c, dtype=float), (n,)).copy()
        self.env_c = self.air_c.copy() if env_c is None else np.broadcast_to(np.asarray(env_c, float), (n,)).copy()
        self.rad_c = self.air_c.copy() if rad_c is None else np.broadcast_to(np.asarray(rad_c, float), (n,)).copy()
        self.loop_c = float(loop_c)
        self._lap = np.diag(network.h_rooms.sum(axis=1)) - network.h_rooms
        self._cap = np.concatenate([network.c_air, network.c_env, network.c_rad, [network.c_loop]])
        self._idx = np.arange(n)
        self._lhs_dt: float | None = None

    def prepare(self, dt_s: float) -> None:
        """Precompute the constant part of the implicit step for steps of ``dt_s`` seconds."""
        net = self.net
        n = net.n
        idx = self._idx
        m = 3 * n + 1
        a = np.zeros((m, m))
        a[:n, :n] = -self._lap
        a[idx, idx] -= net.h_air_out + net.h_air_env
        a[idx, n + idx] += net.h_air_env
        a[n + idx, n + idx] -= net.h_env_out + net.h_air_env
        a[n + idx, idx] += net.h_air_env
        lhs = -a
        lhs[np.arange(m), np.arange(m)] += self._cap / dt_s
        self._lhs_const = lhs
        self._lhs_dt = dt_s
        r = 2 * n + idx
        il = 3 * n
        # Where the radiator and flow terms go in the flattened matrix (all distinct).
        rows = np.concatenate([idx, idx, r, r, r, [il], np.full(n, il)])
        cols = np.concatenate([idx, r, r, idx, np.full(n, il), [il], r])
        self._dyn_flat = rows * m + cols

    def copy(self) -> "ThermalState":
        return ThermalState(self.net, self.air_c, self.env_c, self.rad_c, self.loop_c)

    def stored_heat_j(self) -> float:
        """Heat held in the radiators and the loop above 0 °C (the part the boiler fills)."""
        return float(self.net.c_rad @ self.rad_c + self.net.c_loop * self.loop_c)

    def step(self, dt_s: float, outdoor_c: float, sun_wm2: np.ndarray, internal_w: np.ndarray,
             flow_w_per_k: np.ndarray, burner_w: float) -> Fluxes:
        """Advance ``dt_s`` seconds.

        ``sun_wm2``: irradiance on vertical N, E, S, W planes; ``internal_w``:
        gains per room; ``flow_w_per_k``: 2·ṁ·c_p of the water through each
        room's radiators (0 when the pump stands still); ``burner_w``: heat
        the burner puts into the loop. Returns the mean fluxes over the step.
        """
        net = self.net
        n = net.n
        if dt_s != self._lhs_dt:
            self.prepare(dt_s)
        dt_rad = np.maximum(self.rad_c - self.air_c, 0.0)
        # Φ = k·ΔT^1.3 written as G·ΔT with G frozen over the step; at ΔT → 0
        # G → 0, and a radiator colder than its room gives no heat (no
        # negative flows through a radiator law fitted for heating).
        g_rad = np.where(dt_rad > 0.0, net.radiator_k * np.maximum(dt_rad, 1e-3) ** (RADIATOR_EXPONENT - 1.0), 0.0)
        solar_w = net.solar_area_m2 @ sun_wm2
        m = 3 * n + 1
        ia, ie, ir, il = slice(0, n), slice(n, 2 * n), slice(2 * n, 3 * n), 3 * n
        # lhs = C/dt − A: the constant part once, the radiator and flow terms per step.
        lhs = self._lhs_const.copy()
        lhs.ravel()[self._dyn_flat] += np.concatenate(
            [g_rad, -g_rad, g_rad + flow_w_per_k, -g_rad, -flow_w_per_k, [flow_w_per_k.sum()], -flow_w_per_k])
        b = np.zeros(m)
        b[ia] = net.h_air_out * outdoor_c + internal_w + 0.5 * solar_w
        b[ie] = net.h_env_out * outdoor_c + 0.5 * solar_w
        b[il] = burner_w
        x0 = np.concatenate([self.air_c, self.env_c, self.rad_c, [self.loop_c]])
        x1 = np.linalg.solve(lhs, self._cap / dt_s * x0 + b)
        self.air_c, self.env_c, self.rad_c, self.loop_c = x1[ia].copy(), x1[ie].copy(), x1[ir].copy(), float(x1[il])
        return Fluxes(
            radiator_to_air_w=g_rad * (self.rad_c - self.air_c),
            loop_to_radiators_w=flow_w_per_k * (self.loop_c - self.rad_c),
            burner_w=burner_w,
            solar_w=solar_w,
            internal_w=np.asarray(internal_w, dtype=float),
        )
