"""Which valves the Pi's bridge serves: a fixed list, or the API's valves on 'pi' bridges."""
from __future__ import annotations

import logging
from typing import Any

from common.api_client import ApiClient, ApiError
from thermostat_reader.valve_bridge.core import normalise_mac

log = logging.getLogger(__name__)


def _items(answer: Any, key: str) -> list[dict]:
    # The API answers a list, or an object holding the list under the resource's name.
    if isinstance(answer, dict):
        answer = answer.get(key, [])
    return [item for item in answer or [] if isinstance(item, dict)]


def valves_for_pi_bridges(valves: list[dict], bridges: list[dict], bridge_name: str = "") -> list[str]:
    """MACs (upper case, API order) of the valves whose bridge has kind 'pi' (and, if given, that name)."""
    wanted = {
        bridge.get("id") for bridge in bridges
        if bridge.get("kind") == "pi" and (not bridge_name or str(bridge.get("name", "")).lower() == bridge_name.lower())
    }
    macs = []
    for valve in valves:
        bridge_id = valve.get("bridge_id")
        if bridge_id is None and isinstance(valve.get("bridge"), dict):
            bridge_id = valve["bridge"].get("id")
        if bridge_id in wanted:
            try:
                macs.append(normalise_mac(str(valve.get("mac", ""))))
            except ValueError:
                log.warning("The API lists valve %r with a MAC the bridge cannot use; skipping it.", valve.get("mac"))
    return macs


def fetch_pi_valves(client: ApiClient, bridge_name: str = "") -> list[str]:
    """The Pi's valves from the API; raises ApiError when the API cannot tell."""
    bridges = _items(client.get("/api/bridges"), "bridges")
    valves = _items(client.get("/api/valves"), "valves")
    return valves_for_pi_bridges(valves, bridges, bridge_name)


__all__ = ["ApiError", "fetch_pi_valves", "valves_for_pi_bridges"]
