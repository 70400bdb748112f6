"""GitHub check runs against a local GitHub-shaped server that records every request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import reports
from pytest_httpserver import HTTPServer
from test_render_github import SHA, check_create_body, check_output, many
from werkzeug import Response

from reviewbot.errors import ConfigError, PublishError
from reviewbot.publish.github import GitHubConfig, GitHubPublisher
from reviewbot.publish.record import PostedRecord
from reviewbot.publish.transport import Transport
from reviewbot.report import RenderOptions

TOKEN = "ghs_installationtoken"
ENV = {"REVIEWBOT_GITHUB_TOKEN": TOKEN}
RUNS = "/repos/octo/linux/check-runs"


def github(server: HTTPServer) -> None:
    server.expect_request(RUNS, method="POST").respond_with_json({"id": 4242}, status=201)
    server.expect_request(f"{RUNS}/4242", method="PATCH").respond_with_json({"id": 4242})


def publisher(server: HTTPServer, sleeps: list[float] | None = None, **kw: Any) -> GitHubPublisher:
    config = GitHubConfig(
        repo="octo/linux", head_sha=SHA, api_url=server.url_for("/").rstrip("/"), name="reviewbot"
    )
    transport = Transport("github", sleep=(sleeps if sleeps is not None else []).append)
    return GitHubPublisher(config, env=kw.pop("env", ENV), transport=transport, **kw)


def sent(server: HTTPServer) -> list[tuple[str, str, dict[str, Any]]]:
    return [(req.method, req.path, req.get_json()) for req, _ in server.log]


def test_creates_a_completed_check_run(server: HTTPServer) -> None:
    github(server)
    out = publisher(server).publish(reports.full(), RenderOptions(rules=reports.rules()))
    ((method, path, body),) = sent(server)
    assert (method, path) == ("POST", RUNS)
    check_create_body(body)
    assert body["head_sha"] == SHA and body["conclusion"] == "failure"
    assert len(body["output"]["annotations"]) == 5
    req = server.log[0][0]
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["Accept"] == "application/vnd.github+json"
    assert req.headers["X-GitHub-Api-Version"]
    assert [d.state for d in out] == ["sent"]


def test_annotations_in_batches_of_50(server: HTTPServer) -> None:
    github(server)
    out = publisher(server).publish(many(120))
    requests = sent(server)
    assert [(m, p) for m, p, _ in requests] == [
        ("POST", RUNS),
        ("PATCH", f"{RUNS}/4242"),
        ("PATCH", f"{RUNS}/4242"),
    ]
    assert [len(b["output"]["annotations"]) for _, _, b in requests] == [50, 50, 20]
    check_create_body(requests[0][2])
    for _, _, body in requests[1:]:
        check_output(body["output"])
    assert [d.note for d in out] == ["50 annotations", "50 annotations", "20 annotations"]


def test_rerun_says_already_posted(server: HTTPServer, tmp_path: Path) -> None:
    github(server)
    with PostedRecord(tmp_path / "posted.sqlite") as record:
        publisher(server, record=record).publish(reports.full())
        again = publisher(server, record=record).publish(reports.full())
    assert len(sent(server)) == 1
    assert [d.state for d in again] == ["already posted"]


def test_dry_run_shows_every_request(server: HTTPServer) -> None:
    out = publisher(server, dry_run=True, env={}).publish(many(60))
    assert sent(server) == []
    assert [d.action.split()[0] for d in out] == ["POST", "PATCH"]
    assert out[1].action.endswith("/check-runs/{check_run_id}")
    assert len(json.loads(out[0].body)["output"]["annotations"]) == 50


def test_retries_502_and_honours_retry_after(server: HTTPServer) -> None:
    server.expect_oneshot_request(RUNS, method="POST").respond_with_data("", 502)
    limited = Response("", 403, headers={"Retry-After": "30"})  # secondary rate limit
    server.expect_oneshot_request(RUNS, method="POST").respond_with_response(limited)
    github(server)
    sleeps: list[float] = []
    publisher(server, sleeps).publish(reports.full())
    assert len(sent(server)) == 3 and sleeps == [1.0, 30.0]


def test_errors_name_the_target(server: HTTPServer) -> None:
    server.expect_request(RUNS, method="POST").respond_with_json(
        {"message": "Resource not accessible by integration"}, status=403
    )
    with pytest.raises(PublishError, match=r"^github: POST .*: HTTP 403 .*not accessible"):
        publisher(server).publish(reports.full())
    with pytest.raises(PublishError, match="set REVIEWBOT_GITHUB_TOKEN"):
        publisher(server, env={})
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        GitHubConfig(repo="linux", head_sha=SHA)
