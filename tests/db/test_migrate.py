from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path

import psycopg
import pytest

from db.migrate import MigrationError, load_migrations, migrate, pending

SHIPPED = Path(str(resources.files("db") / "migrations"))


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(SHIPPED, folder)
    return folder


def test_applies_everything_once(make_database):
    url = make_database(migrated=False)
    applied = migrate(url)
    assert applied == [m.name for m in load_migrations()]
    assert migrate(url) == []
    with psycopg.connect(url) as conn:
        assert pending(conn) == []
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"rooms", "thermometers", "readings", "bridges", "valves", "switch_points", "overrides", "house_mode",
            "valve_states", "boiler_states", "decisions", "gas_readings", "electricity_readings", "settings",
            "schema_migrations"} <= tables


def test_refuses_a_changed_migration(make_database, tmp_path):
    url = make_database(migrated=False)
    folder = _copy(tmp_path)
    migrate(url, directory=folder)
    first = sorted(folder.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(url, directory=folder)
    with psycopg.connect(url) as conn, pytest.raises(MigrationError):
        pending(conn, directory=folder)


def test_a_failing_file_leaves_nothing_behind(make_database, tmp_path):
    url = make_database(migrated=False)
    folder = _copy(tmp_path)
    (folder / "0900_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(MigrationError, match="0900_broken.sql failed and was rolled back"):
        migrate(url, directory=folder)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
        assert pending(conn, directory=folder) == ["0900_broken.sql"]
        assert conn.execute("SELECT to_regclass('rooms') IS NOT NULL").fetchone() == (True,)


def test_concurrent_migrators_apply_each_file_once(make_database):
    url = make_database(migrated=False)
    results, errors = [], []

    def run():
        try:
            results.append(migrate(url))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, len(load_migrations())]


def test_refuses_a_database_from_a_newer_version(make_database, tmp_path):
    url = make_database()
    folder = _copy(tmp_path)
    for path in folder.glob("*.sql"):
        if not path.name.startswith("0001"):
            path.unlink()
    with pytest.raises(MigrationError, match="does not know"):
        migrate(url, directory=folder)


def test_bad_file_name(tmp_path):
    (tmp_path / "1_schema.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="NNNN_words.sql"):
        load_migrations(tmp_path)


def test_cli(make_database):
    url = make_database(migrated=False)
    env = {"HEATING_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "db", "migrate"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "applied" in done.stdout
    status = subprocess.run([sys.executable, "-m", "db", "status"], env=env, capture_output=True, text=True)
    assert status.stdout.strip() == "up to date"
    down = subprocess.run([sys.executable, "-m", "db", "migrate"], capture_output=True, text=True,
                          env={**env, "HEATING_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"})
    assert down.returncode == 1 and down.stderr.startswith("error:")
    bad_tz = subprocess.run([sys.executable, "-m", "db", "migrate"], capture_output=True, text=True,
                            env={**env, "HEATING_TZ": "Mars/Olympus"})
    assert bad_tz.returncode == 2 and "time zone" in bad_tz.stderr


def test_grafana_role_is_read_only(make_database):
    url = make_database(migrated=False)
    migrate(url, grafana_password="grafana-secret")
    with psycopg.connect(url) as conn:
        conn.execute("SET ROLE heating_grafana")
        assert conn.execute("SELECT count(*) FROM rooms").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO rooms (name) VALUES ('x')")
