"""Input a client on the home network can send to hurt the API: 4xx, never a 500, nothing changed."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from controller_api import create_app
from db.local_cluster import free_port
from tests.controller_api.conftest import SERVICE

FAR_TIMES = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
             "9999-12-31T23:59:59-14:00", "2199-06-01T00:00:00Z", "1999-12-31T23:59:59Z"]


def _problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    if field is not None:
        assert any(e["field"].startswith(field) for e in body["errors"]), body
    return body


@pytest.mark.parametrize("when", FAR_TIMES + ["2026-01-12T07:00:00Z", "2024-11-01T00:00:00Z"])
def test_reading_times_outside_a_window_around_now(client, house, database_url, when):
    # The test clock says 2026-01-12T05:00Z: an hour ahead and 400 days back are the limits.
    response = client.post("/api/readings", headers=SERVICE, json={"readings": [
        {"mac": "A4:C1:38:11:22:33", "time": "2026-01-12T04:59:00Z", "temperature_c": 19.5},
        {"mac": "A4:C1:38:11:22:33", "time": when, "temperature_c": 19.5}]})
    body = _problem(response, 422, "readings.1.time")
    assert "2026-01-12T05:00:00" in body["detail"] or "days ago" in body["detail"] or "between" in body["detail"]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM readings").fetchone()[0] == 0


def test_reading_times_inside_the_window_are_stored(client, house):
    response = client.post("/api/readings", headers=SERVICE, json={"readings": [
        {"mac": "A4:C1:38:11:22:33", "time": "2026-01-12T05:50:00+00:00", "temperature_c": 19.5},
        {"mac": "A4:C1:38:11:22:33", "time": "2025-01-01T00:00:00+14:00", "temperature_c": 19.0}]})
    assert response.status_code == 200 and response.json["stored"] == 2


@pytest.mark.parametrize("when", ["2099-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "2026-01-12T06:30:00Z"])
def test_meter_times_outside_the_window(client, database_url, when):
    response = client.post("/api/meter-readings", headers=SERVICE, json={
        "gas": [{"time": when, "gas_m3": 100.0}],
        "electricity": [{"time": "2026-01-12T04:00:00Z", "delivered_t1_kwh": 1.0}]})
    _problem(response, 422, "gas.0.time")
    response = client.post("/api/meter-readings", headers=SERVICE, json={
        "electricity": [{"time": when, "delivered_t1_kwh": 1.0}]})
    _problem(response, 422, "electricity.0.time")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM gas_readings").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM electricity_readings").fetchone()[0] == 0


@pytest.mark.parametrize("path, body, field", [
    ("/api/boiler/state", {"time": "9999-12-31T00:00:00Z", "heat_demand": True}, "time"),
    ("/api/decisions", {"decisions": [{"time": "0001-01-01T00:00:00+14:00", "strategy": "zoning",
                                       "outcome": "open", "reason": "cold"}]}, "decisions.0.time"),
    ("/api/device-checks", {"checks": [{"time": "2099-01-01T00:00:00Z", "kind": "boiler", "ok": True}]},
     "checks.0.time"),
])
def test_reported_times_of_the_control_loop(client, house, path, body, field):
    _problem(client.post(path, headers=SERVICE, json=body), 422, field)


@pytest.mark.parametrize("when", FAR_TIMES[:5])
def test_far_instants_in_queries(client, house, when):
    room = house["room"]
    _problem(client.get("/api/status", query_string={"at": when}), 422, "at")
    for path in (f"/api/rooms/{room}/history", "/api/gas", "/api/problems", "/api/decisions"):
        _problem(client.get(path, query_string={"from": when}), 422, "from")
        _problem(client.get(path, query_string={"to": when}), 422, "to")


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"])
def test_far_holiday_end(client, until):
    response = client.put("/api/mode", headers=SERVICE, json={"mode": "holiday", "holiday_until": until})
    _problem(response, 422, "holiday_until")
    assert client.get("/api/mode").json["mode"] == "home"


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"])
def test_far_override_end(client, house, until):
    response = client.put(f"/api/rooms/{house['room']}/override", headers=SERVICE,
                          json={"temperature_c": 21, "until": until})
    assert response.status_code == 422, response.json


def test_history_range_is_capped(client, house):
    room = house["room"]
    ok = client.get(f"/api/rooms/{room}/history",
                    query_string={"from": "2025-12-12T05:00:00Z", "to": "2026-01-12T05:00:00Z"})
    assert ok.status_code == 200, ok.json
    body = _problem(client.get(f"/api/rooms/{room}/history",
                               query_string={"from": "2025-12-12T04:59:00Z", "to": "2026-01-12T05:00:00Z"}),
                    422, "to")
    assert "31 days" in body["detail"]


@pytest.mark.parametrize("path", ["/api/login", "/api/rooms", "/api/readings"])
def test_deeply_nested_json_is_a_400(client, path):
    for depth in (33, 100_000):
        response = client.post(path, data="[" * depth + "]" * depth, headers={**SERVICE,
                                                                              "Content-Type": "application/json"})
        body = _problem(response, 400)
        assert "deeper than 32" in body["detail"]
    # Brackets inside strings are text, not nesting.
    response = client.post("/api/login", json={"password": "[{" * 60 + "\\\"" + "]}" * 20})
    assert response.status_code == 401


def test_database_down_answers_503_and_serves_the_page(clock, tmp_path: Path):
    (tmp_path / "index.html").write_text("<!doctype html><title>Heating</title>")
    (tmp_path / "app.js").write_text("console.log('heating')")
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    app = create_app({"settings": {"database_url": url, "service_token": "t" * 32, "static_dir": str(tmp_path)},
                      "clock": clock})
    try:
        client = app.test_client()
        for _ in range(3):
            rooms = client.get("/api/rooms")
            assert rooms.status_code == 503 and rooms.headers["Retry-After"] == "5"
            assert "database" in rooms.json["detail"]
        # Once the pool has failed, requests do not wait for it.
        assert app.extensions["db_down"] is True
        for path, text in (("/", b"<title>Heating"), ("/app.js", b"heating"), ("/rooms/1", b"<title>Heating")):
            with client.get(path) as page:  # /rooms/1: the page routes itself
                assert page.status_code == 200 and text in page.data
    finally:
        app.extensions["db_pool"].close()


def test_a_statement_cut_off_is_a_503_and_the_database_stays_up(app):
    from psycopg import errors as pg_errors

    from controller_api.db import connection
    from controller_api.errors import _database_problem

    with app.test_request_context():
        with connection() as conn:
            assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "15s"
        with pytest.raises(pg_errors.QueryCanceled) as cut_off:
            with connection() as conn:
                conn.execute("SET statement_timeout = '10ms'")
                conn.execute("SELECT pg_sleep(2)")
        response = _database_problem(cut_off.value)
        assert response.status_code == 503 and "shorter range" in response.json["detail"]
        assert app.extensions["db_down"] is False
