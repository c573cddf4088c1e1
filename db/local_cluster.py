"""A private PostgreSQL cluster started from the machine's own binaries.

Used by the test suite when no TEST_DATABASE_URL is given and by ``make demo``
so neither needs a system database or Docker. PostgreSQL refuses to run as
root, so under root the cluster runs as the unprivileged user ``nobody``.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path


class ClusterError(RuntimeError):
    pass


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [str(Path(p).parent) for p in filter(None, [shutil.which("initdb")])]
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    """initdb (once), start, stop; ``url`` connects as the superuser ``postgres``."""

    def __init__(self, datadir: Path, port: int | None = None, bindir: Path | None = None):
        self.datadir = Path(datadir).resolve()
        self.port = port or free_port()
        self.bindir = bindir or find_bindir()
        if self.bindir is None:
            raise ClusterError("PostgreSQL binaries (initdb, pg_ctl) not found")
        self._run_as = None
        if os.geteuid() == 0:
            self._run_as = pwd.getpwnam("nobody")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        kwargs = {}
        if self._run_as is not None:
            kwargs = {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}
        result = subprocess.run(args, capture_output=True, text=True, check=False, cwd="/", **kwargs)
        if result.returncode != 0:
            raise ClusterError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def _own(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def init(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.datadir.chmod(0o700)
        self._own(self.datadir)
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")

    def start(self) -> None:
        self.init()
        log = self.datadir / "server.log"
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(log),
                  "-o", options, "-w", "-t", "60", "start")

    def running(self) -> bool:
        """A server runs on this data directory (maybe one a crashed process left behind)."""
        if not (self.datadir / "postmaster.pid").exists():
            return False
        kwargs = {}
        if self._run_as is not None:
            kwargs = {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}
        status = subprocess.run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "status"],
                                capture_output=True, text=True, check=False, cwd="/", **kwargs)
        return status.returncode == 0

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def __enter__(self) -> "LocalCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
