"""`make compose-check`: docker-compose.yml built and run in containers, and checked against them.

Builds every image of docker-compose.yml and brings the stack up with the demo profile (the
simulated house in place of the hardware), then checks against the containers: readings for every
room, valves driven, the boiler firing, the page served by nginx with /api proxied, Grafana's
provisioning, a container killed and brought back by its restart policy with control resuming,
and a backup taken with the documented command, restored into fresh volumes, and the stack
started from it with the data intact.

The engine is podman (Debian's package) where no Docker engine runs. podman as packaged in
Debian 12 has no compose and runs health checks only from systemd timers, so this runs the compose
file's services itself, in its order, with its conditions (a health check is run until it passes),
restart policies, networks, aliases and volumes. Where no image registry can be reached, the
images the Dockerfiles start FROM are built from Debian's packages first (docker/base/README.md).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "compose"
BASE = ROOT / "docker" / "base"
PROJECT = "heating-check"
NICE = ["nice", "-n", "10"]
#: The images docker-compose.yml and its Dockerfiles name, and how to build each here.
BASE_IMAGES = {
    "docker.io/library/python:3.12-slim-bookworm": "python.Containerfile",
    "docker.io/library/postgres:16-bookworm": "postgres.Containerfile",
    "docker.io/library/node:20-bookworm-slim": "node.Containerfile",
    "docker.io/library/node:20-alpine": "node.Containerfile",
    "docker.io/library/nginx:1.29-alpine": "nginx.Containerfile",
}
SPEED = 30.0
started_at = time.monotonic()


LOG = CACHE / "compose-check.log"


def say(message: str) -> None:
    line = f"[{time.monotonic() - started_at:6.0f} s] {message}"
    print(line, flush=True)
    with open(LOG, "a") as log:  # kept for the record after the run: the last run's output
        log.write(line + "\n")


class CheckFailed(RuntimeError):
    pass


# The engine ----------------------------------------------------------------------------------------

class Engine:
    def __init__(self) -> None:
        docker = shutil.which("docker")
        if docker and subprocess.run([docker, "info"], capture_output=True).returncode == 0:
            self.name, self.base = "docker", [docker]
        elif shutil.which("podman"):
            CACHE.mkdir(parents=True, exist_ok=True)
            conf = CACHE / "containers.conf"
            # No systemd here: cgroupfs; ulimits as the host's; runc (Debian's crun is older).
            conf.write_text('[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n'
                            'events_logger = "file"\nruntime = "runc"\n')
            registries = CACHE / "registries.conf"
            registries.write_text('unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n')
            os.environ["CONTAINERS_CONF"] = str(conf)
            os.environ["CONTAINERS_REGISTRIES_CONF"] = str(registries)
            self.name, self.base = "podman", ["podman", "--cgroup-manager=cgroupfs", "--runtime", "runc"]
        else:
            raise CheckFailed("neither a Docker engine nor podman: `apt-get install podman` (.ci/run does)")

    def run(self, *args: str, check: bool = True, capture: bool = True, timeout: float = 1800,
            quiet: bool = False) -> subprocess.CompletedProcess:
        command = [*self.base, *args]
        done = subprocess.run(command, capture_output=capture, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise CheckFailed(f"{' '.join(command[:8])}… failed ({done.returncode}):\n"
                              f"{(done.stderr or '')[-3000:]}{(done.stdout or '')[-2000:] if not quiet else ''}")
        return done

    def build(self, tag: str, dockerfile: Path, context: Path, args: dict[str, str] | None = None,
              labels: dict[str, str] | None = None) -> None:
        command = [*NICE, *self.base, "build", "--network", "host", "-t", tag, "-f", str(dockerfile)]
        if self.name == "podman":
            command += ["--pull=never"]
        for key, value in (args or {}).items():
            command += ["--build-arg", f"{key}={value}"]
        for key, value in (labels or {}).items():
            command += ["--label", f"{key}={value}"]
        log = CACHE / "logs" / f"build-{re.sub(r'[^a-z0-9]+', '-', tag)}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            done = subprocess.run([*command, str(context)], stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise CheckFailed(f"building {tag} failed; see {log}:\n{log.read_text()[-3000:]}")

    def exists(self, image: str) -> bool:
        return self.run("image", "inspect", image, check=False).returncode == 0

    def label(self, image: str, key: str) -> str | None:
        done = self.run("image", "inspect", "--format", "{{json .Labels}}", image, check=False)
        if done.returncode != 0:
            return None
        return (json.loads(done.stdout.strip() or "null") or {}).get(key)


# Base images and wheelhouse ------------------------------------------------------------------------

def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def wheelhouse() -> Path:
    wheels = CACHE / "wheels"
    stamp = wheels / f".for-{_digest(ROOT / 'pyproject.toml')}"
    if not stamp.exists():
        say("wheelhouse: pip download of the project's packages (kept in .cache/compose/wheels)")
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run([*NICE, sys.executable, "-m", "pip", "download", "-q", "--dest", str(wheels),
                        f"{ROOT}[sim,node]", "setuptools==80.9.0", "wheel"], check=True)
        stamp.touch()
    return wheels


def debian_tree(engine: Engine) -> None:
    if engine.exists("localhost/heating-debian:bookworm"):
        return
    tarball = CACHE / "debian-bookworm.tar"
    if not tarball.exists():
        tree = CACHE / "rootfs-bookworm"
        if not (tree / "etc" / "debian_version").exists():
            say("debootstrap of Debian 12 (kept in .cache/compose)")
            shutil.rmtree(tree, ignore_errors=True)
            subprocess.run([*NICE, "debootstrap", "--variant=minbase", "--include=ca-certificates", "bookworm",
                            str(tree), "http://deb.debian.org/debian"], check=True, capture_output=True)
        subprocess.run(["tar", "-C", str(tree), "-cf", str(tarball), "."], check=True)
    engine.run("import", str(tarball), "localhost/heating-debian:bookworm")


def base_images(engine: Engine) -> None:
    """The images the Dockerfiles start FROM: pulled where a registry answers, else built from Debian."""
    missing = [image for image in BASE_IMAGES if not _base_current(engine, image)]
    if not missing:
        return
    if engine.name == "docker" and all(engine.run("pull", image, check=False).returncode == 0 for image in missing):
        return
    if not shutil.which("debootstrap"):
        raise CheckFailed("no registry for the base images and no debootstrap: `apt-get install debootstrap`")
    debian_tree(engine)
    wheels = wheelhouse()
    context = CACHE / "base-context"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(BASE, context)
    shutil.copytree(wheels, context / "wheels")
    # The host's own certificate authorities (a proxy's, say): npm in the builds goes out as the host does.
    local_ca = Path("/usr/local/share/ca-certificates")
    shutil.copytree(local_ca, context / "ca") if local_ca.is_dir() else (context / "ca").mkdir()
    python = "docker.io/library/python:3.12-slim-bookworm"
    ordered = [python, *[image for image in BASE_IMAGES if image != python]]
    for image in ordered:
        if image not in missing and image != python:
            continue
        containerfile = context / BASE_IMAGES[image]
        say(f"base image {image} from Debian's packages ({BASE_IMAGES[image]})")
        engine.build(image, containerfile, context, labels={"heating.base": _base_digest(image)})
        if image == python:
            engine.run("tag", python, "localhost/heating-python-base:bookworm")


def _base_digest(image: str) -> str:
    return _digest(BASE / BASE_IMAGES[image], *sorted(BASE.glob("*.sh")), ROOT / "pyproject.toml",
                   *sorted(Path("/usr/local/share/ca-certificates").glob("*.crt")))


def _base_current(engine: Engine, image: str) -> bool:
    label = engine.label(image, "heating.base")
    if label is None:
        return engine.exists(image)  # pulled from a registry: no label, and current as pulled
    return label == _base_digest(image)


# The compose file ----------------------------------------------------------------------------------

def load_compose(env: dict[str, str]) -> dict:
    text = (ROOT / "docker-compose.yml").read_text()

    def interpolate(match: re.Match) -> str:
        name, default = match.group(1), match.group(3)
        return env.get(name, default if default is not None else "")

    return yaml.safe_load(re.sub(r"\$\{([A-Z][A-Z0-9_]*)(:?-([^}]*))?\}", interpolate, text))


def check_env() -> dict[str, str]:
    """The installation's .env for the check: the example's values, secrets made up, the demo profile."""
    env: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            key, value = match.groups()
            env[key] = secrets.token_hex(8) if value.startswith("change-me") else value
    env["COMPOSE_PROFILES"] = "demo"
    env["HEATING_PASSWORD"] = "check"
    # One clock for every container, SPEED times real time, from a cold Monday morning.
    env["HEATING_CLOCK_START"] = "2027-01-11T04:00:00+01:00"
    env["HEATING_CLOCK_EPOCH"] = repr(time.time())
    env["HEATING_CLOCK_SPEED"] = repr(SPEED)
    return env


not_built: list[str] = []


def build_images(engine: Engine, compose: dict) -> list[str]:
    built: dict[str, tuple] = {}
    for name, service in compose["services"].items():
        build = service.get("build")
        if not build:
            continue
        image = service["image"]
        key = (build["context"], build.get("dockerfile", "Dockerfile"), tuple(sorted((build.get("args") or {}).items())))
        if image in built:
            if built[image] != key:
                raise CheckFailed(f"{image} is built two ways ({name}): whichever builds last wins")
            continue
        built[image] = key
        say(f"building {image} ({name})")
        context = ROOT / build["context"]
        try:
            engine.build(image, context / build.get("dockerfile", "Dockerfile"), context, args=build.get("args"))
        except CheckFailed as exc:
            if "demo" in (service.get("profiles") or ["demo"]):
                raise
            # Not part of the stack checked here (hardware only): said loudly, not hidden.
            reason = next((line for line in str(exc).splitlines() if "error" in line.lower()), str(exc)[:200])
            say(f"NOT BUILT: {image} (profile {','.join(service['profiles'])}): {reason.strip()}")
            not_built.append(image)
            del built[image]
    return list(built)


class Stack:
    """The compose file's services, run in containers as compose would run them."""

    def __init__(self, engine: Engine, compose: dict, env: dict[str, str], suffix: str):
        self.engine, self.compose, self.env = engine, compose, env
        self.project = f"{PROJECT}-{suffix}"
        self.network = PROJECT
        self.backups = CACHE / "backups"
        self.env_file = CACHE / f"{self.project}.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        self.ports: dict[str, int] = {}
        self.services = {name: service for name, service in compose["services"].items()
                         if not service.get("profiles") or "demo" in service["profiles"]}
        self.started: list[str] = []
        #: Started only when asked for by name.
        self.held: set[str] = set()

    def container(self, service: str) -> str:
        return f"{self.project}-{service}"

    def order(self) -> list[str]:
        done: list[str] = []

        def visit(name: str) -> None:
            if name in done:
                return
            for dependency in depends_on(self.services[name]):
                visit(dependency)
            done.append(name)
        for name in self.services:
            if name not in self.held:
                visit(name)
        return done

    def _run_args(self, name: str, service: dict, command: list[str] | None = None, one_off: bool = False) -> list[str]:
        args = ["--network", self.network, "--network-alias", name]
        for alias in ((service.get("networks") or {}).get("default") or {}).get("aliases", []):
            args += ["--network-alias", alias]
        if not one_off:
            args += ["-d", "--name", self.container(name), "--restart", str(service.get("restart", "no"))]
        else:
            args += ["--rm"]
        if "env_file" in service:
            args += ["--env-file", str(self.env_file)]
        for key, value in (service.get("environment") or {}).items():
            args += ["-e", f"{key}={value}"]
        for volume in service.get("volumes") or []:
            source, _, target = volume.partition(":")
            if source.startswith("./backups"):
                self.backups.mkdir(parents=True, exist_ok=True)  # compose creates a missing bind source
                source = str(self.backups)
            elif source.startswith("./"):
                source = str(ROOT / source[2:])
            else:
                source = f"{self.project}-{source}"
            args += ["-v", f"{source}:{target}"]
        for port in service.get("ports") or []:
            container_port = str(port).split(":")[-1]
            self.ports[name] = free_port()
            args += ["-p", f"127.0.0.1:{self.ports[name]}:{container_port}"]
        for group in service.get("group_add") or []:
            args += ["--group-add", group]
        if service.get("init"):
            args += ["--init"]
        if "stop_grace_period" in service:
            args += ["--stop-timeout", str(int(str(service["stop_grace_period"]).rstrip("s")))]
        health = service.get("healthcheck")
        if health:
            test = health["test"]
            args += ["--health-cmd", test[1] if test[0] == "CMD-SHELL" else json.dumps(test[1:])]
            if self.engine.name == "podman":
                # podman would run it from a systemd timer, and there is no systemd: run on demand.
                args += ["--health-interval", "disable"]
        if "entrypoint" in service:
            args += ["--entrypoint", json.dumps(service["entrypoint"])]
        args.append(service["image"])
        args += command if command is not None else (service.get("command") or [])
        return args

    def up(self, services: list[str] | None = None) -> None:
        self.engine.run("network", "create", self.network, check=False)
        for name in services or self.order():
            if name in self.started or name not in self.services:
                continue
            service = self.services[name]
            if self.engine.name == "podman" and not self.engine.exists(service["image"]):
                raise CheckFailed(f"{name}: no image {service['image']}")
            for dependency, condition in depends_on(service).items():
                self.wait_for(dependency, condition)
            self.engine.run("run", *self._run_args(name, service))
            self.started.append(name)
            say(f"  started {name}")

    def hold(self, name: str) -> None:
        self.held.add(name)

    def wait_for(self, name: str, condition: str, timeout_s: float = 300) -> None:
        if name not in self.started:
            self.up([name])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition == "service_completed_successfully":
                state = self.state(name)
                if state["Status"] == "exited":
                    if state["ExitCode"] != 0:
                        raise CheckFailed(f"{name} exited with {state['ExitCode']}:\n{self.logs(name)}")
                    return
            elif condition == "service_healthy":
                if self.engine.run("healthcheck", "run", self.container(name), check=False).returncode == 0 \
                        if self.engine.name == "podman" else self.state(name).get("Health", {}).get("Status") == "healthy":
                    return
            else:
                return
            time.sleep(2)
        raise CheckFailed(f"{name} not {condition} within {timeout_s:.0f} s:\n{self.logs(name)}")

    def state(self, name: str) -> dict:
        done = self.engine.run("inspect", "--format", "{{json .State}}", self.container(name))
        return json.loads(done.stdout)

    def restarts(self, name: str) -> int:
        done = self.engine.run("inspect", "--format", "{{.RestartCount}}", self.container(name))
        return int(done.stdout.strip() or 0)

    def logs(self, name: str, lines: int = 30) -> str:
        done = self.engine.run("logs", "--tail", str(lines), self.container(name), check=False)
        return (done.stdout or "") + (done.stderr or "")

    def one_off(self, name: str, command: list[str]) -> subprocess.CompletedProcess:
        """`docker compose run --rm NAME COMMAND`."""
        return self.engine.run("run", *self._run_args(name, self.services[name], command, one_off=True), check=False)

    def sql(self, query: str) -> list[list[str]]:
        done = self.engine.run("exec", self.container("db"), "psql", "-X", "-At", "-F", "\t", "-U", "heating",
                               "-d", "heating", "-c", query)
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def down(self, volumes: bool = True, network: bool = True) -> None:
        for name in reversed(self.started):
            self.engine.run("rm", "-f", "-t", "20", self.container(name), check=False)
        self.started.clear()
        if network:
            self.engine.run("network", "rm", "-f", self.network, check=False)
        if volumes:
            for volume in self.compose.get("volumes") or {}:
                self.engine.run("volume", "rm", "-f", f"{self.project}-{volume}", check=False)


def depends_on(service: dict) -> dict[str, str]:
    """A service's dependencies and their conditions, from either of compose's two spellings."""
    given = service.get("depends_on") or {}
    if isinstance(given, list):
        return {name: "service_started" for name in given}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in given.items()}


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, timeout: float = 10) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode(errors="replace")


def until(what: str, probe, timeout_s: float, every_s: float = 5):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, CheckFailed) as exc:
            last = exc
        time.sleep(every_s)
    raise CheckFailed(f"{what}: not within {timeout_s:.0f} s (last: {last!r})")


# The checks ----------------------------------------------------------------------------------------

def check_house(stack: Stack) -> dict[str, str]:
    rooms = int(stack.sql("SELECT count(*) FROM rooms")[0][0])

    def every_room_read():
        rows = stack.sql("SELECT r.name, count(x.time) FROM rooms r LEFT JOIN readings x ON x.room_id = r.id "
                         "GROUP BY r.name HAVING count(x.time) = 0")
        return not rows and rooms > 0

    until("a reading for every room", every_room_read, 600)
    valves = until("valves driven (a valve reported a move)", lambda: int(stack.sql(
        "SELECT count(DISTINCT valve_id) FROM valve_states WHERE state IN ('open', 'closed', 'target')")[0][0]), 600)
    until("the boiler firing", lambda: int(stack.sql(
        "SELECT count(*) FROM boiler_states WHERE heat_demand AND indicator = 'central heating'")[0][0]), 600)
    readings = stack.sql("SELECT count(*) FROM readings")[0][0]
    return {"rooms": str(rooms), "readings": readings, "valves driven": str(valves)}


def check_page(stack: Stack) -> None:
    web = f"http://127.0.0.1:{stack.ports['web']}"
    status, kind, body = until("the page from nginx", lambda: (r := http(f"{web}/")) and r[0] == 200 and r, 120, 2)
    if "text/html" not in kind or '<div id="app"' not in body:
        raise CheckFailed(f"nginx's / is not the page: {kind} {body[:200]!r}")
    status, kind, body = http(f"{web}/api/health")
    if status != 200 or "json" not in kind:
        raise CheckFailed(f"/api through nginx: {status} {kind} {body[:200]!r}")
    asset = re.search(r'src="(/assets/[^"]+\.js)"', body_of(web))
    if asset and http(f"{web}{asset.group(1)}")[0] != 200:
        raise CheckFailed(f"the page's script {asset.group(1)} is not served")


def body_of(url: str) -> str:
    return http(f"{url}/")[2]


def check_grafana(engine: Engine, stack: Stack) -> str:
    image = stack.services["grafana"]["image"]
    if engine.exists(image):
        stack.up(["grafana"])
        port = stack.ports["grafana"]
        until("Grafana's provisioned dashboards", lambda: "Heating" in http(
            f"http://admin:{stack.env['GRAFANA_ADMIN_PASSWORD']}@127.0.0.1:{port}/api/search")[2], 180)
        return "loaded in Grafana"
    # No image to be had: the provisioning is validated as Grafana would read it.
    provisioning = ROOT / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "heating.yaml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    for source in sources["datasources"]:
        for value in re.findall(r"\$\{?(\w+)\}?", json.dumps(source)):
            if value not in stack.services["grafana"]["environment"]:
                raise CheckFailed(f"the datasource uses ${value}, which the grafana service does not set")
    providers = yaml.safe_load((provisioning / "dashboards" / "heating.yaml").read_text())
    dashboards = 0
    for provider in providers["providers"]:
        mounted = {target: source for source, _, target in
                   (v.rpartition(":ro")[0].partition(":") for v in stack.services["grafana"]["volumes"] if ":ro" in v)}
        folder = mounted.get(provider["options"]["path"])
        if folder is None:
            raise CheckFailed(f"dashboards path {provider['options']['path']} is not mounted into grafana")
        for path in sorted((ROOT / folder).glob("*.json")):
            dashboard = json.loads(path.read_text())
            used = set(re.findall(r'"uid":\s*"([^"$]+)"', json.dumps([p.get("datasource") for p in _panels(dashboard)])))
            if used - uids:
                raise CheckFailed(f"{path.name} uses datasources {used - uids} that are not provisioned")
            dashboards += 1
    # The read-only role Grafana logs in with, against the running database.
    password = stack.env["HEATING_GRAFANA_DB_PASSWORD"]
    done = engine.run("exec", "-e", f"PGPASSWORD={password}", stack.container("db"), "psql", "-X", "-At", "-h",
                      "127.0.0.1", "-U", "heating_grafana", "-d", "heating", "-c", "SELECT count(*) FROM readings")
    return (f"no Grafana image here: provisioning validated ({len(uids)} datasource, {dashboards} dashboards), "
            f"its role reads {done.stdout.strip()} readings")


def _panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found += panel.get("panels", [])
    return found


def check_restart(engine: Engine, stack: Stack) -> str:
    before = stack.restarts("onoff")
    decisions = int(stack.sql("SELECT coalesce(max(id), 0) FROM decisions")[0][0])
    pid = engine.run("inspect", "--format", "{{.State.Pid}}", stack.container("onoff")).stdout.strip()
    os.kill(int(pid), 9)
    say(f"  killed onoff (pid {pid}, SIGKILL)")
    until("onoff brought back by its restart policy",
          lambda: stack.restarts("onoff") > before and stack.state("onoff")["Status"] == "running", 180, 2)
    until("control resuming after the restart", lambda: int(stack.sql(
        f"SELECT count(*) FROM decisions WHERE id > {decisions}")[0][0]) > 0, 300)
    return f"onoff restarted {stack.restarts('onoff') - before}× by `restart: {stack.services['onoff']['restart']}`"


def check_backup_restore(engine: Engine, compose: dict, env: dict[str, str], stack: Stack,
                         stacks: list[Stack]) -> str:
    shutil.rmtree(stack.backups, ignore_errors=True)
    stack.backups.mkdir(parents=True)
    done = stack.one_off("backup", ["once"])  # docker compose run --rm backup once
    if done.returncode != 0:
        raise CheckFailed(f"the backup failed:\n{done.stderr}")
    (backup,) = stack.backups.glob("heating-*.sql.gz")
    counts = {table: stack.sql(f"SELECT count(*) FROM {table}")[0][0]
              for table in ("rooms", "readings", "valve_states", "boiler_states", "decisions")}
    stack.down(volumes=True, network=False)
    say(f"  backup {backup.name} ({backup.stat().st_size} bytes) taken; the stack and its volumes removed")

    fresh = Stack(engine, compose, env, "restored")
    stacks.append(fresh)  # removed at the end, however the check ends
    fresh.down(network=False)
    if not engine.exists(compose["services"]["grafana"]["image"]):
        fresh.hold("grafana")
    fresh.backups = stack.backups
    fresh.up(["db"])
    fresh.wait_for("db", "service_healthy")
    done = fresh.one_off("backup", ["restore", f"/backups/{backup.name}"])
    if done.returncode != 0:
        raise CheckFailed(f"the restore failed:\n{done.stderr}")
    fresh.up()
    fresh.wait_for("api", "service_healthy")
    after = {table: fresh.sql(f"SELECT count(*) FROM {table}")[0][0] for table in counts}
    short = {table: (counts[table], after[table]) for table in counts if int(after[table]) < int(counts[table])}
    if short:
        raise CheckFailed(f"data lost in the restore: {short}")
    readings_before = int(after["readings"])
    until("readings going on after the restore",
          lambda: int(fresh.sql("SELECT count(*) FROM readings")[0][0]) > readings_before, 300)
    return f"restored into fresh volumes: {counts} all there, and readings go on"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="compose-check", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the stack running at the end")
    args = parser.parse_args(argv)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text(f"compose-check {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    engine = Engine()
    say(f"engine: {engine.name}")
    stacks: list[Stack] = []
    try:
        base_images(engine)
        env = check_env()
        compose = load_compose(env)
        images = build_images(engine, compose)
        say(f"built {len(images)} images: {', '.join(images)}")
        stack = Stack(engine, compose, env, "live")
        stacks.append(stack)
        stack.down()
        stack.hold("grafana")  # started in check_grafana, where its image can be had
        stack.up()
        results = {"house": check_house(stack)}
        say(f"ok: readings for every room, valves driven, the boiler firing: {results['house']}")
        check_page(stack)
        say("ok: the page served by nginx, /api proxied to the API")
        say(f"ok: Grafana: {check_grafana(engine, stack)}")
        say(f"ok: {check_restart(engine, stack)}; control resumed")
        said = check_backup_restore(engine, compose, env, stack, stacks)
        say(f"ok: {said}")
        say("compose-check passed" + (f" (not built: {', '.join(not_built)}; see above)" if not_built else ""))
        return 0
    except CheckFailed as exc:
        say(f"compose-check FAILED: {exc}")
        return 1
    finally:
        if not args.keep:
            for stack in stacks:
                stack.down()


if __name__ == "__main__":
    sys.exit(main())
