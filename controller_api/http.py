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


def json_body(model: type[BaseModel]):
    """The request's JSON body validated as ``model`` (400 if it is not JSON, 422 if invalid)."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, "the body must be JSON (Content-Type: application/json)")
    return model.model_validate(data)


def query_args(model: type[BaseModel]):
    """The query string validated as ``model`` (422 naming the parameter)."""
    return model.model_validate(request.args.to_dict())
