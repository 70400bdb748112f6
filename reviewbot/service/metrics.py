"""``GET /metrics``: the Prometheus text format (version 0.0.4), written by hand.

Counts come from the shared state (the job board and the store), not from this process's
memory, so every ``serve`` of a deployment reports the same numbers and a restart resets
nothing; only the webhook counters are this process's own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

from reviewbot.service.jobs import STATES
from reviewbot.service.runtime import Runtime

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class WebhookCounter:
    """Webhook deliveries by outcome since this process started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] += 1

    def items(self) -> list[tuple[str, int]]:
        with self._lock:
            return sorted(self._counts.items())


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _metric(name: str, kind: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def render(runtime: Runtime, webhooks: WebhookCounter) -> str:
    counts = runtime.board.counts()
    lines: list[str] = []
    lines += _metric(
        "reviewbot_queue_depth",
        "gauge",
        "Messages waiting in the queue for a worker.",
        [f"reviewbot_queue_depth {runtime.queue.depth()}"],
    )
    lines += _metric(
        "reviewbot_queue_scheduled",
        "gauge",
        "Messages waiting for their time (retry backoff, lore settle time).",
        [f"reviewbot_queue_scheduled {runtime.queue.scheduled()}"],
    )
    lines += _metric(
        "reviewbot_jobs",
        "gauge",
        "Review jobs by state.",
        [f'reviewbot_jobs{{state="{s}"}} {counts.get(s, 0)}' for s in STATES],
    )
    lines += _metric(
        "reviewbot_reviews_total",
        "counter",
        "Review jobs done (reviewed, and posted where configured).",
        [f"reviewbot_reviews_total {counts.get('done', 0)}"],
    )
    lines += _metric(
        "reviewbot_review_failures_total",
        "counter",
        "Review jobs that failed after their retries (the failed list).",
        [f"reviewbot_review_failures_total {counts.get('failed', 0)}"],
    )
    lines += _metric(
        "reviewbot_webhooks_total",
        "counter",
        "Webhook deliveries received by this process, by outcome.",
        [f'reviewbot_webhooks_total{{outcome="{o}"}} {n}' for o, n in webhooks.items()],
    )
    if runtime.store is not None:
        lat = runtime.store.latency()
        name = "reviewbot_review_latency_seconds"
        samples = [f'{name}_bucket{{le="{_number(le)}"}} {n}' for le, n in lat.buckets]
        samples += [
            f'{name}_bucket{{le="+Inf"}} {lat.count}',
            f"{name}_sum {_number(round(lat.total, 3))}",
            f"{name}_count {lat.count}",
        ]
        lines += _metric(
            name, "histogram", "Seconds from a review's job being queued to its result.", samples
        )
    return "\n".join(lines) + "\n"
