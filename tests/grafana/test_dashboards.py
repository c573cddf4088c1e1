"""grafana/: provisioning files and every dashboard panel's SQL, run as Grafana would.

Each panel's SQL is taken from the dashboard JSON, its template variables
and Grafana macros are expanded the way Grafana's PostgreSQL data source
expands them, and it runs as the read-only role heating_grafana on a
simulated week of the house.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.reporting.house_week import DAYS, START, ZONE

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
UTC = timezone.utc
EXACT = 1e-9

#: The dashboards' range in the test: the last six days of the week, ending
#: at 23:30 local on its Sunday.
RANGE_FROM = START + timedelta(days=1)
RANGE_TO = START + timedelta(days=DAYS, minutes=-30)
#: What Grafana makes of $__interval for a six-day range on a wide panel.
INTERVAL = "10m"

#: Plausible values per Grafana unit (the house is heated, indoors, in winter).
PLAUSIBLE = {
    "celsius": (5.0, 35.0),
    "percent": (0.0, 100.0),
    "humidity": (0.0, 100.0),
    "m3": (0.0, 500.0),
    "kwatth": (0.0, 5000.0),
    "currencyEUR": (0.0, 1000.0),
    "dBm": (-127.0, 0.0),
    "h": (0.0, 240.0),
}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def _seconds(interval: str) -> int:
    match = re.fullmatch(r"'?(\d+)([smhd])'?", interval.strip())
    if not match:
        raise AssertionError(f"interval {interval!r} is not one Grafana understands")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expand(sql: str, variables: dict[str, str], start: datetime, end: datetime) -> str:
    """Template variables, then macros, as Grafana's PostgreSQL data source does (the ones used here)."""
    sql = sql.replace("$__interval", INTERVAL)
    for name, value in sorted(variables.items(), key=lambda item: -len(item[0])):
        sql = re.sub(r"\$\{" + name + r"\}|\$" + name + r"\b", value, sql)

    def macro(match: re.Match) -> str:
        name, args = match.group(1), [a.strip() for a in match.group(2).split(",")] if match.group(2) else []
        if name == "timeFilter":
            return f"{args[0]} BETWEEN '{_rfc3339(start)}' AND '{_rfc3339(end)}'"
        if name == "timeFrom":
            return f"'{_rfc3339(start)}'"
        if name == "timeTo":
            return f"'{_rfc3339(end)}'"
        if name in ("timeGroup", "timeGroupAlias"):
            seconds = _seconds(args[1])
            expression = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return expression + (' AS "time"' if name == "timeGroupAlias" else "")
        raise AssertionError(f"macro $__{name} is used but not expanded by this test")

    sql = re.sub(r"\$__(\w+)\(([^()]*)\)", macro, sql)
    assert "$" not in sql, f"unexpanded variable or macro left in: {sql}"
    return sql


def _as_grafana(url: str):
    conn = psycopg.connect(url)
    conn.execute("SET ROLE heating_grafana")
    return conn


def _variables(conn, dashboard: dict) -> dict[str, list[str]]:
    """Each variable's values, from its own query (run as Grafana's role)."""
    values: dict[str, list[str]] = {}
    for variable in dashboard["templating"]["list"]:
        assert variable["type"] == "query" and variable["datasource"]["uid"] == "heating-pg"
        cur = conn.execute(variable["query"])
        columns = [c.name for c in cur.description]
        rows = cur.fetchall()
        column = columns.index("__value") if "__value" in columns else 0
        assert rows, f"variable {variable['name']} has no values"
        raw = [str(row[column]) for row in rows]
        # Multi-value variables are quoted SQL literals, joined by commas.
        values[variable["name"]] = [f"'{v}'" for v in raw] if variable.get("multi") or variable.get(
            "includeAll") else raw
    return values


def _column_units(panel: dict) -> dict[str, str]:
    units = {}
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"]["id"] == "byName":
            for prop in override["properties"]:
                if prop["id"] == "unit":
                    units[override["matcher"]["options"]] = prop["value"]
    return units


def _check_rows(panel: dict, target: dict, columns: list[str], rows: list[tuple]) -> None:
    where = f"{panel['title']} ({target['refId']})"
    assert rows, f"{where}: no rows"
    assert len(set(columns)) == len(columns) and all(columns), f"{where}: column names {columns}"
    default_unit = panel["fieldConfig"]["defaults"].get("unit")
    units = _column_units(panel)
    if target["format"] == "time_series":
        assert columns[0] == "time", f"{where}: the first column must be time, not {columns[0]}"
        times = [row[0] if isinstance(row[0], datetime) else datetime.fromtimestamp(float(row[0]), UTC)
                 for row in rows]
        assert times == sorted(times), f"{where}: rows must be in time order"
        assert all(RANGE_FROM - timedelta(days=8) <= at <= RANGE_TO + timedelta(hours=1) for at in times), where
    for index, column in enumerate(columns):
        values = [row[index] for row in rows if isinstance(row[index], (int, float)) and
                  not isinstance(row[index], bool)]
        if not values or column == "time":
            continue
        assert all(math.isfinite(float(v)) for v in values), f"{where}: {column} not finite"
        unit = units.get(column, default_unit)
        if unit is not None:
            assert unit in PLAUSIBLE, f"{where}: no plausible range known for unit {unit}"
            low, high = PLAUSIBLE[unit]
            assert all(low <= float(v) <= high for v in values), (
                f"{where}: {column} outside {low}..{high} {unit}: {min(values)}..{max(values)}")


def _run_panel(conn, panel: dict, variables: dict[str, list[str]]) -> list[tuple[dict, list[str], list[tuple]]]:
    results = []
    repeat = panel.get("repeat")
    for value in (variables[repeat] if repeat else [None]):
        chosen = {name: ",".join(values) for name, values in variables.items()}
        if repeat:
            chosen[repeat] = value
        for target in panel["targets"]:
            cur = conn.execute(expand(target["rawSql"], chosen, RANGE_FROM, RANGE_TO))
            columns = [c.name for c in cur.description]
            rows = cur.fetchall()
            _check_rows(panel, target, columns, rows)
            results.append((target, columns, rows))
    return results


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_panel_query_runs_as_grafana_and_gives_sensible_rows(week, path):
    url, _ = week
    dashboard = _load(path)
    with _as_grafana(url) as conn:
        variables = _variables(conn, dashboard)
        if "tz" in variables:
            assert variables["tz"] == [ZONE.key]
        ran = 0
        for panel in _panels(dashboard):
            if panel["type"] == "row":
                continue
            ran += len(_run_panel(conn, panel, variables))
        assert ran >= len([p for p in _panels(dashboard) if p["type"] != "row"])


def _panel(name: str, title: str) -> dict:
    [panel] = [p for p in _panels(_load(GRAFANA / "dashboards" / f"{name}.json")) if p["title"] == title]
    return panel


def _single_result(url: str, name: str, title: str) -> tuple[list[str], list[tuple]]:
    panel = _panel(name, title)
    dashboard = _load(GRAFANA / "dashboards" / f"{name}.json")
    with _as_grafana(url) as conn:
        [(_, columns, rows)] = _run_panel(conn, panel, _variables(conn, dashboard))
    return columns, rows


def test_gas_panels_add_up_to_the_meter(week):
    url, truth = week
    meter = truth.meter_m3
    local_midnight = datetime.combine(RANGE_TO.astimezone(ZONE).date(), datetime.min.time(), ZONE).astimezone(UTC)

    _, rows = _single_result(url, "gas", "Today")
    assert rows[0][0] == pytest.approx(meter[RANGE_TO] - meter[local_midnight], abs=EXACT)
    _, rows = _single_result(url, "gas", "This month")
    assert rows[0][0] == pytest.approx(meter[RANGE_TO] - meter[truth.first_reading], abs=EXACT)
    assert rows[0][2] == pytest.approx(rows[0][0] * 1.45, abs=EXACT)
    for title in ("Gas per hour", "Gas per day"):
        _, rows = _single_result(url, "gas", title)
        assert sum(row[2] for row in rows) == pytest.approx(meter[RANGE_TO] - meter[RANGE_FROM], abs=EXACT), title
        assert {row[1] for row in rows} >= {"Living room", "Kitchen", "Bedroom", "Bathroom", "Hot water"}
    # A 24 kW burner at full power for an hour burns 24 / 9.769 / 0.9 = 2.7 m³.
    _, rows = _single_result(url, "gas", "Gas per hour")
    per_hour: dict = {}
    for at, _, gas_m3 in rows:
        per_hour[at] = per_hour.get(at, 0.0) + gas_m3
    assert 0 < max(per_hour.values()) <= 2.8
    columns, rows = _single_result(url, "gas", "Per room")
    assert columns == ["Where", "Gas (m³)", "Energy (kWh)", "Cost"]
    assert sum(row[1] for row in rows) == pytest.approx(meter[RANGE_TO] - meter[RANGE_FROM], abs=EXACT)


def test_devices_show_the_silent_thermometer_as_stale(week):
    url, _ = week
    _, rows = _single_result(url, "devices", "Stale thermometers")
    assert rows == [(1,)]
    columns, rows = _single_result(url, "devices", "Thermometers")
    states = {row[columns.index("Room")]: row[columns.index("State")] for row in rows}
    assert states == {"Living room": "ok", "Kitchen": "ok", "Bedroom": "ok", "Bathroom": "stale"}


def test_rooms_temperature_follows_the_target(week):
    """The simulated controller keeps each room within a degree of its target most of the time."""
    url, truth = week
    panel = _panel("rooms", "$room: temperature and scheduled target")
    dashboard = _load(GRAFANA / "dashboards" / "rooms.json")
    with _as_grafana(url) as conn:
        variables = _variables(conn, dashboard)
        results = _run_panel(conn, panel, variables)
    assert len(results) == 2 * len(truth.room_ids)
    for (temperature, _, temps), (target, _, targets) in zip(results[::2], results[1::2]):
        assert temperature["refId"] == "A" and target["refId"] == "B"
        steps = [(row[0], row[2]) for row in targets]

        def target_at(epoch: float) -> float:
            at = datetime.fromtimestamp(epoch, UTC)
            return [value for when, value in steps if when <= at][-1]

        near = [abs(row[2] - target_at(float(row[0]))) <= 1.5 for row in temps]
        assert sum(near) / len(near) > 0.7


def test_grafana_role_cannot_write(week):
    url, _ = week
    with _as_grafana(url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE rooms SET name = 'x'")


def test_datasource_provisioning():
    config = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "heating.yaml").read_text())
    [source] = config["datasources"]
    assert source["uid"] == "heating-pg"
    assert source["user"] == "heating_grafana"
    assert source["secureJsonData"]["password"] == "${HEATING_GRAFANA_DB_PASSWORD}"
    assert re.fullmatch(r"\$\{HEATING_\w+\}", source["jsonData"]["database"])
    assert re.fullmatch(r"\$\{HEATING_\w+\}", source["url"])
    for path in DASHBOARDS:
        dashboard = _load(path)
        references = [p["datasource"] for p in _panels(dashboard)] + [
            t["datasource"] for p in _panels(dashboard) for t in p.get("targets", [])] + [
            v["datasource"] for v in dashboard["templating"]["list"]]
        assert all(ref == {"type": source["type"], "uid": "heating-pg"} for ref in references), path.name


def test_dashboard_provisioning_and_stable_uids():
    config = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "heating.yaml").read_text())
    [provider] = config["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    dashboards = {path.stem: _load(path) for path in DASHBOARDS}
    assert {name: (d["uid"], d["title"]) for name, d in dashboards.items()} == {
        "rooms": ("heating-rooms", "Rooms"), "heating": ("heating-heating", "Heating"),
        "gas": ("heating-gas", "Gas"), "devices": ("heating-devices", "Devices")}
    for name, dashboard in dashboards.items():
        ids = [p["id"] for p in _panels(dashboard)]
        assert len(ids) == len(set(ids)), name
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                assert target["rawQuery"] and target["rawSql"].strip() and target["format"] in ("time_series", "table")


def test_radiators_open_count_stays_within_each_rooms_valves(week):
    url, _ = week
    _, rows = _single_result(url, "heating", "Radiators open per room")
    valves = {"Living room": 2, "Kitchen": 1, "Bedroom": 1, "Bathroom": 1}
    assert {row[1] for row in rows} == set(valves)
    assert all(0 <= row[2] <= valves[row[1]] for row in rows)
    assert max(row[2] for row in rows if row[1] == "Living room") == 2
