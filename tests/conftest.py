"""Fixtures shared by every test: a real PostgreSQL and fresh databases.

PostgreSQL comes from, in this order: TEST_DATABASE_URL (a server URL whose
user may create databases), a private cluster started from the machine's
PostgreSQL binaries, or a testcontainers PostgreSQL (a laptop with Docker).
Every test run creates databases of its own and drops them.
"""
from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from db.local_cluster import LocalCluster, find_bindir
from db.migrate import migrate


def _with_dbname(url: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def pg_server_url():
    """A superuser-ish URL of a PostgreSQL server the tests may create databases on."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    if find_bindir() is not None:
        folder = tempfile.mkdtemp(prefix="heating-pg-")
        os.chmod(folder, 0o755)
        cluster = LocalCluster(Path(folder) / "data")
        cluster.start()
        try:
            yield cluster.url
        finally:
            cluster.stop()
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as container:
        yield container.get_connection_url()


_counter = itertools.count()
_RUN = f"{os.getpid()}"


def _create_database(server_url: str, template: str | None = None) -> tuple[str, str]:
    name = f"heating_test_{_RUN}_{next(_counter)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        conn.execute(query)
    return name, _with_dbname(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def migrated_template(pg_server_url):
    """The name of a database with every migration applied, copied for each test."""
    name, url = _create_database(pg_server_url)
    migrate(url)
    yield name
    _drop_database(pg_server_url, name)


@pytest.fixture
def make_database(pg_server_url, migrated_template):
    """Factory: a new, migrated database (or an empty one with migrated=False); dropped after the test."""
    created: list[str] = []

    def factory(migrated: bool = True) -> str:
        name, url = _create_database(pg_server_url, migrated_template if migrated else None)
        created.append(name)
        return url

    yield factory
    for name in created:
        _drop_database(pg_server_url, name)


@pytest.fixture
def database_url(make_database) -> str:
    """URL of a fresh, migrated database of this test's own."""
    return make_database()


# The controller API over real HTTP --------------------------------------------

SERVICE_TOKEN = "test-service-token"
PASSWORD = "test-household-password"


class ApiServer:
    """controller_api served by a real HTTP server on a free port of 127.0.0.1."""

    def __init__(self, database_url: str, **settings):
        import threading

        from werkzeug.serving import make_server

        from controller_api import create_app

        self.database_url = database_url
        self.service_token = SERVICE_TOKEN
        self.password = PASSWORD
        config = {"database_url": database_url, "service_token": SERVICE_TOKEN, "password": PASSWORD}
        config.update(settings)
        self.app = create_app({"settings": config})
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops serving (the port closes); the database stays."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self.app.extensions["db_pool"].close()

    def client(self):
        from common.api_client import ApiClient

        return ApiClient(self.url, self.service_token)


@pytest.fixture
def api_server(database_url):
    """The real API over HTTP on a fresh database; ``.url``, ``.service_token``, ``.database_url``."""
    server = ApiServer(database_url)
    yield server
    server.stop()


@pytest.fixture
def make_api_server(make_database):
    """Factory for API servers with extra settings (e.g. static_dir, clock_*); all stopped after the test."""
    servers: list[ApiServer] = []

    def factory(database_url: str | None = None, **settings) -> ApiServer:
        server = ApiServer(database_url or make_database(), **settings)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


# A real MQTT broker ----------------------------------------------------------


@pytest.fixture
def mosquitto():
    """A private Mosquitto on a free port of 127.0.0.1 (``.url``, ``.port``; ``stop()``/``start()``)."""
    from tests.mosquitto import Mosquitto

    broker = Mosquitto().start()
    yield broker
    broker.close()
