"""A job's time budget, and the review run where the budget can stop it.

A job (fetch, review, post) has ``queue.job-timeout`` seconds from its claim. What a
crafted series can make slow without bound is the review (parsing and rules on C that
anyone may write), so the review runs in a child process that is killed when the budget
is spent. A thread could only be abandoned: it would go on holding a core (and, with the
GIL, slowing every other thread of the worker) and its memory, one more such thread for
each attempt at such a series; a killed process gives both back at once. The child is
forked from multiprocessing's fork server, a small single-threaded process started once,
because forking the worker itself (threads holding locks: logging, SQLite, Redis) could
leave the child deadlocked. The child also caps its own CPU time, so that it ends even
when its parent was killed and cannot kill it, and ignores SIGINT and SIGTERM: a service
that stops cleanly lets the reviews in hand finish, and only its parent kills it.

The rest of the job checks the same budget: downloads between chunks
(:func:`reviewbot.service.fetch.download`), the task before posting, and the worker's
heartbeat stops renewing the lease once the budget is spent, so that even a worker stuck
elsewhere lets go of the job. A timed-out job is retried like any other failure (a loaded
machine may have been the cause), then lands in the failed list: "timed out after N s".
"""

from __future__ import annotations

import math
import multiprocessing
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from reviewbot.engine.loader import load_rules
from reviewbot.errors import ReviewbotError
from reviewbot.findings import Report
from reviewbot.parse.patch import Series
from reviewbot.pipeline import ReviewOptions, review_series

# What the child runs: a module-level function (it travels to the child by name).
Reviewer = Callable[[Series, ReviewOptions], Report]


class JobTimeout(ReviewbotError):
    """The job used up ``queue.job-timeout``."""


class ReviewProcessDied(ReviewbotError):
    """The review's process ended without a result (killed: out of memory, CPU limit)."""


@dataclass
class Budget:
    """``seconds`` from now (by ``clock``)."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float:
        return self.started + self.seconds - self.clock()

    def spent(self) -> bool:
        return self.remaining() <= 0

    def timeout(self) -> JobTimeout:
        shown = int(self.seconds) if float(self.seconds).is_integer() else self.seconds
        return JobTimeout(f"timed out after {shown} s (queue.job-timeout)")

    def check(self) -> None:
        if self.spent():
            raise self.timeout()


def review(series: Series, options: ReviewOptions) -> Report:
    """The review itself, as the child runs it (a child lives for one review)."""
    return review_series(series, options, load_rules(options.rule_dirs))


_context_lock = threading.Lock()
_context: Any = None


def _forkserver() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            # imported once in the server, so that each child starts with the pipeline
            ctx.set_forkserver_preload([__name__])
            _context = ctx
        return _context


def _limit_cpu(seconds: float) -> None:
    soft = math.ceil(seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _child(
    send: Connection, reviewer: Reviewer, series: Series, options: ReviewOptions, seconds: float
) -> None:
    _limit_cpu(seconds)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    message: tuple[str, Any]
    try:
        message = ("report", reviewer(series, options))
    except Exception as exc:
        message = ("error", exc)
    try:
        send.send(message)
    except Exception as exc:  # an exception or report that does not pickle
        send.send(("error", ReviewbotError(f"the review's result: {type(exc).__name__}: {exc}")))
    send.close()


def run_review(
    series: Series, options: ReviewOptions, budget: Budget, reviewer: Reviewer = review
) -> Report:
    """``reviewer(series, options)`` in a child process, killed once ``budget`` is spent
    (JobTimeout). The child's exception, if it raised one, is raised here."""
    budget.check()
    ctx = _forkserver()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child,
        args=(send, reviewer, series, options, budget.remaining()),
        name="reviewbot-review",
        daemon=True,
    )
    child.start()
    send.close()
    try:
        if not receive.poll(max(budget.remaining(), 0.0)):
            raise budget.timeout()
        try:
            kind, value = receive.recv()
        except EOFError:
            child.join()
            raise ReviewProcessDied(
                f"the review process ended without a result (exit status {child.exitcode})"
            ) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()
    if kind == "error":
        raise value
    if not isinstance(value, Report):
        raise ReviewProcessDied(f"the review process sent {type(value).__name__}, not a report")
    return value
