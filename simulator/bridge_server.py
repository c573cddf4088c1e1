"""The simulated house's valve bridge: the bridge contract over simulated eQ-3 valves.

The same request/response logic as the Pi's bridge (thermostat_reader.valve_bridge.core),
over a transport that hands each real command frame to ``SimulatedEq3Valve.handle_command``.
The valves lock themselves, so the house may call ``valve.step`` from its own
loop while the bridge serves requests.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from simulator.eq3_valve import FrameIgnored, SimulatedEq3Valve, ValveUnreachable
from thermostat_reader.valve_bridge.core import BridgeCore
from thermostat_reader.valve_bridge.http_server import ContractHttpServer
from thermostat_reader.valve_bridge.transport import BluetoothTimeout


class SimulatedValveTransport:
    """ValveTransport to simulated valves: a valve that ignores a frame or is unreachable is a timeout."""

    def __init__(self, valves: dict[str, SimulatedEq3Valve], now: Callable[[], datetime]):
        self.valves = {mac.upper(): valve for mac, valve in valves.items()}
        self.now = now

    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        valve = self.valves.get(mac.upper())
        if valve is None:
            raise BluetoothTimeout(f"no simulated valve {mac} in range")
        try:
            return valve.handle_command(frame, self.now())
        except (ValveUnreachable, FrameIgnored) as exc:
            raise BluetoothTimeout(str(exc)) from exc


class SimulatedBridgeServer:
    """Serves the contract for ``valves`` (by MAC) on ``host:port``; ``start()``/``stop()``, ``url``.

    ``now`` gives the simulated instant (the house's clock); default the wall clock.
    """

    def __init__(
        self,
        valves: dict[str, SimulatedEq3Valve],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        now: Callable[[], datetime] | None = None,
        zone: str | ZoneInfo = "Europe/Amsterdam",
        timeout_s: float = 10.0,
    ):
        now = now or (lambda: datetime.now(timezone.utc))
        self.valves = valves
        self.transport = SimulatedValveTransport(valves, now)
        self.core = BridgeCore(list(valves), self.transport, kind="simulated", now=now,
                               zone=zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone), timeout_s=timeout_s)
        self.server = ContractHttpServer(self.core, host, port)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> "SimulatedBridgeServer":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
