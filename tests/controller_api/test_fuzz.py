"""A bounded schemathesis run over /api/openapi.json, without credentials and with them: no 5xx ever.

Every operation of the document gets the same number of generated requests
(derandomised, so a run is repeatable); each answer's status must be one the
document lists for that operation, and none may be a server error. The
counts are printed (pytest -s) for the record.
"""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.controller_api.conftest import SERVICE

#: Requests per operation and pass; about 46 operations × 2 passes keeps the run near a minute.
EXAMPLES = 16


def _fuzz(app, headers: dict) -> tuple[Counter, list[str], list[str]]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    statuses: Counter = Counter()
    server_errors: list[str] = []
    undocumented: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def one(case):
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            where = f"{case.method} {case.formatted_path} {case.query or ''} {str(case.body)[:200]}"
            if response.status_code >= 500:
                server_errors.append(f"{response.status_code} {where}: {response.text[:300]}")
            documented = operation.definition.raw.get("responses", {})
            if str(response.status_code) not in documented:
                undocumented.append(f"{response.status_code} {where}")

        one()
    return statuses, server_errors, undocumented


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "service-token"])
def test_fuzzing_finds_no_server_error(app, house, signed_in):
    statuses, server_errors, undocumented = _fuzz(app, SERVICE if signed_in else {})
    print(f"\nschemathesis ({'signed in' if signed_in else 'not signed in'}): {sum(statuses.values())} requests, "
          f"statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) > 300
    assert server_errors == []
    assert sorted({u.split("  ")[0].split(" {")[0] for u in undocumented}) == []
    if not signed_in:
        assert statuses[401] > 0  # the writes were refused, not fuzzed past


def test_a_method_the_endpoint_lacks_is_a_405_naming_the_allowed_ones(client, house):
    response = client.put("/api/status", json={}, headers=SERVICE)
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    response = client.delete("/api/rooms", headers=SERVICE)
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_the_document_names_the_refusals(client):
    spec = client.get("/api/openapi.json").json
    put_schedule = spec["paths"]["/api/rooms/{room_id}/schedule"]["put"]["responses"]
    assert {"400", "401", "404", "409", "422", "503"} <= set(put_schedule)
    history = spec["paths"]["/api/rooms/{room_id}/history"]["get"]["responses"]
    assert {"404", "422", "503"} <= set(history) and "401" not in history
    assert {"401", "429"} <= set(spec["paths"]["/api/login"]["post"]["responses"])
