"""controller_api/gas.py: GET /api/gas over HTTP on a real database."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

EXACT = 1e-9


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


@pytest.fixture
def heated_morning(api_server):
    """Living room heated 05:00-06:30 UTC, a shower at 06:40, hourly meter readings."""
    with psycopg.connect(api_server.database_url, autocommit=True) as conn:
        bridge = conn.execute("INSERT INTO bridges (name, kind, base_url) VALUES ('Pi', 'pi', "
                              "'http://127.0.0.1:8091') RETURNING id").fetchone()[0]
        living = conn.execute("INSERT INTO rooms (name) VALUES ('Living room') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO rooms (name, sort_order) VALUES ('Attic', 9)")
        valve = conn.execute("INSERT INTO valves (mac, room_id, bridge_id, radiator_power_w) VALUES "
                             "('00:1A:22:0C:3B:5D', %s, %s, 2000) RETURNING id", (living, bridge)).fetchone()[0]
        for at, state in [("2026-01-12 05:00", "open"), ("2026-01-12 06:30", "closed")]:
            conn.execute("INSERT INTO valve_states (valve_id, mac, room_id, radiator_power_w, time, state) "
                         "VALUES (%s, '00:1A:22:0C:3B:5D', %s, 2000, %s, %s)", (valve, living, t(at), state))
        for at, demand, indicator in [("2026-01-12 05:00", True, "central heating"),
                                      ("2026-01-12 06:30", False, "off"),
                                      ("2026-01-12 06:40", False, "hot water"),
                                      ("2026-01-12 06:50", False, "off")]:
            conn.execute("INSERT INTO boiler_states (time, heat_demand, indicator) VALUES (%s, %s, %s)",
                         (t(at), demand, indicator))
        for at, gas_m3 in [("2026-01-12 05:00", 100.0), ("2026-01-12 06:00", 100.2), ("2026-01-12 07:00", 100.65)]:
            conn.execute("INSERT INTO gas_readings (time, gas_m3) VALUES (%s, %s)", (t(at), gas_m3))
        conn.execute("INSERT INTO settings (key, value) VALUES ('gas_price_per_m3', '2.0')")
    return living


def test_gas_per_hour_adds_up_to_the_meter(api_server, heated_morning):
    answer = requests.get(f"{api_server.url}/api/gas", params={
        "from": "2026-01-12T05:00:00Z", "to": "2026-01-12T07:00:00Z", "group": "hour"}, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["group"], body["timezone"], body["currency"], body["gas_price_per_m3"]) == (
        "hour", "Europe/Amsterdam", "EUR", 2.0)
    assert [b["start"] for b in body["buckets"]] == ["2026-01-12T05:00:00Z", "2026-01-12T06:00:00Z"]
    first, second = body["buckets"]
    assert [r["name"] for r in first["rooms"]] == ["Living room", "Attic"]
    assert first["rooms"][0]["gas_m3"] == pytest.approx(0.2, abs=EXACT)
    assert first["metered"]["cost"] == pytest.approx(0.4, abs=EXACT)
    assert first["rooms"][1]["gas_m3"] == 0.0
    # 06:00-07:00: radiator 2000 W × 30 min against hot water 24000 W × 10 min
    assert second["rooms"][0]["gas_m3"] == pytest.approx(0.45 * 60_000 / 300_000, abs=EXACT)
    assert second["hot_water"]["gas_m3"] == pytest.approx(0.45 * 240_000 / 300_000, abs=EXACT)
    assert second["hot_water"]["energy_kwh"] == pytest.approx(second["hot_water"]["gas_m3"] * 9.769, abs=EXACT)
    for bucket in body["buckets"]:
        parts = sum(r["gas_m3"] for r in bucket["rooms"]) + bucket["hot_water"]["gas_m3"] \
            + bucket["unattributed"]["gas_m3"]
        assert abs(parts - bucket["metered"]["gas_m3"]) < EXACT
    assert abs(body["totals"]["metered"]["gas_m3"] - 0.65) < EXACT


def test_gas_per_local_day(api_server, heated_morning):
    answer = requests.get(f"{api_server.url}/api/gas", params={
        "from": "2026-01-11T23:00:00Z", "to": "2026-01-12T23:00:00Z", "group": "day"}, timeout=10)
    assert answer.status_code == 200, answer.text
    [day] = answer.json()["buckets"]
    assert (day["start"], day["end"]) == ("2026-01-11T23:00:00Z", "2026-01-12T23:00:00Z")
    assert abs(day["metered"]["gas_m3"] - 0.65) < EXACT


@pytest.mark.parametrize(("params", "field"), [
    ({"group": "week"}, "group"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2026-01-12T05:00:00"}, "from"),
    ({"from": "2026-01-12T07:00:00Z", "to": "2026-01-12T05:00:00Z"}, "to"),
    ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "group": "hour"}, "to"),
    ({"colour": "red"}, "colour"),
    # A "from" alone ranges up to now: 0.5 reads as a Unix time in 1970.
    ({"from": "0.5"}, "from"),
    ({"from": "2020-01-01T00:00:00Z", "group": "day"}, "from"),
])
def test_bad_parameters_are_a_422_problem(api_server, params, field):
    answer = requests.get(f"{api_server.url}/api/gas", params=params, timeout=10)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in answer.json()["detail"]


def test_without_a_range_it_is_today_so_far(api_server):
    answer = requests.get(f"{api_server.url}/api/gas", timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    start = datetime.fromisoformat(body["from"])
    local = start.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert (local.hour, local.minute) == (0, 0)
    assert body["buckets"][0]["start"] == body["from"]
    assert body["totals"]["metered"]["gas_m3"] == 0.0
    assert all(b["rooms"] == [] for b in body["buckets"])


def test_a_reading_stamped_decades_ahead_costs_only_its_share(api_server, heated_morning):
    """The meter's next reading in 2099: the hours asked for get their share of it, the rest is not worked on."""
    with psycopg.connect(api_server.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO gas_readings (time, gas_m3) VALUES ('2099-01-01T07:00:00Z', 1000100.65)")
        interval_h = conn.execute("SELECT extract(epoch FROM timestamptz '2099-01-01T07:00:00Z' - "
                                  "timestamptz '2026-01-12T07:00:00Z') / 3600").fetchone()[0]
    before = requests.get(f"{api_server.url}/api/gas", params={
        "from": "2026-01-12T05:00:00Z", "to": "2026-01-12T07:00:00Z"}, timeout=30)
    assert before.status_code == 200, before.text
    assert abs(before.json()["totals"]["metered"]["gas_m3"] - 0.65) < EXACT
    after = requests.get(f"{api_server.url}/api/gas", params={
        "from": "2026-01-12T07:00:00Z", "to": "2026-01-12T09:00:00Z"}, timeout=30)
    assert after.status_code == 200, after.text
    buckets = after.json()["buckets"]
    assert [b["start"] for b in buckets] == ["2026-01-12T07:00:00Z", "2026-01-12T08:00:00Z"]
    for bucket in buckets:
        assert bucket["metered"]["gas_m3"] == pytest.approx(1_000_000 / float(interval_h), rel=1e-9)
        assert bucket["unattributed"]["gas_m3"] == pytest.approx(bucket["metered"]["gas_m3"], rel=1e-9)
