"""Record queue against the real API: order, outage, disk spool across restarts, rejected records."""
from __future__ import annotations

import psycopg

from common.api_client import ApiClient
from onoff.records import RecordQueue


def decision(n: int) -> dict:
    return {"decisions": [{"time": f"2026-01-12T05:{n:02d}:00Z", "room_id": None, "strategy": "zoning",
                           "inputs": {}, "outcome": "stop", "reason": f"record {n}"}]}


def stored_reasons(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute("SELECT reason FROM decisions ORDER BY id")]


def test_records_are_sent_in_order(api_server):
    queue = RecordQueue(ApiClient(api_server.url, api_server.service_token))
    for n in range(3):
        queue.add("/api/decisions", decision(n))
    assert queue.flush() is True and len(queue) == 0
    assert stored_reasons(api_server.database_url) == ["record 0", "record 1", "record 2"]


def test_outage_keeps_records_in_a_disk_spool_across_a_restart(api_server, make_api_server, tmp_path):
    api_server.stop()
    queue = RecordQueue(ApiClient(api_server.url, api_server.service_token, timeout_s=2), spool_dir=str(tmp_path))
    for n in range(4):
        queue.add("/api/decisions", decision(n))
    assert queue.flush() is False and len(queue) == 4
    again = make_api_server(api_server.database_url)
    restarted = RecordQueue(ApiClient(again.url, again.service_token), spool_dir=str(tmp_path))
    assert len(restarted) == 4
    assert restarted.flush() is True and len(restarted) == 0
    assert stored_reasons(api_server.database_url) == [f"record {n}" for n in range(4)]


def test_memory_queue_is_bounded_and_drops_the_oldest(api_server):
    api_server.stop()
    queue = RecordQueue(ApiClient(api_server.url, api_server.service_token, timeout_s=2), max_records=100)
    for n in range(105):
        queue.add("/api/decisions", decision(n % 60))
    assert len(queue) == 100 and queue.dropped == 5


def test_a_rejected_record_is_dropped_and_the_rest_go_on(api_server):
    queue = RecordQueue(ApiClient(api_server.url, api_server.service_token))
    queue.add("/api/decisions", {"decisions": [{"time": "not a time"}]})
    queue.add("/api/decisions", decision(1))
    assert queue.flush() is True
    assert stored_reasons(api_server.database_url) == ["record 1"]
