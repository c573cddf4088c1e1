"""The boiler driver against a real HTTP server speaking nefit-easy-http-server's protocol (conftest.py)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from onoff.drivers import PermanentDeviceError, RetryableDeviceError
from onoff.drivers.nefit import NefitBoiler, program_at


def test_an_override_stays_on_the_clock_program_and_is_read_back(nefit_server):
    fake, url = nefit_server
    confirmed = NefitBoiler(url, timeout_s=5).set_override(21.5)
    # Already in clock mode: no mode write; the temperature first, so the override starts at it.
    assert fake.writes == [("/heatingCircuits/hc1/manualTempOverride/temperature", 21.5),
                           ("/heatingCircuits/hc1/manualTempOverride/status", "on")]
    assert confirmed == {"heat_demand": True, "user_mode": "clock", "setpoint_c": 21.5,
                         "indicator": "central heating", "in_house_c": 18.3, "override": True, "override_c": 21.5}


def test_a_boiler_in_manual_mode_is_put_back_on_its_clock_program_first(nefit_server):
    fake, url = nefit_server
    fake.state["user mode"] = "manual"
    confirmed = NefitBoiler(url, timeout_s=5).set_override(17.0)
    assert fake.writes[0] == ("/heatingCircuits/hc1/usermode", "clock")
    assert confirmed["user_mode"] == "clock" and confirmed["heat_demand"] is False
    assert confirmed["indicator"] == "off"


def test_back_to_clock_program(nefit_server):
    fake, url = nefit_server
    boiler = NefitBoiler(url, timeout_s=5)
    boiler.set_override(22.0)
    confirmed = boiler.to_clock_program()
    assert confirmed["user_mode"] == "clock" and confirmed["override"] is False
    assert fake.state["temp override"] is False


def test_http_500_is_retryable(nefit_server):
    fake, url = nefit_server
    fake.fail_next = 1
    with pytest.raises(RetryableDeviceError) as caught:
        NefitBoiler(url, timeout_s=5).set_override(21.0)
    assert caught.value.code == "boiler_error"


def test_a_setting_the_boiler_does_not_report_is_not_confirmed(nefit_server):
    fake, url = nefit_server
    fake.ignore_writes = True
    with pytest.raises(RetryableDeviceError) as caught:
        NefitBoiler(url, timeout_s=5).set_override(21.0)
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
    assert status["heat_demand"] is False and status["override"] is False and status["in_house_c"] == 18.3


def test_the_program_is_read_from_the_boiler_once_and_evaluated_at_the_local_time(nefit_server):
    fake, url = nefit_server
    boiler = NefitBoiler(url, timeout_s=5)
    # Monday 2026-01-12 08:00: 19 °C since 07:00, the next switch (17 °C) at 09:00.
    assert boiler.program_at(datetime(2026, 1, 12, 8, 0, tzinfo=AMSTERDAM), AMSTERDAM) == (19.0, 3600.0)
    fake.program = []  # not read again within the refresh time
    at = datetime(2026, 1, 12, 23, 30, tzinfo=AMSTERDAM)
    assert boiler.program_at(at, AMSTERDAM) == (15.0, (7 * 60 + 30) * 60.0)


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PROGRAM = [{"active": "on", "d": "Mo", "t": 420, "T": 20}, {"active": "on", "d": "Mo", "t": 1320, "T": 16},
           {"active": "off", "d": "Tu", "t": 0, "T": 5}, {"active": "on", "d": "Sa", "t": 540, "T": 21.5}]


@pytest.mark.parametrize("local, expected", [
    (datetime(2026, 1, 12, 6, 59), (21.5, 60.0)),           # Monday before its first point: Saturday's, back across the week
    (datetime(2026, 1, 12, 7, 0), (20.0, 900 * 60.0)),
    (datetime(2026, 1, 13, 12, 0, 30), (16.0, (5 * 1440 + 540 - 2160) * 60.0 - 30)),  # inactive points do not count
    (datetime(2026, 1, 18, 23, 0), (21.5, 480 * 60.0)),     # Sunday: next is Monday 07:00
])
def test_program_at(local, expected):
    at = local.replace(tzinfo=AMSTERDAM)
    assert program_at(PROGRAM, at, AMSTERDAM) == expected
    assert program_at([], at, AMSTERDAM) == (None, None)


def test_program_at_across_the_clock_change():
    # Sunday 29 March 2026, 01:30 in Amsterdam: the clocks jump from 02:00 to 03:00, so the
    # program's next switch (Monday 07:00) is an hour less away than on the wall clock.
    at = datetime(2026, 3, 29, 1, 30, tzinfo=AMSTERDAM)
    assert program_at(PROGRAM, at, AMSTERDAM) == (21.5, (29 * 60 + 30 - 60) * 60.0)


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
    heat = boiler.set_override(25.0)
    assert heat["heat_demand"] is True and heat["user_mode"] == "clock" and heat["override_c"] == 25.0
    stop = boiler.set_override(5.0)
    assert stop["heat_demand"] is False and stop["setpoint_c"] == 5.0
    back = boiler.to_clock_program()
    assert back["user_mode"] == "clock" and back["override"] is False
    # The simulated boiler's program is its living room's schedule: Monday 07:00 is 20 °C since 06:30.
    setpoint, next_s = boiler.program_at(datetime(2026, 1, 12, 7, 0, tzinfo=AMSTERDAM), AMSTERDAM)
    assert setpoint == 20.0 and next_s == 90 * 60.0
    simulated_boiler_server.fail_next(1)
    with pytest.raises(RetryableDeviceError):
        boiler.set_override(21.0)
