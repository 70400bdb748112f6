"""Redis mode against a real redis-server: two worker processes share twenty series."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
from service_env import (
    PULL_HEAD,
    SCHEMAS,
    SECRET,
    base_values,
    free_port,
    github_fake,
    load_settings,
    patchwork_fake,
    redis_server,
    start_process,
    start_worker,
    stop_worker,
    wait_for,
    write_config,
)

from reviewbot.service.app import signature_of
from reviewbot.service.pollers import PatchworkPoller
from reviewbot.service.results import Collector
from reviewbot.service.runtime import Runtime

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

SERIES = 20


def test_two_workers_review_twenty_series_exactly_once(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as url, patchwork_fake() as pw:
        pw.page_size = 7
        for n in range(1, SERIES + 1):
            pw.add_series(n, f"2024-02-01T10:{n:02d}:00")
        values = base_values(
            tmp_path / "serve-state",
            **{
                "queue.backend": "redis",
                "queue.redis-url": url,
                "queue.name": "rbtest",
                "patchwork.url": pw.url,
                "sources.patchwork.since": "2024-02-01T00:00:00",
                "publish.patchwork.post": True,
            },
        )
        serve_config = write_config(tmp_path / "serve.toml", values)
        # the workers have their own, empty, state directories: all they share is Redis
        workers = [
            start_worker(
                write_config(
                    tmp_path / f"worker{n}.toml",
                    {**values, "serve.state-dir": str(tmp_path / f"w{n}")},
                ),
                tmp_path / f"worker{n}.log",
            )
            for n in (1, 2)
        ]
        runtime = Runtime(load_settings(serve_config))  # the serve side: poller, store
        try:
            logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
            wait_for(lambda: all("worker.started" in p.read_text() for p in logs), 30, "workers")
            assert PatchworkPoller(runtime).poll_once() == SERIES
            assert PatchworkPoller(runtime).poll_once() == 0
            wait_for(lambda: runtime.board.counts()["done"] == SERIES, 90, "twenty reviews")
            assert runtime.outbox is not None and runtime.store is not None
            Collector(runtime.outbox, runtime.store).drain()
            counts = runtime.board.counts()
            reviews = runtime.store.reviews(limit=100)
            leftover = runtime.outbox.size()
        finally:
            statuses = [stop_worker(w) for w in workers]
            runtime.close()
        texts = [p.read_text() for p in logs]

    assert statuses == [0, 0]
    assert counts == {"queued": 0, "running": 0, "done": SERIES, "failed": 0}
    assert sorted(pw.mbox_requests) == list(range(1, SERIES + 1))  # each fetched once
    assert sorted(r["job"] for r in reviews) == sorted(
        f"patchwork:{pw.url}#{n}" for n in range(1, SERIES + 1)
    )
    assert leftover == 0
    results = [pid for pid, _ in pw.results()]
    assert len(results) == len(set(results)) == SERIES * 3  # one result check per patch
    assert all('"event": "job.done"' in text for text in texts), "both workers worked"
    assert not (tmp_path / "w1" / "reviewbot.db").exists()  # Redis mode: no SQLite on workers


def test_serve_and_a_worker_on_redis_review_a_pull_request(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as url, github_fake() as gh:
        port = free_port()
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{
                    "queue.backend": "redis",
                    "queue.redis-url": url,
                    "serve.workers": 0,
                    "serve.bind": f"127.0.0.1:{port}",
                    "github.api-url": gh.url,
                    "publish.github.post": True,
                },
            ),
        )
        base = f"http://127.0.0.1:{port}"
        serve = start_process(["serve", "--config", str(config)], tmp_path / "serve.log")
        worker = start_worker(config, tmp_path / "worker.log")
        try:

            def healthy() -> bool:
                try:
                    return requests.get(f"{base}/healthz", timeout=2).ok
                except requests.ConnectionError:
                    return False

            wait_for(healthy, 30, "serve")
            event = json.loads((SCHEMAS / "github-webhook-pull_request-opened.json").read_text())
            event["pull_request"]["head"]["sha"] = PULL_HEAD
            body = json.dumps(event).encode()
            queued = requests.post(
                f"{base}/webhooks/github",
                data=body,
                headers={
                    "X-GitHub-Event": "pull_request",
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": signature_of(SECRET, body),
                },
                timeout=10,
            )

            def stored() -> list[dict[str, object]]:
                found: list[dict[str, object]] = requests.get(f"{base}/reviews", timeout=5).json()[
                    "reviews"
                ]
                return found

            reviews = wait_for(stored, 30, "the review to reach serve's store")
        finally:
            statuses = [stop_worker(worker), stop_worker(serve)]
    assert queued.status_code == 202
    assert statuses == [0, 0]
    assert [r["source"] for r in reviews] == ["github"]
    assert len(gh.created) == 1 and gh.created[0]["head_sha"] == PULL_HEAD
    assert not (tmp_path / "state" / "queue.db").exists()  # the queue is in Redis
