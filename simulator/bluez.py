"""BlueZ in the simulated house: ``org.bluez`` on a private D-Bus, served with dbus-fast.

The product's Bluetooth code (bleak scanning in thermostat_reader, the Pi's valve
bridge on bleak-retry-connector) talks to BlueZ over the system bus. Here a
private ``dbus-daemon`` stands in for the system bus (point bleak at it with
``DBUS_SYSTEM_BUS_ADDRESS``) and :class:`SimulatedBlueZ` owns ``org.bluez`` on
it, with the objects and signals bluetoothd has (BlueZ doc/org.bluez.Adapter.rst,
org.bluez.Device.rst, org.bluez.GattCharacteristic.rst; read to learn):

- ``/org/bluez/hci0``: ``org.bluez.Adapter1`` with ``Powered``, ``Discovering``,
  ``Roles``, ``StartDiscovery``, ``StopDiscovery``, ``SetDiscoveryFilter``,
  ``RemoveDevice``. No ``AdvertisementMonitorManager1`` (a bluetoothd without
  ``--experimental``): bleak's passive scan is refused and the reader scans
  actively, as on a stock Raspberry Pi OS.
- ``/org/bluez/hci0/dev_XX_…``: ``org.bluez.Device1`` per device heard while
  discovering, appearing with ``InterfacesAdded``; ``RSSI``, ``ServiceData`` and
  ``ManufacturerData`` change with ``PropertiesChanged``, only when they change
  (bleak's filter asks for ``DuplicateData`` false). ``Connect`` resolves the
  eQ-3's GATT service (``InterfacesAdded`` for the service and its
  characteristics, then ``ServicesResolved``); ``Disconnect`` removes them.
- the eQ-3's service: a write characteristic (``WriteValue`` carries the frame
  to the simulated valve) and a notify characteristic (``StartNotify``; the
  valve's answer arrives as a ``PropertiesChanged`` of ``Value``), with the
  UUIDs of ``protocols.eq3``.

``org.freedesktop.DBus.ObjectManager`` on ``/`` (``GetManagedObjects``,
``InterfacesAdded``, ``InterfacesRemoved``) is dbus-fast's own, for every
exported object.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import datetime
from typing import Callable

from dbus_fast import BusType, DBusError, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from protocols import eq3
from simulator.eq3_valve import FrameIgnored, NotPaired, SimulatedEq3Valve, ValveUnreachable

log = logging.getLogger(__name__)

ADAPTER_PATH = "/org/bluez/hci0"
ADAPTER_ADDRESS = "B8:27:EB:00:00:01"  # a Raspberry Pi's OUI
#: The eQ-3's GATT service (the valve's own UUID; its characteristics: protocols.eq3).
EQ3_SERVICE_UUID = "3e135142-654f-9090-134a-a6ff5bb77046"
#: How long the simulated radio takes to connect and to answer: long enough to be a radio, short for tests.
CONNECT_S = 0.05
ANSWER_S = 0.02
#: How often a valve in range is heard while discovering (wall seconds).
VALVE_ADVERT_S = 0.25
#: An unreachable valve: BlueZ gives up on the LE connection after a while.
CONNECT_FAIL_S = 0.5

ERROR_FAILED = "org.bluez.Error.Failed"
ERROR_IN_PROGRESS = "org.bluez.Error.InProgress"
ERROR_NOT_READY = "org.bluez.Error.NotReady"
ERROR_NOT_CONNECTED = "org.bluez.Error.NotConnected"
ERROR_DOES_NOT_EXIST = "org.bluez.Error.DoesNotExist"
ERROR_INVALID_ARGUMENTS = "org.bluez.Error.InvalidArguments"
ERROR_AUTHENTICATION_FAILED = "org.bluez.Error.AuthenticationFailed"
ERROR_AUTHENTICATION_CANCELED = "org.bluez.Error.AuthenticationCanceled"
ERROR_ALREADY_EXISTS = "org.bluez.Error.AlreadyExists"
#: A write to a valve that needs a bond: the ATT error Insufficient Authentication (0x05).
INSUFFICIENT_AUTHENTICATION = "Operation failed with ATT error: 0x05"

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def device_path(mac: str) -> str:
    return f"{ADAPTER_PATH}/dev_{mac.upper().replace(':', '_')}"


class PrivateBus:
    """A ``dbus-daemon`` of our own, configured like a system bus that lets anyone own any name."""

    def __init__(self, socket_path: str | None = None):
        self._dir = tempfile.mkdtemp(prefix="sim-dbus-")
        if socket_path is None:
            socket_path = os.path.join(self._dir, "system_bus_socket")
        elif os.path.exists(socket_path):
            os.unlink(socket_path)  # left by a simulator that was killed
        config = os.path.join(self._dir, "bus.conf")
        with open(config, "w") as f:
            f.write(_BUS_CONFIG.format(socket=socket_path))
        daemon = shutil.which("dbus-daemon")
        if daemon is None:
            raise RuntimeError("dbus-daemon is not installed (Debian package dbus-daemon)")
        self.process = subprocess.Popen([daemon, f"--config-file={config}", "--nofork", "--nopidfile",
                                         "--print-address"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.process.stdout.readline().decode().strip()
        if not line:
            raise RuntimeError(f"dbus-daemon did not start: {self.process.stderr.read().decode()[:500]}")
        #: What DBUS_SYSTEM_BUS_ADDRESS must say for bleak to use this bus.
        self.address = line.split(",")[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        shutil.rmtree(self._dir, ignore_errors=True)


# --------------------------------------------------------------------------- interfaces

class Adapter(ServiceInterface):
    def __init__(self, bluez: "SimulatedBlueZ"):
        super().__init__("org.bluez.Adapter1")
        self.bluez = bluez
        self.powered = True
        self.discovering = False
        self.discovery_filter: dict = {}

    @method()
    def StartDiscovery(self):  # noqa: N802 (BlueZ's names)
        if not self.powered:
            raise DBusError(ERROR_NOT_READY, "Resource Not Ready")
        self.bluez.fault_before("start_discovery")
        if not self.discovering:
            self.discovering = True
            self.emit_properties_changed({"Discovering": True})
        self.bluez.discovery_started()

    @method()
    def StopDiscovery(self):  # noqa: N802
        if not self.powered:
            raise DBusError(ERROR_NOT_READY, "Resource Not Ready")
        if not self.discovering:
            raise DBusError(ERROR_FAILED, "No discovery started")
        self.discovering = False
        self.emit_properties_changed({"Discovering": False})
        self.bluez.discovery_stopped()
        self.bluez._unstick("discovery stopped and started again")

    @method()
    def SetDiscoveryFilter(self, properties: "a{sv}"):  # noqa: F821, N802
        allowed = {"UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern"}
        unknown = set(properties) - allowed
        if unknown:
            raise DBusError(ERROR_INVALID_ARGUMENTS, f"Invalid arguments in method call: {sorted(unknown)}")
        self.discovery_filter = {k: v.value for k, v in properties.items()}

    @method()
    def GetDiscoveryFilters(self) -> "as":  # noqa: F821, N802
        return ["UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern"]

    @method()
    def RemoveDevice(self, device: "o"):  # noqa: F821, N802
        if not self.bluez.remove_device(device):
            raise DBusError(ERROR_DOES_NOT_EXIST, "Does Not Exist")

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":  # noqa: F821, N802
        return ADAPTER_ADDRESS

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":  # noqa: F821, N802
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":  # noqa: F821, N802
        return "simulated-pi"

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":  # noqa: F821, N802
        return "simulated-pi"

    @dbus_property()
    def Powered(self) -> "b":  # noqa: F821, N802
        return self.powered

    @Powered.setter
    def Powered(self, value: "b"):  # noqa: F821, N802
        self.bluez.set_powered(bool(value))

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> "b":  # noqa: F821, N802
        return self.discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> "as":  # noqa: F821, N802
        return ["central", "peripheral"]

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":  # noqa: F821, N802
        return []


class AgentManager(ServiceInterface):
    """``org.bluez.AgentManager1`` on ``/org/bluez``: the agent answers passkey requests while pairing."""

    def __init__(self, bluez: "SimulatedBlueZ"):
        super().__init__("org.bluez.AgentManager1")
        self.bluez = bluez
        #: (bus name, object path, capability) of each registered agent; the default one first.
        self.agents: list[tuple[str, str, str]] = []

    @method()
    def RegisterAgent(self, agent: "o", capability: "s"):  # noqa: F821, N802
        sender = self.bluez.current_sender
        if any(a[0] == sender and a[1] == agent for a in self.agents):
            raise DBusError(ERROR_ALREADY_EXISTS, "Already Exists")
        if capability not in ("", "DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput",
                              "KeyboardDisplay"):
            raise DBusError(ERROR_INVALID_ARGUMENTS, "Invalid Arguments")
        self.agents.append((sender, agent, capability or "KeyboardDisplay"))

    @method()
    def UnregisterAgent(self, agent: "o"):  # noqa: F821, N802
        sender = self.bluez.current_sender
        before = len(self.agents)
        self.agents = [a for a in self.agents if not (a[0] == sender and a[1] == agent)]
        if len(self.agents) == before:
            raise DBusError(ERROR_DOES_NOT_EXIST, "Does Not Exist")

    @method()
    def RequestDefaultAgent(self, agent: "o"):  # noqa: F821, N802
        sender = self.bluez.current_sender
        for entry in self.agents:
            if entry[0] == sender and entry[1] == agent:
                self.agents.remove(entry)
                self.agents.insert(0, entry)
                return
        raise DBusError(ERROR_DOES_NOT_EXIST, "Does Not Exist")


class Device(ServiceInterface):
    def __init__(self, bluez: "SimulatedBlueZ", mac: str, name: str | None):
        super().__init__("org.bluez.Device1")
        self.bluez = bluez
        self.mac = mac.upper()
        self.path = device_path(self.mac)
        # Not ``name``: that is the interface's name to dbus-fast.
        self.local_name = name or self.mac.replace(":", "-")
        self.rssi = -127
        self.service_data: dict[str, bytes] = {}
        self.manufacturer_data: dict[int, bytes] = {}
        self.connected = False
        self.services_resolved = False
        self.paired = False
        self.trusted = False
        self._connecting = False

    def heard(self, rssi: int, service_data: dict[str, bytes], manufacturer_data: dict[int, bytes]) -> None:
        """An advertisement: what changed is signalled, as bluetoothd does with DuplicateData off."""
        changed = {}
        if rssi != self.rssi:
            self.rssi = rssi
            changed["RSSI"] = rssi
        merged = {**self.service_data, **service_data}
        if merged != self.service_data:
            self.service_data = merged
            changed["ServiceData"] = {k: Variant("ay", v) for k, v in merged.items()}
        if manufacturer_data and {**self.manufacturer_data, **manufacturer_data} != self.manufacturer_data:
            self.manufacturer_data = {**self.manufacturer_data, **manufacturer_data}
            changed["ManufacturerData"] = {k: Variant("ay", v) for k, v in self.manufacturer_data.items()}
        if changed:
            self.emit_properties_changed(changed)

    @method()
    async def Connect(self):  # noqa: N802
        await self.bluez.connect(self)

    @method()
    async def Disconnect(self):  # noqa: N802
        self.bluez.disconnect(self)

    @method()
    async def Pair(self):  # noqa: N802
        await self.bluez.pair(self)

    @method()
    def CancelPairing(self):  # noqa: N802
        pass

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":  # noqa: F821, N802
        return self.mac

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":  # noqa: F821, N802
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":  # noqa: F821, N802
        return self.local_name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":  # noqa: F821, N802
        return self.local_name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> "o":  # noqa: F821, N802
        return ADAPTER_PATH

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> "n":  # noqa: F821, N802
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":  # noqa: F821, N802
        return {k: Variant("ay", v) for k, v in self.service_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":  # noqa: F821, N802
        return {k: Variant("ay", v) for k, v in self.manufacturer_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":  # noqa: F821, N802
        return sorted(self.service_data)

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> "b":  # noqa: F821, N802
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> "b":  # noqa: F821, N802
        return self.services_resolved

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> "b":  # noqa: F821, N802
        return self.paired

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> "b":  # noqa: F821, N802
        return self.paired

    @dbus_property()
    def Trusted(self) -> "b":  # noqa: F821, N802
        return self.trusted

    @Trusted.setter
    def Trusted(self, value: "b"):  # noqa: F821, N802
        self.trusted = bool(value)

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> "b":  # noqa: F821, N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def LegacyPairing(self) -> "b":  # noqa: F821, N802
        return False


class GattService(ServiceInterface):
    def __init__(self, device: Device):
        super().__init__("org.bluez.GattService1")
        self.device = device

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821, N802
        return EQ3_SERVICE_UUID

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> "o":  # noqa: F821, N802
        return self.device.path

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":  # noqa: F821, N802
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> "q":  # noqa: F821, N802
        return 0x0400


class GattCharacteristic(ServiceInterface):
    def __init__(self, bluez: "SimulatedBlueZ", device: Device, service_path: str, uuid: str, handle: int,
                 flags: list[str]):
        super().__init__("org.bluez.GattCharacteristic1")
        self.bluez = bluez
        self.device = device
        self.service_path = service_path
        self.uuid = uuid
        self.handle = handle
        self.flags = flags
        self.value = b""
        self.notifying = False

    @method()
    async def WriteValue(self, value: "ay", options: "a{sv}"):  # noqa: F821, N802
        await self.bluez.write(self.device, bytes(value))

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: F821, N802
        return self.value

    @method()
    def StartNotify(self):  # noqa: N802
        if not self.device.connected:
            raise DBusError(ERROR_NOT_CONNECTED, "Not Connected")
        if not self.notifying:
            self.notifying = True
            self.emit_properties_changed({"Notifying": True})

    @method()
    def StopNotify(self):  # noqa: N802
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})

    def notify(self, value: bytes) -> None:
        self.value = value
        if self.notifying:
            self.emit_properties_changed({"Value": value})

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821, N802
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":  # noqa: F821, N802
        return self.service_path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":  # noqa: F821, N802
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> "b":  # noqa: F821, N802
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":  # noqa: F821, N802
        return self.flags

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> "q":  # noqa: F821, N802
        return self.handle

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> "q":  # noqa: F821, N802
        return 23


# --------------------------------------------------------------------------- the daemon

class SimulatedBlueZ:
    """``org.bluez`` on ``bus_address``, hearing ``advertise()`` and connecting to ``valves``.

    ``start()`` runs it in an event loop of its own thread; ``advertise`` may be called from any thread.
    """

    def __init__(self, bus_address: str, valves: dict[str, SimulatedEq3Valve], now: Callable[[], datetime]):
        self.bus_address = bus_address
        self.valves = {mac.upper(): valve for mac, valve in valves.items()}
        self.now = now
        self.adapter = Adapter(self)
        self.agent_manager = AgentManager(self)
        self.current_sender: str | None = None
        self.devices: dict[str, Device] = {}
        self._gatt: dict[str, tuple[str, GattService, GattCharacteristic, GattCharacteristic]] = {}
        self._bus: MessageBus | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        #: Counters for tests and /_sim/state.
        self.connects = 0
        self.writes = 0
        self.stuck = False
        self.stuck_since = 0.0
        #: How the last stuck spell ended and after how many wall seconds (for tests and /_sim/state).
        self.unstuck_by: str | None = None
        self.unstuck_after_s: float | None = None
        self.pending_faults = {"connect_failures": 0, "in_progress": 0, "drop_mid_command": 0}
        self._valve_adverts: asyncio.Future | None = None

    # -- lifecycle

    def start(self) -> "SimulatedBlueZ":
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._connect_bus())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                self._loop.close()
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="simulated-bluez", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError(f"the simulated BlueZ could not start: {failure[0]}") from failure[0]
        log.info("Simulated BlueZ serves org.bluez on %s", self.bus_address)
        return self

    async def _connect_bus(self) -> None:
        bus = MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM)
        await bus.connect()

        def remember_sender(message):
            # Agents are per client (bus name), as bluetoothd keeps them.
            if message.message_type == MessageType.METHOD_CALL:
                self.current_sender = message.sender
            return None

        bus.add_message_handler(remember_sender)
        bus.export("/org/bluez", self.agent_manager)
        bus.export(ADAPTER_PATH, self.adapter)
        await bus.request_name("org.bluez")
        self._bus = bus

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            if self._valve_adverts is not None:
                self._valve_adverts.cancel()
            if self._bus is not None:
                self._bus.disconnect()
                await self._bus.wait_for_disconnect()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(5)
        except Exception:  # the bus may be gone already
            pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def call(self, fn: Callable, *args):
        """Run ``fn(*args)`` in the daemon's loop and return its result (from any other thread)."""
        assert self._loop is not None

        async def run():
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def state(self) -> dict:
        """For ``/_sim/state``: the adapter, the devices known, and the valve connections so far."""
        return {"address": self.bus_address, "powered": self.adapter.powered,
                "discovering": self.adapter.discovering, "devices": len(self.devices),
                "connected": sorted(mac for mac, d in self.devices.items() if d.connected),
                "valves": sorted(self.valves), "connects": self.connects, "writes": self.writes,
                "stuck": self.stuck, "unstuck_by": self.unstuck_by,
                "unstuck_after_s": round(self.unstuck_after_s, 2) if self.unstuck_after_s is not None else None,
                "faults": dict(self.pending_faults)}

    # -- the radio

    def advertise(self, address: str, rssi: int, local_name: str | None, service_data: dict[str, bytes],
                  manufacturer_data: dict[int, bytes] | None = None) -> None:
        """A device sends an advertisement (from any thread): heard only while discovering."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._heard, address.upper(), rssi, local_name, dict(service_data),
                                        dict(manufacturer_data or {}))

    def advertise_line(self, line: bytes) -> None:
        """An advertisement in the house's stream format (simulator.live AdvertHub lines)."""
        obj = json.loads(line)
        self.advertise(obj["address"], int(obj.get("rssi") or -127), obj.get("local_name"),
                       {k.lower(): bytes.fromhex(v) for k, v in (obj.get("service_data") or {}).items()})

    def _heard(self, mac: str, rssi: int, name: str | None, service_data: dict, manufacturer_data: dict) -> None:
        if not self.adapter.powered or not self.adapter.discovering or not self.hears():
            return
        device = self.devices.get(mac)
        if device is None:
            device = Device(self, mac, name)
            valve = self.valves.get(mac)
            # A bonded valve is known to bluetoothd from its stored keys.
            device.paired = bool(valve is not None and valve.needs_pin and valve.paired_with(ADAPTER_ADDRESS))
            device.rssi = rssi
            device.service_data = service_data
            device.manufacturer_data = manufacturer_data
            self.devices[mac] = device
            self._bus.export(device.path, device)  # InterfacesAdded with its properties
            return
        device.heard(rssi, service_data, manufacturer_data)

    def hears(self) -> bool:
        """Whether the adapter passes advertisements on: not while it is stuck."""
        return not self.stuck

    # -- faults on demand (POST /_sim/faults {"adapter": …})

    def set_stuck(self) -> None:
        """The adapter's known failure: discovery still reported on, nothing heard, until discovery is
        stopped and started again or the adapter is powered off and on."""
        self.stuck = True
        self.stuck_since = time.monotonic()

    def _unstick(self, how: str) -> None:
        if self.stuck:
            self.stuck = False
            self.unstuck_after_s = time.monotonic() - self.stuck_since
            self.unstuck_by = how
            log.info("simulated adapter: no longer stuck (%s after %.1f s)", how, self.unstuck_after_s)

    def add_faults(self, connect_failures: int = 0, in_progress: int = 0, drop_mid_command: int = 0) -> None:
        self.pending_faults["connect_failures"] += connect_failures
        self.pending_faults["in_progress"] += in_progress
        self.pending_faults["drop_mid_command"] += drop_mid_command

    def clear_faults(self) -> None:
        self.stuck = False
        self.pending_faults = {"connect_failures": 0, "in_progress": 0, "drop_mid_command": 0}

    def fault_before(self, operation: str) -> None:
        """Faults on demand, each used once: a failing Connect, an InProgress answer."""
        faults = self.pending_faults
        if operation == "connect" and faults["in_progress"] > 0:
            faults["in_progress"] -= 1
            raise DBusError(ERROR_IN_PROGRESS, "In Progress")
        if operation == "connect" and faults["connect_failures"] > 0:
            faults["connect_failures"] -= 1
            raise DBusError(ERROR_FAILED, "le-connection-abort-by-local")

    def discovery_started(self) -> None:
        """Valves in range are heard too: an eQ-3 advertises its name about every second while idle,
        with a signal strength that varies from one advertisement to the next."""
        if self._valve_adverts is None or self._valve_adverts.done():
            self._valve_adverts = asyncio.ensure_future(self._advertise_valves())

    async def _advertise_valves(self) -> None:
        count = 0
        while self.adapter.discovering and self.adapter.powered:
            for mac, valve in self.valves.items():
                if not valve.unreachable and not (mac in self.devices and self.devices[mac].connected):
                    self._heard(mac, -70 - count % 3, "CC-RT-BLE", {}, {})
            count += 1
            await asyncio.sleep(VALVE_ADVERT_S)

    def discovery_stopped(self) -> None:
        pass

    def set_powered(self, powered: bool) -> None:
        if powered == self.adapter.powered:
            return
        self.adapter.powered = powered
        changed = {"Powered": powered}
        if not powered:
            self._unstick("adapter powered off and on")
            for device in list(self.devices.values()):
                if device.connected:
                    self.disconnect(device)
            if self.adapter.discovering:
                self.adapter.discovering = False
                changed["Discovering"] = False
        self.adapter.emit_properties_changed(changed)

    def remove_device(self, path: str) -> bool:
        for mac, device in list(self.devices.items()):
            if device.path == path:
                if device.connected:
                    self.disconnect(device)
                self._bus.unexport(device.path)
                del self.devices[mac]
                return True
        return False

    def known_device(self, mac: str) -> Device:
        """The Device1 of a valve, created (as BlueZ does for a known bond) when never heard."""
        mac = mac.upper()
        device = self.devices.get(mac)
        if device is None:
            device = Device(self, mac, "CC-RT-BLE")
            self.devices[mac] = device
            self._bus.export(device.path, device)
        return device

    # -- connections to valves

    async def connect(self, device: Device) -> None:
        if not self.adapter.powered:
            raise DBusError(ERROR_NOT_READY, "Resource Not Ready")
        if device.connected:
            return
        if device._connecting:
            raise DBusError(ERROR_IN_PROGRESS, "In Progress")
        device._connecting = True
        try:
            self.fault_before("connect")
            valve = self.valves.get(device.mac)
            if valve is None or valve.unreachable:
                await asyncio.sleep(CONNECT_FAIL_S)
                raise DBusError(ERROR_FAILED, "le-connection-abort-by-local")
            await asyncio.sleep(CONNECT_S)
            self.connects += 1
            device.connected = True
            device.emit_properties_changed({"Connected": True})
            self._resolve_services(device)
            device.services_resolved = True
            device.emit_properties_changed({"ServicesResolved": True})
        finally:
            device._connecting = False

    def _resolve_services(self, device: Device) -> None:
        service_path = f"{device.path}/service0400"
        service = GattService(device)
        write = GattCharacteristic(self, device, service_path, eq3.WRITE_CHARACTERISTIC_UUID, 0x0411,
                                   ["write"])
        notify = GattCharacteristic(self, device, service_path, eq3.NOTIFY_CHARACTERISTIC_UUID, 0x0421,
                                    ["read", "notify"])
        self._bus.export(service_path, service)
        self._bus.export(f"{service_path}/char0410", write)
        self._bus.export(f"{service_path}/char0420", notify)
        self._gatt[device.mac] = (service_path, service, write, notify)

    def disconnect(self, device: Device) -> None:
        gatt = self._gatt.pop(device.mac, None)
        if gatt is not None:
            service_path = gatt[0]
            for path in (f"{service_path}/char0420", f"{service_path}/char0410", service_path):
                self._bus.unexport(path)
        if device.connected or device.services_resolved:
            device.connected = False
            device.services_resolved = False
            device.emit_properties_changed({"Connected": False, "ServicesResolved": False})

    async def pair(self, device: Device) -> None:
        """Pairing as bluetoothd does it with an eQ-3: passkey entry, the passkey from the default agent."""
        agents = list(self.agent_manager.agents)
        if not device.connected:
            await self.connect(device)
        valve = self.valves.get(device.mac)
        if valve is None:
            raise DBusError(ERROR_FAILED, "le-connection-abort-by-local")
        if valve.paired_with(ADAPTER_ADDRESS):
            if valve.needs_pin and not device.paired:
                self._set_paired(device, True)
            elif not valve.needs_pin:
                raise DBusError(ERROR_FAILED, "Pairing not needed")  # older firmware: nothing to bond
            return
        if not agents or agents[0][2] in ("NoInputNoOutput", "DisplayOnly"):
            # Nobody can type the valve's PIN: bluetoothd gives up as the valve asks for passkey entry.
            raise DBusError(ERROR_AUTHENTICATION_FAILED, "Authentication Failed")
        sender, path, _ = agents[0]
        reply = await self._bus.call(Message(destination=sender, path=path, interface="org.bluez.Agent1",
                                             member="RequestPasskey", signature="o", body=[device.path]))
        if reply.message_type == MessageType.ERROR:
            raise DBusError(ERROR_AUTHENTICATION_CANCELED, "Authentication Canceled")
        passkey = f"{int(reply.body[0]):06d}"
        try:
            accepted = valve.pair(ADAPTER_ADDRESS, passkey)
        except ValveUnreachable:
            self.disconnect(device)
            raise DBusError(ERROR_FAILED, "Software caused connection abort") from None
        if not accepted:
            # A wrong passkey: the valve ends the connection, as the real one does.
            self.disconnect(device)
            raise DBusError(ERROR_AUTHENTICATION_FAILED, "Authentication Failed")
        self._set_paired(device, True)

    def _set_paired(self, device: Device, paired: bool) -> None:
        device.paired = paired
        device.emit_properties_changed({"Paired": paired, "Bonded": paired})

    async def write(self, device: Device, frame: bytes) -> None:
        if not device.connected or device.mac not in self._gatt:
            raise DBusError(ERROR_NOT_CONNECTED, "Not Connected")
        self.fault_before("write")
        valve = self.valves[device.mac]
        self.writes += 1
        if self.pending_faults["drop_mid_command"] > 0:
            # The valve takes the write and drops the link before it answers: the command may have
            # been carried out, and nobody is told what the valve now does.
            self.pending_faults["drop_mid_command"] -= 1
            try:
                valve.handle_command(frame, self.now(), ADAPTER_ADDRESS)
            except (NotPaired, FrameIgnored, ValveUnreachable):
                pass
            self.disconnect(device)
            return
        try:
            answer = valve.handle_command(frame, self.now(), ADAPTER_ADDRESS)
        except NotPaired:
            raise DBusError(ERROR_FAILED, INSUFFICIENT_AUTHENTICATION) from None
        except FrameIgnored:
            return  # the valve ignores it: no notification
        except ValveUnreachable:
            # Out of reach mid-connection: the link drops (bluetoothd reports the disconnection).
            self.disconnect(device)
            raise DBusError(ERROR_FAILED, "Not connected")
        notify = self._gatt[device.mac][3]
        await asyncio.sleep(ANSWER_S)
        if device.mac in self._gatt:
            notify.notify(answer)


def wait_for_name(bus_address: str, timeout_s: float = 5.0) -> None:
    """Block until ``org.bluez`` is owned on the bus (for callers that started the daemon elsewhere)."""

    async def check() -> bool:
        bus = await MessageBus(bus_address=bus_address).connect()
        try:
            from dbus_fast import Message

            reply = await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                                           interface="org.freedesktop.DBus", member="NameHasOwner",
                                           signature="s", body=["org.bluez"]))
            return bool(reply.body and reply.body[0])
        finally:
            bus.disconnect()

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if asyncio.run(check()):
            return
        time.sleep(0.05)
    raise TimeoutError("org.bluez did not appear on the private bus")
