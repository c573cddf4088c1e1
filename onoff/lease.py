"""The controller lease, held through the API: one control loop drives the house at a time.

The loop has no database of its own, so the lease lives in the API
(``POST``/``DELETE /api/controller/lease``). Its holder id names the host and
process, so the refusal a second loop prints says where the first one runs.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass

from common.api_client import ApiClient, ApiRejected

log = logging.getLogger("onoff")

PATH = "/api/controller/lease"


class LeaseHeld(Exception):
    """Another controller holds the lease (the API answered 409)."""

    def __init__(self, holder: str | None, expires_at: str | None, detail: str):
        super().__init__(detail)
        self.holder = holder
        self.expires_at = expires_at


def new_holder_id() -> str:
    """``<host>:<pid>:<random>``: where the loop runs, and unique even when a pid is reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead_here(holder: str | None) -> bool:
    """True when ``holder`` names a process of this host that no longer runs (say, a loop killed by the
    health check, whose container restarted with the same host name). Such a lease is waited out, not
    refused: nobody is driving the house under it."""
    host, _, rest = (holder or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # this process is new: the pid's earlier owner has gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # some running process of another user: assume it may be a loop
    return False


@dataclass
class ControllerLease:
    api: ApiClient
    ttl_s: float
    holder: str = ""
    #: False once another controller took the lease over; this loop must then stop driving.
    lost: bool = False

    def __post_init__(self):
        self.holder = self.holder or new_holder_id()

    def take(self, ticked: bool = False) -> dict:
        """Takes or renews the lease; raises LeaseHeld when another holder's lease is live, ApiUnavailable
        when the API cannot be reached (the lease may then lapse; this holder may take it again later)."""
        try:
            return self.api.post(PATH, {"holder": self.holder, "ttl_s": self.ttl_s, "ticked": ticked})
        except ApiRejected as exc:
            if exc.status != 409:
                raise
            problem = exc.problem if isinstance(exc.problem, dict) else {}
            raise LeaseHeld(problem.get("holder"), problem.get("expires_at"),
                            problem.get("detail") or str(exc)) from exc

    def release(self) -> None:
        """Gives the lease up (ApiError when the API cannot, or another holds it)."""
        self.api.request("DELETE", PATH, json={"holder": self.holder})
