"""The whole system on one machine without Docker, against the simulated house.

``Stack`` starts, in order: a private PostgreSQL (from the machine's own
binaries, in a data directory of its own), the migrations, the simulated
house (its advertisement stream, valve bridges, boiler and P1 port), the API
(gunicorn, also serving the built page), the house's rooms and devices
entered through the API, the thermometer reader on the house's advertisement
stream, the P1 reader on its telegram port, and the control loop on the
house's bridges and boiler, and the notifier (problems to the household's
phone). ``make demo`` and the end-to-end test use it.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import requests
from psycopg import sql

from db.local_cluster import LocalCluster, free_port
from db.migrate import migrate

log = logging.getLogger("demo")

ROOT = Path(__file__).resolve().parent.parent


def _tail(path: Path, lines: int = 15) -> str:
    """The end of a child's log, so an error read in a CI transcript says why without the file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class StackError(RuntimeError):
    """A part of the stack did not start; the message names its log file."""


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent(parent: int):
    """The child's pre-exec step: SIGTERM when the demo dies, even by SIGKILL, so nothing is orphaned.

    The children run in sessions of their own (a terminal's Ctrl-C or hang-up reaches only the
    demo, which stops them in order, the control loop handing the house back first); this covers
    the demo dying without doing so.
    """
    def preexec() -> None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the demo died before prctl took effect
            os._exit(1)
    return preexec


def _port_in_use(port: int) -> bool:
    import socket
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


@dataclass
class StackConfig:
    workdir: Path = ROOT / ".demo"
    #: Simulated seconds per wall-clock second.
    speed: float = 1.0
    #: Simulated start instant; default now.
    start: datetime | None = None
    api_port: int = 8000
    password: str = "demo"
    house_file: Path | None = None
    #: Keep the database between runs (make demo) or start afresh (tests).
    fresh: bool = False
    build_page: bool = True
    strategy: str = "zoning"
    extra_env: dict[str, str] = field(default_factory=dict)
    #: The real Bluetooth path: the simulator serves BlueZ on a private D-Bus, thermostat_reader scans
    #: it with bleak and its Pi bridge drives the valves of PI_BRIDGE over it. False: the reader reads
    #: the house's advertisement stream and the simulator serves every bridge itself.
    bluez: bool = True
    #: More settings of thermostat_reader (e.g. HEATING_BRIDGE_PAUSE_SCAN) when it scans the simulated BlueZ.
    reader_env: dict[str, str] = field(default_factory=dict)
    #: A broker (mqtt://host:port): the house in Home Assistant through mqtt_gateway, and the
    #: meter's telegrams through it as dsmr-reader would publish them. None: no MQTT.
    mqtt_url: str | None = None
    mqtt_discovery_prefix: str = field(default_factory=lambda: os.environ.get("HEATING_MQTT_DISCOVERY_PREFIX")
                                       or "homeassistant")
    mqtt_base_topic: str = field(default_factory=lambda: os.environ.get("HEATING_MQTT_BASE_TOPIC") or "heating")

    @property
    def p1_topic(self) -> str:
        # Under the base topic, not dsmr-reader's own dsmr/raw: a real meter may publish there.
        return f"{self.mqtt_base_topic}/dsmr/raw"


#: The default house's bridge in the Pi's own Bluetooth range.
PI_BRIDGE = "pi"


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path


class Stack:
    def __init__(self, config: StackConfig):
        self.config = config
        self.children: list[Child] = []
        self.cluster: LocalCluster | None = None
        self.service_token = secrets.token_urlsafe(24)
        # Its own secrets, so that a .env still holding the examples does not stop the demo.
        self.secret_key = secrets.token_urlsafe(32)
        self.bridge_token = secrets.token_urlsafe(24)
        self.ports = {name: free_port() for name in ("sim_http", "bridge_pi", "bridge_esp32", "nefit", "p1")}
        self.ports["api"] = config.api_port or free_port()
        self.database_url = ""
        self.clock_env: dict[str, str] = {}
        self._lock_handle = None

    # URLs -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sim_http']}"

    @property
    def bluez_socket(self) -> Path:
        # Short and private: a unix socket path has a length limit.
        return self.config.workdir / "dbus" / "system_bus_socket"

    @property
    def bluez(self) -> bool:
        return self.config.bluez and shutil.which("dbus-daemon") is not None

    # Start and stop -----------------------------------------------------------

    def start(self) -> None:
        workdir = self.config.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(workdir, 0o755)
        self._lock_workdir()
        try:
            leftover = LocalCluster(workdir / "pgdata")
            if leftover.running():
                # Holding the folder's lock, this demo is the only one: the server is a crashed demo's.
                log.warning("the database of a demo that did not stop cleanly was still running; stopping it")
                leftover.stop()
            if self.config.fresh:
                for entry in workdir.iterdir():
                    if entry.name != "demo.lock":
                        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            (workdir / "logs").mkdir(parents=True, exist_ok=True)
            start = self.config.start or datetime.now(timezone.utc)
            self.clock_env = {
                "HEATING_CLOCK_START": start.astimezone(timezone.utc).isoformat(),
                "HEATING_CLOCK_EPOCH": repr(time.time()),
                "HEATING_CLOCK_SPEED": repr(self.config.speed),
            }
            self._start_database()
            self._build_page()
            self._start_simulator()
            self._start_api()
            self._provision()
            self._start_services()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stops every process (newest first; the control loop hands the house back first)."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop within 30 s; killing it", child.name)
                    child.process.kill()
                    child.process.wait()
        self.children.clear()
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def _lock_workdir(self) -> None:
        """One demo per folder: a second one would start a second server on the same database files.

        The lock is the kernel's, so it goes with the process that held it, however that ended.
        """
        handle = open(self.config.workdir / "demo.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise StackError(f"another demo is running from {self.config.workdir} (process {holder}): "
                             f"stop it first (Ctrl-C in its terminal, or `kill {holder}`)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_handle = handle

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def check_alive(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited with code {child.process.returncode}; "
                                 f"see {child.log_path}:\n{_tail(child.log_path)}")

    # Parts -------------------------------------------------------------------

    def _env(self, **settings: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
        env.update(self.clock_env)
        env.update({
            "HEATING_DATABASE_URL": self.database_url,
            "HEATING_SERVICE_TOKEN": self.service_token,
            "HEATING_SECRET_KEY": self.secret_key,
            "HEATING_GRAFANA_DB_PASSWORD": self.secret_key,
            # The simulated bridges take it, provisioning gives it to the API, the loop sends it.
            "HEATING_BRIDGE_TOKEN": self.bridge_token,
            "HEATING_API_URL": self.api_url,
            "HEATING_TZ": "Europe/Amsterdam",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(settings)
        env.update(self.config.extra_env)
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        log_path = self.config.workdir / "logs" / f"{name}.log"
        handle = open(log_path, "ab")
        process = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
                                   start_new_session=True, preexec_fn=_die_with_parent(os.getpid()))
        handle.close()
        child = Child(name, process, log_path)
        self.children.append(child)
        log.info("started %s (pid %d), log in %s", name, process.pid, log_path)
        return child

    def _wait_http(self, child: Child, url: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited with code {child.process.returncode}; "
                                 f"see {child.log_path}:\n{_tail(child.log_path)}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise StackError(f"{child.name} did not answer at {url} within {timeout_s:.0f} s; see {child.log_path}:\n{_tail(child.log_path)}")

    def _start_database(self) -> None:
        self.cluster = LocalCluster(self.config.workdir / "pgdata")
        self.cluster.start()
        with psycopg.connect(self.cluster.url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'heating'").fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("heating")))
        self.database_url = psycopg.conninfo.make_conninfo(self.cluster.url, dbname="heating")
        applied = migrate(self.database_url)
        log.info("database ready on port %d (%d migrations applied)", self.cluster.port, len(applied))

    def _build_page(self) -> None:
        frontend = ROOT / "frontend"
        if not self.config.build_page or (frontend / "dist" / "index.html").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            log.warning("npm not found: the page is not built; the API still runs at %s/api", self.api_url)
            return
        if not (frontend / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
        subprocess.run([npm, "run", "build"], cwd=frontend, check=True)

    def _start_simulator(self) -> None:
        args = [sys.executable, "-m", "simulator", "run",
                "--host", "127.0.0.1",
                "--http-port", str(self.ports["sim_http"]),
                *self._bridge_port_args(),
                "--nefit-port", str(self.ports["nefit"]),
                "--p1-port", str(self.ports["p1"])]
        if self.config.house_file:
            args += ["--house", str(self.config.house_file)]
        if self.bluez:
            self.bluez_socket.parent.mkdir(parents=True, exist_ok=True)
            args += ["--bluez-socket", str(self.bluez_socket), "--bluez-bridge", PI_BRIDGE]
        elif self.config.bluez:
            log.warning("dbus-daemon not found: thermostat_reader reads the house's advertisement stream instead "
                        "of scanning the simulated BlueZ")
        child = self._spawn("simulator", args, self._env())
        self._wait_http(child, f"{self.sim_url}/health")
        self._wait_http(child, f"http://127.0.0.1:{self.ports['nefit']}/api/status")

    def _bridge_port_args(self) -> list[str]:
        # The default house's bridges: the Pi's own and an ESP32 in the attic.
        return ["--bridge-port", f"pi={self.ports['bridge_pi']}",
                "--bridge-port", f"esp32-attic={self.ports['bridge_esp32']}"]

    def _start_api(self) -> None:
        port = self.ports["api"]
        deadline = time.monotonic() + 30
        # A crashed demo's API may still be stopping (its children end when it does): wait a little.
        while _port_in_use(port) and time.monotonic() < deadline:
            time.sleep(0.5)
        if _port_in_use(port):
            raise StackError(f"port {port} is in use by another program: stop it, or choose another port "
                             f"(make demo ARGS=\"--port 8080\")")
        dist = ROOT / "frontend" / "dist"
        env = self._env(HEATING_PASSWORD=self.config.password,
                        **({"HEATING_STATIC_DIR": str(dist)} if (dist / "index.html").exists() else {}))
        child = self._spawn("api", [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.ports['api']}",
                                    "--workers", "2", "--timeout", "60", "controller_api:create_app()"], env)
        self._wait_http(child, f"{self.api_url}/api/health")

    def _provision(self) -> None:
        args = [sys.executable, "-m", "simulator", "provision", "--api", self.api_url,
                "--token", self.service_token, "--bridge-host", "127.0.0.1", *self._bridge_port_args()]
        if self.config.house_file:
            args += ["--house", str(self.config.house_file)]
        if self.bluez:
            args += ["--pi-bridge", PI_BRIDGE]
        log_path = self.config.workdir / "logs" / "provision.log"
        done = subprocess.run(args, env=self._env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
        with open(log_path, "ab") as handle:
            handle.write(done.stdout)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.decode(errors="replace").splitlines()[-15:])
            raise StackError(f"entering the simulated house into the API failed; see {log_path}:\n{tail}")
        # A kept database (no --fresh) holds the last run's bridge addresses: say what was put right.
        for line in done.stdout.decode(errors="replace").splitlines():
            if line.startswith(("created ", "  ~ ")):
                log.info("house in the API: %s", line.strip())

    def _start_services(self) -> None:
        spool = self.config.workdir / "spool"
        if self.bluez:
            # The reader's real bleak code on the simulated BlueZ; its Pi bridge serves the Pi's valves.
            source = dict(HEATING_ADVERT_SOURCE="bluetooth", DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={self.bluez_socket}",
                          HEATING_BRIDGE_ENABLED="true", HEATING_BRIDGE_HOST="127.0.0.1",
                          HEATING_BRIDGE_PORT=str(self.ports["bridge_pi"]), HEATING_BRIDGE_NAME=PI_BRIDGE,
                          # The simulated adapter scans while it is connected, as many do. Pausing costs
                          # little at 1x, but at 120x every pause loses simulated minutes of readings
                          # (measured: 57 instead of 92 readings per room in two simulated hours).
                          HEATING_BRIDGE_PAUSE_SCAN="false",
                          **self.config.reader_env)
        else:
            source = dict(HEATING_ADVERT_SOURCE="stream", HEATING_ADVERT_STREAM_URL=f"{self.sim_url}/adverts",
                          HEATING_BRIDGE_ENABLED="false")
        reader = self._spawn("thermostat_reader", [sys.executable, "-m", "thermostat_reader", "run"], self._env(
            **source,
            HEATING_SPOOL_DIR=str(spool),
            HEATING_INTERVAL_S="60",
        ))
        if self.bluez:
            self._pair_valves(reader)
        meter = f"tcp://127.0.0.1:{self.ports['p1']}"
        mqtt_children = []
        if self.config.mqtt_url:
            broker = self.config.mqtt_url.rstrip("/")
            mqtt_children.append(self._spawn("dsmr_relay", [sys.executable, "-m", "demo.dsmr_relay", "--from", meter,
                                                            "--to", f"{broker}/{self.config.p1_topic}"], self._env()))
            mqtt_children.append(self._spawn("mqtt_gateway", [sys.executable, "-m", "mqtt_gateway", "run"], self._env(
                HEATING_MQTT_URL=broker,
                HEATING_MQTT_DISCOVERY_PREFIX=self.config.mqtt_discovery_prefix,
                HEATING_MQTT_BASE_TOPIC=self.config.mqtt_base_topic,
                HEATING_MQTT_PUBLISH_S="10",
            )))
            meter = f"{broker}/{self.config.p1_topic}"
        p1 = self._spawn("p1_reader", [sys.executable, "-m", "p1_reader", "run"], self._env(
            HEATING_P1_URL=meter,
            HEATING_SPOOL_DIR=str(spool),
        ))
        onoff = self._spawn("onoff", [sys.executable, "-m", "onoff", "run"], self._env(
            HEATING_NEFIT_URL=f"http://127.0.0.1:{self.ports['nefit']}",
            HEATING_STRATEGY=self.config.strategy,
            HEATING_WEATHER_URL=f"{self.sim_url}/v1/forecast",
            HEATING_SPOOL_DIR=str(spool / "onoff"),
        ))
        # Problems are evaluated, and sent to the household's notify_urls, even when nobody opens the page.
        watch = self._spawn("watch", [sys.executable, "-m", "controller_api.watch"], self._env(
            HEATING_WATCH_INTERVAL_S="60",
        ))
        time.sleep(1.0)
        for child in (reader, p1, onoff, watch, *mqtt_children):
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited at start with code {child.process.returncode}; "
                                 f"see {child.log_path}:\n{_tail(child.log_path)}")

    def _pair_valves(self, reader: Child) -> None:
        """What a household does once per valve on firmware 1.48 and later: read the PIN off its display
        (here /_sim/state) and enter it on the page (here the same API call the page makes)."""
        self._wait_http(reader, f"http://127.0.0.1:{self.ports['bridge_pi']}/health")
        headers = {"Authorization": f"Bearer {self.service_token}"}
        valves = {v["mac"].upper(): v["id"] for v in
                  requests.get(f"{self.api_url}/api/valves", timeout=10).json()["valves"]}
        shown = requests.get(f"{self.sim_url}/_sim/state", timeout=10).json()
        behind_bluez = set(shown.get("bluez", {}).get("valves", []))
        for mac, state in shown["valve_states"].items():
            if mac not in behind_bluez or state.get("pin") is None or mac not in valves:
                continue
            answer = requests.post(f"{self.api_url}/api/valves/{valves[mac]}/pair", json={"pin": state["pin"]},
                                   headers=headers, timeout=90)
            if answer.status_code != 200:
                raise StackError(f"pairing valve {mac} failed: {answer.status_code} {answer.text[:300]}; see "
                                 f"{reader.log_path}:\n{_tail(reader.log_path)}")
            log.info("paired valve %s with the Pi's bridge (PIN from its display)", mac)

    def urls(self) -> dict[str, str]:
        return {
            "page": f"{self.api_url}/",
            "api": f"{self.api_url}/api/status",
            "api docs": f"{self.api_url}/api/docs",
            "simulated house": f"{self.sim_url}/health",
            "database": self.database_url,
            **({"mqtt": f"{self.config.mqtt_url} (discovery under {self.config.mqtt_discovery_prefix}/, "
                        f"topics under {self.config.mqtt_base_topic}/)"} if self.config.mqtt_url else {}),
        }
