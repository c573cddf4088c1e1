"""Who may do what: writes need a session (household password) or the service token."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import Blueprint, Flask, current_app, request, session

from controller_api.errors import ApiProblem, problem
from controller_api.http import endpoint, json_body
from controller_api.models import LoginIn

bp = Blueprint("auth", __name__, url_prefix="/api")

# Paths anyone may use, even when reads need credentials.
_PUBLIC = {"/api/login", "/api/logout", "/api/session", "/api/health", "/api/openapi.json", "/api/docs"}
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _password_tag(password: str) -> str:
    # Stored in the session so that changing HEATING_PASSWORD ends every session.
    return hashlib.sha256(b"heating-session:" + password.encode()).hexdigest()[:16]


def secret_key_for(settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if settings.password or settings.service_token:
        material = f"{settings.password or ''}\0{settings.service_token or ''}".encode()
        return hashlib.sha256(b"heating-secret:" + material).hexdigest()
    return secrets.token_hex(32)


def has_service_token() -> bool:
    token = current_app.config.get("SERVICE_TOKEN")
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


def has_session() -> bool:
    password = current_app.config.get("PASSWORD")
    return bool(password) and session.get("auth") == _password_tag(password)


def authenticated() -> bool:
    return has_service_token() or has_session()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _require_credentials():
        path = request.path
        if not path.startswith("/api/") or path in _PUBLIC:
            return None
        if request.method in _WRITE_METHODS or current_app.config.get("READS_REQUIRE_AUTH"):
            if not authenticated():
                return problem(401, "log in with the household password, or send the service token")
        return None


@endpoint(bp, "/login", "POST", summary="Log in with the household password", body=LoginIn,
          tags=["session"], auth=False)
def login():
    data = json_body(LoginIn)
    password = current_app.config.get("PASSWORD")
    if not password or not hmac.compare_digest(data.password.encode(), password.encode()):
        time.sleep(0.3)  # slows guessing down without locking the household out
        raise ApiProblem(401, "wrong password" if password else "no household password is configured")
    session.clear()
    session["auth"] = _password_tag(password)
    session.permanent = True
    return {"authenticated": True}


@endpoint(bp, "/logout", "POST", summary="Log out", tags=["session"], auth=False)
def logout():
    session.clear()
    return {"authenticated": False}


@endpoint(bp, "/session", "GET", summary="Whether this client is logged in, and whether reads are open",
          tags=["session"], auth=False)
def session_info():
    return {
        "authenticated": authenticated(),
        "via": "service" if has_service_token() else ("session" if has_session() else None),
        "reads_open": not current_app.config.get("READS_REQUIRE_AUTH"),
        "login_possible": bool(current_app.config.get("PASSWORD")),
    }
