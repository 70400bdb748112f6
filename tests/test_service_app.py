"""The HTTP app over real HTTP on 127.0.0.1: the webhook, health, metrics, reviews."""

from __future__ import annotations

import copy
import io
import json
import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from service_env import (
    PULL_HEAD,
    SCHEMAS,
    SECRET,
    TOKEN,
    AppServer,
    base_values,
    github_fake,
    load_settings,
    service_env,
    wait_for,
    write_config,
)

from reviewbot.cli import main
from reviewbot.errors import ConfigError
from reviewbot.service import logs
from reviewbot.service import settings as service_settings
from reviewbot.service.app import create_app, signature_of
from reviewbot.service.runtime import Runtime
from reviewbot.service.worker import Worker

pytestmark = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/schemas is absent")


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / f"github-webhook-{name}.json").read_text())
    return data


def post(
    url: str,
    body: bytes,
    event: str,
    *,
    secret: str | None = SECRET,
    signature: str | None = None,
    content_type: str = "application/json",
) -> requests.Response:
    headers = {
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif secret is not None:
        headers["X-Hub-Signature-256"] = signature_of(secret, body)
    return requests.post(f"{url}/webhooks/github", data=body, headers=headers, timeout=10)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Runtime, AppServer]]:
    config = write_config(
        tmp_path / "service.toml", base_values(tmp_path / "state", **{"serve.max-body": 65536})
    )
    runtime = Runtime(load_settings(config))
    with AppServer(create_app(runtime)) as app:
        yield runtime, app
    runtime.close()


def nothing_queued(runtime: Runtime) -> bool:
    return runtime.board.counts()["queued"] == 0 and runtime.queue.depth() == 0


def test_signed_pull_request_events_are_queued_once_per_head(
    service: tuple[Runtime, AppServer],
) -> None:
    runtime, app = service
    opened = payload("pull_request-opened")
    body = json.dumps(opened).encode()
    first = post(app.url, body, "pull_request")
    assert first.status_code == 202
    assert first.json() == {
        "status": "queued",
        "job": f"github:Codertocat/Hello-World#2@{opened['pull_request']['head']['sha']}",
    }
    job = runtime.board.get(first.json()["job"])
    assert job is not None and job.state == "queued" and job.kind == "github"
    assert job.params["repo"] == "Codertocat/Hello-World" and job.params["number"] == 2

    again = post(app.url, body, "pull_request")  # GitHub redelivers
    assert again.status_code == 202 and again.json()["status"] == "duplicate"

    sync = payload("pull_request-synchronize")
    sync["pull_request"]["head"]["sha"] = sync["after"] = "1" * 40  # a new push
    second = post(app.url, json.dumps(sync).encode(), "pull_request")
    assert second.status_code == 202 and second.json()["status"] == "queued"

    reopened = copy.deepcopy(opened)
    reopened["action"] = "reopened"
    reopened["pull_request"]["head"]["sha"] = "2" * 40
    third = post(app.url, json.dumps(reopened).encode(), "pull_request")
    assert third.json()["status"] == "queued"
    assert runtime.board.counts()["queued"] == 3
    assert runtime.queue.depth() == 3

    # the same delivery as a form (GitHub's other content type): same job, signature on raw body
    form = b"payload=" + urllib.parse.quote(json.dumps(opened)).encode()
    as_form = post(app.url, form, "pull_request", content_type="application/x-www-form-urlencoded")
    assert as_form.status_code == 202 and as_form.json()["status"] == "duplicate"


def test_ping_is_answered(service: tuple[Runtime, AppServer]) -> None:
    runtime, app = service
    ping = payload("ping")
    resp = post(app.url, json.dumps(ping).encode(), "ping")
    assert resp.status_code == 200
    assert resp.json() == {"status": "pong", "zen": ping["zen"], "hook_id": ping["hook_id"]}
    assert nothing_queued(runtime)


def test_other_events_and_actions_are_ignored_with_a_reason(
    service: tuple[Runtime, AppServer],
) -> None:
    runtime, app = service
    closed = payload("pull_request-opened")
    closed["action"] = "closed"
    resp = post(app.url, json.dumps(closed).encode(), "pull_request")
    assert resp.status_code == 202
    assert resp.json()["status"] == "ignored" and "pull_request closed" in resp.json()["reason"]
    issues = post(app.url, json.dumps({"action": "opened"}).encode(), "issues")
    assert issues.status_code == 202 and "issues opened" in issues.json()["reason"]
    assert nothing_queued(runtime)


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("unsigned", 401),
        ("wrong secret", 401),
        ("garbage signature", 401),
        ("sha1 only", 401),
        ("oversized", 413),
        ("malformed JSON", 400),
        ("not an object", 400),
        ("no event", 400),
    ],
)
def test_bad_deliveries_are_rejected_and_queue_nothing(
    service: tuple[Runtime, AppServer], how: str, status: int
) -> None:
    runtime, app = service
    body = json.dumps(payload("pull_request-opened")).encode()
    event = "pull_request"
    kw: dict[str, Any] = {}
    if how == "unsigned":
        kw["secret"] = None
    elif how == "wrong secret":
        kw["secret"] = "not the secret"
    elif how == "garbage signature":
        kw["signature"] = "sha256=" + "0" * 64
    elif how == "sha1 only":
        kw["signature"] = "sha1=" + "0" * 40
    elif how == "oversized":
        body = json.dumps({**json.loads(body), "padding": "x" * 70000}).encode()
    elif how == "malformed JSON":
        body = body[:-10]
    elif how == "not an object":
        body = b"[1, 2, 3]"
    elif how == "no event":
        event = ""
    resp = post(app.url, body, event, **kw)
    assert resp.status_code == status, resp.text
    assert "error" in resp.json()
    assert nothing_queued(runtime)


def test_oversized_body_without_content_length_is_refused(
    service: tuple[Runtime, AppServer],
) -> None:
    runtime, app = service
    chunks = (b"x" * 8192 for _ in range(10))  # chunked: no Content-Length
    resp = requests.post(
        f"{app.url}/webhooks/github",
        data=chunks,
        timeout=10,
        headers={"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=0"},
    )
    assert resp.status_code == 413
    assert nothing_queued(runtime)


def test_health_metrics_reviews_and_openapi(service: tuple[Runtime, AppServer]) -> None:
    _, app = service
    queued = post(app.url, json.dumps(payload("pull_request-opened")).encode(), "pull_request")
    assert requests.get(f"{app.url}/healthz", timeout=5).json() == {
        "status": "ok",
        "queue": "sqlite",
    }
    metrics = requests.get(f"{app.url}/metrics", timeout=5)
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = metrics.text.splitlines()
    assert "reviewbot_queue_depth 1" in lines
    assert 'reviewbot_jobs{state="queued"} 1' in lines
    assert "reviewbot_reviews_total 0" in lines
    assert "reviewbot_review_failures_total 0" in lines
    assert 'reviewbot_webhooks_total{outcome="queued"} 1' in lines
    assert 'reviewbot_review_latency_seconds_bucket{le="+Inf"} 0' in lines
    listing = requests.get(f"{app.url}/reviews", timeout=5).json()
    assert listing["reviews"] == [] and listing["failed"] == []
    assert [j["state"] for j in listing["pending"]] == ["queued"]
    missing = requests.get(f"{app.url}/reviews/12345", timeout=5)
    assert missing.status_code == 404 and "error" in missing.json()
    job = queued.json()["job"]
    waiting = requests.get(f"{app.url}/reviews/{urllib.parse.quote(job, safe='')}", timeout=5)
    assert waiting.status_code == 404
    assert waiting.json() == {"error": f"no review of job {job} yet: it is queued"}
    unknown = requests.get(f"{app.url}/reviews/github%3Ao%2Fr%231%40abc", timeout=5)
    assert unknown.json() == {"error": "no review github:o/r#1@abc"}
    assert requests.get(f"{app.url}/reviews?limit=0", timeout=5).status_code == 400
    assert requests.get(f"{app.url}/nowhere", timeout=5).json() == {"error": "Not Found"}
    spec = requests.get(f"{app.url}/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.") and "/webhooks/github" in spec["paths"]


def test_a_pull_request_is_reviewed_and_its_check_run_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_GITHUB_TOKEN", TOKEN)
    with github_fake() as gh:
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{
                    "github.api-url": gh.url,
                    "publish.github.post": True,
                    "serve.public-url": "https://bot.example",
                },
            ),
        )
        runtime = Runtime(load_settings(config))
        worker = Worker(runtime, 1, poll=0.05)
        worker.start()
        try:
            with AppServer(create_app(runtime)) as app:
                event = payload("pull_request-opened")
                event["pull_request"]["head"]["sha"] = PULL_HEAD
                resp = post(app.url, json.dumps(event).encode(), "pull_request")
                job = resp.json()["job"]
                wait_for(lambda: runtime.board.get(job).state == "done", 30, "the review")  # type: ignore[union-attr]
                listing = requests.get(f"{app.url}/reviews", params={"job": job}, timeout=5).json()
                review_id = listing["job"]["review"]
                review = requests.get(f"{app.url}/reviews/{review_id}", timeout=5).json()
                path = urllib.parse.urlsplit(gh.created[0]["details_url"]).path
                linked = requests.get(f"{app.url}{path}", timeout=5).json()
        finally:
            worker.stop()
            runtime.close()
    assert [r["id"] for r in listing["reviews"]] == [review_id]
    assert review["source"] == "github" and review["revision"] == PULL_HEAD
    assert review["series_key"] == "github:Codertocat/Hello-World#2"
    assert [f["code"] for f in review["report"]["findings"]] == ["MM002"]
    assert review["since_previous"]["previous"] is None
    assert review["published"] and review["published"][0].startswith("github: sent: POST")
    # what GitHub was sent: the patch media type, one check run on the head, with the token
    assert gh.patch_requests[0]["Accept"] == "application/vnd.github.v3.patch"
    assert gh.patch_requests[0]["Authorization"] == f"Bearer {TOKEN}"
    assert len(gh.created) == 1
    run = gh.created[0]
    assert run["head_sha"] == PULL_HEAD and run["name"] == "reviewbot"
    assert run["conclusion"] in ("failure", "neutral", "success", "action_required")
    # the check links to the review through its job (its number is not known when posting)
    assert run["details_url"] == "https://bot.example/reviews/" + urllib.parse.quote(job, safe="")
    assert linked["id"] == review_id
    assert [a["path"] for a in run["output"]["annotations"]] == ["mm/huge_memory.c"]
    assert gh.create_headers[0]["Authorization"] == f"Bearer {TOKEN}"


def test_a_push_that_moved_on_is_not_reviewed(tmp_path: Path) -> None:
    with github_fake() as gh:
        config = write_config(
            tmp_path / "s.toml",
            base_values(tmp_path / "state", **{"github.api-url": gh.url}),
        )
        runtime = Runtime(load_settings(config))
        worker = Worker(runtime, 1, poll=0.05)
        worker.start()
        try:
            job = "github:o/r#2@" + "3" * 40
            runtime.submit("github", job, {"repo": "o/r", "number": 2, "head_sha": "3" * 40})
            done = wait_for(lambda: (j := runtime.board.get(job)) and j.state == "done" and j, 30)
        finally:
            worker.stop()
            runtime.close()
    assert done.note.startswith("superseded") and PULL_HEAD in done.note
    assert gh.created == []


def test_start_up_errors_name_the_secret_or_the_key(tmp_path: Path) -> None:
    config = write_config(tmp_path / "s.toml", base_values(tmp_path / "state"))
    cfg = service_settings.load([config], env={})
    with pytest.raises(ConfigError, match="REVIEWBOT_GITHUB_SECRET"):
        service_settings.check_secrets(cfg, webhook=True, publish=True, env={})
    posting = write_config(
        tmp_path / "p.toml", base_values(tmp_path / "state", **{"publish.github.post": True})
    )
    cfg = service_settings.load([posting], env={"REVIEWBOT_GITHUB_SECRET": SECRET})
    with pytest.raises(ConfigError, match="REVIEWBOT_GITHUB_TOKEN"):
        service_settings.check_secrets(cfg, webhook=True, publish=True, env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[queue]\nbakend = 'redis'\n")
    with pytest.raises(ConfigError, match=r"bad.toml: unknown configuration key 'queue.bakend'"):
        service_settings.load([bad], env={})
    typo = tmp_path / "typo.toml"
    typo.write_text("[queue]\nbackend = 'postgres'\n")
    with pytest.raises(ConfigError, match=r"queue\.backend = 'postgres'"):
        service_settings.load([typo], env={})


def test_serve_refuses_to_start_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REVIEWBOT_GITHUB_SECRET", raising=False)
    config = write_config(tmp_path / "s.toml", base_values(tmp_path / "state"))
    assert main(["serve", "--config", str(config), "--bind", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("reviewbot: ") and "REVIEWBOT_GITHUB_SECRET" in err
    assert main(["serve", "--config", str(config), "-c", "queue.nope=1"]) == 2
    assert "unknown configuration key 'queue.nope'" in capsys.readouterr().err


def test_logs_are_one_json_line_per_event_and_never_a_secret(
    service: tuple[Runtime, AppServer],
) -> None:
    _, app = service
    stream = io.StringIO()
    handler = logs.configure("json", stream=stream, env=service_env())
    try:
        body = json.dumps(payload("pull_request-opened")).encode()
        post(app.url, body, "pull_request")
        post(app.url, body, "pull_request", secret="wrong")
        # a careless message that quotes the secret is redacted all the same
        logs.event(logging.getLogger("test"), "oops", detail=f"secret={SECRET} token={TOKEN}")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    events = [r["event"] for r in records]
    assert (
        "webhook.queued" in events and "webhook.unauthorized" in events and "job.queued" in events
    )
    assert all({"ts", "level", "event"} <= set(r) for r in records)
    text = stream.getvalue()
    assert SECRET not in text and TOKEN not in text and "[redacted]" in text
