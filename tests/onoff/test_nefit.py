"""The boiler driver against a real HTTP server speaking nefit-easy-http-server's protocol (conftest.py)."""
from __future__ import annotations

import pytest

from onoff.drivers import PermanentDeviceError, RetryableDeviceError
from onoff.drivers.nefit import NefitBoiler


def test_ask_heat_writes_manual_and_high_setpoint_then_reads_back(nefit_server):
    fake, url = nefit_server
    confirmed = NefitBoiler(url, timeout_s=5).ask_heat(True)
    assert [path for path, _ in fake.writes] == [
        "/heatingCircuits/hc1/usermode", "/heatingCircuits/hc1/temperatureRoomManual",
        "/heatingCircuits/hc1/manualTempOverride/status", "/heatingCircuits/hc1/manualTempOverride/temperature"]
    assert [value for _, value in fake.writes] == ["manual", 30.0, "on", 30.0]
    assert confirmed == {"heat_demand": True, "user_mode": "manual", "setpoint_c": 30.0,
                         "indicator": "central heating"}


def test_stop_heat_uses_the_low_setpoint(nefit_server):
    fake, url = nefit_server
    boiler = NefitBoiler(url, timeout_s=5)
    boiler.ask_heat(True)
    confirmed = boiler.ask_heat(False)
    assert confirmed["heat_demand"] is False and confirmed["setpoint_c"] == 5.0 and confirmed["indicator"] == "off"


def test_back_to_clock_program(nefit_server):
    fake, url = nefit_server
    boiler = NefitBoiler(url, timeout_s=5)
    boiler.ask_heat(True)
    confirmed = boiler.to_clock_program()
    assert confirmed["user_mode"] == "clock" and confirmed["heat_demand"] is False
    assert fake.state["temp override"] is False


def test_http_500_is_retryable(nefit_server):
    fake, url = nefit_server
    fake.fail_next = 1
    with pytest.raises(RetryableDeviceError) as caught:
        NefitBoiler(url, timeout_s=5).ask_heat(True)
    assert caught.value.code == "boiler_error"


def test_a_setting_the_boiler_does_not_report_is_not_confirmed(nefit_server):
    fake, url = nefit_server
    fake.ignore_writes = True
    with pytest.raises(RetryableDeviceError) as caught:
        NefitBoiler(url, timeout_s=5).ask_heat(True)
    assert caught.value.code == "not_confirmed"


def test_unknown_path_is_permanent(nefit_server):
    _, url = nefit_server
    with pytest.raises(PermanentDeviceError):
        NefitBoiler(url + "/nothing-here", timeout_s=5).status()


def test_unreachable_server_is_retryable():
    with pytest.raises(RetryableDeviceError) as caught:
        NefitBoiler("http://127.0.0.1:9", timeout_s=2).status()
    assert caught.value.code == "connection"


def test_status_maps_the_short_indicator_codes(nefit_server):
    fake, url = nefit_server
    status = NefitBoiler(url, timeout_s=5).status()
    assert status["user_mode"] == "clock" and status["setpoint_c"] == 17.5 and status["indicator"] == "off"


@pytest.fixture
def simulated_boiler_server():
    from simulator.boiler import NefitBoiler as SimulatedBoiler
    from simulator.house import load_house
    from simulator.nefit_server import NefitServer

    server = NefitServer(SimulatedBoiler(load_house())).start()
    yield server
    server.stop()


def test_against_the_simulated_house_boiler_server(simulated_boiler_server):
    boiler = NefitBoiler(simulated_boiler_server.url, timeout_s=5)
    heat = boiler.ask_heat(True)
    assert heat["heat_demand"] is True and heat["user_mode"] == "manual" and heat["setpoint_c"] == 30.0
    stop = boiler.ask_heat(False)
    assert stop["heat_demand"] is False and stop["setpoint_c"] == 5.0
    assert boiler.to_clock_program()["user_mode"] == "clock"
    simulated_boiler_server.fail_next(1)
    with pytest.raises(RetryableDeviceError):
        boiler.ask_heat(True)
