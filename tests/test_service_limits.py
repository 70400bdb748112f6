"""Input limits and the time budget: a crafted series cannot hold a worker.

Downloads stop past ``serve.max-patch-bytes`` (the job fails at once: the same series is
as large next time); a job has ``queue.job-timeout`` seconds, after which its download
stops, its review's process is killed, nothing is posted, and it is retried or failed.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from service_env import (
    PULL_HEAD,
    TOKEN,
    base_values,
    github_fake,
    open_runtime,
    patchwork_fake,
    wait_for,
    write_config,
)
from service_hooks import slow_review
from werkzeug.wrappers import Request, Response

from reviewbot.errors import InputError
from reviewbot.service import fetch
from reviewbot.service.budget import Budget, JobTimeout
from reviewbot.service.jobs import Job
from reviewbot.service.runtime import Runtime
from reviewbot.service.tasks import Tasks, github_job, patchwork_job
from reviewbot.service.worker import Heartbeat, Worker

PARAMS = {"repo": "o/r", "number": 2, "head_sha": PULL_HEAD}
JOB = github_job("o/r", 2, PULL_HEAD)
CHUNK = 32 * 1024


class Stream:
    """A body sent in chunks without Content-Length, ``pause`` s apart, ``count`` at most."""

    def __init__(self, count: int, pause: float = 0.0) -> None:
        self.count = count
        self.pause = pause
        self.sent = 0
        self.stop = threading.Event()

    def __call__(self, request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(self.count):
                if self.stop.wait(self.pause) if self.pause else self.stop.is_set():
                    return
                self.sent += 1
                yield b"x" * CHUNK

        return Response(body(), content_type="text/plain")


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpd = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpd.start()
    try:
        yield httpd
    finally:
        httpd.clear()
        httpd.stop()


def worker_for(runtime: Runtime, tasks: Tasks | None = None) -> Worker:
    worker = Worker(runtime, 1, poll=0.05, tasks=tasks)
    worker.start()
    return worker


def ended(runtime: Runtime, job: str) -> Job:
    found: Job = wait_for(
        lambda: (j := runtime.board.get(job)) and j.state in ("done", "failed") and j,
        60,
        f"{job} to end",
    )
    return found


# --- the size limit ---------------------------------------------------------------------


def test_a_download_stops_past_the_limit_without_reading_the_rest(server: HTTPServer) -> None:
    endless = Stream(count=2000)  # 64 MiB, sent chunked: no Content-Length to go by
    server.expect_request("/big").respond_with_handler(endless)
    with pytest.raises(InputError, match=r"/big: larger than serve.max-patch-bytes \(100000 "):
        fetch.download(server.url_for("/big"), limit=100_000)
    endless.stop.set()
    assert endless.sent < endless.count


def test_a_declared_length_over_the_limit_is_refused_and_the_limit_itself_is_fine(
    server: HTTPServer,
) -> None:
    server.expect_request("/sized").respond_with_data(b"y" * 2000)
    url = server.url_for("/sized")
    with pytest.raises(InputError, match=r"larger than serve\.max-patch-bytes \(1999 bytes\)"):
        fetch.download(url, limit=1999)
    assert fetch.download(url, limit=2000) == b"y" * 2000


def test_a_pull_request_over_the_limit_fails_at_once(tmp_path: Path) -> None:
    with github_fake() as gh:
        config = write_config(
            tmp_path / "s.toml",
            base_values(
                tmp_path / "state",
                **{"github.api-url": gh.url, "serve.max-patch-bytes": 1000},
            ),
        )
        runtime = open_runtime(config)
        worker = worker_for(runtime)
        try:
            runtime.submit("github", JOB, PARAMS)
            job = ended(runtime, JOB)
        finally:
            worker.stop()
            runtime.close()
    assert len(gh.patch) > 1000
    assert job.state == "failed" and job.attempts == 1  # no retry: it would be as large
    assert job.error == (
        f"GET {gh.url}/repos/o/r/pulls/2: larger than serve.max-patch-bytes (1000 bytes)"
    )
    assert gh.created == []


def test_a_series_mbox_over_the_limit_fails_at_once(tmp_path: Path) -> None:
    with patchwork_fake() as pw:
        pw.add_series(7, "2024-02-01T10:00:00")
        config = write_config(
            tmp_path / "s.toml",
            base_values(
                tmp_path / "state", **{"patchwork.url": pw.url, "serve.max-patch-bytes": 1000}
            ),
        )
        runtime = open_runtime(config)
        worker = worker_for(runtime)
        job_id = patchwork_job(pw.url, 7)
        mbox = f"{pw.url}/series/7/mbox/"
        try:
            runtime.submit("patchwork", job_id, {"url": pw.url, "series": 7, "mbox": mbox})
            job = ended(runtime, job_id)
        finally:
            worker.stop()
            runtime.close()
    assert job.state == "failed" and job.attempts == 1
    assert job.error == f"GET {mbox}: larger than serve.max-patch-bytes (1000 bytes)"


# --- the time budget --------------------------------------------------------------------


def test_a_download_stops_when_the_budget_is_spent(server: HTTPServer) -> None:
    trickle = Stream(count=600, pause=0.1)  # a minute of chunks, a tenth of a second apart
    server.expect_request("/slow").respond_with_handler(trickle)
    with pytest.raises(JobTimeout, match=r"^timed out after 0.5 s \(queue.job-timeout\)$"):
        fetch.download(server.url_for("/slow"), limit=10**9, budget=Budget(0.5))
    trickle.stop.set()
    assert trickle.sent < trickle.count


def test_a_trickling_pull_request_times_out(tmp_path: Path, server: HTTPServer) -> None:
    trickle = Stream(count=600, pause=0.1)
    server.expect_request("/repos/o/r/pulls/2").respond_with_handler(trickle)
    config = write_config(
        tmp_path / "s.toml",
        base_values(
            tmp_path / "state",
            **{
                "github.api-url": server.url_for("").rstrip("/"),
                "queue.job-timeout": 1,
                "queue.retries": 0,
            },
        ),
    )
    runtime = open_runtime(config)
    worker = worker_for(runtime)
    try:
        runtime.submit("github", JOB, PARAMS)
        job = ended(runtime, JOB)
    finally:
        trickle.stop.set()
        worker.stop()
        runtime.close()
    assert job.state == "failed" and job.attempts == 1
    assert job.error == "timed out after 1 s (queue.job-timeout)"


def test_a_review_over_the_budget_is_killed_posts_nothing_and_is_retried_then_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_GITHUB_TOKEN", TOKEN)
    pids = tmp_path / "review.pids"
    with github_fake() as gh:
        config = write_config(
            tmp_path / "s.toml",
            base_values(
                tmp_path / "state",
                **{
                    "github.api-url": gh.url,
                    "publish.github.post": True,
                    "queue.job-timeout": 2,
                    "queue.retries": 1,
                },
            ),
        )
        runtime = open_runtime(config)
        tasks = Tasks(
            runtime.settings,
            runtime.open_record,
            reviewer=functools.partial(slow_review, str(pids)),
        )
        worker = worker_for(runtime, tasks)
        try:
            runtime.submit("github", JOB, PARAMS)
            job = ended(runtime, JOB)
        finally:
            worker.stop()
            runtime.close()
    assert job.state == "failed" and job.attempts == 2
    assert job.error == "timed out after 2 s (queue.job-timeout)"
    assert gh.created == []  # nothing posted after the budget
    started = [int(line) for line in pids.read_text().split()]
    assert started  # the reviews ran in processes of their own...
    for pid in started:  # ...and were killed, not left running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_review_within_the_budget_runs_in_its_process_and_is_stored(tmp_path: Path) -> None:
    with github_fake() as gh:
        config = write_config(
            tmp_path / "s.toml",
            base_values(tmp_path / "state", **{"github.api-url": gh.url, "queue.job-timeout": 60}),
        )
        runtime = open_runtime(config)
        worker = worker_for(runtime)
        try:
            runtime.submit("github", JOB, PARAMS)
            job = ended(runtime, JOB)
            assert runtime.store is not None
            review = runtime.store.review(runtime.store.reviews()[0]["id"])
        finally:
            worker.stop()
            runtime.close()
    assert job.state == "done" and job.attempts == 1
    assert review is not None
    assert [f["code"] for f in review["report"]["findings"]] == ["MM002"]


def test_the_heartbeat_stops_renewing_the_lease_once_the_budget_is_spent(tmp_path: Path) -> None:
    # the lease's length is what this test is about: one second, renewed every third
    config = write_config(
        tmp_path / "s.toml", base_values(tmp_path / "state", **{"queue.lease": 1})
    )
    runtime = open_runtime(config)

    def claimed(name: str) -> tuple[str, str, float]:
        job, owner = f"github:o/r#1@{name}", f"here:1:{name}"
        runtime.board.add(job, "github", PARAMS, time.time())
        found = runtime.board.claim(job, owner, 1, time.time())
        assert found is not None and found.lease_expires is not None
        return job, owner, found.lease_expires

    def expires(job: str) -> float | None:
        found = runtime.board.get(job)
        return found.lease_expires if found else None

    try:
        job, owner, first = claimed("spent")
        with Heartbeat(runtime, job, owner, Budget(0)) as beat:
            assert beat.budget_spent.wait(30)
            assert expires(job) == first  # never renewed: the sweep will have it
        job, owner, first = claimed("running")
        with Heartbeat(runtime, job, owner, Budget(600)) as beat:
            wait_for(lambda: (expires(job) or 0) > first, 30, "a renewal")
            assert not beat.budget_spent.is_set()
    finally:
        runtime.close()
