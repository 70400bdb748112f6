"""The durable queue: huey, on SQLite (embedded default) or on Redis (several machines).

A message says only "run job X"; the job itself (what to fetch, its state, its lease)
is on the board (:mod:`reviewbot.service.jobs`). One huey task per kind of job
(``review_github``, ``review_patchwork``, ``review_lore``) so that the queue reads well;
each hands the job id to the worker's runner. Delays (a retry's backoff, lore's settle
time) are huey's schedule, which is as durable as the queue.

huey's own consumer is not used: a message popped by a consumer that is then killed is
gone for huey (it does not re-deliver), and the board's leases and sweep are what rerun
such a job; :mod:`reviewbot.service.worker` is a small consumer loop built around them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey

from reviewbot.errors import ConfigError
from reviewbot.service.settings import QueueSettings

KINDS = ("github", "patchwork", "lore")

Runner = Callable[[str], None]


class TaskQueue:
    def __init__(self, settings: QueueSettings, path: Path, redis_client: Any = None) -> None:
        self.settings = settings
        if settings.backend == "redis":
            if redis_client is None:
                raise ConfigError("queue.backend = 'redis' needs a Redis client")
            self.huey: Any = RedisHuey(
                settings.name,
                results=False,
                utc=True,
                connection_pool=redis_client.connection_pool,
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(settings.name, filename=str(path), results=False, utc=True)
        self.runner: Runner | None = None
        self._tasks = {kind: self._register(kind) for kind in KINDS}

    def _register(self, kind: str) -> Any:
        def run(job_id: str) -> None:
            if self.runner is None:
                raise RuntimeError("a queue message reached a process that runs no jobs")
            self.runner(job_id)

        run.__name__ = f"review_{kind}"
        return self.huey.task(name=f"review_{kind}")(run)

    def enqueue(self, job_id: str, kind: str, delay: float = 0.0) -> None:
        task = self._tasks[kind]
        if delay > 0:
            task.schedule(args=(job_id,), delay=delay)
        else:
            task(job_id)

    def dequeue(self) -> Any:
        """The next message as a huey Task, or None (Redis waits up to a second for one)."""
        return self.huey.dequeue()

    def execute(self, task: Any) -> None:
        self.huey.execute(task)

    def move_due(self, now: datetime.datetime | None = None) -> int:
        """Move the scheduled messages that are due into the queue; how many."""
        stamp = now or datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        due = self.huey.read_schedule(stamp)
        for task in due:
            self.huey.enqueue(task)
        return len(due)

    def job_ids(self) -> set[str]:
        """The jobs that have a message waiting, queued or scheduled."""
        out: set[str] = set()
        for task in [*self.huey.pending(), *self.huey.scheduled()]:
            if task.args:
                out.add(str(task.args[0]))
        return out

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def scheduled(self) -> int:
        return int(self.huey.scheduled_count())
