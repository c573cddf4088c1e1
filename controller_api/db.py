"""The one database helper: a psycopg ConnectionPool per app.

``with connection() as conn:`` commits when the block ends and rolls back when
it raises, so a refused request changes nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from flask import Flask, current_app
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

#: No statement runs longer: a request that would is answered 503, and the
#: worker is free again long before gunicorn's 60 s timeout kills it.
STATEMENT_TIMEOUT_MS = 15_000
#: How long a request waits for a pooled connection. A gunicorn worker serves
#: one request at a time, so a wait means the database is unreachable, not
#: busy. Once it was found unreachable (or the pool failed to connect since),
#: requests answer 503 almost at once instead of each holding a worker, while
#: the pool keeps reconnecting in the background.
WAIT_UP_S = 2.0
WAIT_DOWN_S = 0.2


def init_app(app: Flask) -> None:
    pool = ConnectionPool(
        app.config["DATABASE_URL"],
        min_size=1,
        max_size=app.config["POOL_SIZE"],
        kwargs={"row_factory": dict_row, "connect_timeout": 5,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"},
        # A connection broken while the database restarted is replaced, not
        # handed to a request.
        check=ConnectionPool.check_connection,
        open=False,
        name="controller_api",
    )
    # Opening without waiting lets the API start (and report an unhealthy
    # database at /api/health) while PostgreSQL is still coming up.
    pool.open(wait=False)
    app.extensions["db_pool"] = pool
    app.extensions["db_down"] = False
    app.extensions["db_failed_connects"] = 0


def get_pool() -> ConnectionPool:
    return current_app.extensions["db_pool"]


def database_down() -> bool:
    """Whether the last attempt found the database unreachable."""
    return current_app.extensions["db_down"]


@contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """A pooled connection in a transaction (503 through the error handlers when there is none)."""
    extensions = current_app.extensions
    pool = get_pool()
    failed_connects = pool.get_stats().get("connections_errors", 0)
    down = extensions["db_down"] or failed_connects > extensions["db_failed_connects"]
    try:
        with pool.connection(timeout=WAIT_DOWN_S if down else WAIT_UP_S) as conn:
            extensions["db_down"] = False
            extensions["db_failed_connects"] = failed_connects
            yield conn
    except PoolTimeout:
        extensions["db_down"] = True
        raise
    except psycopg.OperationalError as exc:
        if not isinstance(exc, pg_errors.QueryCanceled):
            extensions["db_down"] = True
        raise
