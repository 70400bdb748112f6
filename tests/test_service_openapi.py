"""schemathesis against the app over HTTP, driven by the app's own OpenAPI description."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.specs.openapi.checks import ignored_auth
from service_env import FIXTURES, SECRET, AppServer, base_values, load_settings, write_config

from reviewbot.engine.loader import load_rules
from reviewbot.pipeline import ReviewOptions, review_series
from reviewbot.report.json_format import report_dict
from reviewbot.service.app import create_app, signature_of
from reviewbot.service.openapi import document
from reviewbot.service.runtime import Runtime
from reviewbot.service.store import ReviewResult
from reviewbot.sources import load_series

# hypothesis keeps caches in .hypothesis/ of the working directory: keep them in pytest's.
set_hypothesis_home_dir(Path(__file__).resolve().parents[1] / ".pytest_cache" / "hypothesis")


def seeded_runtime(state: Path, config: Path) -> Runtime:
    """A store with one review and a board with a done, a failed and a queued job."""
    runtime = Runtime(load_settings(config))
    series = load_series(str(FIXTURES / "series-v1.mbox"), lore_url="http://127.0.0.1:9")
    report = review_series(series, ReviewOptions(), load_rules([]))
    now = time.time()
    assert runtime.store is not None
    runtime.store.add(
        ReviewResult(
            job="lore:linux-mm:a@b",
            source="lore",
            series_key="mail:a:b",
            revision="v1 <a@b>",
            version=1,
            subject=series.subject,
            msgid="a@b",
            queued_at=now - 3,
            started_at=now - 2,
            finished_at=now,
            report=report_dict(report),
            published=[],
        )
    )
    board = runtime.board
    for job, state_name in (("lore:linux-mm:a@b", "done"), ("lore:linux-mm:c@d", "failed")):
        board.add(job, "lore", {"list": "linux-mm", "msgid": job.split(":")[-1]}, now)
        board.claim(job, "here:1:x", 60, now)
        if state_name == "done":
            board.finish(job, "here:1:x", now)
        else:
            board.fail(job, "here:1:x", "FetchError: no messages found", now)
    runtime.submit("lore", "lore:linux-mm:e@f", {"list": "linux-mm", "msgid": "e@f"}, delay=3600)
    return runtime


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("openapi")
    config = write_config(tmp / "service.toml", base_values(tmp / "state"))
    runtime = seeded_runtime(tmp / "state", config)
    with AppServer(create_app(runtime)) as app:
        yield app.url
    runtime.close()


# Loaded from the document the app serves (test_openapi_document_is_served checks they match);
# schemathesis' lazy from_fixture loader does not work with pytest 9, hence eager loading.
schema = schemathesis.openapi.from_dict(document())


def test_openapi_document_is_served(live_app: str) -> None:
    assert requests.get(f"{live_app}/openapi.json", timeout=5).json() == document()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_the_app_answers_as_its_openapi_says_and_never_5xx(case: Any, live_app: str) -> None:
    if case.operation.path != "/webhooks/github":
        response = case.call_and_validate(base_url=live_app)
    else:
        # A generated signature is replaced by the right one, so that generated bodies get
        # past the check to the parsing and the event handling; a case without one (a
        # negative case) stays unsigned and must get 401.
        kwargs = case.as_transport_kwargs(base_url=live_app)
        kwargs.pop("cookies", None)
        prepared = requests.Request(**kwargs).prepare()
        signed = "X-Hub-Signature-256" in prepared.headers
        if signed:
            body = prepared.body or b""
            raw = body.encode() if isinstance(body, str) else body
            prepared.headers["X-Hub-Signature-256"] = signature_of(SECRET, raw)
        with requests.Session() as session:
            response = session.send(prepared, timeout=10)
        # ignored_auth reads a valid signature as "invalid auth accepted": it is ours on purpose.
        case.validate_response(response, excluded_checks=[ignored_auth] if signed else [])
        assert (response.status_code == 401) != signed
    assert response.status_code < 500
