"""The GitHub side of the service: a pull request's patch in, a check run out.

In: ``GET /repos/{owner}/{repo}/pulls/{number}`` with ``Accept:
application/vnd.github.v3.patch`` gives the pull request as ``git format-patch`` mail, one
message per commit, which parses like any mbox.

Out: the check run goes through :class:`reviewbot.publish.github.GitHubPublisher` and
its "already posted" record. Before posting, the service asks GitHub whether a completed
run of that name is already on the head SHA (a worker that posted and was killed before
it could record so): if one is, nothing is posted again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reviewbot.config import SECRET_ENV
from reviewbot.errors import InputError
from reviewbot.findings import Report
from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.publish import Delivery
from reviewbot.publish.github import GitHubConfig, GitHubPublisher
from reviewbot.publish.record import PostedRecord
from reviewbot.service import fetch
from reviewbot.service.settings import GitHubSettings
from reviewbot.sources.local import mails_from_bytes

if TYPE_CHECKING:
    from reviewbot.service.budget import Budget

PATCH_MEDIA_TYPE = "application/vnd.github.v3.patch"
API_VERSION = "2022-11-28"


def _headers(accept: str, env: Mapping[str, str]) -> dict[str, str]:
    headers = {"Accept": accept, "X-GitHub-Api-Version": API_VERSION}
    token = env.get(SECRET_ENV["github-token"], "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def fetch_pull_patch(
    settings: GitHubSettings,
    repo: str,
    number: int,
    *,
    limit: int,
    budget: Budget | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """The pull request as ``git format-patch`` mail, at most ``limit`` bytes."""
    url = f"{settings.api_url}/repos/{repo}/pulls/{number}"
    environ = os.environ if env is None else env
    return fetch.download(
        url,
        limit=limit,
        headers=_headers(PATCH_MEDIA_TYPE, environ),
        timeout=settings.timeout,
        budget=budget,
    )


def pull_series(data: bytes, repo: str, number: int) -> Series:
    """The pull request's commits as a Series (one patch per commit)."""
    where = f"{repo}#{number}"
    mails = mails_from_bytes(data, where)
    return build_series(mails, source=where, what="pull request")


def head_of(series: Series) -> str | None:
    """The SHA of the newest commit of the patch, when its ``From <sha>`` lines show it."""
    last = series.patches[-1] if series.patches else None
    return last.commit if last is not None else None


def superseded(series: Series, head_sha: str) -> bool:
    """The pull request moved on since the event: its patch ends at another commit."""
    head = head_of(series)
    return head is not None and not head.startswith(head_sha[:7]) and head != head_sha


def completed_run_exists(
    settings: GitHubSettings, repo: str, head_sha: str, env: Mapping[str, str] | None = None
) -> bool:
    """A completed check run named ``settings.check_name`` is already on ``head_sha``."""
    environ = os.environ if env is None else env
    url = f"{settings.api_url}/repos/{repo}/commits/{head_sha}/check-runs"
    resp = fetch.get(
        url,
        headers=_headers("application/vnd.github+json", environ),
        params={"check_name": settings.check_name, "filter": "all"},
        timeout=settings.timeout,
    )
    try:
        data: Any = resp.json()
    except ValueError:
        raise InputError(f"GET {url}: the answer is not JSON") from None
    runs = data.get("check_runs", []) if isinstance(data, dict) else []
    return any(
        isinstance(run, dict)
        and run.get("name") == settings.check_name
        and run.get("status") == "completed"
        for run in runs
    )


def post_check_run(
    settings: GitHubSettings,
    record: PostedRecord,
    repo: str,
    head_sha: str,
    report: Report,
    details_url: str | None = None,
) -> list[Delivery]:
    publisher = GitHubPublisher(
        GitHubConfig(
            repo=repo,
            head_sha=head_sha,
            api_url=settings.api_url,
            name=settings.check_name,
            details_url=details_url,
        ),
        record=record,
    )
    return publisher.publish(report)
