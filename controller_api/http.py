"""Request parsing and the endpoint registry the OpenAPI document is built from."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, request
from pydantic import BaseModel

from controller_api.errors import ApiProblem


@dataclass
class EndpointDoc:
    path: str
    method: str
    summary: str
    tags: list[str]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    status: int
    auth: bool
    #: Further answers (status → when), documented as problems.
    responses: dict[int, str] | None = None


REGISTRY: list[EndpointDoc] = []


def _openapi_path(prefix: str | None, rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", (prefix or "") + rule)


def endpoint(bp: Blueprint, rule: str, method: str, *, summary: str, body: type[BaseModel] | None = None,
             query: type[BaseModel] | None = None, status: int = 200, tags: list[str] | None = None,
             auth: bool | None = None, responses: dict[int, str] | None = None) -> Callable:
    """Registers a view on ``bp`` and describes it for /api/openapi.json."""

    def decorate(view: Callable) -> Callable:
        needs_auth = auth if auth is not None else method != "GET"
        REGISTRY.append(EndpointDoc(_openapi_path(bp.url_prefix, rule), method.lower(), summary,
                                    tags or [bp.name], body, query, status, needs_auth, responses))
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return decorate


#: No body of this API nests deeper; a deeper one is refused before parsing
#: (thousands of levels exhaust the parser's recursion).
MAX_JSON_DEPTH = 32
_OPENERS, _CLOSERS, _QUOTE, _ESCAPE = b"{[", b"}]", ord('"'), ord("\\")


def too_deep(raw: bytes) -> bool:
    """Whether objects and arrays nest deeper than MAX_JSON_DEPTH in ``raw`` (strings skipped)."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False


def json_body(model: type[BaseModel]):
    """The request's JSON body validated as ``model`` (400 if it is not JSON, 422 if invalid)."""
    if too_deep(request.get_data(cache=True)):
        raise ApiProblem(400, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, "the body must be JSON (Content-Type: application/json)")
    return model.model_validate(data)


def query_args(model: type[BaseModel]):
    """The query string validated as ``model`` (422 naming the parameter)."""
    return model.model_validate(request.args.to_dict())
