"""The valve driver against a real bridge HTTP server: the simulated house's bridge over simulated eQ-3 valves."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from onoff.drivers import PermanentDeviceError, RetryableDeviceError
from onoff.drivers.bridge import BridgeClient
from protocols import eq3
from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import SimulatedEq3Valve

MAC = "00:1A:22:0C:3B:5D"
TOKEN = "test-bridge-token-0123456789"


@pytest.fixture
def valve_and_bridge():
    valve = SimulatedEq3Valve(MAC, mode="auto", target_c=20.0)
    server = SimulatedBridgeServer({MAC: valve}, timeout_s=1.0, token=TOKEN).start()
    client = BridgeClient(server.url, timeout_s=5.0, token=TOKEN)
    yield valve, client
    client.close()
    server.stop()


def _half_hour_ahead(hours: float = 1.0) -> datetime:
    """A local wall-clock time on a half hour, about ``hours`` ahead (the bridge's clock is real time)."""
    local = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None) + timedelta(hours=hours)
    return local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)


def test_an_away_setting_is_sent_as_one_command_and_the_valve_reports_its_end(valve_and_bridge):
    valve, client = valve_and_bridge
    until = _half_hour_ahead()
    status = client.apply(MAC.lower(), "away", 30.0, until)
    assert status["away"] is True and status["target_c"] == 30.0
    assert status["away_until"] == until.strftime("%Y-%m-%dT%H:%M")
    assert valve.away and valve.target_c == 30.0 and valve.manual is False
    assert status["mac"] == MAC
    assert valve.commands_received[-1] == eq3.encode_away(30.0, until)


def test_the_valve_program_setting_is_mode_auto(valve_and_bridge):
    valve, client = valve_and_bridge
    client.apply(MAC, "away", 5.0, _half_hour_ahead())
    status = client.apply(MAC, "auto", None)
    assert status["mode"] == "auto" and status["away"] is False and not valve.away


def test_apply_refuses_what_the_loop_never_sends(valve_and_bridge):
    _, client = valve_and_bridge
    with pytest.raises(ValueError):
        client.apply(MAC, "manual", 30.0)
    with pytest.raises(ValueError):
        client.apply(MAC, "away", 30.0, None)


def test_bluetooth_timeout_is_retryable_and_changes_nothing(valve_and_bridge):
    valve, client = valve_and_bridge
    valve.fail_next(5)
    with pytest.raises(RetryableDeviceError) as caught:
        client.apply(MAC, "away", 30.0, _half_hour_ahead())
    assert caught.value.code == "bluetooth_timeout"
    assert valve.manual is False and not valve.away
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


# --- away and the week program (the bridge's clock is the wall clock here) ---


def _next_half_hour_local(hours_ahead: int = 1) -> datetime:
    local = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, second=0, microsecond=0)
    return local.replace(minute=0) + timedelta(hours=hours_ahead, minutes=30 if local.minute < 30 else 60)


def test_set_away_sends_the_local_end_and_returns_the_valves_status(valve_and_bridge):
    valve, client = valve_and_bridge
    until = _next_half_hour_local()
    status = client.set_away(MAC, 30.0, until)
    assert status["away"] is True and status["target_c"] == 30.0
    assert status["away_until"] == until.strftime("%Y-%m-%dT%H:%M")
    assert valve.commands_received[-1] == eq3.encode_away(30.0, until)


def test_set_away_refused_by_the_bridge_is_permanent(valve_and_bridge):
    _, client = valve_and_bridge
    with pytest.raises(PermanentDeviceError) as caught:
        client.set_away(MAC, 30.0, _next_half_hour_local(hours_ahead=24 * 8))
    assert caught.value.code == "bad_request" and "7 days" in str(caught.value)
    with pytest.raises(ValueError):
        client.set_away(MAC, 30.0, _next_half_hour_local().replace(tzinfo=ZoneInfo("UTC")))


def test_read_and_write_the_week_program(valve_and_bridge):
    valve, client = valve_and_bridge
    program = client.read_program(MAC)
    assert program["mac"] == MAC and list(program["days"]) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert program["days"]["mon"][-1] == {"until": "24:00", "temperature_c": 17.0}
    weekday = [{"until": "07:00", "temperature_c": 16.0}, {"until": "22:30", "temperature_c": 20.5},
               {"until": "24:00", "temperature_c": 16.0}]
    written = client.write_program(MAC, {"tue": weekday, "wed": weekday})
    assert written["days"]["tue"] == weekday and written["days"]["wed"] == weekday
    assert written["days"]["mon"] == program["days"]["mon"]
    assert valve.program["tue"] == eq3.DayProgram("tue", ((420, 16.0), (1350, 20.5), (1440, 16.0)))


def test_a_bad_program_is_a_permanent_error_and_a_silent_valve_a_retryable_one(valve_and_bridge):
    valve, client = valve_and_bridge
    with pytest.raises(PermanentDeviceError):
        client.write_program(MAC, {"mon": [{"until": "23:50", "temperature_c": 17.0}]})
    valve.unreachable = True
    with pytest.raises(RetryableDeviceError):
        client.read_program(MAC)


def test_an_unpaired_valve_is_its_own_failure_and_the_check_says_so():
    from datetime import timezone

    from onoff.service import _failed_checks

    valve = SimulatedEq3Valve(MAC, version="1.48", mode="auto", target_c=20.0)
    server = SimulatedBridgeServer({MAC: valve}, timeout_s=1.0, token=TOKEN).start()
    client = BridgeClient(server.url, timeout_s=5.0, token=TOKEN)
    try:
        with pytest.raises(PermanentDeviceError) as caught:
            client.apply(MAC, "away", 30.0, _half_hour_ahead())
        assert caught.value.code == "not_paired" and not valve.away
        now = datetime(2026, 1, 12, 5, tzinfo=timezone.utc)
        checks = _failed_checks(caught.value, 7, 3, now)
        assert [(c["kind"], c["ok"], c["code"]) for c in checks] == [("valve", False, "valve_unpaired"),
                                                                       ("bridge", True, None)]
    finally:
        client.close()
        server.stop()
