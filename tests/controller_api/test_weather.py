"""POST /api/weather from the control loop, and the weather in GET /api/status."""
from __future__ import annotations

import pytest

from tests.controller_api.conftest import SERVICE

FORECAST = [{"time": f"2026-01-12T{h:02d}:00:00Z", "temperature_c": 2.0 + 0.5 * h} for h in range(3, 9)]


def test_the_weather_the_loop_recorded_is_in_the_status(client, house, clock):
    assert client.get("/api/status").json["weather"] is None
    answer = client.post("/api/weather", json={"time": "2026-01-12T04:50:00Z", "outdoor_temp_c": 4.3,
                                               "forecast": list(reversed(FORECAST))}, headers=SERVICE)
    assert answer.status_code == 201, answer.json
    weather = client.get("/api/status").json["weather"]
    assert (weather["time"], weather["outdoor_temp_c"]) == ("2026-01-12T04:50:00Z", 4.3)
    # Only the hours ahead of the status's moment (05:00), in order.
    assert [h["time"] for h in weather["forecast"]] == [f"2026-01-12T{h:02d}:00:00Z" for h in (6, 7, 8)]
    assert weather["forecast"][0]["temperature_c"] == 5.0
    # A newer observation replaces it; an old one is not the weather any more.
    client.post("/api/weather", json={"time": "2026-01-12T04:58:00Z", "outdoor_temp_c": 4.6, "forecast": []},
                headers=SERVICE)
    assert client.get("/api/status").json["weather"]["outdoor_temp_c"] == 4.6
    clock.advance(hours=4)
    assert client.get("/api/status").json["weather"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"outdoor_temp_c": 4.0}, "time"),
    ({"time": "2026-01-12T04:50:00Z", "outdoor_temp_c": 99}, "outdoor_temp_c"),
    ({"time": "2026-01-12T04:50:00Z", "forecast": [{"time": "soon", "temperature_c": 3}]}, "forecast"),
])
def test_bad_weather_is_refused_and_changes_nothing(client, house, body, field):
    answer = client.post("/api/weather", json=body, headers=SERVICE)
    assert answer.status_code == 422
    assert field in answer.json["detail"]
    assert client.get("/api/status").json["weather"] is None


def test_only_the_loop_records_weather(client, house):
    answer = client.post("/api/weather", json={"time": "2026-01-12T04:50:00Z", "outdoor_temp_c": 4.0})
    assert answer.status_code == 401
