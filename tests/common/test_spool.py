"""common.spool: order, durability across restarts, torn writes, and the size limit."""
from __future__ import annotations

import json
import logging

import psycopg
import pytest

from common.api_client import ApiClient
from common.spool import Spool, SpoolInUse, SpoolSender


def records(start: int, count: int) -> list[dict]:
    return [{"n": i, "mac": "A4:C1:38:11:22:33", "temperature_c": 20 + i / 100} for i in range(start, start + count)]


def drain(spool: Spool, batch: int = 7) -> list[dict]:
    out = []
    while True:
        taken = spool.peek(batch)
        if not taken.records:
            return out
        out.extend(taken.records)
        spool.commit(taken.end)


def test_records_come_out_in_order_across_segments(tmp_path):
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=300)
    for start in range(0, 100, 10):
        spool.append(records(start, 10))
    assert len(list(tmp_path.glob("seg-*.jsonl"))) > 3
    assert [r["n"] for r in drain(spool)] == list(range(100))
    assert spool.is_empty()
    # Delivered segments are removed; the one being written stays.
    assert len(list(tmp_path.glob("seg-*.jsonl"))) == 1


def test_peek_does_not_consume(tmp_path):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.append(records(0, 3))
    assert spool.peek(10).records == spool.peek(10).records == records(0, 3)
    assert not spool.is_empty()


def test_a_restart_resumes_after_the_last_commit(tmp_path):
    spool = Spool(tmp_path, max_bytes=1_000_000, segment_bytes=200)
    spool.append(records(0, 20))
    first = spool.peek(5)
    spool.commit(first.end)
    spool.peek(5)  # read but never committed: the process "dies" before the API answered
    del spool
    again = Spool(tmp_path, max_bytes=1_000_000, segment_bytes=200)
    assert [r["n"] for r in drain(again)] == list(range(5, 20))


def test_a_torn_last_line_is_cut_off_on_open(tmp_path, caplog):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.append(records(0, 2))
    segment = sorted(tmp_path.glob("seg-*.jsonl"))[-1]
    with open(segment, "ab") as handle:
        handle.write(b'{"n": 2, "mac": "A4:C1')  # power lost in the middle of a write
    with caplog.at_level(logging.WARNING):
        again = Spool(tmp_path, max_bytes=1_000_000)
    assert "torn" in caplog.text
    again.append(records(3, 1))
    assert [r["n"] for r in drain(again)] == [0, 1, 3]


def test_an_unreadable_cursor_replays_from_the_oldest_record(tmp_path, caplog):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.append(records(0, 4))
    spool.commit(spool.peek(2).end)
    (tmp_path / "cursor.json").write_text("{not json")
    with caplog.at_level(logging.ERROR):
        again = Spool(tmp_path, max_bytes=1_000_000)
    assert [r["n"] for r in drain(again)] == [0, 1, 2, 3]
    assert "cursor" in caplog.text


def test_when_full_the_oldest_records_are_dropped_loudly(tmp_path, caplog):
    spool = Spool(tmp_path, max_bytes=4000, segment_bytes=500)
    with caplog.at_level(logging.ERROR):
        for start in range(0, 400, 10):
            spool.append(records(start, 10))
    kept = [r["n"] for r in drain(spool)]
    assert spool.dropped_records > 0
    assert len(kept) + spool.dropped_records == 400
    # What is kept is the newest, still in order, without gaps.
    assert kept == list(range(400 - len(kept), 400))
    assert spool.size_bytes() <= 4000
    assert "dropped" in caplog.text and "oldest" in caplog.text


def test_a_commit_of_records_dropped_meanwhile_is_ignored(tmp_path):
    spool = Spool(tmp_path, max_bytes=3000, segment_bytes=400)
    spool.append(records(0, 5))
    stale = spool.peek(5)
    for start in range(5, 200, 5):
        spool.append(records(start, 5))
    spool.commit(stale.end)  # the segment it points into is long gone
    kept = [r["n"] for r in drain(spool)]
    assert kept == list(range(200 - len(kept), 200))


def test_records_are_json_lines_on_disk(tmp_path):
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.append([{"b": 1, "a": "x"}])
    line = sorted(tmp_path.glob("seg-*.jsonl"))[-1].read_text().splitlines()[0]
    assert json.loads(line) == {"a": "x", "b": 1}


def test_rejects_a_nonpositive_limit(tmp_path):
    with pytest.raises(ValueError):
        Spool(tmp_path, max_bytes=0)


# ---------------------------------------------------------------- SpoolSender, against the real API

def reading(n: int, temperature_c: float = 20.0) -> dict:
    return {"mac": "A4:C1:38:11:22:33", "time": f"2026-01-12T05:{n // 60:02d}:{n % 60:02d}Z",
            "temperature_c": temperature_c}


def test_sender_delivers_in_batches_and_empties_the_spool(tmp_path, api_server):
    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Kitchen"})
    client.post("/api/thermometers", {"mac": "A4:C1:38:11:22:33", "room_id": room["id"]})
    spool = Spool(tmp_path, max_bytes=1_000_000)
    sender = SpoolSender(spool, lambda records: client.post("/api/readings", {"readings": records}), batch_size=7)
    sender.submit([reading(n, 20 + n / 10) for n in range(30)])
    assert sender.flush() and spool.is_empty() and sender.delivered == 30
    with psycopg.connect(api_server.database_url) as conn:
        temps = [t for (t,) in conn.execute("SELECT temperature_c FROM readings ORDER BY time")]
    assert temps == [20 + n / 10 for n in range(30)]


def test_sender_drops_only_the_record_the_api_refuses(tmp_path, api_server, caplog):
    client = api_server.client()
    spool = Spool(tmp_path, max_bytes=1_000_000)
    sender = SpoolSender(spool, lambda records: client.post("/api/readings", {"readings": records}))
    batch = [reading(n) for n in range(9)]
    batch[5]["temperature_c"] = 99.0  # the API's limit is 85 °C: 422
    sender.submit(batch)
    with caplog.at_level(logging.ERROR):
        assert sender.flush()
    assert sender.rejected == 1 and sender.delivered == 8
    assert "refused" in caplog.text and "99.0" in caplog.text


def test_sender_keeps_everything_while_the_api_is_unreachable(tmp_path, caplog):
    client = ApiClient("http://127.0.0.1:9", "token", timeout_s=1)
    spool = Spool(tmp_path, max_bytes=1_000_000)
    sender = SpoolSender(spool, lambda records: client.post("/api/readings", {"readings": records}))
    sender.submit([reading(1)])
    with caplog.at_level(logging.WARNING):
        assert not sender.flush()
        assert not sender.flush()
    assert not spool.is_empty() and not sender.reachable
    assert caplog.text.count("unreachable") == 1  # said once per outage, not at every retry


def test_sender_keeps_everything_when_the_token_is_refused(tmp_path, api_server, caplog):
    client = ApiClient(api_server.url, "wrong-token")
    spool = Spool(tmp_path, max_bytes=1_000_000)
    sender = SpoolSender(spool, lambda records: client.post("/api/readings", {"readings": records}))
    sender.submit([reading(1)])
    with caplog.at_level(logging.ERROR):
        assert not sender.flush()
    assert not spool.is_empty() and sender.rejected == 0
    assert "HEATING_SERVICE_TOKEN" in caplog.text


def test_a_second_process_cannot_open_the_same_spool(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from common.spool import Spool; "
         f"s = Spool({str(tmp_path)!r}, max_bytes=1_000_000); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(SpoolInUse, match="in use by another running process"):
            Spool(tmp_path, max_bytes=1_000_000)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    Spool(tmp_path, max_bytes=1_000_000).append([{"after": "the other process ended"}])
