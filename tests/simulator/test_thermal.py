"""The thermal network: the radiator law, stability at long steps, relaxation to outdoors."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.house import load_house
from simulator.thermal import ThermalState, build_network, flow_fraction


@pytest.fixture(scope="module")
def network():
    return build_network(load_house())


def test_radiator_gives_its_nominal_power_at_delta_t_50(network):
    state = ThermalState(network, 20.0, 20.0, 70.0, loop_c=70.0)
    zeros = np.zeros(network.n)
    fluxes = state.step(1.0, 20.0, np.zeros(4), zeros, zeros, 0.0)
    assert fluxes.radiator_to_air_w == pytest.approx(network.radiator_nominal_w, rel=0.01)


def test_radiator_law_exponent_is_1_3(network):
    outputs = []
    for dt_k in (20.0, 40.0):
        state = ThermalState(network, 20.0, 20.0, 20.0 + dt_k, loop_c=20.0)
        zeros = np.zeros(network.n)
        outputs.append(state.step(1.0, 20.0, np.zeros(4), zeros, zeros, 0.0).radiator_to_air_w)
    assert outputs[1] / outputs[0] == pytest.approx(np.full(network.n, 2 ** 1.3), rel=0.01)


def test_unheated_house_relaxes_to_outdoors_without_overshoot(network):
    state = ThermalState(network, 20.0, 18.0, 20.0, loop_c=20.0)
    zeros = np.zeros(network.n)
    previous = state.air_c.copy()
    for _ in range(24 * 60):  # 60 days in hourly steps
        state.step(3600.0, 0.0, np.zeros(4), zeros, zeros, 0.0)
        assert np.all(state.air_c <= previous + 1e-9)
        previous = state.air_c.copy()
    assert np.all(np.abs(state.air_c) < 0.5) and np.all(state.air_c > -1e-6)


def test_long_steps_stay_close_to_short_ones(network):
    zeros = np.zeros(network.n)
    gains = np.full(network.n, 200.0)
    coarse, fine = (ThermalState(network, 19.0, 17.0, 19.0, loop_c=19.0) for _ in range(2))
    flows = network.radiator_nominal_w / 5.0
    for _ in range(24):
        coarse.step(600.0, 2.0, np.array([0, 50, 200, 50.0]), gains, flows, 6000.0)
        for _ in range(20):
            fine.step(30.0, 2.0, np.array([0, 50, 200, 50.0]), gains, flows, 6000.0)
    assert np.max(np.abs(coarse.air_c - fine.air_c)) < 0.3
    assert coarse.loop_c == pytest.approx(fine.loop_c, abs=1.5)
    del zeros


def test_flow_fraction_is_monotonic_from_closed_to_open():
    pct = np.arange(0, 101)
    fraction = flow_fraction(pct)
    assert fraction[0] == 0 and fraction[-1] == 1 and np.all(np.diff(fraction) > 0)
