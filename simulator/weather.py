"""Weather from a real typical meteorological year shipped with pvlib.

The house's outdoor temperature and sun come from a TMY3 file in pvlib's
``data`` folder (measured hourly data; see docs/simulator.md for why
Greensboro's file stands in for the Netherlands). Values are hourly and
interpolated linearly in between. The TMY year is laid over any calendar
year by local standard time: hour h after 1 January 00:00 at the house is
hour h of the file, so the sun rises in the morning of the house's clock.

``Weather.at(times)`` is vectorised over an array of UTC instants.
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

HOURS_PER_YEAR = 8760

#: Vertical window orientations (surface azimuth, degrees from north).
ORIENTATIONS = {"N": 0.0, "E": 90.0, "S": 180.0, "W": 270.0}

#: Monthly mean outdoor temperature at De Bilt, KNMI climate normals 1991–2020
#: (°C, January first): the reference for choosing a weather file.
DE_BILT_MONTHLY_MEAN_C = (3.6, 4.0, 6.6, 9.8, 13.4, 16.2, 18.3, 17.9, 14.7, 10.9, 6.9, 4.2)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The heating season used for the comparison: October to April.
HEATING_MONTHS = (10, 11, 12, 1, 2, 3, 4)


class WeatherError(RuntimeError):
    """The weather file is missing or unreadable."""


def pvlib_data_dir() -> str:
    import pvlib

    return os.path.join(os.path.dirname(pvlib.__file__), "data")


def heating_degree_days(daily_mean_c: np.ndarray, months: np.ndarray, base_c: float = 18.0) -> float:
    """Heating degree days (K·day) over the heating season: Σ max(base − daily mean, 0)."""
    mask = np.isin(months, HEATING_MONTHS)
    return float(np.clip(base_c - daily_mean_c[mask], 0.0, None).sum())


def reference_heating_degree_days(base_c: float = 18.0) -> float:
    """The same figure for the De Bilt monthly normals (each day at its month's mean)."""
    daily = np.repeat(np.array(DE_BILT_MONTHLY_MEAN_C), _DAYS_IN_MONTH)
    months = np.repeat(np.arange(1, 13), _DAYS_IN_MONTH)
    return heating_degree_days(daily, months, base_c)


def tmy_heating_degree_days(file_name: str, base_c: float = 18.0) -> float:
    """Heating-season degree days of a TMY3 file in pvlib's data folder."""
    temp_c = _read_tmy3(file_name)[0]["temp_air"]
    daily = temp_c.reshape(365, 24).mean(axis=1)
    months = np.repeat(np.arange(1, 13), _DAYS_IN_MONTH)
    return heating_degree_days(daily, months, base_c)


@functools.lru_cache(maxsize=4)
def _read_tmy3(file_name: str) -> tuple[dict[str, np.ndarray], dict]:
    from pvlib.iotools import read_tmy3

    path = os.path.join(pvlib_data_dir(), file_name)
    if not os.path.exists(path):
        raise WeatherError(f"weather file {file_name} is not in pvlib's data folder ({pvlib_data_dir()})")
    frame, meta = read_tmy3(path, map_variables=True)
    if len(frame) != HOURS_PER_YEAR:
        raise WeatherError(f"weather file {file_name} has {len(frame)} hours, expected {HOURS_PER_YEAR}")
    columns = {name: frame[name].to_numpy(dtype=float) for name in ("temp_air", "ghi", "dni", "dhi")}
    return columns, meta


@functools.lru_cache(maxsize=4)
def _hourly(file_name: str) -> dict[str, np.ndarray]:
    """Hourly arrays: temperature, GHI and irradiance on vertical N/E/S/W planes (W/m²)."""
    import pandas as pd
    from pvlib import irradiance, solarposition

    columns, meta = _read_tmy3(file_name)
    # TMY3 labels each hour by its end and gives the hour's mean irradiance:
    # the sun is placed half an hour before the label, in the station's
    # standard time.
    station_tz = timezone(timedelta(hours=float(meta["TZ"])))
    start = datetime(2019, 1, 1, 0, 30, tzinfo=station_tz)
    times = pd.date_range(start, periods=HOURS_PER_YEAR, freq="h")
    sun = solarposition.get_solarposition(times, meta["latitude"], meta["longitude"], altitude=meta["altitude"])
    hourly = {"temp_c": columns["temp_air"], "ghi_wm2": columns["ghi"]}
    for name, azimuth in ORIENTATIONS.items():
        poa = irradiance.get_total_irradiance(
            surface_tilt=90.0, surface_azimuth=azimuth,
            solar_zenith=sun["apparent_zenith"].to_numpy(), solar_azimuth=sun["azimuth"].to_numpy(),
            dni=columns["dni"], ghi=columns["ghi"], dhi=columns["dhi"], albedo=0.2, model="isotropic")
        hourly[f"poa_{name}_wm2"] = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)).clip(0.0)
    return hourly


@dataclass(frozen=True)
class Weather:
    """Outdoor temperature and sun at any instant, from one TMY3 file."""

    file_name: str
    timezone: str = "Europe/Amsterdam"

    @property
    def _std_offset_h(self) -> float:
        january = datetime(2001, 1, 15, tzinfo=ZoneInfo(self.timezone))
        return january.utcoffset().total_seconds() / 3600.0

    def _hour_index(self, times_s: np.ndarray) -> np.ndarray:
        """Fractional hour of the year in local standard time for POSIX seconds."""
        local_s = times_s + self._std_offset_h * 3600.0
        stamps = local_s.astype("int64").astype("datetime64[s]")
        years = stamps.astype("datetime64[Y]")
        hour_of_year = (local_s - years.astype("datetime64[s]").astype("int64")) / 3600.0
        year_numbers = years.astype("int64") + 1970
        leap = (year_numbers % 4 == 0) & ((year_numbers % 100 != 0) | (year_numbers % 400 == 0))
        # A leap year's 29 February repeats the TMY's 28 February.
        return np.where(leap & (hour_of_year >= 59 * 24), hour_of_year - 24.0, hour_of_year)

    def at(self, times_s) -> dict[str, np.ndarray]:
        """Weather at POSIX seconds (array): temp_c, ghi_wm2, poa_{N,E,S,W}_wm2."""
        times_s = np.atleast_1d(np.asarray(times_s, dtype=float))
        hourly = _hourly(self.file_name)
        hour = self._hour_index(times_s)
        result = {}
        for name, values in hourly.items():
            # Temperatures are instants at the label (end of hour), irradiance
            # hour means centred half an hour earlier.
            shift = 1.0 if name == "temp_c" else 0.5
            pos = (hour - shift) % HOURS_PER_YEAR
            lo = np.floor(pos).astype(np.int64)
            frac = pos - lo
            result[name] = values[lo] * (1.0 - frac) + values[(lo + 1) % HOURS_PER_YEAR] * frac
        return result

    def forecast(self, now: datetime, hours: int = 48) -> list[dict]:
        """The true future, hourly from the next full hour, in the controllers' forecast shape."""
        first = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        times = [first + timedelta(hours=h) for h in range(hours)]
        values = self.at(np.array([t.timestamp() for t in times]))
        return [{"time": t.strftime("%Y-%m-%dT%H:%MZ"), "temperature_c": round(float(values["temp_c"][k]), 1),
                 "shortwave_radiation_wm2": round(float(values["ghi_wm2"][k]), 0)} for k, t in enumerate(times)]


def choose_weather_file(candidates: tuple[str, ...] = ("703165TY.csv", "723170TYA.CSV")) -> tuple[str, dict]:
    """The TMY3 file whose heating-season degree days are closest to De Bilt's, and every file's figure."""
    reference = reference_heating_degree_days()
    figures = {name: tmy_heating_degree_days(name) for name in candidates}
    best = min(figures, key=lambda name: math.fabs(figures[name] - reference))
    return best, {"reference_de_bilt": reference, **figures}
