"""The one HTTP client services use to talk to controller_api.

Failures come in two named kinds: ``ApiUnavailable`` (network error, timeout,
5xx: retry later, spool what must not be lost) and ``ApiRejected`` (a 4xx:
the request itself is wrong; retrying the same request will not help).
"""
from __future__ import annotations

from typing import Any

import requests


class ApiError(Exception):
    """Base of the API client's errors."""


class ApiUnavailable(ApiError):
    """The API could not be reached or failed (retryable)."""


class ApiRejected(ApiError):
    """The API refused the request (4xx); ``status`` and ``problem`` say why."""

    def __init__(self, status: int, problem: dict[str, Any] | str):
        self.status = status
        self.problem = problem
        detail = problem.get("detail") if isinstance(problem, dict) else problem
        super().__init__(f"HTTP {status}: {detail}")


class ApiClient:
    def __init__(self, base_url: str, service_token: str | None = None, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._session = requests.Session()
        if service_token:
            self._session.headers["Authorization"] = f"Bearer {service_token}"

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(method, url, json=json, params=params, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ApiUnavailable(f"{method} {url}: {exc}") from exc
        if response.status_code >= 500:
            raise ApiUnavailable(f"{method} {url}: HTTP {response.status_code} {response.text[:200]}")
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = response.text[:500]
            raise ApiRejected(response.status_code, problem)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiUnavailable(f"{method} {url}: answer is not JSON") from exc

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any) -> Any:
        return self.request("POST", path, json=json)

    def put(self, path: str, json: Any) -> Any:
        return self.request("PUT", path, json=json)
