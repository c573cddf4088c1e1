"""POST/DELETE /api/controller/lease: one control loop holds the house at a time.

The loop takes the lease at start and renews it every tick (``ticked: true``
stamps the heartbeat ``last_tick_at``). A request locks the single lease row
(SELECT ... FOR UPDATE) before it decides, so concurrent requests take turns
and exactly one of two rivals wins: the second sees the first's holder.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from flask import Blueprint, current_app
from pydantic import Field

from controller_api import domain
from controller_api.db import connection
from controller_api.errors import problem
from controller_api.http import endpoint, json_body
from controller_api.jsonutil import iso
from controller_api.models import Model

bp = Blueprint("lease", __name__, url_prefix="/api")

Holder = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$",
                               description="who holds the house, e.g. <host>:<pid>:<random>",
                               examples=["pi:4711:9f2c"])]


class LeaseIn(Model):
    holder: Holder
    ttl_s: float = Field(180.0, ge=5, le=86_400,
                         description="seconds (of the API's clock) the lease lasts without a renewal")
    ticked: bool = Field(False, description="true: the holder has just ticked; stamps last_tick_at")


class LeaseRelease(Model):
    holder: Holder


def controller_json(conn) -> dict:
    """The lease as ``GET /api/status`` shows it; nulls when no controller ever held the house."""
    row = conn.execute("SELECT holder, last_tick_at, expires_at FROM controller_lease").fetchone() or {}
    return {"holder": row.get("holder"), "last_tick_at": row.get("last_tick_at"),
            "lease_expires_at": row.get("expires_at")}


def _conflict(detail: str, current: dict):
    """A 409 problem that also names the holder and its term as members a program can read."""
    response = problem(409, detail)
    body = response.get_json() | {"holder": current["holder"], "expires_at": current["expires_at"]}
    response.set_data(current_app.json.dumps(body))
    return response


@endpoint(bp, "/controller/lease", "POST",
          summary="Take or renew the controller lease (409 names the live holder when another holds it)",
          body=LeaseIn, tags=["controller"],
          responses={409: "another holder's lease is live; the problem's holder and expires_at name it"})
def take_lease():
    lease = json_body(LeaseIn)
    now = domain.now()
    with connection() as conn:
        current = conn.execute(
            "SELECT holder, acquired_at, expires_at FROM controller_lease FOR UPDATE").fetchone()
        live = current["holder"] is not None and current["expires_at"] > now
        if live and current["holder"] != lease.holder:
            return _conflict(f"another controller holds the house: {current['holder']} until "
                             f"{iso(current['expires_at'])}", current)
        row = conn.execute(
            """UPDATE controller_lease
               SET holder = %(holder)s, acquired_at = %(acquired_at)s, expires_at = %(expires_at)s,
                   last_tick_at = CASE WHEN %(ticked)s THEN %(now)s ELSE last_tick_at END
               RETURNING holder, acquired_at, expires_at, last_tick_at""",
            {"holder": lease.holder, "now": now, "acquired_at": current["acquired_at"] if live else now,
             "expires_at": now + timedelta(seconds=lease.ttl_s), "ticked": lease.ticked}).fetchone()
    return {"holder": row["holder"], "acquired_at": row["acquired_at"], "expires_at": row["expires_at"],
            "last_tick_at": row["last_tick_at"]}


@endpoint(bp, "/controller/lease", "DELETE", summary="Release the controller lease (only its holder may)",
          body=LeaseRelease, tags=["controller"],
          responses={409: "the lease is not held by this holder; holder and expires_at say who holds it"})
def release_lease():
    release = json_body(LeaseRelease)
    with connection() as conn:
        # One statement: the holder check and the release cannot be split by another request.
        row = conn.execute(
            """UPDATE controller_lease SET holder = NULL, acquired_at = NULL, expires_at = NULL
               WHERE holder = %s RETURNING last_tick_at""", (release.holder,)).fetchone()
        if row is None:
            current = conn.execute("SELECT holder, expires_at FROM controller_lease").fetchone()
            if current["holder"] is None:
                return _conflict(f"the lease is not held by {release.holder}: no controller holds it", current)
            return _conflict(f"the lease is not held by {release.holder}: {current['holder']} holds it "
                             f"until {iso(current['expires_at'])}", current)
    return {"holder": None, "expires_at": None, "last_tick_at": row["last_tick_at"]}
