"""thermostat_reader.valve_bridge.valve_list: which valves the Pi's bridge serves, from the API's lists.

The shapes follow docs/api.md (`GET /api/bridges`, `GET /api/valves`); the same lists from the real
API are exercised in test_valve_bridge_init.py.
"""
from __future__ import annotations

from thermostat_reader.valve_bridge.valve_list import valves_for_pi_bridges

BRIDGES = [
    {"id": 1, "name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"},
    {"id": 2, "name": "Attic", "kind": "esp32", "base_url": "http://10.0.0.9"},
    {"id": 3, "name": "Upstairs Pi", "kind": "pi", "base_url": "http://10.0.0.7"},
]


def test_keeps_valves_of_pi_bridges_in_api_order():
    valves = [{"mac": "00:1a:22:0c:3b:5f", "bridge_id": 3}, {"mac": "00:1A:22:0C:3B:5E", "bridge_id": 2},
              {"mac": "00:1A:22:0C:3B:5D", "bridge": {"id": 1, "kind": "pi"}}]
    assert valves_for_pi_bridges(valves, BRIDGES) == ["00:1A:22:0C:3B:5F", "00:1A:22:0C:3B:5D"]


def test_a_bridge_name_selects_one_pi_bridge():
    valves = [{"mac": "00:1A:22:0C:3B:5F", "bridge_id": 3}, {"mac": "00:1A:22:0C:3B:5D", "bridge_id": 1}]
    assert valves_for_pi_bridges(valves, BRIDGES, "PI") == ["00:1A:22:0C:3B:5D"]
    assert valves_for_pi_bridges(valves, BRIDGES, "attic") == []


def test_skips_a_valve_with_an_unusable_mac():
    valves = [{"mac": "kitchen", "bridge_id": 1}, {"mac": "00:1A:22:0C:3B:5D", "bridge_id": 1}]
    assert valves_for_pi_bridges(valves, BRIDGES) == ["00:1A:22:0C:3B:5D"]
