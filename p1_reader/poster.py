"""Meter readings to the controller API, through the disk spool (POST /api/meter-readings)."""
from __future__ import annotations

from common.api_client import ApiClient
from common.spool import Spool, SpoolSender

METER_READINGS_PATH = "/api/meter-readings"


def meter_readings_sender(client: ApiClient, spool: Spool, batch_size: int = 500) -> SpoolSender:
    """A SpoolSender posting spooled records (``kind`` gas or electricity) as one batch per call."""

    def send(records: list[dict]) -> None:
        body: dict[str, list] = {"gas": [], "electricity": []}
        for record in records:
            fields = {k: v for k, v in record.items() if k != "kind"}
            body[record["kind"]].append(fields)
        client.post(METER_READINGS_PATH, body)

    return SpoolSender(spool, send, batch_size=batch_size, what="meter readings")
