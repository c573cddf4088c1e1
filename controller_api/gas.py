"""GET /api/gas: gas per room, hot water and unattributed, per local hour or day.

The split itself lives in the database (reporting.gas_usage, migration
0010_reporting.sql), so the page and Grafana show the same numbers.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from flask import Blueprint
from pydantic import Field, model_validator

from controller_api import domain
from controller_api.db import connection
from controller_api.errors import ApiProblem
from controller_api.http import endpoint, query_args
from controller_api.models import RangeQuery

bp = Blueprint("gas", __name__, url_prefix="/api")

#: Longest range per grouping: keeps one request to a bounded amount of work
#: on a Pi (a month of hours, a year of days).
MAX_SPAN = {"hour": timedelta(days=31), "day": timedelta(days=366)}


class GasQuery(RangeQuery):
    group: Literal["hour", "day"] = Field(default="hour", description="bucket by local hour or local day")

    @model_validator(mode="after")
    def _bounded(self) -> "GasQuery":
        if self.from_ and self.to and self.to - self.from_ > MAX_SPAN[self.group]:
            raise ValueError(f"to: at most {MAX_SPAN[self.group].days} days after from when grouped by {self.group}")
        return self


def _boundaries(start: datetime, end: datetime, group: str, zone: ZoneInfo) -> list[datetime]:
    """Starts of the local hours or days that overlap [start, end), then the end of the last one."""
    local = start.astimezone(zone)
    if group == "hour":
        at = start - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        bounds = [at]
        while at < end:
            at += timedelta(hours=1)
            bounds.append(at)
        return bounds
    day = local.date()
    bounds = [datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)]
    while bounds[-1] < end:
        day += timedelta(days=1)
        bounds.append(datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc))
    return bounds


def _amount(gas_m3: float, kwh_per_m3: float, price_per_m3: float) -> dict:
    return {"gas_m3": gas_m3, "energy_kwh": gas_m3 * kwh_per_m3, "cost": gas_m3 * price_per_m3}


@endpoint(bp, "/gas", "GET", summary="Gas per room, hot water and unattributed, per local hour or day",
          query=GasQuery)
def get_gas():
    """Every bucket of [from, to) (default: today so far by hour, this month so far by day).

    Within a bucket, the rooms, hot water and unattributed add up to metered:
    what the meter counted in the bucket (a meter interval spanning buckets is
    divided by the heating activity in each).
    """
    query = query_args(GasQuery)
    zone = domain.home_zone()
    to = query.to or domain.now()
    if query.from_ is not None:
        start = query.from_
    else:
        local_to = to.astimezone(zone)
        first_day = local_to.date() if query.group == "hour" else local_to.date().replace(day=1)
        start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(timezone.utc)
    if to <= start:
        raise ApiProblem(422, "to: must be after from", [{"field": "to", "message": "must be after from"}])
    # Checked on the resolved range: a "from" alone (to = now) is bounded too.
    if to - start > MAX_SPAN[query.group]:
        field = "from" if query.to is None else "to"
        message = f"at most {MAX_SPAN[query.group].days} days between from and to when grouped by {query.group}"
        raise ApiProblem(422, f"{field}: {message}", [{"field": field, "message": message}])

    with connection() as conn:
        settings = domain.household_settings(conn)
        rows = conn.execute(
            "SELECT bucket_start, category, room_id, series, gas_m3 FROM reporting.gas_usage(%s, %s, %s, %s)",
            (start, to, query.group, zone.key)).fetchall()
        rooms = conn.execute("SELECT id, name FROM rooms ORDER BY sort_order, id").fetchall()

    kwh, price = settings.gas_kwh_per_m3, settings.gas_price_per_m3
    bounds = _boundaries(start, to, query.group, zone)
    per_bucket: dict[datetime, dict] = defaultdict(lambda: {"rooms": defaultdict(float), "hot water": 0.0,
                                                             "unattributed": 0.0})
    names = {room["id"]: room["name"] for room in rooms}
    for row in rows:
        bucket = per_bucket[row["bucket_start"]]
        if row["category"] == "room":
            bucket["rooms"][row["room_id"]] += row["gas_m3"]
            names.setdefault(row["room_id"], row["series"])
        else:
            bucket[row["category"]] += row["gas_m3"]

    def room_list(amounts: dict) -> list[dict]:
        """Every room (in page order), then gas of rooms since removed (room_id null)."""
        known = [room["id"] for room in rooms]
        ordered = known + [key for key in amounts if key not in known]
        return [{"room_id": key, "name": names.get(key) or "Removed room",
                 **_amount(amounts.get(key, 0.0), kwh, price)} for key in ordered]

    buckets, totals = [], {"rooms": defaultdict(float), "hot water": 0.0, "unattributed": 0.0}
    for bucket_start, end in zip(bounds, bounds[1:]):
        bucket = per_bucket.get(bucket_start, {"rooms": {}, "hot water": 0.0, "unattributed": 0.0})
        metered = sum(bucket["rooms"].values()) + bucket["hot water"] + bucket["unattributed"]
        buckets.append({
            "start": bucket_start, "end": end,
            "rooms": room_list(bucket["rooms"]),
            "hot_water": _amount(bucket["hot water"], kwh, price),
            "unattributed": _amount(bucket["unattributed"], kwh, price),
            "metered": _amount(metered, kwh, price),
        })
        for room_id, gas_m3 in bucket["rooms"].items():
            totals["rooms"][room_id] += gas_m3
        totals["hot water"] += bucket["hot water"]
        totals["unattributed"] += bucket["unattributed"]

    metered_total = sum(totals["rooms"].values()) + totals["hot water"] + totals["unattributed"]
    return {
        "from": start, "to": to, "group": query.group, "timezone": zone.key,
        "currency": settings.currency, "gas_kwh_per_m3": kwh, "gas_price_per_m3": price,
        "buckets": buckets,
        "totals": {
            "rooms": room_list(totals["rooms"]),
            "hot_water": _amount(totals["hot water"], kwh, price),
            "unattributed": _amount(totals["unattributed"], kwh, price),
            "metered": _amount(metered_total, kwh, price),
        },
    }
