"""Who may do what: writes need a session (household password) or the service token.

Sessions live in the database (migration 0041): the cookie holds a random
token and nothing derived from the password, each session can be ended from
any signed-in device, and failed logins back off per client.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from flask import Blueprint, Flask, current_app, g, request

from controller_api.db import connection
from controller_api.errors import ApiProblem, not_found, problem
from controller_api.http import endpoint, json_body
from controller_api.models import LoginIn

bp = Blueprint("auth", __name__, url_prefix="/api")

COOKIE = "heating_session"
#: A session unused this long ends; none lasts longer than LIFETIME.
IDLE = timedelta(days=14)
LIFETIME = timedelta(days=30)
#: last_seen_at is written at most this often (a page polls every few seconds).
SEEN_EVERY = timedelta(minutes=5)
#: Failed logins a client has before the back-off starts; then each failure
#: blocks it for 2, 4, 8 ... seconds, at most MAX_BLOCK_S; a success or a day
#: without failures starts afresh.
FREE_FAILURES = 3
MAX_BLOCK_S = 900

# Paths anyone may use, even when reads need credentials.
_PUBLIC = {"/api/login", "/api/logout", "/api/session", "/api/health", "/api/openapi.json", "/api/docs"}
# Reads that need credentials even when reads are open.
_PRIVATE_READS = {"/api/sessions"}
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def secret_key_for(settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if settings.password or settings.service_token:
        material = f"{settings.password or ''}\0{settings.service_token or ''}".encode()
        return hashlib.sha256(b"heating-secret:" + material).hexdigest()
    return secrets.token_hex(32)


def _password_tag() -> str:
    # Changing HEATING_PASSWORD (or the secret key) ends every session.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"heating-session:" + current_app.config["PASSWORD"].encode(), "sha256").hexdigest()


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def has_service_token() -> bool:
    token = current_app.config.get("SERVICE_TOKEN")
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


def current_session() -> dict | None:
    """This request's session row (id, created_at, ...), or None; looked up once per request."""
    if "session_row" in g:
        return g.session_row
    g.session_row = None
    token = request.cookies.get(COOKIE)
    if token and current_app.config.get("PASSWORD") and len(token) <= 100:
        with connection() as conn:
            row = conn.execute(
                """SELECT id, created_at, last_seen_at, expires_at,
                          last_seen_at < now() - %s AS stale_seen
                   FROM sessions
                   WHERE token_sha256 = %s AND password_tag = %s
                     AND expires_at > now() AND last_seen_at > now() - %s""",
                (SEEN_EVERY, _token_hash(token), _password_tag(), IDLE)).fetchone()
            if row and row["stale_seen"]:
                conn.execute("UPDATE sessions SET last_seen_at = now() WHERE id = %s", (row["id"],))
        g.session_row = row
    return g.session_row


def has_session() -> bool:
    return current_session() is not None


def authenticated() -> bool:
    return has_service_token() or has_session()


def client_id() -> str:
    """Who is asking, for the login back-off (the proxy's X-Forwarded-For when HEATING_TRUSTED_PROXIES is set)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _require_credentials():
        path = request.path
        if not path.startswith("/api/") or path in _PUBLIC:
            return None
        if (request.method in _WRITE_METHODS or path.startswith(tuple(_PRIVATE_READS))
                or current_app.config.get("READS_REQUIRE_AUTH")):
            if not authenticated():
                return problem(401, "log in with the household password, or send the service token")
        return None


def _blocked_for(conn, client: str) -> float:
    """Seconds this client must still wait before trying a password; locks its row until the answer."""
    conn.execute("""INSERT INTO login_failures (client, failures, last_failure) VALUES (%s, 0, now())
                    ON CONFLICT (client) DO NOTHING""", (client,))
    conn.execute("""DELETE FROM login_failures WHERE last_failure < now() - interval '1 day'
                    AND coalesce(blocked_until, now()) <= now() AND client <> %s""", (client,))
    row = conn.execute(
        """SELECT extract(epoch FROM blocked_until - now()) AS wait_s FROM login_failures
           WHERE client = %s FOR UPDATE""", (client,)).fetchone()
    return float(row["wait_s"] or 0)


def _record_failure(conn, client: str) -> None:
    conn.execute(
        """UPDATE login_failures SET
               failures = CASE WHEN last_failure < now() - interval '1 day' THEN 1 ELSE failures + 1 END,
               last_failure = now()
           WHERE client = %s""", (client,))
    conn.execute(
        """UPDATE login_failures
           SET blocked_until = CASE WHEN failures > %s
                                    THEN now() + least(%s, 2 ^ (failures - %s)) * interval '1 second' END
           WHERE client = %s""", (FREE_FAILURES, MAX_BLOCK_S, FREE_FAILURES, client))


def _too_many(wait_s: float) -> ApiProblem:
    seconds = max(1, math.ceil(wait_s))
    exc = ApiProblem(429, f"too many wrong passwords from this device; try again in {seconds} s")
    exc.headers["Retry-After"] = str(seconds)
    return exc


@endpoint(bp, "/login", "POST", summary="Log in with the household password", body=LoginIn,
          tags=["session"], auth=False, responses={401: "wrong password, or none configured",
                                                    429: "too many wrong passwords from this client (Retry-After)"})
def login():
    data = json_body(LoginIn)
    password = current_app.config.get("PASSWORD")
    if not password:
        raise ApiProblem(401, "no household password is configured")
    client = client_id()
    with connection() as conn:
        wait_s = _blocked_for(conn, client)
        if wait_s > 0:
            raise _too_many(wait_s)
        if not hmac.compare_digest(data.password.encode(), password.encode()):
            _record_failure(conn, client)
            conn.commit()  # the failure counts although the request is refused
            raise ApiProblem(401, "wrong password")
        conn.execute("DELETE FROM login_failures WHERE client = %s", (client,))
        conn.execute("DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - %s", (IDLE,))
        _end_session(conn)
        token = secrets.token_urlsafe(32)
        conn.execute(
            """INSERT INTO sessions (token_sha256, password_tag, expires_at, user_agent, client)
               VALUES (%s, %s, now() + %s, %s, %s)""",
            (_token_hash(token), _password_tag(), LIFETIME, (request.user_agent.string or "")[:300] or None,
             client[:100]))
    response = current_app.json.response({"authenticated": True})
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return response


def _end_session(conn) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        conn.execute("DELETE FROM sessions WHERE token_sha256 = %s", (_token_hash(token),))


@endpoint(bp, "/logout", "POST", summary="Log out: ends this device's session on the server", tags=["session"],
          auth=False)
def logout():
    if request.cookies.get(COOKIE):
        with connection() as conn:
            _end_session(conn)
    response = current_app.json.response({"authenticated": False})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response


@endpoint(bp, "/session", "GET", summary="Whether this client is logged in, and whether reads are open",
          tags=["session"], auth=False)
def session_info():
    return {
        "authenticated": authenticated(),
        "via": "service" if has_service_token() else ("session" if has_session() else None),
        "reads_open": not current_app.config.get("READS_REQUIRE_AUTH"),
        "login_possible": bool(current_app.config.get("PASSWORD")),
    }


@endpoint(bp, "/sessions", "GET", summary="The devices signed in with the household password", tags=["session"],
          auth=True)
def list_sessions():
    current = current_session()
    with connection() as conn:
        rows = conn.execute(
            """SELECT id, created_at, last_seen_at, least(expires_at, last_seen_at + %s) AS expires_at,
                      user_agent, client
               FROM sessions
               WHERE password_tag = %s AND expires_at > now() AND last_seen_at > now() - %s
               ORDER BY last_seen_at DESC, id DESC""",
            (IDLE, _password_tag() if current_app.config.get("PASSWORD") else "", IDLE)).fetchall()
    return {"sessions": [{**row, "current": current is not None and row["id"] == current["id"]} for row in rows]}


@endpoint(bp, "/sessions/<int:session_id>", "DELETE", summary="End a device's session", tags=["session"],
          status=204)
def end_session(session_id: int):
    with connection() as conn:
        if conn.execute("DELETE FROM sessions WHERE id = %s RETURNING id", (session_id,)).fetchone() is None:
            raise not_found("session", session_id)
    return "", 204
