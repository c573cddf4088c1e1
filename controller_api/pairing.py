"""POST /api/valves/{id}/pair: pair a valve with its bridge using the PIN on the valve's display.

eQ-3 valves on firmware 1.48 and later take commands only from a central they are
bonded with; the household reads the 6-digit PIN off the valve and enters it on the
page. The API hands it to the valve's bridge (``POST /valves/{mac}/pair`` of
docs/bridge-api.md), which bonds by passkey entry. Nothing is stored here: the bond
lives in the bridge's Bluetooth stack and in the valve, and the control loop's next
command to the valve closes its ``valve_unpaired`` problem.
"""
from __future__ import annotations

import logging

import requests
from flask import Blueprint
from pydantic import Field

from controller_api.db import connection
from controller_api.errors import ApiProblem, not_found
from controller_api.http import endpoint, json_body
from controller_api.models import Model

log = logging.getLogger(__name__)

bp = Blueprint("pairing", __name__, url_prefix="/api")

#: Pairing connects, asks the valve and bonds; the bridge's own limit comes first.
BRIDGE_TIMEOUT_S = 60.0


class ValvePairIn(Model):
    pin: str = Field(pattern=r"^[0-9]{6}$", description="the 6 digits the valve shows on its display")


@endpoint(bp, "/valves/<int:valve_id>/pair", "POST", body=ValvePairIn, tags=["devices"],
          summary="Pair a valve with its bridge: the PIN shown on its display (firmware 1.48 and later)",
          responses={422: "the PIN is not 6 digits, or the valve refused it", 502: "the bridge failed",
                     504: "the valve did not answer over Bluetooth"})
def pair_valve(valve_id: int):
    pin = json_body(ValvePairIn).pin
    with connection() as conn:
        valve = conn.execute(
            """SELECT v.id, upper(v.mac::text) AS mac, b.name AS bridge, b.base_url, b.token
               FROM valves v JOIN bridges b ON b.id = v.bridge_id WHERE v.id = %s""", (valve_id,)).fetchone()
    if valve is None:
        raise not_found("valve", valve_id)
    url = f"{valve['base_url']}/valves/{valve['mac']}/pair"
    try:
        # The bridge takes only requests with its token (docs/bridge-api.md, "Authentication").
        answer = requests.post(url, json={"pin": pin}, timeout=BRIDGE_TIMEOUT_S,
                               headers={"Authorization": f"Bearer {valve['token']}"} if valve["token"] else {})
        body = answer.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("Pairing valve %s: its bridge %s did not answer (%s)", valve["mac"], valve["bridge"], exc)
        raise ApiProblem(502, f"the valve's bridge '{valve['bridge']}' did not answer; check that it runs") from exc
    error = body.get("error") if isinstance(body, dict) else None
    if answer.status_code == 200 and isinstance(body, dict) and body.get("paired") is True:
        log.info("Valve %s paired with its bridge %s", valve["mac"], valve["bridge"])
        return {"valve_id": valve["id"], "mac": valve["mac"], "paired": True}
    if error == "wrong_pin":
        raise ApiProblem(422, "the valve refused this PIN: enter the 6 digits its display shows while it says PAir",
                         [{"field": "pin", "message": "refused by the valve"}])
    if error == "bluetooth_timeout":
        raise ApiProblem(504, "the valve did not answer over Bluetooth: check its batteries and that it is within "
                              "reach of its bridge, then try again")
    raise ApiProblem(502, f"the valve's bridge '{valve['bridge']}' could not pair it: "
                          f"{(body.get('message') if isinstance(body, dict) else None) or answer.status_code}")
