from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controller_api import create_app
from tests.conftest import PASSWORD, SERVICE_TOKEN

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime):
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc))  # a Monday, 06:00 in Amsterdam


@pytest.fixture
def app(database_url, clock):
    app = create_app({"settings": {"database_url": database_url, "service_token": SERVICE_TOKEN,
                                   "password": PASSWORD, "tz": "Europe/Amsterdam"},
                      "clock": clock})
    yield app
    app.extensions["db_pool"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def house(client):
    """A room with a thermometer, a bridge and a valve; returns their ids."""
    room = client.post("/api/rooms", json={"name": "Living room", "default_temp_c": 18}, headers=SERVICE).json
    bridge = client.post("/api/bridges", json={"name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"},
                         headers=SERVICE).json
    thermometer = client.post("/api/thermometers", json={"mac": "A4:C1:38:11:22:33", "room_id": room["id"],
                                                         "format": "pvvx"}, headers=SERVICE).json
    valve = client.post("/api/valves", json={"mac": "00:1A:22:0C:3B:5D", "room_id": room["id"],
                                             "bridge_id": bridge["id"], "radiator_power_w": 1500},
                        headers=SERVICE).json
    return {"room": room["id"], "bridge": bridge["id"], "thermometer": thermometer["id"], "valve": valve["id"]}
