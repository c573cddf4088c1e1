"""The Open-Meteo client against a real local HTTP server, and its fall-backs."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from onoff.weather import OpenMeteoClient, WeatherUnavailable, parse_open_meteo, weather_at

# An answer in the shape of Open-Meteo's /v1/forecast with timezone=UTC (open-meteo.com/en/docs, "API
# Response": "hourly" holds "time" and one array per variable, times in ISO 8601 without offset). The
# values are the first twelve hours of a recorded Open-Meteo answer for Berlin (52.52, 13.42),
# 2023-01-01, as used in a public test fixture; times moved to 2026-01-12 for these tests.
TEMPERATURES_C = [15.9, 15.6, 15.3, 15.4, 15.2, 15.0, 15.0, 14.5, 14.5, 14.8, 14.9, 15.2]
SHORTWAVE_WM2 = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 30.0, 50.0, 76.0]
ANSWER = {"latitude": 52.52, "longitude": 13.419998, "utc_offset_seconds": 0, "timezone": "GMT",
          "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "shortwave_radiation": "W/m²"},
          "hourly": {"time": [f"2026-01-12T{h:02d}:00" for h in range(12)], "temperature_2m": TEMPERATURES_C,
                     "shortwave_radiation": SHORTWAVE_WM2}}


class _Server:
    def __init__(self):
        self.requests: list[dict] = []
        self.failing = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append(parse_qs(urlparse(self.path).query))
                if server.failing:
                    self.send_response(502)
                    self.end_headers()
                    return
                body = json.dumps(ANSWER).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1/forecast"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def open_meteo():
    server = _Server()
    yield server
    server.stop()


NOW = datetime(2026, 1, 12, 5, 30, tzinfo=timezone.utc)


def test_parse_and_shape():
    weather = weather_at(parse_open_meteo(ANSWER), NOW)
    assert weather["time"] == "2026-01-12T05:30:00Z"
    assert weather["outdoor_temp_c"] == pytest.approx(15.0)  # between 05:00 (15.0) and 06:00 (15.0)
    assert weather["forecast"][0] == {"time": "2026-01-12T06:00:00Z", "temperature_c": 15.0,
                                      "shortwave_radiation_wm2": 0.0}
    assert [h["shortwave_radiation_wm2"] for h in weather["forecast"]] == SHORTWAVE_WM2[6:]


def test_outdoor_temperature_is_interpolated():
    weather = weather_at(parse_open_meteo(ANSWER), datetime(2026, 1, 12, 6, 30, tzinfo=timezone.utc))
    assert weather["outdoor_temp_c"] == pytest.approx((15.0 + 14.5) / 2)


@pytest.mark.parametrize("broken", [{}, {"hourly": {"time": ["2026-01-12T00:00"]}},
                                    {"hourly": {"time": ["x"], "temperature_2m": [1.0]}},
                                    {"hourly": {"time": ["2026-01-12T00:00"], "temperature_2m": [1.0, 2.0]}}])
def test_malformed_answers_are_refused(broken):
    with pytest.raises(WeatherUnavailable):
        parse_open_meteo(broken)


def test_client_asks_once_per_refresh_and_caches_on_disk(open_meteo, tmp_path):
    cache = tmp_path / "weather.json"
    client = OpenMeteoClient(52.37, 4.89, open_meteo.url, timeout_s=5, refresh_s=3600, cache_path=str(cache))
    first = client.get(NOW)
    client.get(NOW + timedelta(minutes=30))
    assert len(open_meteo.requests) == 1
    query = open_meteo.requests[0]
    assert query["latitude"] == ["52.37"] and "shortwave_radiation" in query["hourly"][0]
    assert first["forecast"] and cache.exists()
    # A new process without network still has the forecast from the cache file.
    open_meteo.failing = True
    again = OpenMeteoClient(52.37, 4.89, open_meteo.url, timeout_s=5, cache_path=str(cache))
    assert again.get(NOW) == first


def test_no_forecast_at_all_is_an_empty_weather(open_meteo):
    open_meteo.failing = True
    client = OpenMeteoClient(52.37, 4.89, open_meteo.url, timeout_s=5)
    assert client.get(NOW) == {}
    # and it does not ask again at every tick
    client.get(NOW + timedelta(minutes=1))
    assert len(open_meteo.requests) == 1
