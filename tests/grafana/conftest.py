"""The simulated week of tests/reporting, shared with the dashboard tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))

from tests.reporting.house_week import week_database  # noqa: E402


@pytest.fixture(scope="module")
def week(pg_server_url, migrated_template):
    """(database URL, WeekTruth) of the simulated week; module-wide, as its tests only read."""
    with week_database(pg_server_url, migrated_template) as filled:
        yield filled
