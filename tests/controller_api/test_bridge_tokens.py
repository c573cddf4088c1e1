"""Bridge tokens set on the page, given only to the control loop; bridge addresses only to those signed in."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.controller_api.conftest import SERVICE

TOKEN = "attic-bridge-token-0123456789"


def _valve_bridge(status: dict) -> dict:
    [bridge] = {v["bridge"]["id"]: v["bridge"] for room in status["rooms"] for v in room["valves"]}.values()
    return bridge


def test_the_token_is_write_only(client, house):
    created = client.post("/api/bridges", headers=SERVICE,
                          json={"name": "Attic", "base_url": "http://10.0.0.9", "token": TOKEN})
    assert created.status_code == 201 and created.json["has_token"] is True and "token" not in created.json
    listed = client.get("/api/bridges", headers=SERVICE).json["bridges"]
    assert all("token" not in b for b in listed)
    assert {b["name"]: b["has_token"] for b in listed} == {"Attic": True, "Pi": False}
    cleared = client.patch(f"/api/bridges/{created.json['id']}", headers=SERVICE, json={"token": None})
    assert cleared.status_code == 200 and cleared.json["has_token"] is False


@pytest.mark.parametrize("token", ["short", "change-me-bridge-token", "has spaces in it, 0123456789", 5, "x" * 201])
def test_bad_tokens_are_refused(client, house, token):
    response = client.patch(f"/api/bridges/{house['bridge']}", headers=SERVICE, json={"token": token})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "token"
    assert client.get(f"/api/bridges/{house['bridge']}", headers=SERVICE).json["has_token"] is False


def test_addresses_only_with_credentials_and_the_token_only_for_the_service(app, client, house):
    client.patch(f"/api/bridges/{house['bridge']}", headers=SERVICE, json={"token": TOKEN})
    stranger = app.test_client()
    assert "base_url" not in stranger.get("/api/bridges").json["bridges"][0]
    assert "base_url" not in stranger.get(f"/api/bridges/{house['bridge']}").json
    assert _valve_bridge(stranger.get("/api/status").json) == {"id": house["bridge"], "name": "Pi", "kind": "pi"}

    household = app.test_client()
    assert household.post("/api/login", json={"password": PASSWORD}).status_code == 200
    assert household.get("/api/bridges").json["bridges"][0]["base_url"] == "http://127.0.0.1:8091"
    seen = _valve_bridge(household.get("/api/status").json)
    assert seen["base_url"] == "http://127.0.0.1:8091" and "token" not in seen

    loop = _valve_bridge(client.get("/api/status", headers=SERVICE).json)
    assert (loop["base_url"], loop["token"]) == ("http://127.0.0.1:8091", TOKEN)
