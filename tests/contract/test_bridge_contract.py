"""One set of request/response cases, run against the Pi's bridge, the ESP32 core and the
simulated house's bridge: every case must give each the documented answer, and all three the
same answer (HTTP status and JSON, ignoring only uptime_s, kind and the value of last_seen).
"""
from __future__ import annotations

import json

import pytest

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


def act(action: str | None, valves) -> None:
    if action == "fail":
        valves[NEW].fail_next(1)
    elif action == "unreachable":
        valves[OLD].unreachable = True
    elif action == "garble":
        valves[NEW].garble_next(1)
    elif action == "id_answer":
        # The valve's answer to an ID query, recorded in rytilahti/python-eq3bt
        # eq3bt/tests/test_thermostat.py (ID_RESPONSE): a real frame, but not a status notification.
        valves[NEW].garble_next(1, bytes.fromhex("01780000807581626163606067659e"))


def comparable(answer: dict) -> dict:
    """The answer with what may differ between bridges taken out (last_seen: only whether it is set)."""
    def scrub(value):
        if isinstance(value, dict):
            return {k: (v is not None if k == "last_seen" else scrub(v)) for k, v in value.items()
                    if k not in ("uptime_s", "kind")}
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
