"""Health, the OpenAPI document and its readable page."""
from __future__ import annotations

import html
import json
import re

import psycopg
from flask import Blueprint, Response, current_app
from psycopg_pool import PoolTimeout

from controller_api.db import connection
from controller_api.http import REGISTRY, endpoint
from db.migrate import MigrationError, pending

bp = Blueprint("meta", __name__, url_prefix="/api")


@endpoint(bp, "/health", "GET", summary="Database reachable and migrations current (503 when not)",
          auth=False)
def health():
    try:
        with connection() as conn:
            conn.execute("SELECT 1")
            missing = pending(conn)
    except (psycopg.Error, PoolTimeout) as exc:
        return {"ok": False, "database": f"unreachable: {str(exc).strip().splitlines()[0]}",
                "migrations": "unknown"}, 503
    except MigrationError as exc:
        return {"ok": False, "database": "ok", "migrations": str(exc)}, 503
    if missing:
        return {"ok": False, "database": "ok", "migrations": f"pending: {', '.join(missing)}"}, 503
    return {"ok": True, "database": "ok", "migrations": "current"}


_PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "required": ["title", "status", "detail"],
}


def build_openapi() -> dict:
    components: dict[str, dict] = {"Problem": _PROBLEM}
    paths: dict[str, dict] = {}

    def schema_ref(model) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for doc in REGISTRY:
        operation: dict = {"summary": doc.summary, "tags": doc.tags,
                           "operationId": f"{doc.method}_{doc.path}".replace("/", "_").replace("{", "")
                           .replace("}", "").replace("-", "_"),
                           "responses": {str(doc.status): {"description": "success"}}}
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
                      for name in _path_params(doc.path)]
        if doc.query is not None:
            schema = doc.query.model_json_schema(by_alias=True)
            for name, prop in schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in schema.get("required", []),
                                   "schema": prop})
        if parameters:
            operation["parameters"] = parameters
        if doc.query is not None:
            operation["responses"]["422"] = {"description": "invalid query parameter; the parameter is named",
                                              "content": problem}
        if doc.body is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": schema_ref(doc.body)}}}
            operation["responses"]["400"] = {"description": "the body is not JSON", "content": problem}
            operation["responses"]["422"] = {"description": "invalid input; the field is named",
                                              "content": problem}
        if doc.auth:
            operation["security"] = [{"session": []}, {"serviceToken": []}]
            operation["responses"]["401"] = {"description": "no credentials", "content": problem}
        if "{" in doc.path:
            operation["responses"]["404"] = {"description": "unknown id", "content": problem}
        if doc.method in ("post", "put", "patch", "delete"):
            operation["responses"]["409"] = {"description": "a conflict: a duplicate, or still in use",
                                              "content": problem}
        operation["responses"]["503"] = {"description": "the database is unavailable or took too long (Retry-After)",
                                          "content": problem}
        for code, description in (doc.responses or {}).items():
            operation["responses"][str(code)] = {"description": description, "content": problem}
        paths.setdefault(doc.path, {})[doc.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Home heating controller API", "version": "1.0.0",
                 "description": "Rooms, schedules, devices and status of a zoned radiator heating system."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "heating_session",
                            "description": "POST /api/login with the household password"},
                "serviceToken": {"type": "http", "scheme": "bearer",
                                 "description": "HEATING_SERVICE_TOKEN, for services"},
            },
        },
    }


def _path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


@endpoint(bp, "/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", auth=False)
def openapi():
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = build_openapi()
    return current_app.extensions["openapi"]


@endpoint(bp, "/docs", "GET", summary="A readable page of the OpenAPI document", auth=False)
def docs():
    spec = openapi()
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            lock = " 🔒" if op.get("security") else ""
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body_name = body.get("$ref", "").rsplit("/", 1)[-1]
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}{lock}</td>"
                f"<td>{f'<a href=#{body_name}>{body_name}</a>' if body_name else ''}</td></tr>")
    schemas = "".join(
        f"<h3 id='{html.escape(name)}'>{html.escape(name)}</h3><pre>{html.escape(_pretty(schema))}</pre>"
        for name, schema in spec["components"]["schemas"].items())
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Heating API</title>
<style>body{{font:15px system-ui,sans-serif;margin:1rem auto;max-width:70rem;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td{{border-bottom:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}}
pre{{background:#f4f4f4;padding:.5rem;overflow:auto}}</style>
<h1>Heating API</h1>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>. 🔒 needs a session
(<code>POST /api/login</code>) or <code>Authorization: Bearer &lt;service token&gt;</code>.
Errors are RFC 9457 problems.</p>
<table>{''.join(rows)}</table><h2>Bodies</h2>{schemas}</html>"""
    return Response(page, mimetype="text/html")


def _pretty(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False)
