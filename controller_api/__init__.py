"""The controller API: rooms, devices, schedules, status and records over PostgreSQL.

Served by gunicorn as ``controller_api:create_app()``.
"""
from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from flask import Flask, send_from_directory
from psycopg.types.json import Jsonb

from common.clock import Clock
from common.settings import database_password, refuse_weak_secrets
from controller_api import auth, db, errors
from controller_api.jsonutil import ApiJSONProvider
from controller_api.settings import ApiSettings
from db.migrate import migrate

log = logging.getLogger("controller_api")


def create_app(test_config: dict | None = None) -> Flask:
    """Builds the app from HEATING_* settings; ``test_config`` overrides them (tests)."""
    settings = ApiSettings(**(test_config or {}).get("settings", {}))
    # A served API needs both; tests may leave one unset to see the API without it.
    refuse_weak_secrets({"HEATING_PASSWORD": settings.password, "HEATING_SERVICE_TOKEN": settings.service_token,
                         "HEATING_SECRET_KEY": settings.secret_key,
                         "HEATING_GRAFANA_DB_PASSWORD": settings.grafana_db_password,
                         "HEATING_DB_PASSWORD": database_password(settings.database_url)},
                        required=() if test_config else ("HEATING_PASSWORD", "HEATING_SERVICE_TOKEN"))
    app = Flask(__name__)
    app.json = ApiJSONProvider(app)
    app.config.update(
        DATABASE_URL=settings.database_url,
        POOL_SIZE=settings.pool_size,
        TZ=settings.tz,
        PASSWORD=settings.password,
        SERVICE_TOKEN=settings.service_token,
        READS_REQUIRE_AUTH=settings.reads_require_auth,
        SECRET_KEY=auth.secret_key_for(settings),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k != "settings"})
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.extensions["clock"] = test_config.get("clock") if test_config and test_config.get("clock") \
        else Clock.from_settings(settings)

    if settings.migrate_on_start:
        _migrate(settings)

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    from controller_api import (devices, gas, house, ingest, inputs, lease, meta, pairing, problems, rooms, status,
                                weather)

    for module in (rooms, devices, status, ingest, house, gas, lease, problems, meta, inputs, weather, pairing):
        app.register_blueprint(module.bp)

    if settings.trusted_proxies:
        # Behind nginx: the client is the address nginx saw (for the login back-off).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    if settings.static_dir:
        _serve_page(app, Path(settings.static_dir))
    return app


def _migrate(settings: ApiSettings) -> None:
    try:
        applied = migrate(settings.database_url, grafana_password=settings.grafana_db_password)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            # Reports in SQL (Grafana, gas per room) need the home's time zone.
            conn.execute(
                """INSERT INTO settings (key, value) VALUES ('timezone', %s)
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""", (Jsonb(settings.tz),))
    except psycopg.OperationalError as exc:
        # The API still starts; /api/health reports the database until it is back.
        log.error("database not reachable at start, migrations not applied yet: %s", exc)


def _serve_page(app: Flask, folder: Path) -> None:
    folder = folder.resolve()

    @app.get("/")
    @app.get("/<path:path>")
    def page(path: str = "index.html"):
        if path.startswith("api/"):
            return errors.problem(404, "no such endpoint")
        target = folder / path
        if target.is_file() and folder in target.resolve().parents:
            return send_from_directory(folder, path)
        return send_from_directory(folder, "index.html")  # the page routes itself
