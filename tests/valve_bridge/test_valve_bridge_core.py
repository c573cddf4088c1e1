"""thermostat_reader.valve_bridge.core: the contract's logic over a scripted Bluetooth transport."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from protocols import eq3
from thermostat_reader.valve_bridge.core import BridgeCore, normalise_mac
from thermostat_reader.valve_bridge.transport import BluetoothTimeout

MAC = "00:1A:22:0C:3B:5D"
NOW = datetime(2026, 1, 12, 6, 0, 3, tzinfo=timezone.utc)
# rytilahti/python-eq3bt eq3bt/tests/test_thermostat.py STATUS_RESPONSES['manual'] and ['valve_at_22'].
MANUAL_20 = bytes.fromhex("020101000428")
AUTO_VALVE_22 = bytes.fromhex("020100160428")


class ScriptedTransport:
    """Answers each exchange with the next scripted reply: bytes, or an exception to raise."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent: list[tuple[str, bytes, float]] = []

    def exchange(self, mac, frame, timeout_s):
        self.sent.append((mac, frame, timeout_s))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def make_core(transport, macs=(MAC,), **kwargs) -> BridgeCore:
    return BridgeCore(list(macs), transport, kind="pi", now=lambda: NOW, zone=ZoneInfo("Europe/Amsterdam"),
                      timeout_s=3.0, **kwargs)


def test_refresh_sets_the_valve_clock_to_local_time_and_caches():
    transport = ScriptedTransport(MANUAL_20)
    core = make_core(transport)
    reply = core.handle("GET", f"/valves/{MAC.lower()}?refresh=1")
    assert reply.status == 200 and reply.body["mode"] == "manual" and reply.body["last_seen"] == "2026-01-12T06:00:03Z"
    # 06:00:03 UTC is 07:00:03 in Amsterdam in January.
    assert transport.sent == [(MAC, bytes.fromhex("031a010c070003"), 3.0)]
    assert core.handle("GET", f"/valves/{MAC}").body == reply.body


def test_write_answers_what_the_valve_reported_not_what_was_asked():
    core = make_core(ScriptedTransport(AUTO_VALVE_22))
    reply = core.handle("POST", f"/valves/{MAC}/target", b'{"temperature_c": 30.0}')
    assert reply.status == 200 and reply.body["target_c"] == 20.0 and reply.body["valve_pct"] == 22


@pytest.mark.parametrize("failure, status, error", [
    (BluetoothTimeout("no answer"), 504, "bluetooth_timeout"),
    (bytes.fromhex("0201"), 502, "bad_response"),
    (bytes.fromhex("01780000807581626163606067659e"), 502, "bad_response"),  # ID_RESPONSE, python-eq3bt tests
])
def test_failed_write_keeps_the_cached_status(failure, status, error):
    core = make_core(ScriptedTransport(MANUAL_20, failure))
    before = core.handle("GET", f"/valves/{MAC}?refresh=1").body
    reply = core.handle("POST", f"/valves/{MAC}/target", b'{"temperature_c": 30.0}')
    assert (reply.status, reply.body["error"]) == (status, error) and MAC in reply.body["message"]
    assert core.handle("GET", f"/valves/{MAC}").body == before


def test_manual_mode_uses_the_cached_target():
    transport = ScriptedTransport(MANUAL_20, MANUAL_20)
    core = make_core(transport)
    core.handle("GET", f"/valves/{MAC}?refresh=1")
    assert core.handle("POST", f"/valves/{MAC}/mode", b'{"mode": "manual"}').status == 200
    assert transport.sent[-1][1] == eq3.encode_mode_manual(20.0)


def test_manual_mode_on_an_unheard_valve_asks_first_and_fails_cleanly():
    transport = ScriptedTransport(BluetoothTimeout("gone"))
    core = make_core(transport)
    reply = core.handle("POST", f"/valves/{MAC}/mode", b'{"mode": "manual"}')
    assert reply.status == 504 and len(transport.sent) == 1 and transport.sent[0][1][0] == 0x03
    assert core.handle("GET", f"/valves/{MAC}").body["last_seen"] is None


def test_a_full_queue_answers_busy_and_sends_nothing():
    release = threading.Event()
    entered = threading.Event()

    class SlowTransport:
        sent = 0

        def exchange(self, mac, frame, timeout_s):
            self.sent += 1
            entered.set()
            release.wait(5)
            return MANUAL_20

    transport = SlowTransport()
    core = make_core(transport, max_waiting=1)
    worker = threading.Thread(target=core.handle, args=("POST", f"/valves/{MAC}/boost", b'{"on": true}'))
    worker.start()
    assert entered.wait(5)
    reply = core.handle("POST", f"/valves/{MAC}/boost", b'{"on": false}')
    release.set()
    worker.join(5)
    assert (reply.status, reply.body["error"]) == (503, "busy") and transport.sent == 1


def test_set_valves_keeps_known_caches_and_drops_others():
    other = "00:1A:22:0C:3B:5E"
    core = make_core(ScriptedTransport(MANUAL_20), macs=(MAC, other))
    cached = core.handle("GET", f"/valves/{MAC}?refresh=1").body
    core.set_valves([other.lower(), MAC, MAC])
    assert core.valve_macs == [other, MAC]
    assert core.handle("GET", f"/valves/{MAC}").body == cached
    core.set_valves([other])
    assert core.handle("GET", f"/valves/{MAC}").status == 404


def test_health_counts_valves():
    body = make_core(ScriptedTransport()).handle("get", "/health").body
    assert body["ok"] is True and body["kind"] == "pi" and body["valves"] == 1 and body["version"] == "1.0"


@pytest.mark.parametrize("text, ok", [("00:1a:22:0c:3b:5d", True), ("00:1A:22:0C:3B", False),
                                      ("00-1A-22-0C-3B-5D", False), (" 00:1A:22:0C:3B:5D", False),
                                      ("00:1A:22:0C:3B:5D\n", False)])
def test_normalise_mac(text, ok):
    if ok:
        assert normalise_mac(text) == text.upper()
    else:
        with pytest.raises(ValueError):
            normalise_mac(text)


def test_deeply_nested_body_is_a_bad_request_not_a_crash():
    reply = make_core(ScriptedTransport()).handle("POST", f"/valves/{MAC}/target", b"[" * 100_000)
    assert (reply.status, reply.body["error"]) == (400, "bad_request")


# --- away and the week program ---

# Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Set vacation mode": the
# valve's answer to its away command 40a31f112b03: 17.5 °C until 2017-03-31 21:30 (DD YY hh×2 MM).
AWAY_ANSWER = bytes.fromhex("020102000423" + "1f112b03")
# The same document, "Read timer for a day" (Monday) and "Set timer for a day" (the answer 02 02 06).
MONDAY_ANSWER = bytes.fromhex("21022724298427900000000000000000")
MONDAY_JSON = [{"until": "06:00", "temperature_c": 19.5}, {"until": "22:00", "temperature_c": 20.5},
               {"until": "24:00", "temperature_c": 19.5}]


def day_answer(day: str) -> bytes:
    return eq3.encode_program_answer(eq3.DayProgram(day, ((1440, 17.0),)))


def test_away_sends_the_end_on_the_valves_wall_clock_and_answers_the_valves_status():
    transport = ScriptedTransport(AWAY_ANSWER)
    core = make_core(transport)
    reply = core.handle("POST", f"/valves/{MAC}/away", b'{"temperature_c": 17.5, "until": "2026-01-12T21:30"}')
    assert transport.sent == [(MAC, bytes.fromhex("40a30c1a2b01"), 3.0)]
    # Answered with what the valve reported (its recorded away end), not with what was asked.
    assert reply.status == 200 and reply.body["away"] is True and reply.body["away_until"] == "2017-03-31T21:30"


@pytest.mark.parametrize("until, message", [
    ("2026-01-12T07:00", "until must be in the future"),  # 07:00:03 local now
    ("2026-01-19T07:30", "until must be at most 7 days ahead"),
    ("2026-1-12T09:30", "until must be a local time such as 2026-01-12T07:30, on the hour or half hour"),
    ("2026-01-12T09:30Z", "until must be a local time such as 2026-01-12T07:30, on the hour or half hour"),
    ("2026-01-12T09:٣0", "until must be a local time such as 2026-01-12T07:30, on the hour or half hour"),
])
def test_away_refuses_ends_the_valve_should_not_get(until, message):
    transport = ScriptedTransport()
    reply = make_core(transport).handle("POST", f"/valves/{MAC}/away",
                                        json.dumps({"temperature_c": 17.5, "until": until}).encode())
    assert (reply.status, reply.body) == (400, {"error": "bad_request", "message": message})
    assert transport.sent == []


def test_away_end_follows_the_homes_time_zone_in_summer():
    # 2026-07-01 05:00 UTC is 07:00 in Amsterdam (CEST): 07:30 local is half an hour ahead.
    transport = ScriptedTransport(AWAY_ANSWER)
    core = BridgeCore([MAC], transport, kind="pi", now=lambda: datetime(2026, 7, 1, 5, 0, tzinfo=timezone.utc),
                      zone=ZoneInfo("Europe/Amsterdam"))
    assert core.handle("POST", f"/valves/{MAC}/away", b'{"temperature_c": 12, "until": "2026-07-01T07:30"}').status \
        == 200
    assert core.handle("POST", f"/valves/{MAC}/away", b'{"temperature_c": 12, "until": "2026-07-01T07:00"}').body[
        "message"] == "until must be in the future"


def test_program_read_asks_each_day_in_week_order_and_answers_the_valves_program():
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    transport = ScriptedTransport(MONDAY_ANSWER, *(day_answer(day) for day in days[1:]))
    core = make_core(transport)
    reply = core.handle("GET", f"/valves/{MAC}/program")
    assert [frame.hex() for _, frame, _ in transport.sent] == ["2002", "2003", "2004", "2005", "2006", "2000", "2001"]
    assert reply.status == 200 and reply.body["mac"] == MAC and reply.body["read_at"] == "2026-01-12T06:00:03Z"
    assert list(reply.body["days"]) == days and reply.body["days"]["mon"] == MONDAY_JSON
    assert reply.body["days"]["sun"] == [{"until": "24:00", "temperature_c": 17.0}]
    assert core.cached_status(MAC)["last_seen"] is None


def test_program_read_refuses_an_answer_for_another_day():
    core = make_core(ScriptedTransport(day_answer("tue")))
    reply = core.handle("GET", f"/valves/{MAC}/program")
    assert reply.status == 502 and reply.body["message"] == f"valve {MAC} answered, but not with its week program"


def test_program_write_sends_each_day_then_reads_the_whole_program_back():
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    transport = ScriptedTransport(bytes.fromhex("020206"), *(day_answer(day) for day in days))
    core = make_core(transport)
    friday = [{"until": "16:30", "temperature_c": 17.0}, {"until": "22:50", "temperature_c": 21.0},
              {"until": "24:00", "temperature_c": 17.0}]
    reply = core.handle("POST", f"/valves/{MAC}/program", json.dumps({"days": {"fri": friday}}).encode())
    # The written frame is the one in Heckie75's "Set timer for a day".
    assert transport.sent[0][1].hex() == "100622632a8922900000000000000000"
    assert len(transport.sent) == 8 and reply.status == 200 and list(reply.body["days"]) == days


def test_program_write_stops_at_a_day_the_valve_does_not_confirm():
    transport = ScriptedTransport(bytes.fromhex("020203"))  # confirms Tuesday, Monday was written
    reply = make_core(transport).handle("POST", f"/valves/{MAC}/program",
                                        b'{"days": {"mon": [{"until": "24:00", "temperature_c": 18}]}}')
    assert reply.status == 502 and len(transport.sent) == 1
    assert reply.body["message"] == f"valve {MAC} answered, but did not confirm the program write"


def test_program_write_timeout_answers_504():
    transport = ScriptedTransport(BluetoothTimeout("gone"))
    reply = make_core(transport).handle("POST", f"/valves/{MAC}/program",
                                        b'{"days": {"mon": [{"until": "24:00", "temperature_c": 18}]}}')
    assert (reply.status, reply.body["error"]) == (504, "bluetooth_timeout")
