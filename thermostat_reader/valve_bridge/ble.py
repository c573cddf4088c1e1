"""The Pi's Bluetooth transport: one connection at a time, through bleak-retry-connector.

bleak is asyncio; the bridge's HTTP threads are not. The transport runs its own
event loop in one thread and hands each exchange to it, so there is exactly one
Bluetooth operation in flight on the adapter at any moment.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDBusError, BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection, get_device

from protocols.eq3 import NOTIFY_CHARACTERISTIC_UUID, WRITE_CHARACTERISTIC_UUID
from thermostat_reader.valve_bridge.transport import BluetoothTimeout, NotPaired, ScanPauser, WrongPin

#: Where the bridge's BlueZ agent lives on the system bus while it pairs.
AGENT_PATH = "/org/heating/pairing_agent"
#: The ATT errors of a write that needs a bond the adapter lacks.
_NEEDS_BOND = (BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION, BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION)
_REFUSED_PASSKEY = ("org.bluez.Error.AuthenticationFailed", "org.bluez.Error.AuthenticationCanceled",
                    "org.bluez.Error.AuthenticationRejected")


class _PasskeyAgent:
    """A BlueZ agent (org.bluez.Agent1) that answers passkey entry with one PIN, for one pairing.

    bleak registers no agent; without one BlueZ cannot pair a valve that asks for its PIN.
    """

    def __init__(self, pin: str):
        from dbus_fast.service import ServiceInterface, method

        passkey = int(pin)

        class Agent(ServiceInterface):
            def __init__(self):
                super().__init__("org.bluez.Agent1")
                self.asked = 0

            @method()
            def RequestPasskey(self, device: "o") -> "u":  # noqa: F821, N802 (BlueZ's names)
                self.asked += 1
                return passkey

            @method()
            def Release(self):  # noqa: N802
                pass

            @method()
            def Cancel(self):  # noqa: N802
                pass

        self.agent = Agent()
        self._bus = None

    async def __aenter__(self) -> "_PasskeyAgent":
        from dbus_fast import BusType, Message, MessageType
        from dbus_fast.aio import MessageBus

        self._bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        self._bus.export(AGENT_PATH, self.agent)
        for member, signature, body in (("RegisterAgent", "os", [AGENT_PATH, "KeyboardOnly"]),
                                        ("RequestDefaultAgent", "o", [AGENT_PATH])):
            reply = await self._bus.call(Message(destination="org.bluez", path="/org/bluez",
                                                 interface="org.bluez.AgentManager1", member=member,
                                                 signature=signature, body=body))
            if reply.message_type == MessageType.ERROR:
                self._bus.disconnect()
                raise BluetoothTimeout(f"BlueZ refused the pairing agent: {reply.error_name} {reply.body}")
        return self

    async def __aexit__(self, *exc) -> None:
        from dbus_fast import Message

        try:
            await self._bus.call(Message(destination="org.bluez", path="/org/bluez",
                                         interface="org.bluez.AgentManager1", member="UnregisterAgent",
                                         signature="o", body=[AGENT_PATH]))
        finally:
            self._bus.disconnect()

log = logging.getLogger(__name__)

#: Looks a valve up among devices the scanner has seen (None when not seen).
DeviceLookup = Callable[[str], BLEDevice | None]


class BleakValveTransport:
    """ValveTransport over the Pi's adapter. ``start()`` before use, ``stop()`` at the end."""

    def __init__(
        self,
        *,
        scan_pauser: ScanPauser | None = None,
        device_lookup: DeviceLookup | None = None,
        connect_attempts: int = 3,
        find_timeout_s: float = 10.0,
    ):
        self.scan_pauser = scan_pauser
        self.device_lookup = device_lookup
        self.connect_attempts = connect_attempts
        self.find_timeout_s = find_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._adapter_lock: asyncio.Lock | None = None

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._adapter_lock = asyncio.Lock()
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="valve-bridge-ble", daemon=True)
        self._thread.start()
        ready.wait()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def pair(self, mac: str, pin: str, timeout_s: float) -> None:
        if self._loop is None:
            raise RuntimeError("BleakValveTransport.start() was not called")
        future = asyncio.run_coroutine_threadsafe(self._pair(mac, pin, timeout_s), self._loop)
        try:
            future.result(timeout=self.find_timeout_s + timeout_s * 2 * (self.connect_attempts + 1))
        except FutureTimeout as exc:
            future.cancel()
            raise BluetoothTimeout(f"pairing with {mac} took too long") from exc

    async def _pair(self, mac: str, pin: str, timeout_s: float) -> None:
        assert self._adapter_lock is not None
        async with self._adapter_lock:
            if self.scan_pauser is not None:
                self.scan_pauser.pause()
            try:
                async with _PasskeyAgent(pin):
                    device = await self._find(mac)
                    client = await establish_connection(BleakClientWithServiceCache, device, mac,
                                                        max_attempts=self.connect_attempts)
                    try:
                        await asyncio.wait_for(client.pair(), timeout=timeout_s)
                    finally:
                        try:
                            await client.disconnect()
                        except BleakError as exc:
                            log.debug("Disconnecting from valve %s failed: %s", mac, exc)
            except BleakDBusError as exc:
                if exc.dbus_error in _REFUSED_PASSKEY:
                    raise WrongPin(f"{exc.dbus_error}: {exc.dbus_error_details}") from exc
                raise BluetoothTimeout(f"{type(exc).__name__}: {exc}") from exc
            except (BleakError, asyncio.TimeoutError, OSError) as exc:
                raise BluetoothTimeout(f"{type(exc).__name__}: {exc}") from exc
            finally:
                if self.scan_pauser is not None:
                    self.scan_pauser.resume()

    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        if self._loop is None:
            raise RuntimeError("BleakValveTransport.start() was not called")
        future = asyncio.run_coroutine_threadsafe(self._exchange(mac, frame, timeout_s), self._loop)
        # Connecting (with its retries) and up to two answers may take a few timeouts; never wait forever.
        try:
            return future.result(timeout=self.find_timeout_s + timeout_s * 2 * (self.connect_attempts + 1))
        except FutureTimeout as exc:
            future.cancel()
            raise BluetoothTimeout(f"no answer from {mac}") from exc

    async def _exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        assert self._adapter_lock is not None
        async with self._adapter_lock:
            paused = False
            if self.scan_pauser is not None:
                self.scan_pauser.pause()
                paused = True
            try:
                return await self._connect_and_exchange(mac, frame, timeout_s)
            except BleakGATTProtocolError as exc:
                if exc.args and exc.args[0] in _NEEDS_BOND:
                    raise NotPaired(f"valve {mac} refuses writes without a bond: {exc}") from exc
                raise BluetoothTimeout(f"{type(exc).__name__}: {exc}") from exc
            except (BleakError, asyncio.TimeoutError, OSError) as exc:
                raise BluetoothTimeout(f"{type(exc).__name__}: {exc}") from exc
            finally:
                if paused:
                    self.scan_pauser.resume()

    async def _find(self, mac: str) -> BLEDevice:
        device = self.device_lookup(mac) if self.device_lookup else None
        if device is None:
            device = await get_device(mac)
        if device is None:
            device = await BleakScanner.find_device_by_address(mac, timeout=self.find_timeout_s)
        if device is None:
            raise BluetoothTimeout(f"valve {mac} was not found by a Bluetooth scan")
        return device

    async def _connect_and_exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        try:
            return await self._connect_and_exchange_once(mac, frame, timeout_s)
        except asyncio.TimeoutError:
            # Connected but no notification: valves drop a write now and then. Every command the
            # bridge sends may safely be sent twice.
            log.info("Valve %s did not answer command %s; sending it once more.", mac, frame.hex())
            return await self._connect_and_exchange_once(mac, frame, timeout_s)

    async def _connect_and_exchange_once(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        device = await self._find(mac)
        client: BleakClient = await establish_connection(
            BleakClientWithServiceCache, device, mac, max_attempts=self.connect_attempts)
        try:
            answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

            def on_notify(_sender, data: bytearray) -> None:
                if not answer.done():
                    answer.set_result(bytes(data))

            await client.start_notify(NOTIFY_CHARACTERISTIC_UUID, on_notify)
            await client.write_gatt_char(WRITE_CHARACTERISTIC_UUID, frame, response=True)
            return await asyncio.wait_for(answer, timeout=timeout_s)
        finally:
            try:
                await client.disconnect()
            except BleakError as exc:
                log.debug("Disconnecting from valve %s failed: %s", mac, exc)
