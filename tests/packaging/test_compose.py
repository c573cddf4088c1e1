"""docker-compose.yml and the Dockerfiles, checked without a Docker engine.

Every build context, Dockerfile and COPY source exists (and is not excluded by
.dockerignore); every variable the compose file uses is in .env.example; every
HEATING_* setting there is one a service reads; and every service's command
starts here, in the development environment, against local stand-ins for the
other containers.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from db.local_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
SERVICES = COMPOSE["services"]


def _env_example_keys() -> dict[str, str]:
    keys = {}
    for line in ENV_EXAMPLE.splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            keys[match.group(1)] = match.group(2)
    return keys


def _builds():
    for name, service in SERVICES.items():
        build = service.get("build")
        if build:
            context = ROOT / build["context"]
            yield name, context, context / build.get("dockerfile", "Dockerfile")


def _ignored(context: Path, relative: str) -> bool:
    ignore = context / ".dockerignore"
    if not ignore.exists():
        return False
    excluded = False
    for pattern in ignore.read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/").removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative.split("/")[0], pattern):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("service, context, dockerfile", list(_builds()), ids=[b[0] for b in _builds()])
def test_build_context_dockerfile_and_copy_sources_exist(service, context, dockerfile):
    assert context.is_dir(), f"{service}: build context {context} missing"
    assert dockerfile.is_file(), f"{service}: {dockerfile} missing"
    text = dockerfile.read_text()
    assert re.search(r"^FROM \S+", text, re.M)
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        parts = [p for p in line.split() if not p.startswith("--")]
        if "--from=" in line:
            continue
        for source in parts[:-1]:
            assert (context / source).exists(), f"{service}: COPY source {source} missing in {context}"
            assert not _ignored(context, source), f"{service}: COPY source {source} is in .dockerignore"


def test_the_image_holds_every_package_a_service_runs():
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    for name, service in SERVICES.items():
        command = service.get("command") or []
        if service.get("image", "").startswith("home-heating") and command[:2] == ["python", "-m"]:
            assert command[2].split(".")[0] in copied, f"{name}: {command[2]} is not copied into the image"


def test_every_compose_variable_is_in_env_example():
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?::?-[^}]*)?\}", (ROOT / "docker-compose.yml").read_text()))
    documented = _env_example_keys()
    assert used, "the compose file uses no variables?"
    missing = sorted(used - set(documented))
    assert not missing, f"not in .env.example: {missing}"


def test_env_example_comments_every_key_and_marks_secrets():
    lines = ENV_EXAMPLE.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert index > 0 and lines[index - 1].startswith("#"), f"no comment above {line}"
    keys = _env_example_keys()
    for secret in ("HEATING_DB_PASSWORD", "HEATING_PASSWORD", "HEATING_SERVICE_TOKEN", "HEATING_GRAFANA_DB_PASSWORD",
                   "GRAFANA_ADMIN_PASSWORD", "NEFIT_PASSWORD"):
        assert keys[secret].startswith("change-me"), secret


def _setting_names() -> set[str]:
    from controller_api.settings import ApiSettings
    from db.settings import DatabaseSettings
    from mqtt_gateway.settings import MqttSettings
    from onoff.settings import OnoffSettings
    from p1_reader.settings import P1Settings
    from thermostat_reader.settings import ReaderSettings

    names = set()
    for settings in (ApiSettings, DatabaseSettings, MqttSettings, OnoffSettings, P1Settings, ReaderSettings):
        names |= {f"HEATING_{field.upper()}" for field in settings.model_fields}
    return names


def test_every_heating_setting_in_env_example_is_read_by_a_service():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    known = _setting_names()
    for key in _env_example_keys():
        if key.startswith("HEATING_") and "${" + key + "}" not in compose_text:
            assert key in known, f"{key} in .env.example is read by no service"


def test_services_restart_and_database_is_healthchecked():
    for name, service in SERVICES.items():
        if service.get("restart") != "no":
            assert service.get("restart", "unless-stopped") == "unless-stopped" or "<<" in str(service), name
    assert "healthcheck" in SERVICES["db"]
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "--wait" in SERVICES["migrate"]["command"]
    for volume in ("pgdata", "grafana", "state"):
        assert volume in COMPOSE["volumes"]
    assert set(SERVICES["simulator"]["profiles"]) == {"demo"}



def _build_key(service: dict) -> tuple:
    build = service.get("build") or {}
    return (build.get("context"), build.get("dockerfile", "Dockerfile"),
            tuple(sorted((build.get("args") or {}).items())))


def test_one_tag_is_one_build():
    """Two services that tag the same image must build it alike, or whichever builds last wins."""
    builds: dict[str, set] = {}
    for name, service in SERVICES.items():
        if service.get("build"):
            builds.setdefault(service["image"], set()).add(_build_key(service))
    clashing = {image: keys for image, keys in builds.items() if len(keys) > 1}
    assert not clashing, clashing
    assert SERVICES["simulator"]["image"] != SERVICES["provision"]["image"]
    assert SERVICES["simulator"]["build"]["args"]["EXTRAS"] == "sim"


def test_serial_reader_may_open_the_port():
    """/dev/ttyUSB* is root:dialout on Raspberry Pi OS and Debian; the services run as user heating."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER heating$", dockerfile, re.M)
    assert re.search(r"useradd [^\n]*--groups dialout", dockerfile)
    service = SERVICES["p1_reader_serial"]
    assert service["devices"] and "dialout" in service["group_add"]


# Each command, started here -------------------------------------------------

class Stand_ins:
    """Local processes standing in for the containers a command talks to."""

    def __init__(self, database_url: str, api_url: str, token: str):
        self.database_url = database_url
        self.api_url = api_url
        self.token = token
        self.ports: dict[str, int] = {}

    def port(self, container_port: str) -> str:
        return str(self.ports.setdefault(container_port, free_port()))

    def translate(self, command: list[str]) -> list[str]:
        """The container's command for this machine: local interpreter, hosts and ports."""
        executable = {"python": sys.executable,
                      "gunicorn": str(Path(sys.executable).with_name("gunicorn"))}
        out = [executable.get(command[0], command[0])]
        for previous, arg in zip(command, command[1:]):
            arg = arg.replace("http://api:8000", self.api_url).replace("${HEATING_SERVICE_TOKEN}", self.token)
            arg = re.sub(r"\b0\.0\.0\.0:(\d+)\b", lambda m: f"127.0.0.1:{self.port(m.group(1))}", arg)
            arg = arg.replace("0.0.0.0", "127.0.0.1")
            if previous in ("--host", "--bridge-host") and arg == "simulator":
                arg = "127.0.0.1"
            arg = re.sub(r"^(\w[\w-]*)=(\d{4})$", lambda m: f"{m.group(1)}={self.port(m.group(2))}", arg)
            if re.fullmatch(r"\d{4}", arg):
                arg = self.port(arg)
            out.append(arg)
        return out

    def env(self, name: str, service: dict) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
        env.update({"HEATING_DATABASE_URL": self.database_url, "HEATING_API_URL": self.api_url,
                    "HEATING_SERVICE_TOKEN": self.token, "HEATING_MIGRATE_ON_START": "true",
                    # What .env gives every container (the services refuse to start without it).
                    "HEATING_PASSWORD": "compose-test-household-password",
                    "HEATING_BRIDGE_TOKEN": "compose-test-bridge-token-0123"})
        for key, value in (service.get("environment") or {}).items():
            if not key.startswith("HEATING_") or key in ("HEATING_DATABASE_URL", "HEATING_API_URL"):
                continue
            value = str(value).replace("http://api:8000", self.api_url)
            value = re.sub(r"//(simulator|nefit):(\d+)", lambda m: f"//127.0.0.1:{self.port(m.group(2))}", value)
            value = re.sub(r"tcp://simulator:(\d+)", lambda m: f"tcp://127.0.0.1:{self.port(m.group(1))}", value)
            if value.startswith("/var/lib/heating"):
                value = str(Path(os.environ.get("TMPDIR", "/tmp")) / "heating-compose-test" / value.lstrip("/"))
            if "${" in value:
                # From the user's .env; here a local stand-in (never the LAN address of the example).
                value = {"HEATING_P1_URL": f"tcp://127.0.0.1:{self.port('2001')}",
                         "HEATING_MQTT_URL": f"mqtt://127.0.0.1:{self.port('1883')}"}[key]
            env[key] = value
        env["HEATING_BRIDGE_PORT"] = self.port("8091")
        # Each container has a spool of its own; two services never share one.
        env["HEATING_SPOOL_DIR"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "heating-compose-test" / name)
        return env


ONE_SHOT = {"migrate", "provision"}
# Needs hardware this machine does not have: the Pi's Bluetooth, a P1 cable.
HARDWARE = {"thermostat_reader", "p1_reader_serial"}
NOT_PYTHON = {"db", "web", "grafana", "nefit", "mosquitto", "backup"}
ORDER = ["migrate", "api", "watch", "simulator", "provision", "onoff", "p1_reader", "thermostat_reader_demo",
         "p1_reader_demo", "thermostat_reader", "p1_reader_serial", "mqtt_gateway"]


def test_order_covers_every_python_service():
    assert set(ORDER) == set(SERVICES) - NOT_PYTHON


@pytest.fixture(scope="module")
def started(pg_server_url, migrated_template):
    """Every Python service's command, started in order; yields name → (process or return code, log)."""
    from tests.conftest import SERVICE_TOKEN, _create_database, _drop_database
    from tests.mosquitto import Mosquitto

    name, url = _create_database(pg_server_url)
    api_port = free_port()
    stand_ins = Stand_ins(url, f"http://127.0.0.1:{api_port}", SERVICE_TOKEN)
    stand_ins.ports["8000"] = api_port
    broker = Mosquitto().start()  # the household's broker
    stand_ins.ports["1883"] = broker.port
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / "heating-compose-test" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple] = {}
    running: list[subprocess.Popen] = []
    try:
        for service_name in ORDER:
            service = SERVICES[service_name]
            command = stand_ins.translate(service["command"])
            env = stand_ins.env(service_name, service)
            if service_name in HARDWARE:
                env["HEATING_ADVERT_SOURCE"] = "stream"
                env["HEATING_ADVERT_STREAM_URL"] = f"http://127.0.0.1:{stand_ins.port('8090')}/adverts"
                env["HEATING_P1_URL"] = f"tcp://127.0.0.1:{stand_ins.port('2001')}"
            log_path = logs / f"{service_name}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                           start_new_session=True)
            if service_name in ONE_SHOT:
                results[service_name] = (process.wait(timeout=120), log_path)
                continue
            running.append(process)
            if service_name == "api":
                _wait_for(f"{stand_ins.api_url}/api/health", process, log_path)
            elif service_name == "simulator":
                _wait_for(f"http://127.0.0.1:{stand_ins.port('8090')}/health", process, log_path)
            results[service_name] = (process, log_path)
        time.sleep(3)
        yield results
    finally:
        for process in reversed(running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        _drop_database(pg_server_url, name)
        broker.close()
        shutil.rmtree(logs.parent, ignore_errors=True)


def _wait_for(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()[-3000:]
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer; {log_path.read_text()[-3000:]}")


@pytest.mark.parametrize("service", ORDER)
def test_service_command_starts(started, service):
    outcome, log_path = started[service]
    if service in ONE_SHOT:
        assert outcome == 0, log_path.read_text()[-3000:]
    else:
        assert outcome.poll() is None, f"{service} exited with {outcome.returncode}: {log_path.read_text()[-3000:]}"


def test_onoff_is_healthchecked_and_a_stuck_loop_gets_restarted():
    onoff = SERVICES["onoff"]
    # Docker only marks a container unhealthy; the check kills a stuck loop so that `restart` acts, and
    # without an init process onoff would be PID 1, which ignores that SIGKILL.
    assert onoff["healthcheck"]["test"][1:] == ["python", "-m", "onoff", "health", "--kill-stuck"]
    assert onoff["init"] is True
    assert onoff.get("restart", COMPOSE["x-python"]["restart"]) == "unless-stopped"


def test_onoff_healthcheck_passes_against_the_running_loop(started):
    process, log_path = started["onoff"]
    assert process.poll() is None, log_path.read_text()[-3000:]
    check = SERVICES["onoff"]["healthcheck"]["test"]
    assert check[0] == "CMD"
    # The container's environment, so the check finds the heartbeat where the loop writes it.
    env = Stand_ins("", "", "").env("onoff", SERVICES["onoff"])
    done = subprocess.run(Stand_ins("", "", "").translate(check[1:]), env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr + log_path.read_text()[-3000:]
    assert "healthy" in done.stdout
    assert process.poll() is None



def test_backup_service_runs_the_tested_script_against_the_database():
    """tests/db/test_backup_restore.py runs docker/backup/heating-backup; this is the service that runs it."""
    service = SERVICES["backup"]
    assert service["image"] == SERVICES["db"]["image"], "pg_dump must be the server's own version"
    assert service["entrypoint"][-1] == "/usr/local/bin/heating-backup" and service["command"] == ["schedule"]
    assert "./docker/backup/heating-backup:/usr/local/bin/heating-backup:ro" in service["volumes"]
    assert service["environment"]["PGHOST"] == "db" and service["depends_on"]["db"]["condition"] == "service_healthy"
    readme = (ROOT / "README.md").read_text()
    assert "docker compose run --rm backup once" in readme
    assert "docker compose run --rm backup restore /backups/" in readme
