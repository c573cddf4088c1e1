"""`python -m onoff`: the real process against the real API, bridge and boiler server; stop hands back."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.onoff.test_service import House, Room

ROOT = Path(__file__).resolve().parents[2]


def env_for(house: House, api_server, nefit_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
    env.update(HEATING_API_URL=api_server.url, HEATING_SERVICE_TOKEN=api_server.service_token,
               HEATING_NEFIT_URL=nefit_url, HEATING_TICK_S="5", HEATING_WEATHER_URL="http://127.0.0.1:9/",
               HEATING_LOG_LEVEL="INFO", **extra)
    return env


@pytest.fixture
def live_house(api_server, nefit_server):
    fake, url = nefit_server
    house = House(api_server, fake, url, [Room("Living room", 20.0, 17.0, "A4:C1:38:00:00:01", "00:1A:22:00:00:01")])
    house.clock.instant = datetime.now(timezone.utc)
    house.bridge.transport.now = lambda: datetime.now(timezone.utc)
    house.api.post("/api/readings", {"readings": [{"mac": "A4:C1:38:00:00:01", "time": datetime.now(timezone.utc)
                                                   .isoformat(), "temperature_c": 17.0}]})
    yield house, url
    house.close()


def test_dry_run_prints_decisions_and_changes_nothing(live_house, api_server):
    house, nefit_url = live_house
    done = subprocess.run([sys.executable, "-m", "onoff", "tick", "--dry-run"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env_for(house, api_server, nefit_url))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["decisions"][0]["outcome"] == "open"
    assert printed["valve_commands"][0]["target_c"] == 30.0
    assert house.valves["00:1A:22:00:00:01"].manual is False and not house.valves["00:1A:22:00:00:01"].away
    assert house.nefit.writes == []


def test_bad_setting_is_refused_with_its_name(live_house, api_server):
    house, nefit_url = live_house
    done = subprocess.run([sys.executable, "-m", "onoff", "tick", "--dry-run"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env_for(house, api_server, nefit_url, HEATING_STRATEGY="magic"))
    assert done.returncode == 2 and "strategy" in done.stderr and "zoning" in done.stderr


def test_run_controls_and_sigterm_hands_the_house_back(live_house, api_server):
    house, nefit_url = live_house
    valve = house.valves["00:1A:22:00:00:01"]
    process = subprocess.Popen([sys.executable, "-m", "onoff", "run"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env_for(house, api_server, nefit_url))
    try:
        deadline = time.monotonic() + 30
        def controlling() -> bool:
            status = house.nefit.status()
            return valve.away and valve.target_c == 30.0 and status["user mode"] == "clock" \
                and status["temp override"] is True

        while not controlling() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert controlling()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert valve.manual is False and not valve.away
    assert house.nefit.status()["user mode"] == "clock" and house.nefit.status()["temp override"] is False
    states = house.valve_states(house.rooms[0])
    assert states[-1]["mode"] == "auto" and "stopped" in states[-1]["reason"]
    assert "handing valves and boiler back" in output
