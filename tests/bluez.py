"""The simulated house's BlueZ for tests: a private dbus-daemon, ``org.bluez`` on it, bleak pointed at it."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from simulator.bluez import PrivateBus, SimulatedBlueZ
from simulator.eq3_valve import SimulatedEq3Valve


@dataclass
class BlueZHouse:
    bus: PrivateBus
    bluez: SimulatedBlueZ
    valves: dict[str, SimulatedEq3Valve]


@contextlib.contextmanager
def simulated_bluez(valves: list[SimulatedEq3Valve] | None = None, now=None):
    """Yields a running BlueZHouse; bleak in this process talks to it while the block runs."""
    bus = PrivateBus()
    by_mac = {v.mac: v for v in valves or []}
    bluez = SimulatedBlueZ(bus.address, by_mac, now or (lambda: datetime.now(timezone.utc)))
    with pytest.MonkeyPatch.context() as patch:
        # bleak (dbus-fast) finds the system bus through this variable, as on a Pi whose bus is elsewhere.
        patch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
        try:
            bluez.start()
            yield BlueZHouse(bus, bluez, by_mac)
        finally:
            bluez.stop()
            bus.stop()
