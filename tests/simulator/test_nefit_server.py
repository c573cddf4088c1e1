"""The nefit-easy-http-server stand-in over a real socket."""
from __future__ import annotations

import threading

import pytest
import requests

from simulator.boiler import NefitBoiler
from simulator.house import load_house
from simulator.nefit_server import NefitServer


@pytest.fixture
def server():
    nefit = NefitServer(NefitBoiler(load_house())).start()
    yield nefit
    nefit.stop()


def test_status_has_the_keys_of_nefit_easy_commands(server):
    status = requests.get(f"{server.url}/api/status", timeout=5).json()
    # Keys from robertklep/nefit-easy-commands lib/commands/status.js
    for key in ("user mode", "clock program", "in house status", "in house temp", "boiler indicator", "control",
                "temp override duration", "current switchpoint", "ps active", "powersave mode", "fp active",
                "fireplace mode", "temp override", "holiday mode", "boiler block", "boiler lock",
                "boiler maintenance", "temp setpoint", "temp override temp setpoint", "temp manual setpoint",
                "hed enabled", "hed device at home", "outdoor temp", "outdoor source type"):
        assert key in status
    assert status["user mode"] == "clock" and status["boiler indicator"] in ("central heating", "hot water", "off")


def test_setting_the_temperature_as_nefit_easy_commands_does(server):
    base = f"{server.url}/bridge/heatingCircuits/hc1"
    for path, value in (("usermode", "manual"), ("temperatureRoomManual", 21.5),
                        ("manualTempOverride/status", "on"), ("manualTempOverride/temperature", 21.5)):
        answer = requests.post(f"{base}/{path}", json={"value": value}, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    read = requests.get(f"{base}/temperatureRoomManual", timeout=5).json()
    assert read["id"] == "/heatingCircuits/hc1/temperatureRoomManual" and read["value"] == 21.5 and "type" in read
    status = requests.get(f"{server.url}/api/status", timeout=5).json()
    assert status["user mode"] == "manual" and status["temp manual setpoint"] == 21.5


@pytest.mark.parametrize("path,body", [
    ("heatingCircuits/hc1/usermode", {"value": "party"}),
    ("heatingCircuits/hc1/temperatureRoomManual", {"value": 45}),
    ("heatingCircuits/hc1/temperatureRoomManual", {"temperature": 20}),
    ("heatingCircuits/hc1/nonsense", {"value": 1}),
])
def test_errors_are_plain_text_500s_and_change_nothing(server, path, body):
    before = requests.get(f"{server.url}/api/status", timeout=5).json()
    answer = requests.post(f"{server.url}/bridge/{path}", json=body, timeout=5)
    assert answer.status_code == 500 and answer.headers["Content-Type"].startswith("text/")
    assert "Error" in answer.text
    assert requests.get(f"{server.url}/api/status", timeout=5).json() == before


def test_fail_knob_fails_the_next_requests_only(server):
    server.fail_next(2)
    codes = [requests.get(f"{server.url}/api/status", timeout=5).status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_one_request_at_a_time(server):
    seen, errors = [], []

    def call():
        try:
            seen.append(requests.get(f"{server.url}/bridge/heatingCircuits/hc1/usermode", timeout=10).json()["value"])
        except requests.RequestException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and seen == ["clock"] * 8
