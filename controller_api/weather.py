"""The weather as the control loop saw it: recorded by the loop, shown on the page's overview."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint
from psycopg.types.json import Jsonb

from controller_api.db import connection
from controller_api.http import endpoint, json_body
from controller_api.models import WeatherIn

bp = Blueprint("weather", __name__, url_prefix="/api")

#: An observation older than this is not the weather any more: the overview shows none.
FRESH_FOR = timedelta(hours=3)


@endpoint(bp, "/weather", "POST", summary="Record the outdoor temperature and forecast the loop uses (control loop)",
          body=WeatherIn, status=201)
def post_weather():
    data = json_body(WeatherIn)
    forecast = [{"time": hour.time.isoformat().replace("+00:00", "Z"), "temperature_c": hour.temperature_c}
                for hour in sorted(data.forecast, key=lambda h: h.time)]
    with connection() as conn:
        conn.execute(
            """INSERT INTO weather (time, outdoor_temp_c, forecast) VALUES (%s, %s, %s)
               ON CONFLICT (time) DO UPDATE SET outdoor_temp_c = EXCLUDED.outdoor_temp_c, forecast = EXCLUDED.forecast""",
            (data.time, data.outdoor_temp_c, Jsonb(forecast)))
    return {"time": data.time, "outdoor_temp_c": data.outdoor_temp_c, "forecast": forecast}, 201


def weather_json(conn, at: datetime) -> dict | None:
    """The newest weather at ``at`` (not older than FRESH_FOR), with the forecast from ``at`` on; else None."""
    row = conn.execute(
        "SELECT time, outdoor_temp_c, forecast FROM weather WHERE time <= %s AND time > %s ORDER BY time DESC LIMIT 1",
        (at, at - FRESH_FOR)).fetchone()
    if row is None:
        return None
    ahead = [hour for hour in row["forecast"] if datetime.fromisoformat(hour["time"].replace("Z", "+00:00")) > at]
    return {"time": row["time"], "outdoor_temp_c": row["outdoor_temp_c"], "forecast": ahead[:24]}
