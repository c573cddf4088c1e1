"""Weather forecast from Open-Meteo (no API key), shaped as the engine expects.

Shape: ``{"time": ISO, "outdoor_temp_c": float | None, "forecast": [{"time": ISO,
"temperature_c": float, "shortwave_radiation_wm2": float}, ...]}`` (hourly, 48 h).
The loop runs on without it: on any failure the last forecast (memory, then
the cache file) is used, and with none at all the weather is ``{}``.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

log = logging.getLogger(__name__)

HORIZON_H = 48


class WeatherUnavailable(Exception):
    """The forecast could not be fetched or read."""


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # Asked with timezone=UTC, Open-Meteo gives local-less GMT times.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_open_meteo(payload: dict) -> list[dict]:
    """Open-Meteo's hourly arrays as a list of hours; raises WeatherUnavailable on a malformed answer."""
    try:
        hourly = payload["hourly"]
        times, temps = hourly["time"], hourly["temperature_2m"]
        solar = hourly.get("shortwave_radiation") or [None] * len(times)
        hours = [{"time": _iso(_utc(t)), "temperature_c": None if temp is None else float(temp),
                  "shortwave_radiation_wm2": 0.0 if sun is None else float(sun)}
                 for t, temp, sun in zip(times, temps, solar, strict=True)]
    except (KeyError, TypeError, ValueError) as exc:
        raise WeatherUnavailable(f"unexpected Open-Meteo answer: {exc}") from exc
    return hours


def weather_at(hours: list[dict], now: datetime) -> dict:
    """The engine's weather shape at ``now`` from a list of forecast hours."""
    end = now + timedelta(hours=HORIZON_H)
    forecast = [h for h in hours if now < _utc(h["time"]) <= end]
    outdoor = None
    before = [h for h in hours if _utc(h["time"]) <= now and h["temperature_c"] is not None]
    after = [h for h in forecast if h["temperature_c"] is not None]
    if before and after:
        t0, t1 = _utc(before[-1]["time"]), _utc(after[0]["time"])
        share = (now - t0).total_seconds() / max(1.0, (t1 - t0).total_seconds())
        outdoor = before[-1]["temperature_c"] + share * (after[0]["temperature_c"] - before[-1]["temperature_c"])
    elif before:
        outdoor = before[-1]["temperature_c"]
    if not forecast and outdoor is None:
        return {}
    return {"time": _iso(now), "outdoor_temp_c": None if outdoor is None else round(outdoor, 2), "forecast": forecast}


class OpenMeteoClient:
    def __init__(self, latitude: float, longitude: float, url: str = "https://api.open-meteo.com/v1/forecast",
                 timeout_s: float = 10.0, refresh_s: float = 3600.0, cache_path: str | None = None):
        self.latitude, self.longitude = latitude, longitude
        self.url = url
        self.timeout_s = timeout_s
        self.refresh_s = refresh_s
        self.cache_path = Path(cache_path) if cache_path else None
        self._hours: list[dict] | None = None
        self._fetched_at: datetime | None = None
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def fetch(self) -> list[dict]:
        params = {"latitude": self.latitude, "longitude": self.longitude,
                  "hourly": "temperature_2m,shortwave_radiation", "timezone": "UTC",
                  "past_days": 1, "forecast_days": 3}
        try:
            response = self._session.get(self.url, params=params, timeout=self.timeout_s)
            response.raise_for_status()
            return parse_open_meteo(response.json())
        except (requests.RequestException, ValueError) as exc:
            raise WeatherUnavailable(f"Open-Meteo: {exc}") from exc

    def _load_cache(self) -> None:
        if self._hours is not None or self.cache_path is None or not self.cache_path.exists():
            return
        try:
            self._hours = json.loads(self.cache_path.read_text())["hours"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Weather cache %s is unreadable (%s); going on without it", self.cache_path, exc)

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        try:
            temporary = self.cache_path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"hours": self._hours}))
            os.replace(temporary, self.cache_path)
        except OSError as exc:
            log.warning("Could not write the weather cache %s (%s); the forecast stays in memory", self.cache_path, exc)

    def get(self, now: datetime) -> dict:
        """The weather at ``now``; never raises (a stale or empty forecast rather than none)."""
        due = self._fetched_at is None or (now - self._fetched_at).total_seconds() >= self.refresh_s
        if due:
            try:
                self._hours = self.fetch()
                self._fetched_at = now
                self._save_cache()
            except WeatherUnavailable as exc:
                self._load_cache()
                # Try again in a few minutes, not at every tick.
                self._fetched_at = now - timedelta(seconds=max(0.0, self.refresh_s - 600))
                log.warning("No weather forecast (%s); %s", exc,
                            "using the last one" if self._hours else "smart heat will not wait for sun")
        return weather_at(self._hours or [], now)


def with_outdoor_sensor(weather: dict, status: dict) -> dict:
    """The weather with the house's own outdoor thermometer (the status' ``outdoor``, at most an hour
    old) in place of the forecast's temperature now: it measures this house, not the grid cell."""
    outdoor = status.get("outdoor") or {}
    if outdoor.get("temperature_c") is None:
        return weather
    return {**weather, "outdoor_temp_c": float(outdoor["temperature_c"]),
            "outdoor_source": outdoor.get("source") or "sensor"}
