"""Backups that restore: docker/backup/heating-backup (the compose service "backup") run here against two
PostgreSQL clusters of the machine's own binaries, as a Pi that died (cluster A) and its replacement
(cluster B, fresh: it has never heard of the Grafana role).
"""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from db.local_cluster import LocalCluster, find_bindir
from db.migrate import GRAFANA_ROLE, migrate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "backup" / "heating-backup"
pytestmark = pytest.mark.skipif(find_bindir() is None, reason="needs PostgreSQL's binaries")


@pytest.fixture
def clusters():
    base = Path(tempfile.mkdtemp(prefix="heating-backup-"))
    os.chmod(base, 0o755)
    started = []
    try:
        for name in ("a", "b"):
            cluster = LocalCluster(base / name)
            cluster.start()
            started.append(cluster)
            with psycopg.connect(cluster.url, autocommit=True) as conn:
                conn.execute("CREATE DATABASE heating")
        yield started
    finally:
        for cluster in started:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _url(cluster: LocalCluster, user: str = "postgres") -> str:
    return f"postgresql://{user}@127.0.0.1:{cluster.port}/heating"


def _run(cluster: LocalCluster, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{find_bindir()}:{os.environ['PATH']}", "PGHOST": "127.0.0.1",
                   "PGPORT": str(cluster.port), "PGUSER": "postgres", "PGDATABASE": "heating", **env}
    return subprocess.run(["sh", str(SCRIPT), *args], env=environment, capture_output=True, text=True,
                          timeout=120)


def _fill(url: str) -> None:
    start = datetime(2027, 1, 11, 5, tzinfo=timezone.utc)
    with psycopg.connect(url) as conn:
        room = conn.execute("INSERT INTO rooms (name) VALUES ('Woonkamer') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO thermometers (mac, room_id) VALUES ('a4:c1:38:00:00:01', %s)", (room,))
        conn.cursor().executemany(
            "INSERT INTO readings (mac, time, room_id, temperature_c) VALUES ('a4:c1:38:00:00:01', %s, %s, %s)",
            [(start + timedelta(minutes=i), room, 18 + i / 100) for i in range(500)])


def _contents(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname IN ('public', 'reporting') ORDER BY 1")]
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
        counts["readings sum"] = conn.execute("SELECT round(sum(temperature_c)::numeric, 2) FROM readings").fetchone()[0]
    return counts


def test_backup_restored_into_a_new_cluster_starts_with_its_data_and_grafana_role(clusters, tmp_path):
    old, new = clusters
    migrate(_url(old), grafana_password="old-secret")
    _fill(_url(old))

    done = _run(old, "once", str(tmp_path))
    assert done.returncode == 0, done.stderr
    (backup,) = tmp_path.glob("heating-*.sql.gz")
    assert not list(tmp_path.glob("*.partial"))
    assert b"CREATE TABLE public.readings" in gzip.decompress(backup.read_bytes())

    done = _run(new, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    # What the compose stack does next: the migrations at start, with the new installation's password.
    assert migrate(_url(new), grafana_password="new-secret") == []
    assert _contents(_url(new)) == _contents(_url(old))
    with psycopg.connect(_url(new)) as conn:
        login, = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (GRAFANA_ROLE,)).fetchone()
    assert login
    with psycopg.connect(_url(new, GRAFANA_ROLE)) as grafana:
        assert grafana.execute("SELECT count(*) FROM readings").fetchone()[0] == 500
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            grafana.execute("DELETE FROM readings")


def test_restore_refuses_a_database_in_use_and_a_cut_backup(clusters, tmp_path):
    old, new = clusters
    migrate(_url(old))
    _fill(_url(old))
    assert _run(old, "once", str(tmp_path)).returncode == 0
    (backup,) = tmp_path.glob("heating-*.sql.gz")

    done = _run(old, "restore", str(backup))
    assert done.returncode == 1
    assert "the database already holds" in done.stderr and "fresh" in done.stderr
    assert _contents(_url(old))["public.readings"] == 500

    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    done = _run(new, "restore", str(cut))
    assert done.returncode == 1 and "not a whole gzip file" in done.stderr
    with psycopg.connect(_url(new)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_backups_keep_the_newest_few(clusters, tmp_path):
    old, _ = clusters
    migrate(_url(old))
    for _ in range(4):
        assert _run(old, "once", str(tmp_path), HEATING_BACKUP_KEEP="2").returncode == 0
    kept = sorted(tmp_path.glob("heating-*.sql.gz"))
    assert len(kept) == 2


def test_backup_of_an_unreachable_database_fails_and_leaves_nothing(clusters, tmp_path):
    old, _ = clusters
    done = _run(old, "once", str(tmp_path), PGPORT="1")
    assert done.returncode == 1 and "pg_dump failed" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_schedule_takes_one_at_once_then_waits_for_its_time(clusters, tmp_path):
    old, _ = clusters
    migrate(_url(old))
    environment = {**os.environ, "PATH": f"{find_bindir()}:{os.environ['PATH']}", "PGHOST": "127.0.0.1",
                   "PGPORT": str(old.port), "PGUSER": "postgres", "PGDATABASE": "heating",
                   "HEATING_BACKUP_DIR": str(tmp_path),
                   "HEATING_BACKUP_AT": (datetime.now() + timedelta(seconds=4)).strftime("%H:%M:%S")}
    said = tmp_path.parent / "schedule.log"
    with open(said, "w") as log:
        service = subprocess.Popen(["sh", str(SCRIPT), "schedule"], env=environment, stderr=log)
    try:
        deadline = datetime.now() + timedelta(seconds=30)
        while len(list(tmp_path.glob("heating-*.sql.gz"))) < 2 and datetime.now() < deadline:
            assert service.poll() is None
            subprocess.run(["sleep", "0.3"])
        assert len(list(tmp_path.glob("heating-*.sql.gz"))) == 2
    finally:
        service.terminate()
        assert service.wait(timeout=10) == 0
    assert "next backup at" in said.read_text() and "stopped" in said.read_text()


def test_bad_settings_are_refused(clusters, tmp_path):
    old, _ = clusters
    done = _run(old, "schedule", HEATING_BACKUP_KEEP="none", HEATING_BACKUP_DIR=str(tmp_path))
    assert done.returncode == 1 and "HEATING_BACKUP_KEEP" in done.stderr
    done = _run(old, "schedule", HEATING_BACKUP_AT="half past three", HEATING_BACKUP_DIR=str(tmp_path))
    assert done.returncode == 1 and "HEATING_BACKUP_AT" in done.stderr
    assert _run(old, "nonsense").returncode == 2
