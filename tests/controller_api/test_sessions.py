"""Sessions kept on the server: revocable, listed, ended by logout; the login back-off."""
from __future__ import annotations

import psycopg
import pytest

from controller_api import auth, create_app
from tests.conftest import PASSWORD, SERVICE_TOKEN
from tests.controller_api.conftest import SERVICE


def _login(client, user_agent: str = "Firefox on the kitchen tablet"):
    response = client.post("/api/login", json={"password": PASSWORD}, headers={"User-Agent": user_agent})
    assert response.status_code == 200, response.json
    return client.get_cookie(auth.COOKIE).value


def test_the_cookie_is_a_random_token_not_password_material(client, database_url):
    token = _login(client)
    assert PASSWORD not in token and len(token) >= 40
    cookie = client.get_cookie(auth.COOKIE)
    assert cookie.http_only and cookie.same_site == "Strict"
    assert cookie.max_age == int(auth.LIFETIME.total_seconds()) <= 31 * 86400
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT token_sha256, password_tag FROM sessions").fetchall()
    assert len(stored) == 1 and token.encode() not in stored[0][0] and PASSWORD not in stored[0][1]


def test_logout_ends_the_session_also_for_a_copied_cookie(app, client):
    token = _login(client)
    thief = app.test_client()
    thief.set_cookie(auth.COOKIE, token)
    assert thief.post("/api/rooms", json={"name": "Hall"}).status_code == 201
    assert client.post("/api/logout").status_code == 200
    assert client.get_cookie(auth.COOKIE) is None
    assert thief.post("/api/rooms", json={"name": "Attic"}).status_code == 401
    assert thief.get("/api/session").json["authenticated"] is False


def test_signed_in_devices_are_listed_and_one_can_be_ended(app, client):
    _login(client, "Firefox on the kitchen tablet")
    phone = app.test_client()
    _login(phone, "Safari on a phone")
    listed = client.get("/api/sessions")
    assert listed.status_code == 200
    sessions = listed.json["sessions"]
    assert [s["user_agent"] for s in sessions] == ["Safari on a phone", "Firefox on the kitchen tablet"]
    assert [s["current"] for s in sessions] == [False, True]
    assert all(s["client"] and s["created_at"] and s["expires_at"] for s in sessions)
    assert client.delete(f"/api/sessions/{sessions[0]['id']}").status_code == 204
    assert phone.post("/api/rooms", json={"name": "Hall"}).status_code == 401
    assert [s["user_agent"] for s in client.get("/api/sessions").json["sessions"]] == ["Firefox on the kitchen tablet"]
    assert client.delete(f"/api/sessions/{sessions[0]['id']}").status_code == 404


def test_the_list_needs_credentials(app, client):
    _login(client)
    stranger = app.test_client()
    assert stranger.get("/api/sessions").status_code == 401
    assert stranger.delete("/api/sessions/1").status_code == 401
    assert client.get("/api/sessions", headers=SERVICE).status_code == 200


def test_sessions_end_after_idle_time_and_lifetime(client, database_url):
    _login(client)
    assert client.post("/api/rooms", json={"name": "Hall"}).status_code == 201
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE sessions SET last_seen_at = now() - %s - interval '1 minute'", (auth.IDLE,))
    assert client.post("/api/rooms", json={"name": "Attic"}).status_code == 401
    _login(client)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # the idle one was cleared
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert client.post("/api/rooms", json={"name": "Attic"}).status_code == 401


def test_use_keeps_a_session_alive(client, database_url):
    _login(client)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE sessions SET last_seen_at = now() - interval '1 day'")
    assert client.post("/api/rooms", json={"name": "Hall"}).status_code == 201
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT now() - last_seen_at < interval '1 minute' FROM sessions").fetchone()[0]


def test_wrong_passwords_back_off_per_client(app, client, database_url):
    for _ in range(auth.FREE_FAILURES):
        assert client.post("/api/login", json={"password": "guess"}).status_code == 401
    assert client.post("/api/login", json={"password": "guess"}).status_code == 401  # blocks for 2 s
    blocked = client.post("/api/login", json={"password": PASSWORD})
    assert blocked.status_code == 429 and blocked.mimetype == "application/problem+json"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 2
    # Another client is not held back by this one's guesses.
    other = app.test_client()
    assert other.post("/api/login", json={"password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.7"}
                      ).status_code == 200
    # Each further failure doubles the wait, up to MAX_BLOCK_S.
    with psycopg.connect(database_url, autocommit=True) as conn:
        for expected in (4, 8, 16):
            conn.execute("UPDATE login_failures SET blocked_until = now() WHERE client = '127.0.0.1'")
            assert client.post("/api/login", json={"password": "guess"}).status_code == 401
            assert int(client.post("/api/login", json={"password": "guess"}).headers["Retry-After"]) == expected
        conn.execute("UPDATE login_failures SET failures = 40, blocked_until = now() WHERE client = '127.0.0.1'")
        assert client.post("/api/login", json={"password": "guess"}).status_code == 401
        assert int(client.post("/api/login", json={"password": "guess"}).headers["Retry-After"]) == auth.MAX_BLOCK_S
        # Once the wait is over, the right password works and the count starts afresh.
        conn.execute("UPDATE login_failures SET blocked_until = now() WHERE client = '127.0.0.1'")
        assert client.post("/api/login", json={"password": PASSWORD}).status_code == 200
        assert conn.execute("SELECT count(*) FROM login_failures WHERE client = '127.0.0.1'").fetchone()[0] == 0


def test_behind_a_proxy_the_client_is_who_the_proxy_saw(database_url, clock):
    app = create_app({"settings": {"database_url": database_url, "service_token": SERVICE_TOKEN,
                                   "password": PASSWORD, "trusted_proxies": 1}, "clock": clock})
    try:
        client = app.test_client()
        for _ in range(auth.FREE_FAILURES + 1):
            client.post("/api/login", json={"password": "guess"}, headers={"X-Forwarded-For": "192.168.1.50"})
        assert client.post("/api/login", json={"password": PASSWORD},
                           headers={"X-Forwarded-For": "192.168.1.50"}).status_code == 429
        assert client.post("/api/login", json={"password": PASSWORD},
                           headers={"X-Forwarded-For": "192.168.1.51"}).status_code == 200
    finally:
        app.extensions["db_pool"].close()


@pytest.mark.parametrize("cookie", ["", "x" * 500, "not-a-session"])
def test_a_forged_cookie_is_no_session(app, cookie):
    client = app.test_client()
    client.set_cookie(auth.COOKIE, cookie)
    assert client.post("/api/rooms", json={"name": "Hall"}).status_code == 401
