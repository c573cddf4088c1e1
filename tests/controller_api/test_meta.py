from __future__ import annotations

from controller_api import create_app
from db.local_cluster import free_port


def test_health_ok(client):
    assert client.get("/api/health").json == {"ok": True, "database": "ok", "migrations": "current"}


def test_database_down_is_a_503_not_a_500(clock):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    app = create_app({"settings": {"database_url": url, "service_token": "t"}, "clock": clock})
    try:
        client = app.test_client()
        health = client.get("/api/health")
        assert health.status_code == 503 and health.json["ok"] is False
        assert health.json["database"].startswith("unreachable")
        rooms = client.get("/api/rooms")
        assert rooms.status_code == 503 and rooms.mimetype == "application/problem+json"
    finally:
        app.extensions["db_pool"].close()


def test_openapi_describes_every_route(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace("<int:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    schedule_put = spec["paths"]["/api/rooms/{room_id}/schedule"]["put"]
    body = schedule_put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "switch_points" in spec["components"]["schemas"][body]["properties"]
    assert "401" in schedule_put["responses"] and "422" in schedule_put["responses"]


def test_docs_page(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"/api/rooms/{room_id}/schedule" in page.data


def test_unknown_endpoint_and_method(client):
    assert client.get("/api/nothing").json["status"] == 404
    response = client.put("/api/status", json={})
    assert response.status_code in (401, 405)


def test_body_that_is_not_json(client):
    from tests.controller_api.conftest import SERVICE

    response = client.post("/api/rooms", data="name=Hall", headers=SERVICE)
    assert response.status_code == 400 and "JSON" in response.json["detail"]
    response = client.post("/api/rooms", data="[1,", headers={**SERVICE, "Content-Type": "application/json"})
    assert response.status_code == 400
