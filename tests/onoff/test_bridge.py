"""The valve driver against a real bridge HTTP server: the simulated house's bridge over simulated eQ-3 valves."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from onoff.drivers import PermanentDeviceError, RetryableDeviceError
from onoff.drivers.bridge import BridgeClient
from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import SimulatedEq3Valve

MAC = "00:1A:22:0C:3B:5D"


@pytest.fixture
def valve_and_bridge():
    valve = SimulatedEq3Valve(MAC, mode="auto", target_c=20.0)
    server = SimulatedBridgeServer({MAC: valve}, timeout_s=1.0).start()
    client = BridgeClient(server.url, timeout_s=5.0)
    yield valve, client
    client.close()
    server.stop()


def test_open_from_auto_sends_manual_then_target_and_returns_what_the_valve_reported(valve_and_bridge):
    valve, client = valve_and_bridge
    status = client.apply(MAC.lower(), "manual", 30.0, known_mode="auto")
    assert status["mode"] == "manual" and status["target_c"] == 30.0
    assert valve.manual is True and valve.target_c == 30.0
    assert status["mac"] == MAC


def test_known_manual_valve_gets_only_the_target(valve_and_bridge):
    valve, client = valve_and_bridge
    client.apply(MAC, "manual", 30.0, known_mode="auto")
    before = len(valve.commands_received)
    status = client.apply(MAC, "manual", 5.0, known_mode="manual")
    assert status["target_c"] == 5.0
    assert len(valve.commands_received) == before + 1


def test_back_to_auto(valve_and_bridge):
    valve, client = valve_and_bridge
    client.apply(MAC, "manual", 30.0)
    status = client.set_mode(MAC, "auto")
    assert status["mode"] == "auto" and valve.manual is False


def test_bluetooth_timeout_is_retryable_and_changes_nothing(valve_and_bridge):
    valve, client = valve_and_bridge
    valve.fail_next(5)
    with pytest.raises(RetryableDeviceError) as caught:
        client.apply(MAC, "manual", 30.0, known_mode="auto")
    assert caught.value.code == "bluetooth_timeout"
    assert valve.manual is False
    assert client.status(MAC)["target_c"] != 30.0


def test_garbled_answer_is_retryable(valve_and_bridge):
    valve, client = valve_and_bridge
    valve.garble_next(5)
    with pytest.raises(RetryableDeviceError) as caught:
        client.set_target(MAC, 22.0)
    assert caught.value.code == "bad_response"


def test_unknown_valve_is_permanent(valve_and_bridge):
    _, client = valve_and_bridge
    with pytest.raises(PermanentDeviceError) as caught:
        client.set_target("00:1A:22:00:00:01", 22.0)
    assert caught.value.code == "unknown_valve"


def test_out_of_range_target_is_permanent(valve_and_bridge):
    _, client = valve_and_bridge
    with pytest.raises(PermanentDeviceError) as caught:
        client.set_target(MAC, 31.0)
    assert caught.value.code == "bad_request"


def test_unreachable_bridge_is_retryable():
    client = BridgeClient("http://127.0.0.1:9", timeout_s=2.0)
    with pytest.raises(RetryableDeviceError) as caught:
        client.status(MAC)
    assert caught.value.code == "connection"


class _BusyBridge(BaseHTTPRequestHandler):
    """Answers every request with the contract's 503 busy error (docs/bridge-api.md, "Errors")."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.dumps({"error": "busy", "message": f"valve {MAC} has too many commands waiting"}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_busy_bridge_is_retryable():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BusyBridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = BridgeClient(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=2.0)
        with pytest.raises(RetryableDeviceError) as caught:
            client.set_target(MAC, 22.0)
        assert caught.value.code == "busy"
        client.close()
    finally:
        server.shutdown()
        server.server_close()
