"""The page in a real browser against the real API.

The built page (frontend/dist, rebuilt here when the sources are newer) is
served by controller_api itself (HEATING_STATIC_DIR) over a fresh database.
A house is created through the API; headless Chromium (Debian's, driven by
playwright-core from frontend/tests/browser/*.mjs) then uses the page as a
person would, and these tests read the results back from the API.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests

pytestmark = pytest.mark.browser

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
DIST = FRONTEND / "dist"
SCRIPTS = FRONTEND / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
HOME_TZ = "Europe/Amsterdam"
SCRIPT_TIMEOUT_S = 300

LIVING_MAC = "A4:C1:38:11:22:33"
BEDROOM_MAC = "A4:C1:38:44:55:66"
HEARD_MAC = "A4:C1:38:99:88:77"
VALVE_MAC = "00:1A:22:0C:3B:5D"


def _newest_source_mtime() -> float:
    sources = [FRONTEND / "index.html", FRONTEND / "package.json", FRONTEND / "vite.config.js"]
    sources += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources)


def _run_npm(*args: str) -> None:
    result = subprocess.run(["npm", *args], cwd=FRONTEND, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"npm {' '.join(args)} failed in frontend/:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


@pytest.fixture(scope="session")
def built_page() -> Path:
    """frontend/dist, built now if it is missing or older than its sources."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("Node.js and npm are needed to build and drive the page (apt-get install nodejs npm)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the browser tests and was not found at {CHROMIUM} (apt-get install chromium)")
    if not (FRONTEND / "node_modules").is_dir():
        _run_npm("ci", "--no-audit", "--no-fund")
    index = DIST / "index.html"
    if not index.exists() or index.stat().st_mtime < _newest_source_mtime():
        _run_npm("run", "build")
    return DIST


class House:
    """A small house made through the API: three rooms, devices, a schedule, a day of readings."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.service_token}"

    def call(self, method: str, path: str, body=None):
        response = self.session.request(method, f"{self.url}{path}", json=body, timeout=10)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def build(self) -> dict:
        now = datetime.fromisoformat(self.call("GET", "/api/status")["time"].replace("Z", "+00:00"))
        living = self.call("POST", "/api/rooms", {"name": "Living room", "sort_order": 0, "default_temp_c": 18.0})["id"]
        bedroom = self.call("POST", "/api/rooms", {"name": "Bedroom", "sort_order": 1})["id"]
        study = self.call("POST", "/api/rooms", {"name": "Study", "sort_order": 2, "default_temp_c": 17.5})["id"]
        bridge = self.call("POST", "/api/bridges", {"name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"})["id"]
        self.call("POST", "/api/thermometers", {"mac": LIVING_MAC, "room_id": living, "name": "Living"})
        self.call("POST", "/api/thermometers", {"mac": BEDROOM_MAC, "room_id": bedroom, "format": "pvvx"})
        valve = self.call("POST", "/api/valves", {"mac": VALVE_MAC, "room_id": living, "bridge_id": bridge,
                                                  "name": "Window", "radiator_power_w": 1500})["id"]
        week = [{"weekday": d, "time": t, "temperature_c": c}
                for d in range(7) for t, c in (("06:30", 20.0), ("22:00", 16.0))]
        self.call("PUT", f"/api/rooms/{living}/schedule", {"switch_points": week})
        self.call("PUT", f"/api/rooms/{bedroom}/schedule", {"switch_points": [
            {"weekday": d, "time": "07:00", "temperature_c": 18.0} for d in range(7)]})
        readings = []
        # Eight days of living-room readings every 15 minutes, a gentle daily swing.
        for i in range(8 * 96):
            at = now - timedelta(minutes=15 * i + 1)
            swing = 1.5 * math.sin(2 * math.pi * (at.hour + at.minute / 60 - 9) / 24)
            readings.append({"mac": LIVING_MAC, "time": at.isoformat(), "temperature_c": round(19.0 + swing, 2),
                             "humidity_pct": 48.0, "battery_pct": 93, "format": "pvvx"})
        # The bedroom thermometer went silent two hours ago with a weak battery.
        readings.append({"mac": BEDROOM_MAC, "time": (now - timedelta(hours=2)).isoformat(), "temperature_c": 16.2,
                         "humidity_pct": 55.0, "battery_pct": 9, "format": "pvvx"})
        readings.append({"mac": HEARD_MAC, "time": (now - timedelta(minutes=3)).isoformat(), "temperature_c": 17.1,
                         "humidity_pct": 51.0, "battery_pct": 80, "format": "pvvx", "name": "ATC_998877"})
        for start in range(0, len(readings), 1000):
            self.call("POST", "/api/readings", {"readings": readings[start:start + 1000]})
        for hours_ago, state in ((30, "open"), (28, "closed"), (8, "open"), (6.5, "closed"), (1, "open")):
            self.call("POST", f"/api/valves/{valve}/state", {
                "time": (now - timedelta(hours=hours_ago)).isoformat(), "state": state,
                "valve_pct": 100 if state == "open" else 0, "mode": "manual", "reason": "below target"})
            # The boiler burnt while the valve was open, so the gas of those hours is the living room's.
            self.call("POST", "/api/boiler/state", {
                "time": (now - timedelta(hours=hours_ago)).isoformat(), "heat_demand": state == "open",
                "indicator": "central heating" if state == "open" else "off"})
        # Eight days of hourly gas meter readings, 0.12 m³ an hour.
        meter = [{"time": (now - timedelta(hours=h)).isoformat(), "gas_m3": round(1000 + 0.12 * (8 * 24 - h), 3)}
                 for h in range(8 * 24, 0, -1)]
        meter.append({"time": (now - timedelta(minutes=1)).isoformat(), "gas_m3": round(1000 + 0.12 * 8 * 24 + 0.1, 3)})
        self.call("POST", "/api/meter-readings", {"gas": meter})
        self.call("POST", "/api/weather", {"time": (now - timedelta(minutes=5)).isoformat(), "outdoor_temp_c": 4.6,
                                           "forecast": [{"time": (now + timedelta(hours=h)).isoformat(),
                                                         "temperature_c": round(4.6 - 0.3 * h, 1)} for h in range(1, 25)]})
        self.call("POST", "/api/boiler/state", {"time": now.isoformat(), "heat_demand": True, "user_mode": "manual",
                                                "setpoint_c": 60.0, "indicator": "central heating",
                                                "reason": "the living room is below its target"})
        return {"living": living, "bedroom": bedroom, "study": study, "bridge": bridge, "valve": valve,
                "heard_mac": HEARD_MAC, "tz": HOME_TZ}


@pytest.fixture
def house(built_page, make_api_server):
    server = make_api_server(static_dir=str(built_page), tz=HOME_TZ)
    ids = House(server).build()
    return server, ids


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("HEATING_SCREENSHOT_DIR", FRONTEND / "tests" / "browser" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for old_failure in folder.glob("failure-*.png"):
        old_failure.unlink()
    return folder


def run_script(name: str, house, screenshot_dir: Path) -> str:
    """Runs one browser script; fails with its own message when it exits non-zero. Returns its output."""
    server, ids = house
    env = dict(os.environ, HEATING_PAGE_URL=server.url, HEATING_TEST_PASSWORD=server.password,
               HEATING_TEST_HOUSE=json.dumps(ids), HEATING_SCREENSHOT_DIR=str(screenshot_dir), CHROMIUM_PATH=CHROMIUM)
    result = subprocess.run(["node", str(SCRIPTS / f"{name}.mjs")], cwd=FRONTEND, env=env,
                            capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S)
    if result.returncode != 0:
        pytest.fail(f"browser script {name}.mjs failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return result.stdout


def _api(server, path: str):
    response = requests.get(f"{server.url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _shown(output: str, key: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"{key}="):
            return line[len(key) + 1:]
    raise AssertionError(f"the browser script did not report {key}:\n{output}")


def test_the_page_is_served_by_the_api(house):
    server, _ = house
    response = requests.get(f"{server.url}/", timeout=10)
    assert response.status_code == 200
    assert '<div id="app">' in response.text


def test_a_schedule_edited_on_the_page_is_what_the_api_stores(house, screenshot_dir):
    server, ids = house
    run_script("schedule", house, screenshot_dir)
    points = _api(server, f"/api/rooms/{ids['living']}/schedule")["switch_points"]
    by_day = {d: [(p["time"], p["temperature_c"]) for p in points if p["weekday"] == d] for d in range(7)}
    # Tuesday: 06:30 dragged to 07:00, 12:00 added at 21.5 °C, 22:00 deleted; copied to Wednesday.
    assert by_day[1] == [("07:00", 20.0), ("12:00", 21.5)]
    assert by_day[2] == by_day[1]
    for untouched in (0, 3, 4, 5, 6):
        assert by_day[untouched] == [("06:30", 20.0), ("22:00", 16.0)]


def test_an_override_and_the_house_mode_set_on_the_page_change_the_status(house, screenshot_dir):
    server, ids = house
    before = _api(server, "/api/status")
    living_before = next(r for r in before["rooms"] if r["id"] == ids["living"])
    assert living_before["override"] is None
    run_script("override", house, screenshot_dir)
    after = _api(server, "/api/status")
    living = next(r for r in after["rooms"] if r["id"] == ids["living"])
    assert living["override"]["temperature_c"] == 23.5
    assert _instant(living["override"]["ends_at"]) == _instant(living_before["next_switch_point"]["at"])
    assert after["house_mode"]["mode"] == "away"
    # The override still wins over the house mode; the other rooms follow "away".
    assert living["target_c"] == 23.5
    bedroom = next(r for r in after["rooms"] if r["id"] == ids["bedroom"])
    assert bedroom["target_source"] == "away"


def test_refusals_the_page_cannot_foresee_are_shown_in_the_api_words(house, screenshot_dir):
    server, ids = house
    # Ask the API the same things first (each refusal changes nothing): the page must show its detail.
    headers = {"Authorization": f"Bearer {server.service_token}"}
    override = requests.put(f"{server.url}/api/rooms/{ids['study']}/override",
                            json={"temperature_c": 21.0, "until": "next_switch"}, headers=headers, timeout=10)
    assert override.status_code == 422
    unauthorised = requests.put(f"{server.url}/api/rooms/{ids['study']}/schedule", json={"switch_points": []}, timeout=10)
    assert unauthorised.status_code == 401
    delete = requests.delete(f"{server.url}/api/rooms/{ids['living']}", headers=headers, timeout=10)
    assert delete.status_code == 409
    output = run_script("refusals", house, screenshot_dir)
    assert override.json()["detail"] in _shown(output, "OVERRIDE_ERROR")
    assert unauthorised.json()["detail"] in _shown(output, "SAVE_ERROR")
    assert "log in" in _shown(output, "SAVE_ERROR").lower()
    assert delete.json()["detail"] in _shown(output, "DELETE_ERROR")
    # After logging in again in the dialog, the same edit was saved.
    study = _api(server, f"/api/rooms/{ids['study']}/schedule")["switch_points"]
    assert [(p["weekday"], p["time"]) for p in study] == [(0, "07:00")]


def test_login(house, screenshot_dir):
    run_script("login", house, screenshot_dir)


def test_a_house_that_hides_its_readings_asks_for_the_password_first(built_page, make_api_server, screenshot_dir):
    server = make_api_server(static_dir=str(built_page), tz=HOME_TZ, reads_require_auth=True)
    ids = House(server).build()
    assert requests.get(f"{server.url}/api/status", timeout=10).status_code == 401
    run_script("private", (server, ids), screenshot_dir)


def test_setup_adds_a_heard_thermometer_with_one_click_a_bridge_and_edits_a_room(house, screenshot_dir):
    server, ids = house
    output = run_script("setup", house, screenshot_dir)
    assert _shown(output, "MAC_PROBLEM").startswith("A MAC address is six pairs of the digits 0–9 and letters A–F")
    assert int(_shown(output, "SETUP_OVERFLOW")) <= 0
    assert _shown(output, "VALVE_ADDED") == "Door added."
    door = [v for v in _api(server, "/api/valves")["valves"] if v["mac"] == "00:1A:22:0C:3B:5E"]
    assert len(door) == 1 and door[0]["name"] == "Door"
    thermometers = _api(server, "/api/thermometers")["thermometers"]
    added = [t for t in thermometers if t["mac"] == HEARD_MAC]
    assert len(added) == 1 and added[0]["room_id"] == ids["study"]
    assert _api(server, "/api/thermometers/heard")["heard"] == []
    signed_in = requests.get(f"{server.url}/api/bridges", timeout=10,
                             headers={"Authorization": f"Bearer {server.service_token}"}).json()["bridges"]
    bridges = {b["name"]: b for b in signed_in}
    assert bridges["Attic ESP32"]["base_url"] == "http://127.0.0.1:8099" and bridges["Attic ESP32"]["has_token"]
    # The address is not for strangers, the token for nobody.
    public = {b["name"]: b for b in _api(server, "/api/bridges")["bridges"]}
    assert "base_url" not in public["Attic ESP32"] and "token" not in bridges["Attic ESP32"]
    with psycopg.connect(server.database_url) as conn:
        token = conn.execute("SELECT token FROM bridges WHERE name = 'Attic ESP32'").fetchone()[0]
    assert token == "attic-bridge-token-from-its-console"
    bedroom = _api(server, f"/api/rooms/{ids['bedroom']}")
    assert (bedroom["name"], bedroom["default_temp_c"], bedroom["control"]) == ("Main bedroom", 18.5, "manual")
    # Fields left alone keep their values.
    assert (bedroom["frost_temp_c"], bedroom["sort_order"]) == (7.0, 1)


def test_dutch_dark_installable_and_readable_offline_without_replaying_a_write(house, screenshot_dir):
    server, ids = house
    output = run_script("app", house, screenshot_dir)
    assert json.loads(_shown(output, "NAV_NL")) == ["Kamers", "Schema’s", "Geschiedenis", "Gas", "Instellingen"]
    assert json.loads(_shown(output, "NAV_EN")) == ["Rooms", "Schedules", "History", "Gas", "Setup"]
    # The temperature the page shows in Dutch is the API's, with a decimal comma.
    living = next(r for r in _api(server, "/api/status")["rooms"] if r["id"] == ids["living"])
    assert _shown(output, "TEMP_NL") == f"{living['temperature_c']:.1f}\u00a0°C".replace(".", ",")
    manifest = json.loads(_shown(output, "MANIFEST"))
    assert {(i["sizes"], i["status"]) for i in manifest["icons"] if i["type"] == "image/png"} >= {("192x192", 200), ("512x512", 200)}
    worker = json.loads(_shown(output, "SERVICE_WORKER"))
    assert worker["state"] == "activated" and worker["scope"] == f"{server.url}/"
    assert json.loads(_shown(output, "OFFLINE_ROOMS")) == ["Living room", "Bedroom", "Study"]
    assert "cannot be reached" in _shown(output, "OFFLINE_WRITE")
    # The override tried offline never reached the controller, not even after the page was back online.
    after = next(r for r in _api(server, "/api/status")["rooms"] if r["id"] == ids["living"])
    assert after["override"] is None


def test_the_overview_and_the_gas_view_show_what_the_api_measured(house, screenshot_dir):
    server, ids = house
    output = run_script("gas", house, screenshot_dir)
    month = _api(server, "/api/gas?group=day")
    today = month["buckets"][-1]
    money = lambda amount: f"€{amount:,.2f}"  # noqa: E731 (English, as the browser is en-GB)
    gas = lambda amount: f"{amount:.2f}\u00a0m³"  # noqa: E731
    assert month["totals"]["metered"]["gas_m3"] > 0 and today["metered"]["gas_m3"] > 0
    assert _shown(output, "GAS_TODAY") == f"Today {gas(today['metered']['gas_m3'])} {money(today['metered']['cost'])}"
    assert _shown(output, "GAS_MONTH") == f"This month {gas(month['totals']['metered']['gas_m3'])} {money(month['totals']['metered']['cost'])}"
    living = next(r for r in month["totals"]["rooms"] if r["room_id"] == ids["living"])
    assert living["gas_m3"] > 0
    # The page asked a moment earlier; the open valve's share of the last meter interval may have grown since.
    shown = _shown(output, "GAS_LIVING_MONTH")
    assert shown.startswith("€") and abs(float(shown[1:]) - living["cost"]) <= 0.02, (shown, living["cost"])
    # The boiler as it reported itself: burning, asked for heat; its 60 °C setpoint is not called a flow temperature.
    boiler = _shown(output, "BOILER")
    assert boiler.startswith("Boiler: burning for the radiators, asked for heat, checked ") and "flow" not in boiler
    assert _shown(output, "VALVE").startswith("open, 100\u00a0%, checked ")
    assert _shown(output, "OUTDOOR") == "4.6\u00a0°C"
    assert _shown(output, "OUTDOOR_RANGE") == "Next 24 hours: -2.6\u00a0°C to 4.3\u00a0°C"
    for size in ("phone", "desktop"):
        assert _shown(output, f"BARS_DAY_{size}") == "14"
        tooltip = _shown(output, f"TOOLTIP_HOVER_{size}")
        assert "Living room: " in tooltip and "Hot water" not in tooltip
        assert f"Total: {gas(today['metered']['gas_m3'])}, {money(today['metered']['cost'])}" in tooltip
        assert _shown(output, f"TOOLTIP_FOCUS_{size}")


def test_the_schedule_editor_guards_unsaved_edits_and_reads_well_on_a_phone(house, screenshot_dir):
    server, ids = house
    headers = {"Authorization": f"Bearer {server.service_token}"}
    # Monday in the bedroom: 16 °C, one hour at 20 °C, then 21 °C, and 16 °C from 22:00.
    week = [{"weekday": 0, "time": t, "temperature_c": c} for t, c in (("06:00", 20.0), ("07:00", 21.0), ("22:00", 16.0))]
    assert requests.put(f"{server.url}/api/rooms/{ids['bedroom']}/schedule", json={"switch_points": week},
                        headers=headers, timeout=10).status_code == 200
    output = run_script("editor", house, screenshot_dir)
    assert _shown(output, "DIALOG") == "You have changes that are not saved. Leave and lose them?"
    assert _shown(output, "STAYED") == f"#/rooms/{ids['living']}/schedule"
    assert _shown(output, "LEFT") == "#/"
    assert _shown(output, "DIALOGS") == "2"
    assert _shown(output, "SAVED_IN_VIEW") == "true"
    assert sorted(json.loads(_shown(output, "LABELS"))) == ["16°", "16°", "20°", "21°"]
    assert (_shown(output, "READONLY_HANDLES"), _shown(output, "READONLY_MARKS")) == ("0", "2")
    # The edit left unsaved never reached the API; the saved one did.
    assert len(_api(server, f"/api/rooms/{ids['living']}/schedule")["switch_points"]) == 14
    assert len(_api(server, f"/api/rooms/{ids['study']}/schedule")["switch_points"]) == 1


def test_history_draws_the_target_as_it_was_recorded(house, screenshot_dir):
    server, ids = house
    headers = {"Authorization": f"Bearer {server.service_token}"}
    now = datetime.fromisoformat(_api(server, "/api/status")["time"].replace("Z", "+00:00"))
    start = now.replace(hour=0, minute=0) - timedelta(hours=2)
    # As the control loop records them: the schedule, a boost an hour and a half ago, the schedule again.
    targets = [{"room_id": ids["living"], "time": (now - timedelta(minutes=m)).isoformat(), "target_c": c, "source": s}
               for m, c, s in ((120, 20.0, "schedule"), (90, 30.0, "boost"), (60, 20.0, "schedule"))]
    assert requests.post(f"{server.url}/api/targets", json={"targets": targets}, headers=headers, timeout=10).status_code == 201
    recorded = [t for t in _api(server, f"/api/rooms/{ids['living']}/history?from={start.isoformat().replace('+00:00', 'Z')}")["targets"]
                if t["recorded"]]
    assert [(t["target_c"], t["source"]) for t in recorded] == [(20.0, "schedule"), (30.0, "boost"), (20.0, "schedule")]
    output = run_script("history", house, screenshot_dir)
    assert _shown(output, "RECORDED_PIECES") == "1"
    assert "target (as it was)" in json.loads(_shown(output, "LEGEND"))


def test_every_view_is_accessible_and_usable_by_keyboard(house, screenshot_dir):
    server, ids = house
    output = run_script("a11y", house, screenshot_dir)
    violations = json.loads(_shown(output, "VIOLATIONS"))
    assert violations == [], "axe-core found serious or critical violations:\n" + "\n".join(
        f"{v['view']}: {v['id']} ({v['impact']}): {v['nodes']}" for v in violations)
    order = json.loads(_shown(output, "TAB_ORDER"))
    assert order[:2] == ["#/", "#/"] and "language" in order, order
    assert order[-1] == f"#/rooms/{ids['living']}"
    assert _shown(output, "FOCUS_VISIBLE") == "true"
    assert _shown(output, "ENTER_OPENED") == f"#/rooms/{ids['living']}"


def test_screenshots_of_every_view(house, screenshot_dir):
    run_script("screenshots", house, screenshot_dir)
    for size in ("phone", "desktop"):
        for variant in ("", "-light-nl", "-dark-en", "-dark-nl"):
            for view in ("rooms-readonly", "login", "rooms", "room", "schedule", "history-day", "history-week", "setup", "gas", "mode"):
                picture = screenshot_dir / f"{size}{variant}-{view}.png"
                assert picture.stat().st_size > 5000, f"{picture} is missing or empty"


PROBLEM_VIEWS = ("rooms", "room", "schedule", "history", "setup", "login")
KNOWN_PROBLEM_CODES = {"valve_unreachable", "bridge_unreachable", "thermometer_stale", "battery_low",
                       "boiler_unreachable", "controller_silent", "meter_silent"}


def test_the_house_problems_are_shown_above_every_view_on_a_narrow_phone(house, screenshot_dir):
    server, ids = house
    status = _api(server, "/api/status")
    # The real condition behind a problem: the bedroom thermometer was last heard two hours ago (House.build).
    bedroom = next(r for r in status["rooms"] if r["id"] == ids["bedroom"])
    assert bedroom["in_sync"] is False and bedroom["reading_age_s"] > 3600
    # An API without house health has no `problems`: the page must take that as none.
    problems = status.get("problems", [])
    output = run_script("problems", (server, dict(ids, problems=len(problems))), screenshot_dir)

    for view in PROBLEM_VIEWS:
        too_wide = output.split(f"TOO_WIDE_{view}=")[-1].splitlines()[0] if f"TOO_WIDE_{view}=" in output else ""
        assert int(_shown(output, f"OVERFLOW_{view}")) <= 0, f"the {view} view scrolls sideways at 360 px: {too_wide}"

    if "problems" not in status:
        for view in PROBLEM_VIEWS:
            assert _shown(output, f"BANNER_BOXES_{view}") == "0", f"the {view} view shows a banner without problems"
        pytest.skip("GET /api/status has no `problems` yet (house health is being added to the API): "
                    "checked only that no banner is shown and nothing scrolls sideways")

    # From here on the API reports house health.
    codes = {(p["code"], p["subject"]["kind"], p["subject"]["id"]) for p in problems}
    bedroom_thermometer = bedroom["thermometers"][0]["id"]
    assert ("thermometer_stale", "thermometer", bedroom_thermometer) in codes
    for view in PROBLEM_VIEWS:
        shown = json.loads(_shown(output, f"BANNER_{view}"))
        assert sorted(p["code"] for p in shown) == sorted(p["code"] for p in problems), view
        severities = [p["severity"] for p in shown]
        assert severities == sorted(severities, key=lambda s: s != "error"), f"{view}: errors are not listed first"
        for item in shown:
            assert item["since"].startswith("since ") and item["since"].endswith(" ago"), item
            if item["code"] in KNOWN_PROBLEM_CODES:
                assert item["title"] and "_" not in item["title"], item
                assert item["advice"].startswith("What to do: "), item
            for words in item.values():
                assert "Traceback" not in words
    if any(p["severity"] == "error" for p in problems):
        assert _shown(output, "ALERT").startswith("New problem: ")
    else:
        assert _shown(output, "ALERT") == ""
    if bedroom["thermometers"][0].get("problem"):
        assert any(line.startswith("silent since ") for line in json.loads(_shown(output, "BEDROOM_THERMOMETER")))
    living = next(r for r in status["rooms"] if r["id"] == ids["living"])
    if "checked_at" in living["valves"][0]:
        checked = json.loads(_shown(output, "LIVING_VALVE_CHECKED"))
        assert len(checked) == 1 and checked[0].startswith(", checked ")
