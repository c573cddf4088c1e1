"""Applies the numbered SQL files in db/migrations, each exactly once.

Guarantees: one migrator at a time (a PostgreSQL advisory lock), one
transaction per file (a failing file leaves nothing behind), a checksum per
applied file, and a refusal to run when an applied file has changed since.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

log = logging.getLogger("db.migrate")

#: Any 64-bit number unique to this project; every migrator takes this lock.
ADVISORY_LOCK_ID = 7_310_442_001
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
GRAFANA_ROLE = "heating_grafana"
#: The migration that creates GRAFANA_ROLE and says what it may read.
GRAFANA_MIGRATION = 2


class MigrationError(RuntimeError):
    """A migration cannot be applied; the message says which file and why."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path | None = None) -> list[Migration]:
    folder = directory or Path(str(resources.files("db") / "migrations"))
    found: list[Migration] = []
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_words.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number: {versions}")
    return found


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


def _applied(conn: psycopg.Connection) -> dict[int, tuple[str, str]]:
    # Callers may use any row factory; this reads plain tuples.
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
    return {version: (name, checksum) for version, name, checksum in rows}


def _check_unchanged(migrations: list[Migration], applied: dict[int, tuple[str, str]]) -> None:
    for migration in migrations:
        if migration.version in applied and applied[migration.version][1] != migration.checksum:
            raise MigrationError(
                f"{migration.name} was changed after it was applied; a new numbered file is the way "
                "to change the schema (restore the original file)"
            )
    known = {m.version for m in migrations}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise MigrationError(
            f"the database has migrations this code does not know ({unknown}); is this an older version?"
        )


def migrate(database_url: str, *, grafana_password: str | None = None,
            directory: Path | None = None) -> list[str]:
    """Applies every pending migration and returns the names applied."""
    migrations = load_migrations(directory)
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_ID,))
        try:
            conn.execute(_BOOKKEEPING)
            applied = _applied(conn)
            _check_unchanged(migrations, applied)
            for migration in migrations:
                if migration.version in applied:
                    continue
                log.info("applying migration %s", migration.name)
                try:
                    with conn.transaction():
                        conn.execute(migration.sql)
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                            (migration.version, migration.name, migration.checksum),
                        )
                except psycopg.Error as exc:
                    raise MigrationError(f"{migration.name} failed and was rolled back: {exc}") from exc
                applied_now.append(migration.name)
            _grant_grafana(conn, migrations, applied, applied_now)
            if grafana_password:
                conn.execute(
                    sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(GRAFANA_ROLE), sql.Literal(grafana_password)
                    )
                )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_ID,))
    return applied_now


def _grant_grafana(conn: psycopg.Connection, migrations: list[Migration], applied: dict,
                   applied_now: list[str]) -> None:
    """Gives the Grafana role back to a restored database: the role's migration, once more.

    Roles belong to the whole PostgreSQL cluster, so a dump of the database (README, Backups)
    carries neither the role nor its grants, and a restore into a new cluster has the role's
    migration recorded as applied but no role. That migration is written to be repeated (it creates
    the role only when missing, and grants are idempotent), so every run repeats it: one place says
    what Grafana may read.
    """
    role_migration = next((m for m in migrations if m.version == GRAFANA_MIGRATION), None)
    if role_migration is None or role_migration.name in applied_now or GRAFANA_MIGRATION not in applied:
        return
    with conn.transaction():
        conn.execute(role_migration.sql)


def pending(conn: psycopg.Connection, directory: Path | None = None) -> list[str]:
    """Names of migrations not yet applied (raises MigrationError if one changed)."""
    migrations = load_migrations(directory)
    with conn.cursor(row_factory=tuple_row) as cur:
        exists = cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
    applied = _applied(conn) if exists else {}
    _check_unchanged(migrations, applied)
    return [m.name for m in migrations if m.version not in applied]


def wait_for_database(database_url: str, timeout_s: float) -> None:
    """Waits (bounded) until the database accepts connections, for container start-up."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(database_url, connect_timeout=3):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise MigrationError(f"database not reachable after {timeout_s:.0f} s: {exc}") from exc
            log.info("waiting for the database: %s", str(exc).strip().splitlines()[0])
            time.sleep(1)
