"""Timings of the requests a hostile client on the LAN can make expensive.

    python -m controller_api.bench

Starts a private PostgreSQL and the API under gunicorn (two sync workers, as
compose runs it), fills a year and a half of minute readings for one room, and
prints how long these take:

- GET /api/gas (today, by hour) after one gas reading stamped in 2099;
- /api/health while two 400-day history requests run in parallel;
- a request for data and one for the page while the database is down.

The gas reading of 2099 is written straight into the table (the API refuses
it now), so the report's cost is measured whatever the data holds.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import requests

from db.local_cluster import LocalCluster, free_port
from db.migrate import migrate

TOKEN = "bench-service-token-0123456789abcdef"
PASSWORD = "bench-household-password"


def _timed(method: str, url: str, **kwargs) -> tuple[float, int | str]:
    started = time.monotonic()
    try:
        status: int | str = requests.request(method, url, timeout=120, **kwargs).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return time.monotonic() - started, status


def _parallel_histories(base: str, history: str, start: str, end: str, label: str) -> None:
    """Two history requests at once, and how long /api/health takes meanwhile (the loop's lease check)."""
    results: list[tuple[float, int | str]] = []
    threads = [threading.Thread(target=lambda: results.append(
        _timed("GET", history, params={"from": start, "to": end}))) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    health = _timed("GET", f"{base}/api/health")
    for thread in threads:
        thread.join()
    print(f"two parallel {label} histories:", ", ".join(f"{s:.2f} s ({c})" for s, c in results),
          f"; /api/health meanwhile: {health[0]:.2f} s ({health[1]})")


def _fill(url: str, now: datetime) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        room = conn.execute("INSERT INTO rooms (name) VALUES ('Living room') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO thermometers (mac, room_id) VALUES ('A4:C1:38:11:22:33', %s)", (room,))
        conn.execute(
            """INSERT INTO readings (mac, time, room_id, temperature_c, humidity_pct)
               SELECT 'A4:C1:38:11:22:33', t, %s, 19 + sin(extract(epoch FROM t) / 3600), 50
               FROM generate_series(%s::timestamptz - interval '550 days', %s, interval '1 minute') AS t""",
            (room, now, now))
        conn.execute(
            """INSERT INTO gas_readings (time, gas_m3)
               SELECT t, row_number() OVER (ORDER BY t) * 0.01
               FROM generate_series(%s::timestamptz - interval '2 days', %s, interval '5 minutes') AS t""",
            (now, now))
        conn.execute("INSERT INTO gas_readings (time, gas_m3) VALUES ('2099-01-01T00:00:00Z', 99999)")
        conn.execute("ANALYZE")
    print(f"room {room}: 550 days of minute readings, two days of gas, one gas reading stamped 2099-01-01")


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="heating-bench-"))
    os.chmod(folder, 0o755)
    cluster = LocalCluster(folder / "data")
    cluster.start()
    api = None
    try:
        db_url = psycopg.conninfo.make_conninfo(cluster.url, dbname="postgres")
        migrate(db_url)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        _fill(db_url, now)
        static = folder / "page"
        static.mkdir()
        (static / "index.html").write_text("<!doctype html><title>Heating</title>")
        port = free_port()
        env = {**os.environ, "HEATING_DATABASE_URL": db_url, "HEATING_SERVICE_TOKEN": TOKEN,
               "HEATING_PASSWORD": PASSWORD, "HEATING_SECRET_KEY": "bench-secret-key-0123456789abcdef",
               "HEATING_STATIC_DIR": str(static), "HEATING_TZ": "Europe/Amsterdam", "HEATING_LOG_LEVEL": "WARNING"}
        api = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                "--timeout", "60", "controller_api:create_app()"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if requests.get(f"{base}/api/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)

        figures = [_timed("GET", f"{base}/api/gas") for _ in range(3)]
        print("GET /api/gas (today by hour), gas reading in 2099:",
              ", ".join(f"{s:.2f} s ({c})" for s, c in figures))

        start = (now - timedelta(days=400)).isoformat().replace("+00:00", "Z")
        end = now.isoformat().replace("+00:00", "Z")
        history = f"{base}/api/rooms/1/history"
        alone = _timed("GET", history, params={"from": start, "to": end})
        print(f"GET /api/rooms/1/history over 400 days, alone: {alone[0]:.2f} s ({alone[1]})")
        _parallel_histories(base, history, start, end, "400-day")
        month = (now - timedelta(days=31)).isoformat().replace("+00:00", "Z")
        _parallel_histories(base, history, month, end, "31-day")

        cluster.stop()
        for label, path in (("GET /api/rooms", "/api/rooms"), ("GET /api/health", "/api/health"),
                            ("GET / (the page)", "/")):
            figures = [_timed("GET", base + path) for _ in range(3)]
            print(f"database down, {label}:", ", ".join(f"{s:.2f} s ({c})" for s, c in figures))
        return 0
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
