"""GET /api/rooms/{id}/valve-program and the status's valve_program_version."""
from __future__ import annotations

from common.schedule import WEEKDAY_KEYS
from tests.controller_api.conftest import SERVICE


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def _put(client, room_id: int, points: list[tuple[int, str, float]]):
    body = {"switch_points": [{"weekday": d, "time": t, "temperature_c": c} for d, t, c in points]}
    response = client.put(f"/api/rooms/{room_id}/schedule", json=body, headers=SERVICE)
    assert response.status_code == 200, response.json


def _value_at(days: dict, weekday: int, minute: int) -> float:
    for point in days[WEEKDAY_KEYS[weekday]]:
        if minute < _minutes(point["until"]):
            return point["temperature_c"]
    raise AssertionError("the day does not reach 24:00")


def test_a_simple_week_is_held_exactly(client, house):
    points = [(d, "06:30", 20.0) for d in range(5)] + [(d, "22:00", 16.0) for d in range(7)] + \
             [(5, "08:00", 21.0), (6, "08:30", 21.0)]
    _put(client, house["room"], points)
    program = client.get(f"/api/rooms/{house['room']}/valve-program").json
    assert program["room_id"] == house["room"] and program["exact"] is True
    assert list(program["days"]) == list(WEEKDAY_KEYS)
    for key, day in program["days"].items():
        assert 1 <= len(day) <= 7 and day[-1]["until"] == "24:00"
        assert [_minutes(p["until"]) for p in day] == sorted({_minutes(p["until"]) for p in day})
    # Every minute of the week the program holds what the schedule does, midnight carried over.
    ordered = sorted((d * 1440 + _minutes(t), c) for d, t, c in points)
    for week_minute in range(0, 7 * 1440, 10):
        in_force = [c for k, c in ordered if k <= week_minute] or [ordered[-1][1]]
        assert _value_at(program["days"], week_minute // 1440, week_minute % 1440) == in_force[-1], week_minute


def test_a_crowded_day_is_simplified_and_says_so(client, house):
    # Ten changes on Monday: more than the valve's seven periods a day.
    monday = [(0, f"{h:02d}:00", 21.0 if k % 2 else 17.0) for k, h in enumerate(range(6, 22, 2))]
    monday += [(0, "06:10", 19.0), (0, "06:30", 21.0)]
    _put(client, house["room"], monday)
    program = client.get(f"/api/rooms/{house['room']}/valve-program").json
    assert program["exact"] is False
    assert "Monday" in program["message"] and "7" in program["message"]
    assert len(program["days"]["mon"]) <= 7 and program["days"]["mon"][-1]["until"] == "24:00"
    assert all(len(day) <= 7 for day in program["days"].values())


def test_an_empty_schedule_holds_the_default(client, house):
    client.patch(f"/api/rooms/{house['room']}", json={"default_temp_c": 19.5}, headers=SERVICE)
    program = client.get(f"/api/rooms/{house['room']}/valve-program").json
    assert program["exact"] is True
    assert all(day == [{"until": "24:00", "temperature_c": 19.5}] for day in program["days"].values())


def test_the_version_follows_the_program_and_the_status_shows_it(client, house):
    def versions():
        program = client.get(f"/api/rooms/{house['room']}/valve-program").json["version"]
        room = next(r for r in client.get("/api/status").json["rooms"] if r["id"] == house["room"])
        return program, room["valve_program_version"]

    empty = versions()
    assert empty[0] == empty[1]
    _put(client, house["room"], [(0, "06:30", 20.0), (0, "22:00", 16.0)])
    scheduled = versions()
    assert scheduled[0] == scheduled[1] != empty[0]
    _put(client, house["room"], [(0, "06:30", 20.0), (0, "22:00", 16.0)])
    assert versions() == scheduled  # the same schedule again: nothing for the valves to rewrite
    _put(client, house["room"], [(0, "06:30", 20.0), (0, "22:00", 16.5)])
    assert versions()[0] != scheduled[0]


def test_unknown_room_is_a_404_problem(client):
    response = client.get("/api/rooms/999/valve-program")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert "999" in response.json["detail"]


def test_the_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert "get" in paths["/api/rooms/{room_id}/valve-program"]
