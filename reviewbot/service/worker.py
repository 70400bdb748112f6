"""The consumer: threads that take messages, claim jobs, review, post, and the sweep.

For each message "run job X": claim X on the board (a lease), renew the lease by
heartbeats while working, run the task (fetch, review, post), hand the result to the
store, mark X done. A failure releases X for a retry after ``retry-delay * backoff**n``
seconds (huey's schedule) until ``queue.retries`` are spent; then X is ``failed`` with
its reason. Bad input (no patch in the series, a patch over serve.max-patch-bytes) fails
at once: retrying cannot help. A job has ``queue.job-timeout`` seconds from its claim
(:mod:`reviewbot.service.budget`): past them it stops (the review's process is killed),
fails with "timed out after N s" and is retried like any failure; and its heartbeat stops
renewing the lease then, so that a job stuck anywhere is let go of and rerun by the sweep.

The sweep, at start and every half lease, is what makes a killed worker harmless: a
``running`` job whose lease expired (or whose owner process is gone from this host) goes
back to the queue, and a ``queued`` job whose message was lost (a crash between the
board and the queue) gets a new one. A job whose worker dies every time (say, killed for
memory) fails after as many attempts as a job that raises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from reviewbot.errors import InputError, ReviewbotError, UsageError
from reviewbot.service.budget import Budget
from reviewbot.service.jobs import new_owner
from reviewbot.service.logs import event
from reviewbot.service.runtime import Runtime
from reviewbot.service.tasks import LeaseLost, Tasks, describe

log = logging.getLogger(__name__)

# Bad input or configuration: the same job fails the same way next time.
PERMANENT = (InputError, UsageError)


def one_line(exc: BaseException) -> str:
    """A failure's reason for the failed list; the project's errors already say what and where."""
    text = " ".join(str(exc).split())
    if isinstance(exc, ReviewbotError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Heartbeat:
    """Renews a lease every third of its length until ``budget`` is spent; ``check`` raises
    LeaseLost once a renewal fails."""

    def __init__(self, runtime: Runtime, job: str, owner: str, budget: Budget) -> None:
        self.runtime = runtime
        self.job = job
        self.owner = owner
        self.budget = budget
        self.lost = threading.Event()
        self.budget_spent = threading.Event()  # it stopped renewing: the job's time is up
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {job}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        lease = self.runtime.settings.queue.lease
        while not self._stop.wait(max(lease / 3, 0.2)):
            if self.budget.spent():
                # The job should have stopped itself; if it is stuck, the lease runs out
                # and the sweep reruns it (or fails it, out of attempts).
                self.budget_spent.set()
                event(log, "job.budget_spent", logging.WARNING, job=self.job, owner=self.owner)
                return
            try:
                held = self.runtime.board.heartbeat(
                    self.job, self.owner, lease, self.runtime.clock()
                )
            except Exception as exc:  # the board is away: the lease may run out
                event(log, "job.heartbeat_error", logging.WARNING, job=self.job, error=repr(exc))
                continue
            if not held:
                self.lost.set()
                event(log, "job.lease_lost", logging.WARNING, job=self.job, owner=self.owner)
                return

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(self.job)


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        threads: int = 1,
        *,
        poll: float = 0.5,
        tasks: Tasks | None = None,
    ) -> None:
        self.runtime = runtime
        self.threads = max(1, threads)
        self.poll = poll
        self.tasks = tasks or Tasks(runtime.settings, runtime.open_record, clock=runtime.clock)
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        runtime.queue.runner = self.run_job

    @property
    def clock(self) -> Callable[[], float]:
        return self.runtime.clock

    # --- one job ---------------------------------------------------------------------

    def run_job(self, job_id: str) -> None:
        rt = self.runtime
        q = rt.settings.queue
        owner = new_owner()
        job = rt.board.claim(job_id, owner, q.lease, self.clock())
        if job is None:
            found = rt.board.get(job_id)
            event(log, "job.skipped", job=job_id, state=found.state if found else "unknown")
            return
        event(log, "job.started", owner=owner, **describe(job))
        budget = Budget(q.job_timeout)
        with Heartbeat(rt, job.id, owner, budget) as beat:
            try:
                outcome = self.tasks.run(job, beat.check, budget)
                beat.check()
                review_id = rt.sink.put(outcome.result) if outcome.result else None
                finished = rt.board.finish(job.id, owner, self.clock(), outcome.note)
            except LeaseLost:
                event(log, "job.abandoned", logging.WARNING, job=job.id, reason="lease lost")
                return
            except Exception as exc:
                self._failed(job.id, job.kind, job.attempts, owner, exc)
                return
        event(
            log,
            "job.done" if finished else "job.done_late",
            review=review_id,
            note=outcome.note,
            seconds=round(self.clock() - (job.started_at or job.created), 3),
            **describe(job),
        )

    def _failed(self, job: str, kind: str, attempts: int, owner: str, exc: Exception) -> None:
        rt = self.runtime
        q = rt.settings.queue
        reason = one_line(exc)
        now = self.clock()
        if isinstance(exc, PERMANENT) or attempts > q.retries:
            rt.board.fail(job, owner, reason, now)
            event(log, "job.failed", logging.ERROR, job=job, attempt=attempts, error=reason)
            return
        delay = float(q.retry_delay * q.retry_backoff ** (attempts - 1))
        if rt.board.release(job, owner, reason, now + delay, now):
            rt.queue.enqueue(job, kind, delay)
        event(
            log,
            "job.retry",
            logging.WARNING,
            job=job,
            attempt=attempts,
            delay=delay,
            error=reason,
        )

    # --- the sweep -------------------------------------------------------------------

    def sweep(self) -> int:
        """Requeue the jobs of dead workers and the jobs whose message was lost."""
        rt = self.runtime
        q = rt.settings.queue
        now = self.clock()
        stale = rt.board.stale(now, grace=max(q.lease, 5))
        if not stale:
            return 0
        waiting = rt.queue.job_ids() if any(s.state == "queued" for s in stale) else set()
        moved = 0
        for s in stale:
            if s.state == "running":
                state = rt.board.requeue(
                    s.job,
                    s.owner,
                    f"worker {s.owner} stopped during the review",
                    now,
                    max_attempts=q.retries + 1,
                )
                if state == "queued":
                    rt.queue.enqueue(s.job, s.kind)
                    moved += 1
                    event(log, "job.recovered", logging.WARNING, job=s.job, owner=s.owner)
                elif state == "failed":
                    event(log, "job.failed", logging.ERROR, job=s.job, error="worker died")
            elif s.job not in waiting:
                rt.board.touch(s.job, now)
                rt.queue.enqueue(s.job, s.kind)
                moved += 1
                event(log, "job.requeued", logging.WARNING, job=s.job, reason="no message")
        return moved

    # --- the loops -------------------------------------------------------------------

    def _consume(self) -> None:
        while not self.stop_event.is_set():
            try:
                task = self.runtime.queue.dequeue()
            except Exception as exc:
                event(log, "queue.error", logging.ERROR, error=repr(exc))
                self.stop_event.wait(2.0)
                continue
            if task is None:
                if self.runtime.settings.queue.backend != "redis":
                    self.stop_event.wait(self.poll)  # Redis already waited on the queue
                continue
            try:
                self.runtime.queue.execute(task)
            except Exception as exc:  # a bug in our runner must not end the thread
                event(log, "job.crashed", logging.ERROR, error=repr(exc))

    def _housekeeping(self) -> None:
        every = max(self.runtime.settings.queue.lease / 2, 1.0)
        next_sweep = 0.0
        while not self.stop_event.is_set():
            try:
                self.runtime.queue.move_due()
                if time.monotonic() >= next_sweep:
                    self.sweep()
                    next_sweep = time.monotonic() + every
            except Exception as exc:
                event(log, "sweep.error", logging.ERROR, error=repr(exc))
            self.stop_event.wait(min(self.poll * 2, 1.0))

    def start(self) -> None:
        self.sweep()
        event(log, "worker.started", threads=self.threads)
        for n in range(self.threads):
            t = threading.Thread(target=self._consume, name=f"worker-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._housekeeping, name="worker-sweep", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking work and wait up to ``timeout`` s for the jobs in hand to end."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        event(log, "worker.stopped")
