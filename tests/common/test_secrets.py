"""Services refuse to start with a secret left empty or at the example of .env.example, and say which."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import SecretError
from controller_api import create_app

ROOT = Path(__file__).resolve().parents[2]


def _example() -> dict[str, str]:
    """.env.example's values, as compose would give them to a container."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    values["HEATING_DATABASE_URL"] = f"postgresql://heating:{values['HEATING_DB_PASSWORD']}@127.0.0.1:9/heating"
    return values


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HEATING_", "GRAFANA_"))}
    return subprocess.run([sys.executable, *args], env={**clean, **env}, cwd=cwd, capture_output=True, text=True,
                          timeout=60)


API = ["-c", "from controller_api import create_app; create_app()"]


@pytest.mark.parametrize("args, names", [
    (API, ["HEATING_PASSWORD", "HEATING_SERVICE_TOKEN", "HEATING_SECRET_KEY", "HEATING_GRAFANA_DB_PASSWORD",
           "HEATING_DB_PASSWORD"]),
    (["-m", "db", "migrate"], ["HEATING_DB_PASSWORD", "HEATING_GRAFANA_DB_PASSWORD", "GRAFANA_ADMIN_PASSWORD"]),
    (["-m", "onoff", "tick", "--dry-run"], []),
])
def test_every_example_secret_is_refused_by_name(tmp_path, args, names):
    env = _example()
    if not names:  # onoff uses only the service token
        names = ["HEATING_SERVICE_TOKEN"]
    done = _run(args, env, tmp_path)
    assert done.returncode != 0
    assert "refusing to start" in done.stderr
    for name in names:
        assert f"{name} is still the example value" in done.stderr, (name, done.stderr[-2000:])


def test_the_mqtt_gateway_refuses_the_example_broker_password(tmp_path):
    env = {"HEATING_SERVICE_TOKEN": "s" * 32, "HEATING_MQTT_URL": "mqtt://heating:change-me-mqtt@127.0.0.1:9"}
    done = _run(["-m", "mqtt_gateway"], env, tmp_path)
    assert done.returncode == 2
    assert "HEATING_MQTT_PASSWORD (in HEATING_MQTT_URL) is still the example value" in done.stderr, done.stderr


@pytest.mark.parametrize("args", [API, ["-m", "onoff", "tick", "--dry-run"], ["-m", "p1_reader", "run"],
                                  ["-m", "thermostat_reader", "run"], ["-m", "mqtt_gateway"]])
def test_an_empty_or_missing_secret_is_refused_by_name(tmp_path, args):
    env = {"HEATING_SERVICE_TOKEN": "", "HEATING_PASSWORD": "a-real-household-password",
           "HEATING_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/heating", "HEATING_MIGRATE_ON_START": "false",
           "HEATING_ADVERT_SOURCE": "stream", "HEATING_ADVERT_STREAM_URL": "tcp://127.0.0.1:9"}
    done = _run(args, env, tmp_path)
    assert done.returncode != 0
    assert "HEATING_SERVICE_TOKEN is empty or not set" in done.stderr, done.stderr[-2000:]


def test_the_api_names_the_placeholder_it_was_given(database_url):
    for key, value, name in [("password", "change-me-household", "HEATING_PASSWORD"),
                             ("service_token", "CHANGE-ME", "HEATING_SERVICE_TOKEN"),
                             ("secret_key", "", "HEATING_SECRET_KEY"),
                             ("grafana_db_password", "change-me-grafana-db", "HEATING_GRAFANA_DB_PASSWORD")]:
        settings = {"database_url": database_url, "password": "household-password", "service_token": "s" * 32,
                    key: value}
        with pytest.raises(SecretError, match=name):
            create_app({"settings": settings})


def test_real_secrets_start(database_url):
    app = create_app({"settings": {"database_url": database_url, "password": "household-password",
                                   "service_token": "s" * 32, "secret_key": "k" * 32}})
    try:
        assert app.test_client().get("/api/health").status_code == 200
    finally:
        app.extensions["db_pool"].close()


def test_the_compose_file_publishes_only_the_page_by_default():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    # A service of a profile runs only when asked for (e.g. the broker Home Assistant reaches).
    published = {name: service.get("ports", []) for name, service in services.items()
                 if service.get("ports") and not service.get("profiles")}
    assert published["web"] == ["80:80"]
    assert published["api"] == ["${API_PUBLISH_ADDRESS:-127.0.0.1}:8000:8000"]
    assert published["grafana"] == ["${GRAFANA_PUBLISH_ADDRESS:-127.0.0.1}:3000:3000"]
    assert _example()["API_PUBLISH_ADDRESS"] == _example()["GRAFANA_PUBLISH_ADDRESS"] == "127.0.0.1"
    for name, ports in published.items():
        for port in ports:
            assert name == "web" or port.startswith("${") or port.startswith("127.0.0.1:"), (name, port)
