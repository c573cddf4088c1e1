"""The three bridges under one interface, each over its own simulated valves.

- ``pi``: the Pi's bridge (PiValveBridge, real HTTP) over a fake Bluetooth
  transport that hands each frame to a SimulatedEq3Valve;
- ``esp32``: the ESP32 firmware's portable core compiled on the host with g++,
  driven through its harness, with this test playing the valve on stdin/stdout;
- ``simulated``: the simulated house's bridge (real HTTP).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from common.clock import Clock
from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import FrameIgnored, NotPaired as ValveNotPaired, SimulatedEq3Valve, ValveUnreachable
from thermostat_reader.valve_bridge import BluetoothTimeout, BridgeSettings, PiValveBridge
from thermostat_reader.valve_bridge.transport import NotPaired, WrongPin

FIRMWARE = Path(__file__).resolve().parents[2] / "esp32_firmware"
ZONE = ZoneInfo("Europe/Amsterdam")
# Two valves: one with the newer status layout, one with the older.
VALVE_ARGS = {
    "00:1A:22:0C:3B:5D": dict(firmware="new", mode="manual", target_c=20.0, valve_pct=40),
    "00:1A:22:0C:3B:5E": dict(firmware="old", battery_low=True),
}
#: Every bridge is given this token; requests carry it unless a test says otherwise.
BRIDGE_TOKEN = "contract-bridge-token-0123456789"
AUTHORIZATION = f"Bearer {BRIDGE_TOKEN}"
# Frozen so that all three bridges set the valves' clocks alike.
SIM_NOW = datetime(2026, 1, 12, 6, 0, 3, tzinfo=timezone.utc)


def make_valves() -> dict[str, SimulatedEq3Valve]:
    return {mac: SimulatedEq3Valve(mac, zone=ZONE, **args) for mac, args in VALVE_ARGS.items()}


class HttpBridge:
    def __init__(self, url: str, valves: dict[str, SimulatedEq3Valve], stop):
        self.url, self.valves, self._stop = url, valves, stop

    def request(self, method: str, target: str, body: bytes | None = None,
                authorization: str | None = AUTHORIZATION) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = requests.request(method, self.url + target, data=body, timeout=10, headers=headers)
        assert response.headers["Content-Type"] == "application/json"
        return response.status_code, response.json()

    def close(self) -> None:
        self._stop()


class HarnessBridge:
    """The host-compiled ESP32 core; its Bluetooth frames are answered by simulated valves."""

    def __init__(self, binary: Path, valves: dict[str, SimulatedEq3Valve]):
        self.valves = valves
        self.frames: list[bytes] = []
        self._process = subprocess.Popen([str(binary), *valves], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, bufsize=1)
        local = SIM_NOW.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M:%S")
        self._send(f"time {local} {SIM_NOW:%Y-%m-%dT%H:%M:%SZ}")
        self._send(f"token {BRIDGE_TOKEN}")

    def _send(self, line: str) -> None:
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def request(self, method: str, target: str, body: bytes | None = None,
                authorization: str | None = AUTHORIZATION) -> tuple[int, dict]:
        auth = f" {authorization.encode().hex()}" if authorization else ""
        self._send(f"request {method} {target} {body.hex() if body else '-'}{auth}")
        while True:
            line = self._process.stdout.readline()
            assert line, "the harness stopped"
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "ble":
                mac, frame_hex = rest.split(" ")
                frame = bytes.fromhex(frame_hex)
                self.frames.append(frame)
                try:
                    self._send("reply " + self.valves[mac].handle_command(frame, SIM_NOW, "esp32").hex())
                except ValveNotPaired:
                    self._send("not_paired")
                except (ValveUnreachable, FrameIgnored):
                    self._send("timeout")
                continue
            if kind == "pair":
                mac, passkey = rest.split(" ")
                try:
                    self._send("paired" if self.valves[mac].pair("esp32", passkey) else "wrong_pin")
                except ValveUnreachable:
                    self._send("timeout")
                continue
            assert kind == "response", line
            status, _, body_json = rest.partition(" ")
            return int(status), json.loads(body_json)

    def close(self) -> None:
        self._send("quit")
        self._process.stdin.close()
        assert self._process.wait(timeout=10) == 0
        self._process.stdout.close()


def build_host_binaries(out_dir: Path) -> dict[str, Path]:
    """Compile the ESP32 core's unit tests and harness with g++; paths by name."""
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.fail("g++ is needed to test the ESP32 firmware's core on this machine")
    sources = sorted(str(p) for p in (FIRMWARE / "src" / "core").glob("*.cpp"))
    binaries = {}
    for name in ("test_core", "harness"):
        binary = out_dir / name
        subprocess.run([compiler, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O0", "-o", str(binary),
                        str(FIRMWARE / "test" / "host" / f"{name}.cpp"), *sources], check=True, timeout=240)
        binaries[name] = binary
    return binaries


@pytest.fixture(scope="session")
def esp32_binaries(tmp_path_factory):
    return build_host_binaries(tmp_path_factory.mktemp("esp32-host"))


class FakeBluetooth:
    """The Pi bridge's Bluetooth, replaced: each frame goes to the simulated valve with that MAC."""

    def __init__(self, valves: dict[str, SimulatedEq3Valve]):
        self.valves = valves

    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        try:
            return self.valves[mac].handle_command(frame, SIM_NOW, "pi")
        except ValveNotPaired as exc:
            raise NotPaired(str(exc)) from exc
        except (ValveUnreachable, FrameIgnored) as exc:
            raise BluetoothTimeout(str(exc)) from exc

    def pair(self, mac: str, pin: str, timeout_s: float) -> None:
        try:
            paired = self.valves[mac].pair("pi", pin)
        except ValveUnreachable as exc:
            raise BluetoothTimeout(str(exc)) from exc
        if not paired:
            raise WrongPin(f"valve {mac} refused the passkey")


def _start_pi(valves):
    transport = FakeBluetooth(valves)
    settings = BridgeSettings(bridge_valves=",".join(valves), bridge_host="127.0.0.1", bridge_port=0,
                              bridge_timeout_s=2, bridge_token=BRIDGE_TOKEN)
    bridge = PiValveBridge(settings, transport=transport, clock=Clock(start=SIM_NOW, epoch=time.time(), speed=1e-9))
    bridge.start()
    return HttpBridge(bridge.url, valves, bridge.stop)


def _start_simulated(valves):
    server = SimulatedBridgeServer(valves, now=lambda: SIM_NOW, zone=ZONE, token=BRIDGE_TOKEN).start()
    return HttpBridge(server.url, valves, server.stop)


@pytest.fixture
def open_bridge(esp32_binaries):
    """open_bridge(kind) -> a started bridge of that kind over fresh simulated valves."""
    opened = []

    def open_(kind: str):
        valves = make_valves()
        if kind == "pi":
            bridge = _start_pi(valves)
        elif kind == "esp32":
            bridge = HarnessBridge(esp32_binaries["harness"], valves)
        else:
            bridge = _start_simulated(valves)
        opened.append(bridge)
        return bridge

    yield open_
    for bridge in opened:
        bridge.close()
