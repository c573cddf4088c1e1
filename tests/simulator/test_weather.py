"""Weather from pvlib's TMY3 files: the choice of file, interpolation, the forecast's shape."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from simulator import weather


def test_greensboro_is_the_file_closest_to_de_bilt_in_heating_degree_days():
    best, figures = weather.choose_weather_file()
    assert best == "723170TYA.CSV"
    reference = figures["reference_de_bilt"]
    assert 2200 < reference < 2700  # De Bilt normals, October–April, base 18 °C
    assert abs(figures["723170TYA.CSV"] - reference) < abs(figures["703165TY.csv"] - reference)


def test_values_are_the_file_rows_at_the_hour_and_interpolated_between():
    w = weather.Weather("723170TYA.CSV", "Europe/Amsterdam")
    rows = weather._read_tmy3("723170TYA.CSV")[0]["temp_air"]
    # Row k is labelled (k+1):00 local standard time on 1 January; Amsterdam is UTC+1 in winter.
    at_row_10 = datetime(2026, 1, 1, 10, tzinfo=timezone.utc).timestamp()  # 11:00 local
    assert w.at(at_row_10)["temp_c"][0] == pytest.approx(rows[10])
    halfway = w.at(at_row_10 + 1800)["temp_c"][0]
    assert halfway == pytest.approx((rows[10] + rows[11]) / 2)


def test_sun_is_up_by_day_only_and_strongest_on_south_windows_in_winter():
    w = weather.Weather("723170TYA.CSV", "Europe/Amsterdam")
    day = datetime(2026, 1, 12, tzinfo=timezone.utc).timestamp() + 3600 * np.arange(24 * 14)
    values = w.at(day)
    local_hour = (np.arange(24 * 14) + 1) % 24
    assert values["ghi_wm2"][(local_hour < 6) | (local_hour > 19)].max() == 0
    assert values["poa_S_wm2"].sum() > 1.5 * values["poa_N_wm2"].sum()


def test_forecast_has_the_controllers_shape():
    w = weather.Weather("723170TYA.CSV", "Europe/Amsterdam")
    forecast = w.forecast(datetime(2026, 1, 12, 5, 30, tzinfo=timezone.utc))
    assert len(forecast) == 48
    assert forecast[0]["time"] == "2026-01-12T06:00Z"
    assert set(forecast[0]) == {"time", "temperature_c", "shortwave_radiation_wm2"}
