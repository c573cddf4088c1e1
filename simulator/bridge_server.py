"""The simulated house's valve bridge: the bridge contract over simulated eQ-3 valves.

The same request/response logic as the Pi's bridge (thermostat_reader.valve_bridge.core),
over a transport that hands each real command frame to ``SimulatedEq3Valve.handle_command``
(status commands, away mode, and the week program's read and write frames alike).
The valves lock themselves, so the house may call ``valve.step`` from its own
loop while the bridge serves requests.
"""
from __future__ import annotations

import socket
import threading
import weakref
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from simulator.eq3_valve import FrameIgnored, NotPaired as ValveNotPaired, SimulatedEq3Valve, ValveUnreachable
from thermostat_reader.valve_bridge.core import BridgeCore
from thermostat_reader.valve_bridge.http_server import ContractHttpServer
from thermostat_reader.valve_bridge.transport import BluetoothTimeout, NotPaired, WrongPin


class SimulatedValveTransport:
    """ValveTransport to simulated valves: a valve that ignores a frame or is unreachable is a timeout.

    ``central`` names this bridge's radio to the valves (their bonds are per central).
    """

    def __init__(self, valves: dict[str, SimulatedEq3Valve], now: Callable[[], datetime], central: str = "bridge"):
        self.valves = {mac.upper(): valve for mac, valve in valves.items()}
        self.now = now
        self.central = central

    def _valve(self, mac: str) -> SimulatedEq3Valve:
        valve = self.valves.get(mac.upper())
        if valve is None:
            raise BluetoothTimeout(f"no simulated valve {mac} in range")
        return valve

    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        try:
            return self._valve(mac).handle_command(frame, self.now(), self.central)
        except ValveNotPaired as exc:
            raise NotPaired(str(exc)) from exc
        except (ValveUnreachable, FrameIgnored) as exc:
            raise BluetoothTimeout(str(exc)) from exc

    def pair(self, mac: str, pin: str, timeout_s: float) -> None:
        try:
            paired = self._valve(mac).pair(self.central, pin)
        except ValveUnreachable as exc:
            raise BluetoothTimeout(str(exc)) from exc
        if not paired:
            raise WrongPin(f"valve {mac} refused the passkey")


class SimulatedBridgeServer:
    """Serves the contract for ``valves`` (by MAC) on ``host:port``; ``start()``/``stop()``, ``url``.

    ``now`` gives the simulated instant (the house's clock); default the wall clock. ``token`` is
    the bridge token every request must carry (docs/bridge-api.md, "Authentication").
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
        central: str = "bridge",
        token: str,
    ):
        now = now or (lambda: datetime.now(timezone.utc))
        self.valves = valves
        self.transport = SimulatedValveTransport(valves, now, central)
        self.core = BridgeCore(list(valves), self.transport, kind="simulated", now=now,
                               zone=zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone), timeout_s=timeout_s)
        self.server = ContractHttpServer(self.core, host, port, token=token)
        self._power = _PowerSwitch(self)

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

    @property
    def powered(self) -> bool:
        return self._power.on

    def set_powered(self, on: bool) -> None:
        """Off: like an ESP32 without power, the port is closed and open connections drop; on: it
        serves again on the same port. Only for a started bridge."""
        self._power.set(on)


class _PowerSwitch:
    """Cuts a started bridge's power and restores it.

    The valve contract's server keeps HTTP/1.1 connections open, and clients (the control loop's
    requests.Session) reuse them: closing the listening port alone would leave the bridge reachable
    on those. So the switch remembers each accepted connection and shuts it down with the port.
    """

    def __init__(self, bridge: SimulatedBridgeServer):
        self.bridge = bridge
        self.on = True
        self._connections: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._watch(bridge.server)

    def _watch(self, server: ContractHttpServer) -> None:
        # The contract server lives in thermostat_reader and offers no hook; wrapping its stdlib
        # server's process_request (called once per accepted connection) is the smallest way in.
        http = server._server
        accept = http.process_request

        def process_request(request, client_address):
            self._connections.add(request)
            accept(request, client_address)

        http.process_request = process_request

    def set(self, on: bool) -> None:
        with self._lock:
            if on == self.on:
                return
            bridge = self.bridge
            if on:
                host, port = bridge.server._server.server_address[:2]
                bridge.server = ContractHttpServer(bridge.core, host, port, token=bridge.server.token)
                self._watch(bridge.server)
                bridge.server.start()
            else:
                bridge.server.stop()
                for connection in list(self._connections):
                    try:
                        connection.shutdown(socket.SHUT_RDWR)
                    except OSError:  # already closed by its client
                        pass
                self._connections.clear()
            self.on = on
