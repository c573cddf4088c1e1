"""House health: device checks, problems that open and close themselves, and what GET /api/status shows."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests
from psycopg.rows import dict_row

from controller_api import health
from tests.controller_api.conftest import SERVICE

CHECKS = "/api/device-checks"


def check(client, time, kind="valve", ident=None, ok=True, code=None):
    body = {"checks": [{"time": time, "kind": kind, "id": ident, "ok": ok, "code": code, "message": "timeout"}]}
    return client.post(CHECKS, json=body, headers=SERVICE)


def reading(client, time, mac="A4:C1:38:11:22:33", **values):
    values = values or {"temperature_c": 19.0, "battery_pct": 80}
    answer = client.post("/api/readings", json={"readings": [{"mac": mac, "time": time, **values}]}, headers=SERVICE)
    assert answer.status_code == 200 and answer.json["stored"] == 1, answer.json


def open_problems(client):
    return client.get("/api/status").json["problems"]


def test_a_failed_valve_check_opens_a_problem_and_an_answer_closes_it(client, house, clock):
    client.patch(f"/api/valves/{house['valve']}", json={"name": "Window"}, headers=SERVICE)
    assert check(client, "2026-01-12T05:00:00Z", ident=house["valve"], ok=False,
                 code="valve_unreachable").json == {"stored": 1, "unknown": 0}
    clock.advance(minutes=2)
    check(client, "2026-01-12T05:01:00Z", ident=house["valve"], ok=False)  # still out: the same problem
    status = client.get("/api/status").json
    valve = status["rooms"][0]["valves"][0]
    assert valve["problem"]["code"] == "valve_unreachable" and valve["problem"]["since"] == "2026-01-12T05:00:00Z"
    assert valve["problem"]["message"].startswith(
        "The radiator valve 'Window' in the Living room has not answered since 06:00. Check its batteries")
    assert valve["checked_at"] is None
    assert status["problems"] == [{
        "id": status["problems"][0]["id"], "code": "valve_unreachable", "severity": "error",
        "subject": {"kind": "valve", "id": house["valve"], "name": "Window"},
        "since": "2026-01-12T05:00:00Z", "message": valve["problem"]["message"]}]

    check(client, "2026-01-12T05:02:00Z", ident=house["valve"], ok=True)
    valve = client.get("/api/status").json["rooms"][0]["valves"][0]
    assert valve["problem"] is None and valve["checked_at"] == "2026-01-12T05:02:00Z"
    history = client.get("/api/problems").json["problems"]
    assert [(p["code"], p["opened_at"], p["closed_at"]) for p in history] == [
        ("valve_unreachable", "2026-01-12T05:00:00Z", "2026-01-12T05:02:00Z")]
    # A later failure is a new problem with its own start; the history keeps both, newest first.
    clock.advance(minutes=2)
    check(client, "2026-01-12T05:03:00Z", ident=house["valve"], ok=False)
    history = client.get("/api/problems").json["problems"]
    assert [(p["opened_at"], p["closed_at"]) for p in history] == [
        ("2026-01-12T05:03:00Z", None), ("2026-01-12T05:00:00Z", "2026-01-12T05:02:00Z")]


def test_checked_at_is_the_latest_of_the_check_and_the_state(client, house):
    check(client, "2026-01-12T04:50:00Z", ident=house["valve"], ok=True)
    client.post(f"/api/valves/{house['valve']}/state", json={"time": "2026-01-12T04:55:00Z", "state": "open"},
                headers=SERVICE)
    assert client.get("/api/status").json["rooms"][0]["valves"][0]["checked_at"] == "2026-01-12T04:55:00Z"
    # A failed check keeps the time the valve last answered.
    check(client, "2026-01-12T04:58:00Z", ident=house["valve"], ok=False)
    check(client, "2026-01-12T04:57:00Z", ident=house["valve"], ok=True)
    assert client.get("/api/status").json["rooms"][0]["valves"][0]["checked_at"] == "2026-01-12T04:57:00Z"
    with psycopg.connect(client.application.config["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT count(*) FROM device_checks").fetchone()[0] == 1  # an upsert, no history


def test_bridge_and_boiler_checks(client, house):
    assert client.get("/api/status").json["boiler"] is None
    check(client, "2026-01-12T04:59:00Z", kind="boiler", ok=True)
    boiler = client.get("/api/status").json["boiler"]
    assert boiler["checked_at"] == "2026-01-12T04:59:00Z" and boiler["problem"] is None
    assert boiler["heat_demand"] is None
    check(client, "2026-01-12T05:00:00Z", kind="boiler", ok=False, code="boiler_unreachable")
    check(client, "2026-01-12T05:00:00Z", kind="bridge", ident=house["bridge"], ok=False, code="bridge_unreachable")
    status = client.get("/api/status").json
    assert status["boiler"]["problem"]["code"] == "boiler_unreachable"
    assert status["boiler"]["problem"]["message"].startswith("The boiler has not answered since 06:00.")
    assert {(p["code"], p["subject"]["kind"], p["subject"]["id"], p["subject"]["name"])
            for p in status["problems"]} == {("boiler_unreachable", "boiler", None, "boiler"),
                                              ("bridge_unreachable", "bridge", house["bridge"], "Pi")}


@pytest.mark.parametrize("check_body, field", [
    ({"time": "2026-01-12T05:00:00Z", "kind": "boiler", "id": 1, "ok": True}, "id"),
    ({"time": "2026-01-12T05:00:00Z", "kind": "valve", "ok": True}, "id"),
    ({"time": "2026-01-12T05:00:00Z", "kind": "valve", "id": 1, "ok": False, "code": "bridge_unreachable"}, "code"),
    ({"time": "2026-01-12T05:00:00Z", "kind": "valve", "id": 1, "ok": True, "code": "valve_unreachable"}, "code"),
    ({"time": "2026-01-12T05:00:00", "kind": "valve", "id": 1, "ok": False}, "checks.0.time"),
    ({"time": "2026-01-12T05:00:00Z", "kind": "pump", "id": 1, "ok": False}, "checks.0.kind"),
])
def test_bad_device_checks_are_refused_and_change_nothing(client, house, check_body, field):
    good = {"time": "2026-01-12T05:00:00Z", "kind": "valve", "id": house["valve"], "ok": False}
    answer = client.post(CHECKS, json={"checks": [check_body, good]}, headers=SERVICE)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in answer.json["detail"], answer.json
    assert open_problems(client) == []


def test_device_checks_need_credentials_and_skip_unknown_devices(client, house):
    body = {"checks": [{"time": "2026-01-12T05:00:00Z", "kind": "valve", "id": house["valve"], "ok": False}]}
    assert client.post(CHECKS, json=body).status_code == 401
    assert open_problems(client) == []
    answer = check(client, "2026-01-12T05:00:00Z", ident=999, ok=False)
    assert answer.json == {"stored": 0, "unknown": 1} and open_problems(client) == []


def test_a_removed_valve_takes_its_problem_with_it(client, house):
    check(client, "2026-01-12T05:00:00Z", ident=house["valve"], ok=False)
    assert client.delete(f"/api/valves/{house['valve']}", headers=SERVICE).status_code == 204
    assert open_problems(client) == []
    assert client.get("/api/problems").json["problems"][0]["closed_at"] == "2026-01-12T05:00:00Z"


def test_thermometer_stale_limit_fits_its_firmware(client, house, clock):
    # The house's thermometer runs pvvx (a reading a minute): the household's 15 minutes.
    stock_room = client.post("/api/rooms", json={"name": "Bedroom"}, headers=SERVICE).json["id"]
    stock = client.post("/api/thermometers", json={"mac": "A4:C1:38:44:55:66", "room_id": stock_room,
                                                   "format": "mibeacon", "name": "Bed"}, headers=SERVICE).json
    reading(client, "2026-01-12T04:55:00Z")
    reading(client, "2026-01-12T04:40:00Z", mac="A4:C1:38:44:55:66", temperature_c=17.0)
    clock.advance(minutes=11)  # 05:11: pvvx 16 min old, stock 31 min old
    status = client.get("/api/status").json
    bedroom, living = status["rooms"]  # by name
    assert (living["in_sync"], living["stale_after_s"]) == (False, 900)
    assert (bedroom["in_sync"], bedroom["stale_after_s"]) == (True, 3600)
    assert bedroom["thermometers"][0]["checked_at"] == "2026-01-12T04:40:00Z"
    assert [(p["code"], p["subject"]["id"]) for p in status["problems"]] == [
        ("thermometer_stale", house["thermometer"])]
    assert living["thermometers"][0]["problem"]["message"].startswith(
        f"The thermometer A4:C1:38:11:22:33 in the Living room has sent nothing since 05:55.")
    clock.advance(minutes=30)  # 05:41: the stock thermometer is 61 min old
    status = client.get("/api/status").json
    assert status["rooms"][0]["in_sync"] is False
    assert {p["subject"]["id"] for p in status["problems"]} == {house["thermometer"], stock["id"]}
    reading(client, "2026-01-12T05:41:00Z")
    status = client.get("/api/status").json
    assert status["rooms"][1]["in_sync"] is True
    assert [p["subject"]["id"] for p in status["problems"]] == [stock["id"]]


def test_an_auto_thermometer_heard_sending_its_values_in_turn_gets_the_stock_limit(client, house, clock):
    client.patch(f"/api/thermometers/{house['thermometer']}", json={"format": "auto"}, headers=SERVICE)
    reading(client, "2026-01-12T04:30:00Z", temperature_c=19.0)
    assert client.get("/api/status").json["rooms"][0]["in_sync"] is False  # 30 min: custom firmware's limit
    reading(client, "2026-01-12T04:40:00Z", humidity_pct=50.0)  # stock firmware: humidity alone
    room = client.get("/api/status").json["rooms"][0]
    assert (room["in_sync"], room["stale_after_s"]) == (True, 3600)


def test_a_thermometer_never_heard_is_stale_once_its_limit_passed(client, house, clock):
    assert open_problems(client) == []
    clock.advance(days=400)  # created_at is the database's now(); the test clock is in 2026
    problems = open_problems(client)
    assert problems[0]["code"] == "thermometer_stale" and "has not been heard since it was added" in problems[0]["message"]


def test_battery_low_opens_at_15_and_closes_above_20(client, house, clock):
    reading(client, "2026-01-12T04:59:00Z", temperature_c=19.0, battery_pct=14)
    problems = open_problems(client)
    assert [(p["code"], p["severity"], p["subject"]["kind"]) for p in problems] == [
        ("battery_low", "warning", "thermometer")]
    assert "is at 14 %" in problems[0]["message"]
    reading(client, "2026-01-12T04:59:30Z", temperature_c=19.0, battery_pct=18)
    assert "is at 18 %" in open_problems(client)[0]["message"]  # still low: no flapping at 15/16
    reading(client, "2026-01-12T04:59:45Z", temperature_c=19.0, battery_pct=100)  # replaced
    assert open_problems(client) == []
    reading(client, "2026-01-12T04:59:50Z", temperature_c=19.0, battery_pct=18)
    assert open_problems(client) == []  # 18 does not open one


def test_a_valve_reporting_a_low_battery(client, house):
    def state(time, low_battery):
        answer = client.post(f"/api/valves/{house['valve']}/state",
                             json={"time": time, "state": "closed", "low_battery": low_battery}, headers=SERVICE)
        assert answer.status_code == 201 and answer.json["low_battery"] is low_battery

    state("2026-01-12T04:50:00Z", True)
    state("2026-01-12T04:55:00Z", None)  # did not say: the last flag stands
    valve = client.get("/api/status").json["rooms"][0]["valves"][0]
    assert valve["problem"]["code"] == "battery_low"
    assert "reports a low battery. Replace its two AA batteries" in valve["problem"]["message"]
    state("2026-01-12T04:58:00Z", False)
    assert open_problems(client) == []
    assert client.post(f"/api/valves/{house['valve']}/state", json={"time": "2026-01-12T04:59:00Z",
                       "state": "closed", "low_battery": "maybe"}, headers=SERVICE).status_code == 422


def test_controller_silent_only_after_a_controller_ever_ticked(client, clock):
    clock.advance(hours=5)
    assert open_problems(client) == []  # a fresh install without a loop
    client.post("/api/controller/lease", json={"holder": "pi:1:a", "ttl_s": 180, "ticked": True}, headers=SERVICE)
    clock.advance(minutes=5)
    assert open_problems(client) == []
    clock.advance(seconds=1)
    problems = open_problems(client)
    assert [(p["code"], p["subject"]["kind"], p["since"]) for p in problems] == [
        ("controller_silent", "controller", "2026-01-12T10:00:00Z")]
    assert "control loop has not run since 11:00" in problems[0]["message"]
    client.post("/api/controller/lease", json={"holder": "pi:2:b", "ttl_s": 180, "ticked": True}, headers=SERVICE)
    assert open_problems(client) == []


def test_meter_silent_once_a_meter_reported(client, clock):
    clock.advance(hours=10)
    assert open_problems(client) == []  # no P1 reader: no alarm
    client.post("/api/meter-readings", json={"gas": [{"time": "2026-01-12T15:00:00Z", "gas_m3": 1.0}],
                                             "electricity": [{"time": "2026-01-12T15:00:00Z"}]}, headers=SERVICE)
    clock.advance(hours=2)  # 17:00: a DSMR 4 gas hour missed and the electricity two hours old
    assert open_problems(client) == []
    clock.advance(seconds=1)
    assert [p["subject"]["kind"] for p in open_problems(client)] == ["electricity_meter"]
    clock.advance(hours=1)
    assert {p["subject"]["kind"] for p in open_problems(client)} == {"electricity_meter", "gas_meter"}
    client.post("/api/meter-readings", json={"gas": [{"time": "2026-01-12T18:00:00Z", "gas_m3": 1.1}]},
                headers=SERVICE)
    problems = open_problems(client)
    assert [(p["code"], p["subject"]["kind"]) for p in problems] == [("meter_silent", "electricity_meter")]
    assert problems[0]["message"].startswith("No reading from the electricity meter since 16:00.")


def test_problems_range_is_bounded(client):
    assert client.get("/api/problems?from=2025-01-01T00:00:00Z&to=2026-01-12T00:00:00Z").status_code == 422
    answer = client.get("/api/problems?from=2024-01-01T00:00:00Z")  # to defaults to now: too long
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "from"
    assert client.get("/api/problems?from=2026-01-12T00:00:00Z&to=2026-01-11T00:00:00Z").status_code == 422
    assert client.get("/api/problems?limit=1001").status_code == 422
    answer = client.get("/api/problems?from=2026-01-01T00:00:00Z&to=2026-01-12T00:00:00Z")
    assert answer.status_code == 200 and answer.json["problems"] == []


def test_problems_outside_the_range_are_left_out(client, house, clock):
    check(client, "2026-01-12T04:00:00Z", ident=house["valve"], ok=False)
    check(client, "2026-01-12T04:10:00Z", ident=house["valve"], ok=True)
    query = "/api/problems?from={}&to={}"
    assert len(client.get(query.format("2026-01-12T04:05:00Z", "2026-01-12T04:06:00Z")).json["problems"]) == 1
    assert client.get(query.format("2026-01-12T04:11:00Z", "2026-01-12T05:00:00Z")).json["problems"] == []
    assert client.get(query.format("2026-01-12T03:00:00Z", "2026-01-12T03:59:00Z")).json["problems"] == []


def test_notify_urls_are_checked_by_apprise(client):
    answer = client.patch("/api/settings", json={"notify_urls": ["ntfy://heating-demo", "nonsense://x"]},
                          headers=SERVICE)
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "notify_urls.1"
    assert "nonsense://x" in answer.json["detail"]
    assert client.get("/api/settings").json["notify_urls"] == []
    assert client.patch("/api/settings", json={"notify_urls": None}, headers=SERVICE).status_code == 422
    url = "json://user:secret@127.0.0.1:9/hook"
    assert client.patch("/api/settings", json={"notify_urls": [url]}, headers=SERVICE).json["notify_urls"] == [url]
    # Without credentials the URL's secret is hidden.
    shown = client.get("/api/settings").json["notify_urls"]
    assert len(shown) == 1 and "secret" not in shown[0] and shown[0].startswith("json://")
    assert client.get("/api/settings", headers=SERVICE).json["notify_urls"] == [url]


def test_concurrent_evaluations_open_one_problem(api_server):
    # A controller that ticked 10 minutes ago (the real clock): every status request and every
    # evaluation below wants to open controller_silent at once.
    with psycopg.connect(api_server.database_url) as conn:
        conn.execute("UPDATE controller_lease SET last_tick_at = now() - interval '10 minutes'")
    errors: list[BaseException] = []

    def status():
        try:
            assert requests.get(f"{api_server.url}/api/status", timeout=30).status_code == 200
        except BaseException as exc:  # reported below
            errors.append(exc)

    def evaluate():
        try:
            with psycopg.connect(api_server.database_url, row_factory=dict_row) as conn:
                health.evaluate(conn, datetime.now(timezone.utc), ZoneInfo("Europe/Amsterdam"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=status if i % 2 else evaluate) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with psycopg.connect(api_server.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM problems WHERE code = 'controller_silent'").fetchone()[0] == 1


def test_when_names_the_day_once_it_is_not_today():
    zone = ZoneInfo("Europe/Amsterdam")
    now = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
    assert health.when(now - timedelta(hours=1), now, zone) == "09:00"
    assert health.when(now - timedelta(days=2), now, zone) == "Sat 10 Jan 10:00"
