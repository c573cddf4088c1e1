"""The one database helper: a psycopg ConnectionPool per app.

``with get_pool().connection() as conn:`` commits when the block ends and rolls
back when it raises, so a refused request changes nothing.
"""
from __future__ import annotations

from flask import Flask, current_app
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


def init_app(app: Flask) -> None:
    pool = ConnectionPool(
        app.config["DATABASE_URL"],
        min_size=1,
        max_size=app.config["POOL_SIZE"],
        kwargs={"row_factory": dict_row, "connect_timeout": 5},
        open=False,
        name="controller_api",
    )
    # Opening without waiting lets the API start (and report an unhealthy
    # database at /api/health) while PostgreSQL is still coming up.
    pool.open(wait=False)
    app.extensions["db_pool"] = pool


def get_pool() -> ConnectionPool:
    return current_app.extensions["db_pool"]


def connection():
    """A pooled connection in a transaction; waits at most 5 s for one."""
    return get_pool().connection(timeout=5)
