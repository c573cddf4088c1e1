"""Records for the API (valve states, boiler states, decisions), queued so none is lost.

Records are sent in order, oldest first. With a spool directory every record
is first written durably to a ``common.spool.Spool`` and removed only after
the API stored it, so an outage or a restart loses nothing (up to the spool's
size limit). Without one they wait in a bounded in-memory queue whose oldest
records are dropped, with a warning, when it is full. A record the API
rejects (4xx) is logged and dropped: sending it again would not help.
"""
from __future__ import annotations

import logging
import threading
from collections import deque

from common.api_client import ApiRejected, ApiUnavailable
from common.spool import Spool

log = logging.getLogger(__name__)


class RecordQueue:
    def __init__(self, api, max_records: int = 10000, spool_dir: str | None = None, spool_max_bytes: int = 20_000_000):
        self.api = api
        self.max_records = max_records
        self._memory: deque[dict] = deque()
        self._lock = threading.Lock()
        self._spool = Spool(spool_dir, spool_max_bytes, label="control records") if spool_dir else None
        self.dropped = 0

    def __len__(self) -> int:
        if self._spool is not None:
            return len(self._spool.peek(1_000_000).records)
        return len(self._memory)

    def add(self, path: str, body: dict) -> None:
        record = {"path": path, "body": body}
        if self._spool is not None:
            self._spool.append([record])
            return
        with self._lock:
            self._memory.append(record)
            if len(self._memory) > self.max_records:
                self._memory.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning("The API has been unavailable for long: %d oldest control records dropped "
                                "(set a spool directory to keep them on disk)", self.dropped)

    def _send(self, record: dict) -> bool:
        """True when the record is done with (stored, or rejected and logged); False when the API is down."""
        try:
            self.api.post(record["path"], record["body"])
        except ApiUnavailable as exc:
            log.info("API unavailable (%s); control records wait to be sent", exc)
            return False
        except ApiRejected as exc:
            log.error("The API refused a record for %s (%s); it is dropped: %s", record["path"], exc, record["body"])
        return True

    def flush(self) -> bool:
        """Send what waits, oldest first; True when nothing waits any more."""
        with self._lock:
            if self._spool is None:
                while self._memory:
                    if not self._send(self._memory[0]):
                        return False
                    self._memory.popleft()
                return True
            while True:
                batch = self._spool.peek(100)
                if not batch.records:
                    return True
                for index, record in enumerate(batch.records):
                    if not self._send(record):
                        if index:
                            self._spool.commit(self._spool.peek(index).end)
                        return False
                self._spool.commit(batch.end)
