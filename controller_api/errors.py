"""RFC 9457 problem responses, and the mapping of every failure to one."""
from __future__ import annotations

import logging
import re
from http import HTTPStatus

import psycopg
from flask import Flask, jsonify
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("controller_api")


class ApiProblem(Exception):
    """Raised by handlers to answer with a problem; nothing is committed."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        #: Extra response headers, e.g. Retry-After.
        self.headers: dict[str, str] = {}


_TITLES = {422: "Unprocessable Content"}  # RFC 9110's name for it


def problem(status: int, detail: str, errors: list[dict] | None = None):
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def not_found(what: str, ident) -> ApiProblem:
    return ApiProblem(404, f"no {what} with id {ident}")


def validation_problem(exc: ValidationError, prefix: str = ""):
    errors = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        message = err["msg"]
        # Checks across fields raise "field: message"; name that field.
        named = re.match(r"^Value error, (\w+): (.*)$", message)
        if not field and named:
            field, message = named.groups()
        errors.append({"field": field or "body", "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, detail, errors)


# Constraint names (from the schema) to the field a client sent.
_FIELD_OF_CONSTRAINT = {
    "rooms_name_key": "name",
    "bridges_name_key": "name",
    "thermometers_mac_key": "mac",
    "valves_mac_key": "mac",
    "thermometers_room_id_fkey": "room_id",
    "valves_room_id_fkey": "room_id",
    "valves_bridge_id_fkey": "bridge_id",
    "decisions_room_id_fkey": "room_id",
}


def _database_problem(exc: psycopg.Error):
    diag = exc.diag
    constraint = diag.constraint_name or ""
    field = _FIELD_OF_CONSTRAINT.get(constraint, diag.column_name or "body")
    if isinstance(exc, pg_errors.UniqueViolation):
        return problem(409, f"{field}: already exists", [{"field": field, "message": "already exists"}])
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        if "is still referenced" in (diag.message_detail or ""):
            return problem(409, f"still in use: {diag.message_detail}")
        return problem(422, f"{field}: does not exist", [{"field": field, "message": "does not exist"}])
    if isinstance(exc, (pg_errors.CheckViolation, pg_errors.NotNullViolation)):
        return problem(422, f"{field}: value not allowed ({diag.message_primary})",
                       [{"field": field, "message": "value not allowed"}])
    if isinstance(exc, (pg_errors.DataError,)):
        return problem(422, f"bad value: {diag.message_primary}")
    if isinstance(exc, pg_errors.QueryCanceled):
        log.error("statement timeout: %s", exc)
        return problem(503, "the database took too long for this request; ask for a shorter range")
    if isinstance(exc, psycopg.OperationalError):
        log.error("database unavailable: %s", exc)
        return problem(503, "the database is unavailable; try again shortly")
    log.exception("database error")
    return problem(500, "internal database error")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem):
        response = problem(exc.status, exc.detail, exc.errors)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return validation_problem(exc)

    @app.errorhandler(psycopg.Error)
    def _database(exc: psycopg.Error):
        return _database_problem(exc)

    @app.errorhandler(PoolTimeout)
    def _pool_timeout(exc: PoolTimeout):
        log.error("no database connection: %s", exc)
        response = problem(503, "the database is unavailable; try again shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        detail = exc.description or HTTPStatus(exc.code).phrase
        if exc.code == 404:
            detail = "no such endpoint"
        elif exc.code == 405:
            detail = "method not allowed on this endpoint"
        response = problem(exc.code, detail)
        # RFC 9110: a 405 says which methods the endpoint has (Allow); werkzeug gives them.
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        return problem(500, "internal error; the log of controller_api says more")
