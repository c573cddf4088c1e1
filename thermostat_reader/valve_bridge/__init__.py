"""The Pi's valve bridge: the bridge contract (docs/bridge-api.md) over the Pi's Bluetooth.

The process that owns the Pi's adapter (thermostat_reader) starts it with::

    bridge = start_bridge_server(settings, scan_pauser=scanner)   # settings: a BridgeSettings
    ...
    bridge.stop()

``scan_pauser`` is the thermometer scanner (pause()/resume() around each
connection); ``device_lookup`` may hand over BLEDevices the scanner has seen.
Tests and the simulated house pass their own ``transport``.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from common.api_client import ApiClient, ApiError
from common.clock import Clock
from thermostat_reader.valve_bridge.core import BridgeCore, Reply, status_json
from thermostat_reader.valve_bridge.http_server import ContractHttpServer
from thermostat_reader.valve_bridge.settings import BridgeSettings
from thermostat_reader.valve_bridge.transport import BluetoothTimeout, ScanPauser, ValveTransport
from thermostat_reader.valve_bridge.valve_list import fetch_pi_valves

log = logging.getLogger(__name__)

__all__ = [
    "BluetoothTimeout", "BridgeCore", "BridgeSettings", "ContractHttpServer", "PiValveBridge", "Reply",
    "ScanPauser", "ValveTransport", "start_bridge_server", "status_json",
]


class PiValveBridge:
    """The bridge's HTTP server, its transport and the valve-list refresher, started and stopped together."""

    def __init__(
        self,
        settings: BridgeSettings,
        *,
        scan_pauser: ScanPauser | None = None,
        device_lookup: Callable | None = None,
        transport: ValveTransport | None = None,
        api_client: ApiClient | None = None,
        clock: Clock | None = None,
    ):
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        self._owns_transport = transport is None
        if transport is None:
            from thermostat_reader.valve_bridge.ble import BleakValveTransport

            transport = BleakValveTransport(scan_pauser=scan_pauser if settings.bridge_pause_scan else None,
                                            device_lookup=device_lookup,
                                            connect_attempts=settings.bridge_connect_attempts,
                                            find_timeout_s=settings.bridge_timeout_s)
        self.transport = transport
        self.static = bool(settings.static_valve_macs)
        self._owns_api = api_client is None and not self.static
        self.api = None if self.static else (api_client or ApiClient(settings.api_url, settings.service_token or None))
        self.core = BridgeCore(settings.static_valve_macs, transport, kind="pi", now=self.clock.now,
                               zone=settings.zone, timeout_s=settings.bridge_timeout_s)
        self.server = ContractHttpServer(self.core, settings.bridge_host, settings.bridge_port,
                                         token=settings.bridge_token)
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def refresh_valves(self) -> bool:
        """Fetch the valve list from the API once; on failure keep the current list. True when fetched."""
        if self.api is None:
            return False
        try:
            macs = fetch_pi_valves(self.api, self.settings.bridge_name)
        except ApiError as exc:
            log.warning("Could not fetch the valve list from the API (%s); the bridge keeps serving %d valves "
                        "and asks again in %.0f s.", exc, len(self.core.valve_macs), self.settings.bridge_refresh_s)
            return False
        if macs != self.core.valve_macs:
            log.info("The Pi's valve bridge now serves %d valves: %s", len(macs), ", ".join(macs) or "none")
        self.core.set_valves(macs)
        return True

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.clock.wall_seconds(self.settings.bridge_refresh_s)):
            self.refresh_valves()

    def start(self) -> "PiValveBridge":
        if self._owns_transport:
            self.transport.start()
        if not self.static:
            self.refresh_valves()
            self._refresher = threading.Thread(target=self._refresh_loop, name="valve-bridge-refresh", daemon=True)
            self._refresher.start()
        self.server.start()
        log.info("The Pi's valve bridge listens on %s:%d for %d valves.", self.settings.bridge_host,
                 self.server.port, len(self.core.valve_macs))
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()
        if self._refresher is not None:
            self._refresher.join(timeout=5)
        if self._owns_transport:
            self.transport.stop()
        if self._owns_api and self.api is not None:
            self.api.close()


def start_bridge_server(settings: BridgeSettings, **kwargs) -> PiValveBridge:
    """Build and start the Pi's bridge (see PiValveBridge for the keyword arguments)."""
    return PiValveBridge(settings, **kwargs).start()
