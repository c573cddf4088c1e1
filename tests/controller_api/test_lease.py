"""POST/DELETE /api/controller/lease and the controller in GET /api/status: one controller holds the house."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests

from tests.controller_api.conftest import SERVICE

LEASE = "/api/controller/lease"


def take(client, holder: str, ttl_s: float = 180, ticked: bool = False):
    return client.post(LEASE, json={"holder": holder, "ttl_s": ttl_s, "ticked": ticked}, headers=SERVICE)


def test_a_free_lease_is_taken_and_shown_in_the_status(client, clock):
    assert client.get("/api/status").json["controller"] == {"holder": None, "last_tick_at": None,
                                                            "lease_expires_at": None}
    answer = take(client, "pi:41:aa", ttl_s=180)
    assert answer.status_code == 200
    assert answer.json["holder"] == "pi:41:aa"
    assert answer.json["expires_at"] == "2026-01-12T05:03:00Z"  # the API's clock + ttl_s
    assert answer.json["last_tick_at"] is None
    assert client.get("/api/status").json["controller"] == {
        "holder": "pi:41:aa", "last_tick_at": None, "lease_expires_at": "2026-01-12T05:03:00Z"}


def test_renewal_extends_the_term_and_ticked_stamps_the_heartbeat(client, clock):
    take(client, "pi:41:aa")
    clock.advance(seconds=60)
    answer = take(client, "pi:41:aa", ticked=True)
    assert answer.status_code == 200
    assert answer.json["expires_at"] == "2026-01-12T05:04:00Z"
    assert answer.json["last_tick_at"] == "2026-01-12T05:01:00Z"
    assert answer.json["acquired_at"] == "2026-01-12T05:00:00Z"
    clock.advance(seconds=60)
    # A renewal without a tick keeps the last tick's time.
    assert take(client, "pi:41:aa").json["last_tick_at"] == "2026-01-12T05:01:00Z"


def test_a_live_lease_of_another_holder_is_refused_with_its_name(client, clock):
    take(client, "pi:41:aa")
    clock.advance(seconds=179)
    answer = take(client, "laptop:7:bb", ticked=True)
    assert answer.status_code == 409
    assert answer.mimetype == "application/problem+json"
    assert "pi:41:aa" in answer.json["detail"] and "2026-01-12T05:03:00Z" in answer.json["detail"]
    assert answer.json["holder"] == "pi:41:aa" and answer.json["expires_at"] == "2026-01-12T05:03:00Z"
    # The refused request changed nothing.
    assert client.get("/api/status").json["controller"] == {
        "holder": "pi:41:aa", "last_tick_at": None, "lease_expires_at": "2026-01-12T05:03:00Z"}


def test_an_expired_lease_is_taken_over_and_the_old_holder_is_refused(client, clock):
    take(client, "pi:41:aa", ticked=True)
    clock.advance(seconds=180)
    answer = take(client, "laptop:7:bb")
    assert answer.status_code == 200 and answer.json["acquired_at"] == "2026-01-12T05:03:00Z"
    # The heartbeat is the house's, not the holder's: it keeps the last tick until the new holder ticks.
    assert answer.json["last_tick_at"] == "2026-01-12T05:00:00Z"
    refused = take(client, "pi:41:aa", ticked=True)
    assert refused.status_code == 409 and refused.json["holder"] == "laptop:7:bb"


def test_the_same_holder_takes_its_lapsed_lease_again(client, clock):
    take(client, "pi:41:aa")
    clock.advance(minutes=30)  # the API was down for the loop meanwhile
    answer = take(client, "pi:41:aa", ticked=True)
    assert answer.status_code == 200
    assert answer.json["acquired_at"] == "2026-01-12T05:30:00Z"


def test_release_only_by_its_holder(client, clock):
    take(client, "pi:41:aa", ticked=True)
    refused = client.delete(LEASE, json={"holder": "laptop:7:bb"}, headers=SERVICE)
    assert refused.status_code == 409 and "pi:41:aa" in refused.json["detail"]
    assert client.get("/api/status").json["controller"]["holder"] == "pi:41:aa"
    released = client.delete(LEASE, json={"holder": "pi:41:aa"}, headers=SERVICE)
    assert released.status_code == 200
    # The last tick stays visible: the page can say since when nobody controls the house.
    assert client.get("/api/status").json["controller"] == {
        "holder": None, "last_tick_at": "2026-01-12T05:00:00Z", "lease_expires_at": None}
    again = client.delete(LEASE, json={"holder": "pi:41:aa"}, headers=SERVICE)
    assert again.status_code == 409 and "no controller holds it" in again.json["detail"]
    assert take(client, "laptop:7:bb").status_code == 200


def test_lease_needs_the_service_token_or_a_session(client):
    answer = client.post(LEASE, json={"holder": "pi:41:aa", "ttl_s": 180})
    assert answer.status_code == 401
    assert client.delete(LEASE, json={"holder": "pi:41:aa"}).status_code == 401
    assert client.get("/api/status").json["controller"]["holder"] is None


def test_bad_input_is_named_and_changes_nothing(client):
    for body, field in [({"holder": "", "ttl_s": 180}, "holder"), ({"holder": "a b", "ttl_s": 180}, "holder"),
                        ({"holder": "pi:1:a", "ttl_s": 1}, "ttl_s"), ({"holder": "pi:1:a", "ttl_s": "long"}, "ttl_s"),
                        ({"holder": "pi:1:a", "ticked": "maybe"}, "ticked"), ({"ttl_s": 180}, "holder"),
                        ({"holder": "pi:1:a", "ttl": 180}, "ttl")]:
        answer = client.post(LEASE, json=body, headers=SERVICE)
        assert answer.status_code == 422, body
        assert answer.json["errors"][0]["field"] == field, answer.json
    assert client.post(LEASE, data="holder=pi", headers=SERVICE).status_code == 400
    assert client.delete(LEASE, json={}, headers=SERVICE).status_code == 422
    assert client.get("/api/status").json["controller"]["holder"] is None


def test_the_lease_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"post", "delete"} <= set(paths[LEASE])
    assert paths[LEASE]["post"]["security"]
    assert "409" in paths[LEASE]["post"]["responses"] and "409" in paths[LEASE]["delete"]["responses"]


def test_concurrent_takers_over_http_exactly_one_wins(api_server):
    """Eight loops start at once (over real HTTP, one connection each): one holds the house, the others
    are refused naming it, and the database has that one holder."""
    holders = [f"host{n}:{100 + n}:cafe" for n in range(8)]
    start = threading.Barrier(len(holders))

    def attempt(holder: str):
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {api_server.service_token}"
            start.wait()
            answer = session.post(f"{api_server.url}{LEASE}", json={"holder": holder, "ttl_s": 180}, timeout=30)
            return holder, answer.status_code, answer.json()

    for _round in range(3):
        with ThreadPoolExecutor(len(holders)) as pool:
            results = list(pool.map(attempt, holders))
        winners = [holder for holder, code, _ in results if code == 200]
        assert len(winners) == 1, results
        assert all(body["holder"] == winners[0] for _, code, body in results if code == 409), results
        assert sorted(code for _, code, _ in results) == [200] + [409] * (len(holders) - 1)
        with psycopg.connect(api_server.database_url) as conn:
            assert conn.execute("SELECT holder FROM controller_lease").fetchall() == [(winners[0],)]
        # Released, so the next round races for a free lease again.
        requests.delete(f"{api_server.url}{LEASE}", json={"holder": winners[0]},
                        headers={"Authorization": f"Bearer {api_server.service_token}"}, timeout=10)


def test_concurrent_renewals_and_a_rival_never_lose_the_lease(api_server):
    """The holder renews from several threads while rivals try to take it: every renewal succeeds and
    every rival is refused, so no request ever saw a half-written lease."""
    auth = {"Authorization": f"Bearer {api_server.service_token}"}
    assert requests.post(f"{api_server.url}{LEASE}", json={"holder": "pi:1:aa", "ttl_s": 180}, headers=auth,
                         timeout=10).status_code == 200

    def renew_or_rival(n: int) -> tuple[bool, int]:
        holder = "pi:1:aa" if n % 2 == 0 else f"rival:{n}:bb"
        code = requests.post(f"{api_server.url}{LEASE}", json={"holder": holder, "ttl_s": 180, "ticked": True},
                             headers=auth, timeout=30).status_code
        return holder == "pi:1:aa", code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(renew_or_rival, range(40)))
    assert {code for own, code in results if own} == {200}
    assert {code for own, code in results if not own} == {409}
