"""The notifier: ``python -m controller_api.watch [--once]``.

Every ``HEATING_WATCH_INTERVAL_S`` (60 s) it evaluates the house's problems
(so a silent control loop is noticed when nobody opens the page), decides
which the household must be told about, and delivers those to every Apprise
URL in the household settings (``notify_urls``).

The rule, per problem (a code and its subject, e.g. valve_unreachable of
valve 3), so a device that comes and goes does not flood the phone:

- the household is told when the problem opens, and when it closes;
- at most one message per problem per hour: a change within the hour after
  the last message waits until the hour is over and is then sent only if it
  still holds (a valve back within that hour, and still back: "resolved" an
  hour after "opened"; a valve that failed again meanwhile: nothing, the
  household already knows it is out);
- a problem that opened and closed between two rounds, before anyone was
  told, is not sent at all;
- while notify_urls is empty nothing is decided, so a URL added later gets
  the problems open at that moment.

What was decided is written, with the message, in the same transaction as
the decision (table notifications), and each delivery per URL when it
succeeded: a restarted notifier sends what it had not sent yet. A failed
delivery is logged and retried every round, for a day.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import psycopg
from pydantic import Field, ValidationError
from psycopg.rows import dict_row

from common.clock import Clock
from common.settings import SecretError, ServiceSettings, database_password
from controller_api import health, notify
from controller_api.domain import household_settings

log = logging.getLogger("controller_api.watch")

#: At most one message per problem (code and subject) in this time.
NOTIFY_EVERY = timedelta(hours=1)
#: A notification not delivered after this long (and at least GIVE_UP_ATTEMPTS tries) is dropped.
GIVE_UP_AFTER = timedelta(days=1)
GIVE_UP_ATTEMPTS = 5

_HEADLINES = {
    "valve_unreachable": "a radiator valve does not answer",
    "valve_unpaired": "a radiator valve must be paired",
    "bridge_unreachable": "a valve bridge does not answer",
    "adapter_stuck": "the Pi's Bluetooth heard nothing",
    "boiler_unreachable": "the boiler does not answer",
    "thermometer_stale": "a thermometer is silent",
    "battery_low": "a battery is low",
    "controller_silent": "the control loop has stopped",
    "meter_silent": "the meter is silent",
}


class WatchSettings(ServiceSettings):
    #: libpq URL of the heating database.
    database_url: str = "postgresql://postgres@127.0.0.1:5432/heating"
    #: Seconds between rounds (the API's clock is not used: a round is real work).
    watch_interval_s: float = Field(default=60.0, ge=1, le=3600)

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_DB_PASSWORD": database_password(self.database_url)}


@dataclass
class RoundResult:
    decided: int = 0
    delivered: int = 0
    failed: int = 0


def _told(last_open: datetime | None, last_close: datetime | None) -> str | None:
    if last_open is None and last_close is None:
        return None
    if last_close is None or (last_open is not None and last_open > last_close):
        return "open"
    return "closed"


def decide(conn, now: datetime, zone: ZoneInfo) -> int:
    """Writes the notifications due at ``now`` (see the module's rule); call under health.lock()."""
    groups = conn.execute(
        """WITH latest AS (
               SELECT DISTINCT ON (code, subject_kind, subject_id)
                      id, code, severity, subject_kind, subject_id, subject_name, opened_at, closed_at, message
               FROM problems ORDER BY code, subject_kind, subject_id, id DESC),
           told AS (
               SELECT code, subject_kind, subject_id,
                      max(notified_open_at) AS last_open, max(notified_close_at) AS last_close
               FROM problems GROUP BY code, subject_kind, subject_id)
           SELECT l.*, t.last_open, t.last_close
           FROM latest l JOIN told t ON t.code = l.code AND t.subject_kind = l.subject_kind
                                    AND t.subject_id IS NOT DISTINCT FROM l.subject_id
           -- Only groups with something to tell: open, or closed after an "opened" was sent.
           WHERE l.closed_at IS NULL OR t.last_open IS NOT NULL
           ORDER BY l.opened_at, l.id""").fetchall()
    decided = 0
    for group in groups:
        told = _told(group["last_open"], group["last_close"])
        last_sent = max(filter(None, (group["last_open"], group["last_close"])), default=None)
        if last_sent is not None and now - last_sent < NOTIFY_EVERY:
            continue
        headline = _HEADLINES.get(group["code"], group["code"])
        if group["closed_at"] is None and told != "open":
            title = f"Heating: {headline}"
            body = group["message"]
            kind = "failure" if group["severity"] == "error" else "warning"
            event, column = "opened", "notified_open_at"
        elif group["closed_at"] is not None and told == "open":
            title = f"Heating: solved: {headline}"
            body = (f"Solved at {health.when(group['closed_at'], now, zone)} "
                    f"(since {health.when(group['opened_at'], now, zone)}). It was: {group['message']}")
            kind = "success"
            event, column = "resolved", "notified_close_at"
        else:
            continue
        conn.execute(
            """INSERT INTO notifications (problem_id, event, created_at, title, body, notify_type)
               VALUES (%s, %s, %s, %s, %s, %s)""", (group["id"], event, now, title, body, kind))
        conn.execute(f"UPDATE problems SET {column} = %s WHERE id = %s", (now, group["id"]))
        decided += 1
    return decided


def deliver(conn, urls: list[str], now: datetime,
            send: Callable[[str, str, str, str], bool] = notify.send) -> tuple[int, int]:
    """Sends every pending notification to every URL that has not had it; (delivered, failed).

    ``conn`` is in autocommit mode; each notification is its own transaction,
    locked (SKIP LOCKED) so a second notifier does not send it twice.
    """
    delivered = failed = 0
    pending = [row["id"] for row in conn.execute(
        "SELECT id FROM notifications WHERE done_at IS NULL ORDER BY id")]
    for ident in pending:
        with conn.transaction():
            row = conn.execute(
                """SELECT n.id, n.event, n.created_at, n.title, n.body, n.notify_type, n.delivered_to, n.attempts,
                          p.code, p.subject_name
                   FROM notifications n JOIN problems p ON p.id = n.problem_id
                   WHERE n.id = %s AND n.done_at IS NULL FOR UPDATE OF n SKIP LOCKED""", (ident,)).fetchone()
            if row is None:
                continue
            have = list(row["delivered_to"])
            errors = []
            for url in urls:
                key = notify.url_key(url)
                if key in have:
                    continue
                try:
                    ok = send(url, row["title"], row["body"], row["notify_type"])
                except Exception as exc:  # a plugin's bug must not stop the other URLs
                    log.exception("sending through %s raised", notify.masked(url))
                    ok, exc_text = False, str(exc)
                else:
                    exc_text = "the service did not accept it"
                if ok:
                    have.append(key)
                    delivered += 1
                    log.info("Told the household (%s) that %s of %s %s.", notify.masked(url), row["code"],
                             row["subject_name"], row["event"])
                else:
                    failed += 1
                    errors.append(f"{notify.masked(url)}: {exc_text}")
                    log.warning("Could not tell the household through %s that %s of %s %s; trying again "
                                "next round.", notify.masked(url), row["code"], row["subject_name"], row["event"])
            attempts = row["attempts"] + 1
            complete = all(notify.url_key(url) in have for url in urls)
            give_up = (not complete and now - row["created_at"] > GIVE_UP_AFTER and attempts >= GIVE_UP_ATTEMPTS)
            if give_up:
                log.error("Gave up telling the household that %s of %s %s after %d tries: %s", row["code"],
                          row["subject_name"], row["event"], attempts, "; ".join(errors))
            conn.execute(
                """UPDATE notifications SET delivered_to = %s, attempts = %s, last_error = %s,
                          done_at = CASE WHEN %s THEN %s END
                   WHERE id = %s""",
                (have, attempts, "; ".join(errors) or None, complete or give_up, now, ident))
    return delivered, failed


def run_round(database_url: str, now: datetime, zone: ZoneInfo, clock_speed: float = 1.0,
              send: Callable[[str, str, str, str], bool] = notify.send) -> RoundResult:
    """One round: evaluate the problems, decide what to tell, deliver it."""
    result = RoundResult()
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row, connect_timeout=10) as conn:
        with conn.transaction():
            health.evaluate(conn, now, zone, clock_speed)  # takes the evaluation lock, held until commit
            urls = household_settings(conn).notify_urls
            if urls:
                result.decided = decide(conn, now, zone)
        result.delivered, result.failed = deliver(conn, urls, now, send)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controller_api.watch",
                                     description="Evaluate the house's problems and notify the household.")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    args = parser.parse_args(argv)
    try:
        settings = WatchSettings()
        clock = Clock.from_settings(settings)
        settings.check_secrets()
    except (ValidationError, ValueError, SecretError) as exc:
        print(f"error: bad setting: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # The interval is in the house's (simulated) seconds like every service's, so an accelerated demo
    # notices problems in simulated minutes too.
    interval_s = max(0.5, clock.wall_seconds(settings.watch_interval_s))
    log.info("Watching the house's health every %.0f s (%.1f s of wall time).", settings.watch_interval_s,
             interval_s)
    deadline = time.monotonic()
    while not stop.is_set():
        try:
            result = run_round(settings.database_url, clock.now(), settings.zone, clock.speed)
            if result.decided or result.failed:
                log.info("Round: %d notification(s) decided, %d delivered, %d failed.",
                         result.decided, result.delivered, result.failed)
        except psycopg.Error as exc:
            log.error("The database could not be read (%s); trying again in %.0f s.",
                      str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                      interval_s)
        except Exception:
            log.exception("A round failed; trying again in %.0f s.", interval_s)
        if args.once:
            break
        # Rounds keep their rhythm on the monotonic clock; one that overran is followed at once.
        deadline = max(deadline + interval_s, time.monotonic())
        stop.wait(max(0.0, deadline - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
