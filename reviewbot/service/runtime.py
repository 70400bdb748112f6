"""Everything a service process uses, opened together from one Settings.

| | embedded (``queue.backend = "sqlite"``) | ``queue.backend = "redis"`` |
|---|---|---|
| queue | huey on ``STATE-DIR/queue.db`` | huey on Redis |
| job board, leases | ``jobs`` table of the store file | Redis hashes and sets |
| posted record | ``posted`` table of the store file | Redis sets |
| results | written to the store by the worker | Redis outbox, stored by ``serve`` |
| store, cursors | SQLite (``store.path``) on the ``serve`` machine | the same |

A ``worker`` in Redis mode opens no SQLite file at all, so it can run on any machine
that reaches Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.publish.record import PostedRecord
from reviewbot.service.jobs import JobBoard, RedisJobs, SqliteJobs
from reviewbot.service.logs import event
from reviewbot.service.queue import TaskQueue
from reviewbot.service.record import RedisPostedRecord
from reviewbot.service.results import RedisOutbox, ResultSink, StoreSink
from reviewbot.service.settings import Settings
from reviewbot.service.store import Store

log = logging.getLogger(__name__)


def redis_client(url: str) -> Any:
    import redis

    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(f"queue.redis-url {url}: {type(exc).__name__}: {exc}") from None
    return client


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        with_store: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.clock = clock
        q = settings.queue
        self.redis: Any = None
        self.outbox: RedisOutbox | None = None
        self.store: Store | None = None
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        if q.backend == "redis":
            self.redis = redis_client(q.redis_url)
            self.board: JobBoard = RedisJobs(self.redis, q.name)
            self.outbox = RedisOutbox(self.redis, q.name)
            self.sink: ResultSink = self.outbox
            if with_store:
                self.store = Store(settings.store_path)
        else:
            self.store = Store(settings.store_path)
            self.board = SqliteJobs(settings.store_path)
            self.sink = StoreSink(self.store)
        self.queue = TaskQueue(q, settings.queue_path, self.redis)

    def open_record(self) -> PostedRecord:
        """The posted record, for one job (a SQLite connection belongs to one thread)."""
        if self.redis is not None:
            return RedisPostedRecord(self.redis, self.settings.queue.name)
        return PostedRecord(self.settings.store_path)

    def submit(self, kind: str, job: str, params: Mapping[str, Any], delay: float = 0.0) -> bool:
        """Queue a review job; False when this job (series revision) was seen before."""
        now = self.clock()
        created = self.board.add(job, kind, params, now, now + delay if delay > 0 else 0.0)
        if created:
            self.queue.enqueue(job, kind, delay)
            event(log, "job.queued", job=job, kind=kind, delay=delay)
        return created

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        if self.redis is not None:
            self.redis.close()
