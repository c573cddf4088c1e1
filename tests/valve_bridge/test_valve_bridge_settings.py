"""thermostat_reader.valve_bridge.settings: the bridge's settings, checked at start-up."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from thermostat_reader.valve_bridge.settings import BridgeSettings


def test_reads_a_static_valve_list_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEATING_BRIDGE_VALVES", "00:1a:22:0c:3b:5d, 00:1A:22:0C:3B:5E,")
    monkeypatch.setenv("HEATING_BRIDGE_PORT", "8092")
    settings = BridgeSettings(_env_file=None)
    assert settings.static_valve_macs == ["00:1A:22:0C:3B:5D", "00:1A:22:0C:3B:5E"]
    assert settings.bridge_port == 8092


def test_defaults_take_the_valves_from_the_api(monkeypatch):
    monkeypatch.delenv("HEATING_BRIDGE_VALVES", raising=False)
    settings = BridgeSettings(_env_file=None)
    assert settings.static_valve_macs == [] and settings.bridge_port == 8091


@pytest.mark.parametrize("field, value, named", [
    ("bridge_valves", "00:1A:22:0C:3B:5D,kitchen", "kitchen"),
    ("bridge_port", 70000, "bridge_port"),
])
def test_bad_settings_fail_naming_the_key(field, value, named):
    with pytest.raises(ValidationError, match=named):
        BridgeSettings(_env_file=None, **{field: value})
