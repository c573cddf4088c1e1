"""Writes need credentials; refused requests change nothing."""
from __future__ import annotations

import pytest

from controller_api import create_app
from tests.conftest import PASSWORD, SERVICE_TOKEN
from tests.controller_api.conftest import SERVICE

WRITES = [
    ("post", "/api/rooms", {"name": "Hall"}),
    ("patch", "/api/rooms/{room}", {"name": "Hall"}),
    ("delete", "/api/rooms/{room}", None),
    ("put", "/api/rooms/{room}/schedule", {"switch_points": []}),
    ("put", "/api/rooms/{room}/override", {"temperature_c": 21, "until": "next_switch"}),
    ("delete", "/api/rooms/{room}/override", None),
    ("post", "/api/rooms/{room}/boost", {"minutes": 5}),
    ("post", "/api/thermometers", {"mac": "A4:C1:38:00:00:09"}),
    ("patch", "/api/thermometers/{thermometer}", {"name": "x"}),
    ("delete", "/api/thermometers/{thermometer}", None),
    ("post", "/api/bridges", {"name": "b", "base_url": "http://x"}),
    ("delete", "/api/bridges/{bridge}", None),
    ("post", "/api/valves", {"mac": "00:1A:22:00:00:09", "room_id": 1, "bridge_id": 1}),
    ("delete", "/api/valves/{valve}", None),
    ("put", "/api/mode", {"mode": "away"}),
    ("patch", "/api/settings", {"stale_after_min": 30}),
    ("post", "/api/readings", {"readings": []}),
    ("post", "/api/meter-readings", {"gas": []}),
    ("post", "/api/valves/{valve}/state", {"time": "2026-01-12T05:00:00Z", "state": "open"}),
    ("post", "/api/boiler/state", {"time": "2026-01-12T05:00:00Z", "heat_demand": True}),
    ("post", "/api/decisions", {"decisions": []}),
]


@pytest.mark.parametrize("method, path, body", WRITES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SERVICE_TOKEN}])
def test_writes_without_credentials_are_refused(client, house, method, path, body, headers):
    before = client.get("/api/status").json
    response = getattr(client, method)(path.format(**house), json=body, headers=headers)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert client.get("/api/status").json == before


def test_login_session(client, house):
    assert client.get("/api/session").json["authenticated"] is False
    wrong = client.post("/api/login", json={"password": "guess"})
    assert wrong.status_code == 401
    assert client.post("/api/rooms", json={"name": "Hall"}).status_code == 401
    assert client.post("/api/login", json={"password": PASSWORD}).status_code == 200
    assert client.get("/api/session").json["via"] == "session"
    assert client.post("/api/rooms", json={"name": "Hall"}).status_code == 201
    assert "bind_key" in client.get("/api/thermometers").json["thermometers"][0]
    client.post("/api/logout")
    assert client.post("/api/rooms", json={"name": "Attic"}).status_code == 401


def test_changing_the_password_ends_sessions(database_url, clock):
    def make(password):
        return create_app({"settings": {"database_url": database_url, "password": password,
                                        "service_token": SERVICE_TOKEN, "secret_key": "fixed"}, "clock": clock})
    old, new = make("old-password"), make("new-password")
    try:
        client = old.test_client()
        client.post("/api/login", json={"password": "old-password"})
        cookie = client.get_cookie("heating_session").value
        fresh = new.test_client()
        fresh.set_cookie("heating_session", cookie)
        assert fresh.post("/api/rooms", json={"name": "Hall"}).status_code == 401
    finally:
        old.extensions["db_pool"].close()
        new.extensions["db_pool"].close()


def test_reads_can_require_credentials(database_url, clock):
    app = create_app({"settings": {"database_url": database_url, "service_token": SERVICE_TOKEN,
                                   "password": PASSWORD, "reads_require_auth": True}, "clock": clock})
    try:
        client = app.test_client()
        assert client.get("/api/rooms").status_code == 401
        assert client.get("/api/status").status_code == 401
        assert client.get("/api/health").status_code == 200  # for container health checks
        assert client.get("/api/rooms", headers=SERVICE).status_code == 200
    finally:
        app.extensions["db_pool"].close()


def test_no_password_configured_means_no_login(database_url, clock):
    app = create_app({"settings": {"database_url": database_url, "service_token": SERVICE_TOKEN}, "clock": clock})
    try:
        client = app.test_client()
        response = client.post("/api/login", json={"password": ""})
        assert response.status_code == 422
        response = client.post("/api/login", json={"password": "anything"})
        assert response.status_code == 401 and "no household password" in response.json["detail"]
    finally:
        app.extensions["db_pool"].close()
