"""The control loop's settings: parsed once, bad values named, rule settings reach the rules."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from onoff.settings import OnoffSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("HEATING_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_reach_the_rules():
    config = OnoffSettings().control_config()
    assert (config.min_open_s, config.min_closed_s, config.boiler_open_delay_s) == (1200, 1200, 150)
    assert config.tz == "Europe/Amsterdam"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("HEATING_MIN_OPEN_MIN", "15")
    monkeypatch.setenv("HEATING_STRATEGY", "zoning-preheat")
    monkeypatch.setenv("HEATING_TZ", "Europe/Brussels")
    settings = OnoffSettings()
    assert settings.strategy == "zoning-preheat"
    assert settings.control_config().min_open_s == 900 and settings.control_config().tz == "Europe/Brussels"


def test_empty_values_mean_unset(monkeypatch):
    monkeypatch.setenv("HEATING_NEFIT_URL", "")
    monkeypatch.setenv("HEATING_LATITUDE", "")
    settings = OnoffSettings()
    assert settings.nefit_url is None and settings.latitude is None


@pytest.mark.parametrize("name, value", [("HEATING_STRATEGY", "magic"), ("HEATING_TICK_S", "1"),
                                         ("HEATING_LATITUDE", "123"), ("HEATING_BRIDGE_TIMEOUT_S", "0")])
def test_bad_values_are_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        OnoffSettings()
    assert name.removeprefix("HEATING_").lower() in str(caught.value)
