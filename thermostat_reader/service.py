"""The reader's run loop: advertisements in, readings out, a watchdog on the scanner.

Threads: the source calls ``handle_advert`` from its own thread; ``run`` (the
main thread) hands closed intervals to the spool, delivers the spool to the
API, refreshes the thermometer list and watches the scanner.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from common.api_client import ApiClient, ApiError
from common.clock import Clock
from common.spool import Spool
from protocols.lywsd03mmc import (
    DecodeError, NeedsBindKey, NoMeasurement, UnsupportedService, WrongBindKey, decode, normalize_service_uuid,
)
from thermostat_reader.aggregator import Aggregator
from thermostat_reader.poster import fetch_thermometers, readings_sender
from thermostat_reader.settings import ReaderSettings
from thermostat_reader.sources import Advert, AdvertSource, BluetoothSource, StreamSource

log = logging.getLogger(__name__)

#: Exit status when the scanner stayed deaf through every allowed restart.
EXIT_SCANNER_STUCK = 3

_FORMAT_BY_UUID = {0x181A: "pvvx", 0xFCD2: "bthome", 0xFE95: "mibeacon"}
# A problem with one thermometer (missing or wrong bind key) is logged at most this often.
_WARN_EVERY = timedelta(minutes=30)


def make_source(settings: ReaderSettings) -> AdvertSource:
    if settings.advert_source == "stream":
        assert settings.advert_stream_url is not None
        return StreamSource(settings.advert_stream_url)
    return BluetoothSource(adapter=settings.bluetooth_adapter)


class ReaderService:
    def __init__(self, settings: ReaderSettings, *, source: AdvertSource | None = None,
                 client: ApiClient | None = None, clock: Clock | None = None, spool: Spool | None = None,
                 tick_wall_s: float | None = None):
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        self.source = source or make_source(settings)
        self.client = client or ApiClient(settings.api_url, settings.service_token or None, settings.api_timeout_s)
        self.spool = spool or Spool(settings.spool_path, settings.spool_max_bytes, label="thermometer readings")
        self.sender = readings_sender(self.client, self.spool, settings.batch_size)
        self.aggregator = Aggregator(settings.interval_s, settings.unknown_interval_s)
        self.thermometers: dict[str, dict] = {}
        self.tick_wall_s = tick_wall_s if tick_wall_s is not None else min(
            1.0, max(0.01, self.clock.wall_seconds(settings.interval_s) / 4))
        self.restarts = 0
        self.submitted = 0
        self._heard_since_restart = False
        self._last_heard: datetime | None = None
        self._warned: dict[tuple[str, str], datetime] = {}
        self._stop = threading.Event()
        self.bridge = None
        #: The Pi bridge's id in the API (its adapter's problem is the bridge's); None: not looked up yet.
        self._pi_bridge_id: int | None = None
        self._adapter_reported = False

    # ------------------------------------------------------------------ advertisements

    def handle_advert(self, advert: Advert) -> None:
        """Decode one advertisement and give it to the aggregator (called from the source's thread)."""
        now = self.clock.now()
        self._last_heard = now
        self._heard_since_restart = True
        for uuid, payload in advert.service_data.items():
            try:
                uuid16 = normalize_service_uuid(uuid)
            except UnsupportedService:
                continue
            known = self.thermometers.get(advert.address)
            key_hex = (known or {}).get("bind_key")
            try:
                reading = decode(uuid16, payload, mac=advert.address, bind_key=bytes.fromhex(key_hex) if key_hex else None)
            except NoMeasurement:
                continue
            except NeedsBindKey:
                if known:
                    self._warn(advert.address, "key", "Thermometer %s (%s) sends encrypted advertisements and has no "
                               "bind key: add its bind key on the page; its readings are ignored until then.",
                               advert.address, known.get("name") or "unnamed")
                self.aggregator.offer(advert.address, None, now, advert.rssi, advert.local_name,
                                      format_name=_FORMAT_BY_UUID[uuid16], encrypted=True)
                continue
            except WrongBindKey as exc:
                self._warn(advert.address, "wrongkey", "Thermometer %s: %s. Check its bind key on the page; its "
                           "readings are ignored until it fits.", advert.address, exc)
                continue
            except DecodeError as exc:
                self._warn(advert.address, "decode", "Advertisement of %s could not be decoded (%s); ignored.",
                           advert.address, exc)
                continue
            mac = reading.mac or advert.address
            self.aggregator.offer(mac, reading, now, advert.rssi, advert.local_name)

    def _warn(self, mac: str, kind: str, message: str, *args) -> None:
        now = self.clock.now()
        last = self._warned.get((mac, kind))
        if last is None or now - last >= _WARN_EVERY:
            self._warned[(mac, kind)] = now
            log.warning(message, *args)

    # ------------------------------------------------------------------ thermometer list

    def refresh_thermometers(self) -> bool:
        try:
            thermometers = fetch_thermometers(self.client)
        except ApiError as exc:
            log.warning("Could not fetch the thermometer list from the API (%s); using the %d known ones and "
                        "asking again later.", exc, len(self.thermometers))
            return False
        added = set(thermometers) - set(self.thermometers)
        if added:
            log.info("Thermometers configured: %s", ", ".join(sorted(thermometers)))
        self.thermometers = thermometers
        self.aggregator.set_known(set(thermometers))
        return True

    # ------------------------------------------------------------------ the loop

    def stop(self) -> None:
        self._stop.set()

    def _start_source(self) -> bool:
        try:
            self.source.start(self.handle_advert)
            return True
        except Exception as exc:  # the adapter may fail in any way; the watchdog tries again
            log.error("The advertisement source could not start: %s", exc)
            return False

    def _start_bridge(self) -> None:
        """Serve the Pi's valve bridge from this process, which owns the adapter."""
        if not self.settings.bridge_enabled:
            return
        if not isinstance(self.source, BluetoothSource):
            log.info("The Pi's valve bridge is not started: advertisements come from the simulated house, "
                     "whose valves have a bridge of their own.")
            return
        from thermostat_reader.valve_bridge import start_bridge_server

        self.bridge = start_bridge_server(self.settings, scan_pauser=self.source, device_lookup=self.source.device,
                                          clock=self.clock)

    def run(self) -> int:
        """Run until ``stop()``; returns the process exit status (non-zero: the scanner is stuck)."""
        settings = self.settings
        self.refresh_thermometers()
        next_refresh = self.clock.now() + timedelta(seconds=settings.thermometers_refresh_s)
        next_delivery = self.clock.now()
        self._start_bridge()
        started = self._start_source()
        self._last_heard = self.clock.now()
        if not started:
            self.restarts = 1
        exit_code = 0
        try:
            while not self._stop.is_set():
                now = self.clock.now()
                if self._heard_since_restart:
                    if self.restarts:
                        log.info("Advertisements are heard again after %d scanner restart(s).", self.restarts)
                    if self._adapter_reported:
                        self._report_adapter(True, now, "advertisements are heard again")
                    self.restarts = 0
                    self._heard_since_restart = False
                if now >= next_refresh:
                    self.refresh_thermometers()
                    next_refresh = now + timedelta(seconds=settings.thermometers_refresh_s)
                due = self.aggregator.take_due(now)
                if due:
                    self.sender.submit(due)
                    self.submitted += len(due)
                if now >= next_delivery and not self.spool.is_empty():
                    if not self.sender.flush():
                        next_delivery = now + timedelta(seconds=settings.retry_s)
                silent_s = (now - self._last_heard).total_seconds() if self._last_heard else 0.0
                if silent_s > settings.watchdog_s:
                    if self.restarts >= settings.max_restarts:
                        log.error("No advertisement heard for %.0f s despite %d scanner restart(s): exiting so the "
                                  "whole reader is restarted. If this repeats, check the Bluetooth adapter "
                                  "(hciconfig, bluetoothctl) and that no other program uses it.",
                                  silent_s, self.restarts)
                        exit_code = EXIT_SCANNER_STUCK
                        break
                    self.restarts += 1
                    log.warning("No advertisement heard for %.0f s: restarting the scanner (restart %d of at most "
                                "%d before the reader exits).", silent_s, self.restarts, settings.max_restarts)
                    self._report_adapter(False, now, f"no advertisement heard for {silent_s:.0f} s; scanner "
                                                     f"restarted ({self.restarts} of at most {settings.max_restarts})")
                    self.source.stop()
                    self._start_source()
                    self._last_heard = now
                self._stop.wait(self.tick_wall_s)
        finally:
            self._shutdown()
        return exit_code

    def _report_adapter(self, ok: bool, now: datetime, message: str) -> None:
        """Tell the API that the Pi's adapter is stuck (or hears again): the problem adapter_stuck of the Pi's
        bridge, shown on the page. Only for the Pi's own adapter, and only when the API knows its bridge."""
        if not isinstance(self.source, BluetoothSource):
            return
        try:
            if self._pi_bridge_id is None:
                wanted = self.settings.bridge_name.lower()
                bridges = [b for b in self.client.get("/api/bridges")["bridges"] if b.get("kind") == "pi"
                           and (not wanted or str(b.get("name", "")).lower() == wanted)]
                if not bridges:
                    return
                self._pi_bridge_id = bridges[0]["id"]
            self.client.post("/api/device-checks", {"checks": [{
                "time": now.isoformat(), "kind": "bridge", "id": self._pi_bridge_id, "ok": ok,
                "code": "adapter_stuck", "message": message[:500]}]})
            self._adapter_reported = not ok
        except ApiError as exc:
            log.warning("Could not tell the API about the Bluetooth adapter (%s): %s", message, exc)

    def _shutdown(self) -> None:
        self.source.stop()
        if self.bridge is not None:
            self.bridge.stop()
        rest = self.aggregator.take_all()
        if rest:
            self.sender.submit(rest)
            self.submitted += len(rest)
        if not self.spool.is_empty() and not self.sender.flush():
            log.warning("Stopping with thermometer readings still on disk in %s: they are sent at the next start.",
                        self.spool.directory)
        self.client.close()
