"""Readings to the controller API, through the disk spool (POST /api/readings)."""
from __future__ import annotations

from common.api_client import ApiClient
from common.spool import Spool, SpoolSender

READINGS_PATH = "/api/readings"


def readings_sender(client: ApiClient, spool: Spool, batch_size: int = 500) -> SpoolSender:
    """A SpoolSender that posts spooled readings as ``{"readings": [...]}`` batches, oldest first."""

    def send(records: list[dict]) -> None:
        client.post(READINGS_PATH, {"readings": records})

    return SpoolSender(spool, send, batch_size=batch_size, what="thermometer readings")


def fetch_thermometers(client: ApiClient) -> dict[str, dict]:
    """The configured thermometers by upper-case MAC (with bind keys: the client carries the token).

    Raises the client's ApiError when the API cannot answer.
    """
    answer = client.get("/api/thermometers")
    items = answer.get("thermometers", []) if isinstance(answer, dict) else answer
    return {item["mac"].upper(): item for item in items if isinstance(item, dict) and item.get("mac")}
