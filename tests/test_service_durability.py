"""Durability: a killed worker's job runs again, posts once; retries, the failed list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from service_env import (
    PULL_HEAD,
    TOKEN,
    AppServer,
    base_values,
    github_fake,
    load_settings,
    open_runtime,
    start_worker,
    stop_worker,
    wait_for,
    write_config,
)

from reviewbot.service.app import create_app
from reviewbot.service.runtime import Runtime
from reviewbot.service.tasks import github_job
from reviewbot.service.worker import Worker

PARAMS = {"repo": "o/r", "number": 2, "head_sha": PULL_HEAD}
JOB = github_job("o/r", 2, PULL_HEAD)


def test_a_worker_killed_during_a_review_is_replaced_and_the_check_posted_once(
    tmp_path: Path,
) -> None:
    gate = threading.Event()
    with github_fake(gate=gate) as gh:
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{
                    "github.api-url": gh.url,
                    "publish.github.post": True,
                    "queue.lease": 30,
                },
            ),
        )
        runtime = open_runtime(config)
        runtime.submit("github", JOB, PARAMS)
        log = tmp_path / "worker.log"
        first = start_worker(config, log)
        try:
            assert gh.download_started.wait(60), log.read_text()
            running = runtime.board.get(JOB)
            assert running is not None and running.state == "running"
            assert f":{first.pid}:" in (running.lease_owner or "")
            first.kill()  # SIGKILL in the middle of the patch download
            first.wait(10)
        finally:
            gate.set()  # the answer goes to a dead socket
        # the lease (30 s) has not run out: the new worker sees its owner is gone
        second = start_worker(config, log)
        try:
            done = wait_for(
                lambda: (j := runtime.board.get(JOB)) and j.state == "done" and j, 60, "the rerun"
            )
        finally:
            status = stop_worker(second)
        assert runtime.store is not None
        reviews = runtime.store.reviews()
        runtime.close()
    assert status == 0
    assert done.attempts == 2
    assert len(gh.patch_requests) == 2
    assert len(gh.created) == 1 and gh.created[0]["head_sha"] == PULL_HEAD
    assert [r["job"] for r in reviews] == [JOB]
    assert '"event": "job.recovered"' in log.read_text()
    assert TOKEN not in log.read_text()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def clocked_runtime(tmp_path: Path, clock: Callable[[], float], **values: object) -> Runtime:
    config = write_config(tmp_path / "s.toml", base_values(tmp_path / "state", **values))
    return Runtime(load_settings(config), clock=clock)


def test_an_expired_lease_of_another_machine_is_requeued(tmp_path: Path) -> None:
    clock = Clock()
    runtime = clocked_runtime(tmp_path, clock, **{"queue.lease": 10})
    worker = Worker(runtime)
    runtime.submit("github", JOB, PARAMS)
    assert runtime.queue.dequeue() is not None  # a worker elsewhere took the message...
    assert runtime.board.claim(JOB, "elsewhere:4242:abcd", 10, clock()) is not None
    clock.now += 5
    assert worker.sweep() == 0  # ...and still holds the lease
    clock.now += 6
    assert worker.sweep() == 1  # ...then went silent
    job = runtime.board.get(JOB)
    assert job is not None and job.state == "queued" and "elsewhere:4242:abcd" in (job.error or "")
    assert runtime.queue.job_ids() == {JOB}
    # a job whose workers keep dying fails after its attempts, like one that raises
    for _ in range(2):
        assert runtime.board.claim(JOB, "elsewhere:4242:abcd", 10, clock()) is not None
        clock.now += 11
        worker.sweep()
    job = runtime.board.get(JOB)
    assert job is not None and job.state == "failed" and job.attempts == 3
    runtime.close()


def test_a_queued_job_whose_message_was_lost_gets_a_new_one(tmp_path: Path) -> None:
    clock = Clock()
    runtime = clocked_runtime(tmp_path, clock, **{"queue.lease": 10})
    worker = Worker(runtime)
    # on the board, but the process died before it reached the queue
    assert runtime.board.add(JOB, "github", PARAMS, clock())
    runtime.submit("github", "github:o/r#3@" + "4" * 40, {**PARAMS, "number": 3})
    clock.now += 5
    assert worker.sweep() == 0  # too recent: its message may be on its way
    clock.now += 10
    assert worker.sweep() == 1  # only the one without a message
    assert runtime.queue.depth() == 2
    assert runtime.queue.job_ids() == {JOB, "github:o/r#3@" + "4" * 40}
    clock.now += 20
    assert worker.sweep() == 0  # both have their message now
    runtime.close()


def test_failures_retry_with_backoff_then_land_in_the_failed_list(tmp_path: Path) -> None:
    with github_fake() as gh:
        gh.fail_patch = 100
        runtime = clocked_runtime(
            tmp_path, time.time, **{"github.api-url": gh.url, "queue.retries": 1}
        )
        worker = Worker(runtime, 1, poll=0.05)
        worker.start()
        try:
            runtime.submit("github", JOB, PARAMS)
            wait_for(lambda: runtime.board.get(JOB).state == "failed", 30, "the failure")  # type: ignore[union-attr]
            with AppServer(create_app(runtime)) as app:
                listing = requests.get(f"{app.url}/reviews", timeout=5).json()
                metrics = requests.get(f"{app.url}/metrics", timeout=5).text
        finally:
            worker.stop()
            runtime.close()
    assert len(gh.patch_requests) == 2  # the first try and one retry, a second apart
    [failed] = listing["failed"]
    assert failed["job"] == JOB and failed["attempts"] == 2
    assert "HTTP 500" in failed["error"] and "/repos/o/r/pulls/2" in failed["error"]
    assert "reviewbot_review_failures_total 1" in metrics.splitlines()


def test_bad_input_fails_at_once(tmp_path: Path) -> None:
    with github_fake(
        patch=b"From 1234 Mon Sep 17 00:00:00 2001\nSubject: no diff\n\nhello\n"
    ) as gh:
        runtime = clocked_runtime(tmp_path, time.time, **{"github.api-url": gh.url})
        worker = Worker(runtime, 1, poll=0.05)
        worker.start()
        try:
            runtime.submit("github", JOB, PARAMS)
            job = wait_for(lambda: (j := runtime.board.get(JOB)) and j.state == "failed" and j, 30)
        finally:
            worker.stop()
            runtime.close()
    assert job.attempts == 1 and "no patch" in (job.error or "")


def test_a_check_run_already_on_github_is_not_posted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_GITHUB_TOKEN", TOKEN)
    with github_fake() as gh:
        # a worker posted it, then died before it could write the record
        gh.created.append({"name": "reviewbot", "head_sha": PULL_HEAD, "conclusion": "failure"})
        runtime = clocked_runtime(
            tmp_path, time.time, **{"github.api-url": gh.url, "publish.github.post": True}
        )
        worker = Worker(runtime, 1, poll=0.05)
        worker.start()
        try:
            runtime.submit("github", JOB, PARAMS)
            wait_for(lambda: runtime.board.get(JOB).state == "done", 30)  # type: ignore[union-attr]
            assert runtime.store is not None
            review = runtime.store.review(runtime.store.reviews()[0]["id"])
        finally:
            worker.stop()
            runtime.close()
    assert len(gh.created) == 1
    assert review is not None and review["published"] == [
        f"github: already posted: check run reviewbot on {PULL_HEAD} (found on GitHub)"
    ]
