"""Where advertisements come from: the Pi's Bluetooth adapter, or the simulated house's stream.

Both call one callback with an :class:`Advert` from a thread of their own.
``start()`` begins delivering, ``stop()`` ends it (and may be followed by
another ``start()``: that is how the watchdog restarts a stuck scanner).
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Callable, Protocol

import requests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Advert:
    """One advertisement as heard: sender, signal, name and the service data by 128-bit UUID."""

    address: str
    rssi: int | None
    local_name: str | None
    service_data: dict[str, bytes] = field(default_factory=dict)
    #: The sender's own time stamp, if any (the stream's "time"); for logs only.
    sent_time: str | None = None


AdvertCallback = Callable[[Advert], None]


class SourceError(Exception):
    """The source could not be started (adapter missing, BlueZ refused, …)."""


class AdvertSource(Protocol):
    def start(self, callback: AdvertCallback) -> None: ...

    def stop(self) -> None: ...


# --------------------------------------------------------------------------- stream

def parse_stream_line(line: bytes | str) -> Advert:
    """One line of the simulated house's stream; ValueError when it is not an advertisement.

    Format: ``{"address": "A4:C1:38:11:22:33", "rssi": -71, "local_name": "ATC_112233",
    "service_data": {"0000181a-0000-1000-8000-00805f9b34fb": "<payload hex>"}, "time": "…"}``
    """
    obj = json.loads(line)
    if not isinstance(obj, dict) or not isinstance(obj.get("address"), str):
        raise ValueError("an advertisement needs an 'address'")
    service_data = obj.get("service_data") or {}
    if not isinstance(service_data, dict):
        raise ValueError("'service_data' must be an object of UUID to hex payload")
    rssi = obj.get("rssi")
    return Advert(
        address=obj["address"].upper(),
        rssi=int(rssi) if isinstance(rssi, (int, float)) else None,
        local_name=obj.get("local_name") if isinstance(obj.get("local_name"), str) else None,
        service_data={str(uuid).lower(): bytes.fromhex(payload) for uuid, payload in service_data.items()},
        sent_time=obj.get("time") if isinstance(obj.get("time"), str) else None,
    )


class StreamSource:
    """Reads the newline-delimited JSON advertisement stream over HTTP; reconnects when it drops."""

    def __init__(self, url: str, connect_timeout_s: float = 5.0, read_timeout_s: float = 15.0,
                 reconnect_max_s: float = 30.0):
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.reconnect_max_s = reconnect_max_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: requests.Response | None = None
        self._lock = threading.Lock()

    def start(self, callback: AdvertCallback) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(callback, self._stop), name="advert-stream",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            _interrupt(response)
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self, callback: AdvertCallback, stop: threading.Event) -> None:
        wait_s = 0.5
        while not stop.is_set():
            try:
                with requests.get(self.url, stream=True,
                                  timeout=(self.connect_timeout_s, self.read_timeout_s)) as response:
                    response.raise_for_status()
                    with self._lock:
                        self._response = response
                    log.info("Listening to the advertisement stream at %s.", self.url)
                    wait_s = 0.5
                    for line in _lines(response, stop):
                        try:
                            advert = parse_stream_line(line)
                        except ValueError as exc:
                            log.warning("Skipped a line of the advertisement stream that is not an "
                                        "advertisement (%s): %.200r", exc, line)
                            continue
                        callback(advert)
                if not stop.is_set():
                    log.warning("The advertisement stream at %s ended; reconnecting.", self.url)
            except (requests.RequestException, AttributeError, OSError) as exc:
                if stop.is_set():
                    return
                log.warning("The advertisement stream at %s failed (%s); trying again in %.1f s.",
                            self.url, exc, wait_s)
            finally:
                with self._lock:
                    self._response = None
            stop.wait(wait_s)
            wait_s = min(wait_s * 2, self.reconnect_max_s)


def _lines(response: requests.Response, stop: threading.Event):
    """The response's lines as they arrive (iter_lines would hold them back until its chunk fills)."""
    pending = b""
    while not stop.is_set():
        chunk = response.raw.read1(65536)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if stop.is_set():
                return
            if line.strip():
                yield line


def _interrupt(response: requests.Response) -> None:
    """Wake the thread blocked reading a streaming response (it then closes the response itself)."""
    # close() from here would wait for the reader's buffer lock; shutting the socket down
    # makes the blocked recv() return at once.
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is None:
        fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# --------------------------------------------------------------------------- bluetooth

# Service-data AD structures (type 0x16) starting with the 16-bit UUIDs the
# thermometers use, little-endian: 0x181A, 0xFCD2, 0xFE95. BlueZ's passive
# scanning (AdvertisementMonitor) needs such patterns.
THERMOMETER_UUIDS16 = (0x181A, 0xFCD2, 0xFE95)


class BluetoothSource:
    """A long-lived bleak scanner, passive when BlueZ allows it, in an event loop of its own."""

    def __init__(self, adapter: str = "", start_timeout_s: float = 20.0):
        self.adapter = adapter
        self.start_timeout_s = start_timeout_s
        self.mode = "passive"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._scanner = None
        self._callback: AdvertCallback | None = None
        self._devices: dict[str, object] = {}
        self._paused = 0
        self._pause_lock = threading.Lock()
        # The scanner restarts after every valve connection (pause/resume): its mode is told once.
        self._told_mode: str | None = None

    # -- public

    def start(self, callback: AdvertCallback) -> None:
        self._callback = callback
        if self._loop is None:
            ready = threading.Event()

            def run() -> None:
                self._loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self._loop)
                ready.set()
                self._loop.run_forever()

            self._thread = threading.Thread(target=run, name="bluetooth-scanner", daemon=True)
            self._thread.start()
            ready.wait(5)
        self._call(self._start_scanner())

    def stop(self) -> None:
        if self._loop is None:
            return
        try:
            self._call(self._stop_scanner())
        except SourceError as exc:
            log.warning("Stopping the Bluetooth scanner failed (%s); it is replaced anyway.", exc)

    def pause(self) -> None:
        """Stop scanning while the valve bridge connects to a valve (some adapters cannot do both)."""
        with self._pause_lock:
            self._paused += 1
            if self._paused == 1:
                self.stop()

    def resume(self) -> None:
        with self._pause_lock:
            self._paused = max(0, self._paused - 1)
            if self._paused == 0 and self._callback is not None:
                self._call(self._start_scanner())

    def device(self, mac: str):
        """The BLEDevice last seen with this MAC (the valve bridge connects with it), or None."""
        return self._devices.get(mac.upper())

    # -- inside the event loop

    def _call(self, coroutine) -> None:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            future.result(timeout=self.start_timeout_s)
        except FutureTimeout as exc:
            future.cancel()
            raise SourceError(f"the Bluetooth adapter did not answer within {self.start_timeout_s:.0f} s") from exc

    def _detected(self, device, advertisement) -> None:
        self._devices[device.address.upper()] = device
        if not advertisement.service_data or self._callback is None:
            return
        self._callback(Advert(
            address=device.address.upper(), rssi=advertisement.rssi, local_name=advertisement.local_name,
            service_data={uuid.lower(): bytes(data) for uuid, data in advertisement.service_data.items()},
        ))

    async def _start_scanner(self) -> None:
        from bleak import BleakScanner
        from bleak.args.bluez import OrPattern
        from bleak.assigned_numbers import AdvertisementDataType
        from bleak.exc import BleakError

        await self._stop_scanner()
        bluez: dict = {"adapter": self.adapter} if self.adapter else {}
        patterns = [OrPattern(0, AdvertisementDataType.SERVICE_DATA_UUID16, uuid.to_bytes(2, "little"))
                    for uuid in THERMOMETER_UUIDS16]
        if self.mode == "passive":
            try:
                scanner = BleakScanner(detection_callback=self._detected, scanning_mode="passive",
                                       bluez={**bluez, "or_patterns": patterns})
                await scanner.start()
                self._scanner = scanner
                self._tell_mode("Scanning passively for thermometers (Bluetooth adapter %s).")
                return
            except BleakError as exc:
                # Some BlueZ versions offer the AdvertisementMonitor only with --experimental.
                log.warning("Passive Bluetooth scanning is not available (%s); scanning actively instead. "
                            "Active scanning works but costs the thermometers' batteries a little: start bluetoothd "
                            "with --experimental to allow passive scanning.", exc)
                self.mode = "active"
        try:
            scanner = BleakScanner(detection_callback=self._detected, scanning_mode="active", bluez=bluez)
            await scanner.start()
        except (BleakError, OSError) as exc:
            raise SourceError(f"the Bluetooth scanner could not start: {exc}") from exc
        self._scanner = scanner
        self._tell_mode("Scanning actively for thermometers (Bluetooth adapter %s).")

    def _tell_mode(self, message: str) -> None:
        level = logging.INFO if self._told_mode != self.mode else logging.DEBUG
        self._told_mode = self.mode
        log.log(level, message, self.adapter or "default")

    async def _stop_scanner(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            try:
                await scanner.stop()
            except Exception as exc:  # a stuck adapter fails in many ways; the scanner is replaced anyway
                log.warning("The Bluetooth scanner did not stop cleanly: %s", exc)
