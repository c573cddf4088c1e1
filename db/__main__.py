"""``python -m db migrate`` applies pending migrations (reads HEATING_DATABASE_URL)."""
from __future__ import annotations

import argparse
import logging
import sys

import psycopg
from pydantic import ValidationError

from common.settings import SecretError
from db.migrate import MigrationError, migrate, pending, wait_for_database
from db.settings import DatabaseSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db", description="Database schema tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("migrate", help="apply pending migrations")
    up.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                    help="wait up to this long for the database to accept connections")
    sub.add_parser("status", help="list pending migrations")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = DatabaseSettings()
        settings.check_secrets()
    except ValidationError as exc:
        print(f"error: bad setting: {exc}", file=sys.stderr)
        return 2
    except SecretError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "migrate":
            if args.wait:
                wait_for_database(settings.database_url, args.wait)
            applied = migrate(settings.database_url, grafana_password=settings.grafana_db_password)
            print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
        else:
            with psycopg.connect(settings.database_url) as conn:
                names = pending(conn)
            print("up to date" if not names else "pending: " + ", ".join(names))
    except (MigrationError, psycopg.OperationalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
