"""How a worker's result reaches the store.

Embedded mode: the worker writes into the store's SQLite file directly (same machine).
Redis mode: workers on other machines have no store; they push the result on a Redis
list (the outbox) and the ``serve`` process, which owns the SQLite store, moves it in
(:class:`Collector`). Moving is at-least-once (a result is taken to a processing list,
stored, then dropped) and storing is idempotent by job, so none is lost or doubled.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from reviewbot.service.logs import event
from reviewbot.service.store import ReviewResult, Store

log = logging.getLogger(__name__)


class ResultSink(Protocol):
    def put(self, result: ReviewResult) -> int | None:
        """Hand over ``result``; the review id when it is stored at once."""
        ...


class StoreSink:
    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, result: ReviewResult) -> int | None:
        return self.store.add(result)


class RedisOutbox:
    def __init__(self, client: Any, prefix: str) -> None:
        self.r = client
        self.key = f"{prefix}:outbox"
        self.processing = f"{prefix}:outbox:processing"

    def put(self, result: ReviewResult) -> int | None:
        self.r.lpush(self.key, result.to_json())
        return None

    def size(self) -> int:
        return int(self.r.llen(self.key)) + int(self.r.llen(self.processing))


class Collector:
    """Moves results from the Redis outbox into the store (run by ``serve``)."""

    def __init__(self, outbox: RedisOutbox, store: Store) -> None:
        self.outbox = outbox
        self.store = store
        self.stop = threading.Event()

    def recover(self) -> None:
        """Results taken by a collector that stopped before storing them go back."""
        r = self.outbox.r
        while r.lmove(self.outbox.processing, self.outbox.key, "RIGHT", "RIGHT") is not None:
            pass

    def drain(self, wait: float = 0.0) -> int:
        """Store every result waiting (waiting up to ``wait`` s for the first); how many."""
        r = self.outbox.r
        stored = 0
        while not self.stop.is_set():
            if wait > 0 and stored == 0:
                raw = r.blmove(self.outbox.key, self.outbox.processing, wait, "RIGHT", "LEFT")
            else:
                raw = r.lmove(self.outbox.key, self.outbox.processing, "RIGHT", "LEFT")
            if raw is None:
                break
            try:
                result = ReviewResult.from_json(raw)
            except (ValueError, TypeError) as exc:
                event(log, "result.unreadable", logging.ERROR, error=str(exc))
                r.lrem(self.outbox.processing, 1, raw)
                continue
            review_id = self.store.add(result)
            r.lrem(self.outbox.processing, 1, raw)
            event(log, "result.stored", job=result.job, review=review_id)
            stored += 1
        return stored

    def run(self) -> None:
        self.recover()
        while not self.stop.is_set():
            try:
                self.drain(wait=1.0)
            except Exception as exc:  # Redis away: say so, wait, go on
                event(log, "result.collector_error", logging.ERROR, error=repr(exc))
                self.stop.wait(2.0)
