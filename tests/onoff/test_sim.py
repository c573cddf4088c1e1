"""onoff strategies behind the product's controller interface (onoff.sim), which the simulator drives."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from onoff.sim import ControlOutput, ValveSetting, make_controller
from onoff.strategies import names

NOW = datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc)


def snapshot(temp_c: float, valve_state: dict | None) -> dict:
    return {"time": NOW.isoformat(), "boiler": None, "rooms": [{
        "id": 1, "name": "Living room", "temperature_c": temp_c, "in_sync": True, "target_c": 20.0,
        "target_source": "schedule", "override": None, "next_switch_point": None, "frost_temp_c": 7.0,
        "hysteresis_k": 0.3, "smart_heat": False, "control": "auto",
        "valves": [{"id": 1, "mac": "00:1A:22:0C:3B:5D", "bridge": None, "state": valve_state}]}]}


@pytest.mark.parametrize("name", names())
def test_every_strategy_is_a_controller(name):
    controller = make_controller(name)
    assert controller.name == name
    output = controller.step(snapshot(18.0, None), {}, NOW)
    assert isinstance(output, ControlOutput)
    # Open until 06:30 Amsterdam (05:30 UTC), after which the valve returns to its own program.
    assert output.valves == {"00:1A:22:0C:3B:5D": ValveSetting("away", 30.0, NOW + timedelta(minutes=30))}
    assert output.boiler_heat is False  # the valve is not confirmed open yet
    assert {d["outcome"] for d in output.decisions} == {"open", "stop"}


def test_confirmed_open_valve_gets_no_command_and_the_boiler_fires_after_the_delay():
    controller = make_controller("zoning")
    opened = {"time": None, "state": "open", "target_c": 30.0, "valve_pct": 100, "mode": "away",
              "until": "2026-01-12T05:30:00Z"}
    outputs = [controller.step(snapshot(18.0, opened), {}, NOW + timedelta(minutes=m)) for m in range(4)]
    assert all(o.valves == {} for o in outputs)
    assert [o.boiler_heat for o in outputs] == [False, False, False, True]


def test_unknown_strategy():
    with pytest.raises(KeyError, match="known"):
        make_controller("no-such-strategy")


def test_onoff_imports_nothing_of_the_simulator():
    # The simulator depends on the product's controller interface, never the reverse: with the
    # simulator package made unimportable, every onoff module still imports.
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['simulator'] = None\n"
        "import onoff\n"
        "for m in pkgutil.walk_packages(onoff.__path__, 'onoff.'):\n"
        "    importlib.import_module(m.name)\n"
        "from onoff.sim import make_controller\n"
        "make_controller('zoning')\n"
        "assert not [n for n in sys.modules if n.startswith('simulator.')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
