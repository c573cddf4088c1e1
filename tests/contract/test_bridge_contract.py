"""One set of request/response cases, run against the Pi's bridge, the ESP32 core and the
simulated house's bridge: every case must give each the documented answer, and all three the
same answer (HTTP status and JSON, ignoring only uptime_s, kind and the value of last_seen).
"""
from __future__ import annotations

import json

import pytest

from tests.contract.conftest import BRIDGE_TOKEN

NEW = "00:1A:22:0C:3B:5D"  # newer firmware, manual at 20.0 °C, valve 40 %
OLD = "00:1A:22:0C:3B:5E"  # older firmware, auto, low battery
UNKNOWN = "00:1A:22:0C:3B:5F"
KINDS = ["pi", "esp32", "simulated"]


def body(value) -> bytes:
    return json.dumps(value).encode()


# Each case: a list of steps (action on the valves or None, method, target, body); the answers
# of all steps are compared. Expectations per step are checked in `check_<case>` below.
CASES = {
    "health": [(None, "GET", "/health", None)],
    "list_before_heard": [(None, "GET", "/valves", None)],
    "read_cached_never_heard": [(None, "GET", f"/valves/{NEW}", None)],
    "refresh": [(None, "GET", f"/valves/{NEW.lower()}?refresh=1", None), (None, "GET", "/valves", None)],
    "refresh_old_firmware": [(None, "GET", f"/valves/{OLD}?refresh=true", None)],
    "target": [(None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 30.0})),
               (None, "POST", f"/valves/{OLD}/target", body({"temperature_c": 4.5})),
               (None, "GET", f"/valves/{NEW}", None)],
    "target_integer": [(None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 21}))],
    "mode_auto_then_manual": [(None, "POST", f"/valves/{NEW}/mode", body({"mode": "auto"})),
                              (None, "POST", f"/valves/{NEW}/mode", body({"mode": "manual"}))],
    "mode_manual_unheard_learns_target": [(None, "POST", f"/valves/{OLD}/mode", body({"mode": "manual"}))],
    "mode_manual_with_target": [(None, "POST", f"/valves/{OLD}/mode",
                                 body({"mode": "manual", "temperature_c": 22.5}))],
    "boost": [(None, "POST", f"/valves/{NEW}/boost", body({"on": True})),
              (None, "POST", f"/valves/{NEW}/boost", body({"on": False}))],
    "unknown_valve": [(None, "GET", f"/valves/{UNKNOWN}", None),
                      (None, "POST", f"/valves/{UNKNOWN}/target", body({"temperature_c": 20.0}))],
    "malformed_mac": [(None, "GET", "/valves/00:1A:22:0C:3B", None),
                      (None, "POST", "/valves/not-a-mac/target", body({"temperature_c": 20.0}))],
    "bad_json": [(None, "POST", f"/valves/{NEW}/target", b"{temperature_c: 20}"),
                 (None, "POST", f"/valves/{NEW}/target", b""),
                 (None, "POST", f"/valves/{NEW}/target", b"[20.0]"),
                 (None, "POST", f"/valves/{NEW}/target", b'{"temperature_c": NaN}'),
                 (None, "POST", f"/valves/{NEW}/target", b'{"temperature_c": 20, "x": ' + b"[" * 32 + b"]" * 32
                  + b"}")],
    "nested_body_within_limit": [(None, "POST", f"/valves/{NEW}/target",
                                  b'{"temperature_c": 20, "x": ' + b"[" * 31 + b"]" * 31 + b', "s": "[[[["}')],
    "out_of_range": [(None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 30.5})),
                     (None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 4.0})),
                     (None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 21.3})),
                     (None, "POST", f"/valves/{NEW}/target", body({"temperature_c": "21"})),
                     (None, "POST", f"/valves/{NEW}/target", body({"temperature_c": True})),
                     (None, "POST", f"/valves/{NEW}/target", body({})),
                     (None, "POST", f"/valves/{NEW}/mode", body({"mode": "holiday"})),
                     (None, "POST", f"/valves/{NEW}/mode", body({"mode": "manual", "temperature_c": 99})),
                     (None, "POST", f"/valves/{NEW}/boost", body({"on": 1}))],
    "wrong_method_and_endpoint": [(None, "POST", "/health", None), (None, "DELETE", f"/valves/{NEW}", None),
                                  (None, "GET", f"/valves/{NEW}/target", None), (None, "GET", "/nothing", None)],
    "bluetooth_timeout": [(None, "GET", f"/valves/{NEW}?refresh=1", None),
                          ("fail", "POST", f"/valves/{NEW}/target", body({"temperature_c": 30.0})),
                          (None, "GET", f"/valves/{NEW}", None),
                          ("unreachable", "GET", f"/valves/{OLD}?refresh=1", None)],
    "bad_response": [(None, "GET", f"/valves/{NEW}?refresh=1", None),
                     ("garble", "POST", f"/valves/{NEW}/boost", body({"on": True})),
                     (None, "GET", f"/valves/{NEW}", None),
                     ("id_answer", "GET", f"/valves/{NEW}?refresh=1", None)],
}


# The eQ-3 factory program, the simulated valves' default (simulator/eq3_valve.py cites it).
FACTORY_DAY = [{"until": "06:00", "temperature_c": 17.0}, {"until": "09:00", "temperature_c": 21.0},
               {"until": "17:00", "temperature_c": 17.0}, {"until": "23:00", "temperature_c": 21.0},
               {"until": "24:00", "temperature_c": 17.0}]
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Heckie75/eQ-3-radiator-thermostat eq-3-radiator-thermostat-api.md, "Set timer for a day" (Friday).
FRIDAY = [{"until": "16:30", "temperature_c": 17.0}, {"until": "22:50", "temperature_c": 21.0},
          {"until": "24:00", "temperature_c": 17.0}]
SEVEN = [{"until": f"{h:02d}:00", "temperature_c": 17.0 + h / 4} for h in (2, 4, 6, 8, 10, 12)] + [
    {"until": "24:00", "temperature_c": 4.5}]


def program(**days) -> bytes:
    return body({"days": days})


CASES.update({
    # SIM_NOW is 07:00:03 in Amsterdam, the valves' (and the bridges') wall clock.
    "away": [(None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12T09:30"})),
             (None, "POST", f"/valves/{OLD}/away", body({"temperature_c": 4.5, "until": "2026-01-19T07:00"})),
             (None, "GET", f"/valves/{OLD}", None)],
    "away_bad": [(None, "POST", f"/valves/{NEW}/away", body({"until": "2026-01-12T09:30"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 31.0, "until": "2026-01-12T09:30"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12T09:15"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12 09:30"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12T09:30:00"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-02-30T09:30"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12T24:00"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": 202601120930})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-12T07:00"})),
                 (None, "POST", f"/valves/{NEW}/away", body({"temperature_c": 30.0, "until": "2026-01-19T07:30"})),
                 (None, "GET", f"/valves/{NEW}/away", None),
                 (None, "POST", f"/valves/{UNKNOWN}/away", body({"temperature_c": 30.0}))],
    "program_read": [(None, "GET", f"/valves/{NEW}/program", None), (None, "GET", f"/valves/{NEW}", None)],
    "program_write": [(None, "POST", f"/valves/{OLD}/program", program(fri=FRIDAY, mon=[
                          {"until": "24:00", "temperature_c": 19.0}], sat=SEVEN))],
    "program_bad": [(None, "POST", f"/valves/{NEW}/program", body({})),
                    (None, "POST", f"/valves/{NEW}/program", program()),
                    (None, "POST", f"/valves/{NEW}/program", body({"days": [FRIDAY]})),
                    (None, "POST", f"/valves/{NEW}/program", program(monday=FRIDAY)),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=FRIDAY[0])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=SEVEN + FRIDAY[-1:])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "6:00", "temperature_c": 17.0},
                                                                         FRIDAY[-1]])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "06:05", "temperature_c": 17.0},
                                                                         FRIDAY[-1]])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[FRIDAY[1], FRIDAY[0], FRIDAY[2]])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=FRIDAY[:2])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "24:10", "temperature_c": 17.0}])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "00:00", "temperature_c": 17.0},
                                                                         FRIDAY[-1]])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=["24:00"])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "24:00"}])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "24:00", "temperature_c": 30.5}])),
                    (None, "POST", f"/valves/{NEW}/program", program(mon=[{"until": "24:00", "temperature_c": "17"}])),
                    # The first fault in the week order answers, whatever the body's order.
                    (None, "POST", f"/valves/{NEW}/program", program(sun=[], tue=FRIDAY[:1], mon=FRIDAY)),
                    (None, "DELETE", f"/valves/{NEW}/program", None),
                    (None, "GET", f"/valves/{UNKNOWN}/program", None),
                    (None, "GET", "/valves/not-a-mac/program", None)],
    "program_timeout": [("fail", "GET", f"/valves/{NEW}/program", None),
                        ("unreachable", "POST", f"/valves/{OLD}/program", program(mon=FRIDAY)),
                        (None, "GET", f"/valves/{OLD}", None)],
    "program_bad_response": [("garble", "GET", f"/valves/{NEW}/program", None),
                             ("garble", "POST", f"/valves/{NEW}/program", program(mon=FRIDAY)),
                             ("status_answer", "GET", f"/valves/{NEW}/program", None)],
})


def act(action: str | None, valves) -> None:
    if action == "needs_pin":
        # As a valve on firmware 1.48 or later, showing this PIN while it pairs.
        valves[NEW].needs_pin, valves[NEW].pin = True, "428715"
    elif action == "fail":
        valves[NEW].fail_next(1)
    elif action == "unreachable":
        valves[OLD].unreachable = True
    elif action == "garble":
        valves[NEW].garble_next(1)
    elif action == "id_answer":
        # The valve's answer to an ID query, recorded in rytilahti/python-eq3bt
        # eq3bt/tests/test_thermostat.py (ID_RESPONSE): a real frame, but not a status notification.
        valves[NEW].garble_next(1, bytes.fromhex("01780000807581626163606067659e"))
    elif action == "status_answer":
        # A status notification (python-eq3bt STATUS_RESPONSES 'auto') where a program was asked for.
        valves[NEW].garble_next(1, bytes.fromhex("020100000428"))


def comparable(answer: dict) -> dict:
    """The answer with what may differ between bridges taken out (last_seen: only whether it is set)."""
    def scrub(value):
        if isinstance(value, dict):
            return {k: (v is not None if k == "last_seen" else scrub(v)) for k, v in value.items()
                    if k not in ("uptime_s", "kind", "read_at")}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value
    return scrub(answer)


def run_case(open_bridge, kind: str, steps) -> tuple[list[tuple[int, dict]], dict[str, list[bytes]]]:
    """The answers to the steps, and the frames each valve received."""
    bridge = open_bridge(kind)
    answers = []
    for action, method, target, request_body in steps:
        act(action, bridge.valves)
        answers.append(bridge.request(method, target, request_body))
    return answers, {mac: valve.commands_received for mac, valve in bridge.valves.items()}


def error(answer) -> tuple[int, str]:
    status, payload = answer
    assert set(payload) == {"error", "message"} and payload["message"], payload
    return status, payload["error"]


def check_health(a):
    status, payload = a[0]
    assert status == 200 and payload["ok"] is True and payload["version"] == "1.0" and payload["valves"] == 2
    assert isinstance(payload["uptime_s"], int) and payload["kind"] in KINDS


def check_list_before_heard(a):
    status, payload = a[0]
    assert status == 200 and [v["mac"] for v in payload["valves"]] == [NEW, OLD]
    assert all(value is None for v in payload["valves"] for k, value in v.items() if k != "mac")


def check_read_cached_never_heard(a):
    assert a[0][0] == 200 and a[0][1]["mac"] == NEW and a[0][1]["last_seen"] is None


def check_refresh(a):
    status, s = a[0]
    assert status == 200 and s["mac"] == NEW and s["mode"] == "manual" and s["target_c"] == 20.0
    assert s["valve_pct"] == 40 and s["last_seen"] is not None and s["low_battery"] is False
    assert s["presets"] == {"comfort_c": 21.0, "eco_c": 17.0, "window_open_c": 12.0, "window_open_minutes": 15,
                            "offset_c": 0.0}
    assert a[1][1]["valves"][0] == s and a[1][1]["valves"][1]["last_seen"] is None


def check_refresh_old_firmware(a):
    status, s = a[0]
    assert status == 200 and s["mode"] == "auto" and s["low_battery"] is True and s["presets"] is None


def check_target(a):
    assert a[0][0] == 200 and a[0][1]["target_c"] == 30.0 and a[0][1]["mode"] == "manual"
    assert a[1][0] == 200 and a[1][1]["target_c"] == 4.5
    assert a[2][1] == a[0][1]


def check_target_integer(a):
    assert a[0][0] == 200 and a[0][1]["target_c"] == 21.0


def check_mode_auto_then_manual(a):
    assert a[0][0] == 200 and a[0][1]["mode"] == "auto"
    # 06:00Z is 07:00 in Amsterdam: the valve's program is in comfort (21.0).
    assert a[0][1]["target_c"] == 21.0
    assert a[1][0] == 200 and a[1][1]["mode"] == "manual" and a[1][1]["target_c"] == 21.0


def check_mode_manual_unheard_learns_target(a):
    assert a[0][0] == 200 and a[0][1]["mode"] == "manual" and a[0][1]["target_c"] == 20.0


def check_mode_manual_with_target(a):
    assert a[0][0] == 200 and a[0][1]["mode"] == "manual" and a[0][1]["target_c"] == 22.5


def check_boost(a):
    assert a[0][0] == 200 and a[0][1]["boost"] is True
    assert a[1][0] == 200 and a[1][1]["boost"] is False


def check_unknown_valve(a):
    assert [error(x) for x in a] == [(404, "unknown_valve")] * 2


def check_malformed_mac(a):
    assert [error(x) for x in a] == [(400, "bad_request")] * 2


def check_bad_json(a):
    assert [error(x) for x in a] == [(400, "bad_request")] * 5


def check_nested_body_within_limit(a):
    assert a[0][0] == 200 and a[0][1]["target_c"] == 20.0


def check_out_of_range(a):
    assert [error(x) for x in a] == [(400, "bad_request")] * 9


def check_wrong_method_and_endpoint(a):
    assert [error(x) for x in a] == [(405, "method_not_allowed")] * 3 + [(404, "not_found")]


def check_bluetooth_timeout(a):
    assert a[0][0] == 200
    assert error(a[1]) == (504, "bluetooth_timeout")
    assert a[2] == a[0], "a failed write must leave the cached status as it was"
    assert error(a[3]) == (504, "bluetooth_timeout")


def check_bad_response(a):
    assert a[0][0] == 200
    assert error(a[1]) == (502, "bad_response")
    assert a[2] == a[0], "a badly answered write must leave the cached status as it was"
    assert error(a[3]) == (502, "bad_response")


def message(answer) -> str:
    return answer[1]["message"]


def check_away(a):
    status, s = a[0]
    assert status == 200 and s["away"] is True and s["away_until"] == "2026-01-12T09:30"
    assert s["target_c"] == 30.0 and s["mode"] == "auto" and s["last_seen"] is not None
    status, s = a[1]
    assert status == 200 and s["away"] is True and s["away_until"] == "2026-01-19T07:00" and s["target_c"] == 4.5
    assert s["presets"] is None, "the older layout carries the away end, but no presets"
    assert a[2][1] == s


def check_away_bad(a):
    assert [error(x) for x in a] == [(400, "bad_request")] * 11 + [(405, "method_not_allowed"),
                                                                  (404, "unknown_valve")]
    assert [message(x) for x in a[:11]] == [
        "temperature_c is required", "temperature_c must be a number from 4.5 to 30.0 in steps of 0.5",
        "until is required"] + ["until must be a local time such as 2026-01-12T07:30, on the hour or half hour"] * 6 + [
        "until must be in the future", "until must be at most 7 days ahead"]


def check_program_read(a):
    status, answer = a[0]
    assert status == 200 and answer["mac"] == NEW and list(answer["days"]) == WEEK
    assert all(points == FACTORY_DAY for points in answer["days"].values())
    assert answer["read_at"] == "2026-01-12T06:00:03Z"
    assert a[1][1]["last_seen"] is None, "a program read is not a status notification"


def check_program_write(a):
    status, answer = a[0]
    assert status == 200 and answer["mac"] == OLD and list(answer["days"]) == WEEK
    assert answer["days"]["fri"] == FRIDAY and answer["days"]["sat"] == SEVEN
    assert answer["days"]["mon"] == [{"until": "24:00", "temperature_c": 19.0}]
    assert all(answer["days"][day] == FACTORY_DAY for day in ("tue", "wed", "thu", "sun"))


def check_program_bad(a):
    assert [error(x) for x in a] == [(400, "bad_request")] * 18 + [(405, "method_not_allowed"),
                                                                  (404, "unknown_valve"), (400, "bad_request")]
    days = "days must be an object with one or more of mon, tue, wed, thu, fri, sat, sun"
    until = 'until in mon must be HH:MM in steps of 10 minutes, increasing, the last "24:00"'
    temp = "temperature_c in mon must be a number from 4.5 to 30.0 in steps of 0.5"
    assert [message(x) for x in a[:18]] == [days] * 4 + ["mon must be a list of 1 to 7 points"] * 3 + [until] * 7 + [
        temp] * 3 + ['until in tue must be HH:MM in steps of 10 minutes, increasing, the last "24:00"']
    assert message(a[18]) == "use GET or POST on this endpoint"


def check_program_timeout(a):
    assert [error(x) for x in a[:2]] == [(504, "bluetooth_timeout")] * 2
    assert a[2][1]["last_seen"] is None


def check_program_bad_response(a):
    assert [error(x) for x in a] == [(502, "bad_response")] * 3
    assert [message(x) for x in a] == [f"valve {NEW} answered, but not with its week program",
                                       f"valve {NEW} answered, but did not confirm the program write",
                                       f"valve {NEW} answered, but not with its week program"]


CASES.update({
    "pairing": [("needs_pin", "POST", f"/valves/{NEW}/target", body({"temperature_c": 21.0})),
                (None, "POST", f"/valves/{NEW}/pair", body({"pin": "428716"})),
                (None, "POST", f"/valves/{NEW}/pair", body({"pin": 428715})),
                (None, "POST", f"/valves/{NEW}/pair", body({"pin": "42871"})),
                (None, "POST", f"/valves/{NEW}/pair", body({})),
                (None, "GET", f"/valves/{NEW}/pair", None),
                (None, "POST", f"/valves/{UNKNOWN}/pair", body({"pin": "428715"})),
                (None, "POST", f"/valves/{NEW.lower()}/pair", body({"pin": "428715"})),
                (None, "POST", f"/valves/{NEW}/target", body({"temperature_c": 21.0})),
                # Older firmware needs no PIN: any pairing succeeds.
                (None, "POST", f"/valves/{OLD}/pair", body({"pin": "000000"}))],
    "pair_timeout": [("unreachable", "POST", f"/valves/{OLD}/pair", body({"pin": "428715"}))],
})


def check_pairing(a):
    assert [error(x) for x in a[:7]] == [(409, "not_paired"), (403, "wrong_pin")] + [(400, "bad_request")] * 3 + [
        (405, "method_not_allowed"), (404, "unknown_valve")]
    assert [message(x) for x in a[:5]] == [
        f"valve {NEW} is not paired: enter the PIN shown on its display",
        f"valve {NEW} refused the PIN: enter the 6 digits its display shows"] + [
        "pin must be the 6 digits shown on the valve's display"] * 3
    assert a[7] == (200, {"mac": NEW, "paired": True})
    assert a[8][0] == 200 and a[8][1]["target_c"] == 21.0
    assert a[9] == (200, {"mac": OLD, "paired": True})


def check_pair_timeout(a):
    assert [error(x) for x in a] == [(504, "bluetooth_timeout")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_all_bridges_answer_alike(open_bridge, case):
    runs = {kind: run_case(open_bridge, kind, CASES[case]) for kind in KINDS}
    for kind in KINDS:
        globals()[f"check_{case}"](runs[kind][0])
    reference = [(status, comparable(payload)) for status, payload in runs["pi"][0]]
    for kind in ("esp32", "simulated"):
        assert [(status, comparable(payload)) for status, payload in runs[kind][0]] == reference, kind
        assert runs[kind][1] == runs["pi"][1], f"{kind} sent the valves other frames"


def test_every_case_has_a_check():
    assert all(f"check_{case}" in globals() for case in CASES)


ROUTES = [("GET", "/", None), ("GET", f"/valves/{NEW}", None), ("GET", f"/valves/{NEW}?refresh=1", None),
          ("POST", f"/valves/{NEW}/target", b'{"temperature_c": 30.0}'),
          ("POST", f"/valves/{NEW}/away", b'{"temperature_c": 30.0, "until": "2026-01-12T15:00"}'),
          ("POST", f"/valves/{NEW}/mode", b'{"mode": "manual", "temperature_c": 30.0}'),
          ("GET", f"/valves/{NEW}/program", None), ("GET", "/no-such-route", None)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("authorization", [None, "", "Bearer wrong-token", f"bearer {BRIDGE_TOKEN}",
                                           BRIDGE_TOKEN, f"Bearer {BRIDGE_TOKEN}x", "Bearer "])
def test_every_bridge_refuses_every_route_without_its_token(open_bridge, kind, authorization):
    bridge = open_bridge(kind)
    for method, target, body in ROUTES:
        status, payload = bridge.request(method, target, body, authorization=authorization)
        assert (status, payload["error"]) == (401, "unauthorized"), (kind, method, target, payload)
        assert "Bearer" in payload["message"]
    assert all(valve.commands_received == [] for valve in bridge.valves.values()), "a valve was commanded"
    # The same bridge, with its token, answers.
    status, _ = bridge.request("GET", f"/valves/{NEW}")
    assert status == 200
