"""The three kinds of job: review a GitHub pull request, a patchwork series, a lore series.

Each kind knows its job id (one per series revision), how to fetch the series, which
series it is a revision of (for "new and fixed since the previous revision") and where
the result is posted:

| kind | id | fetch | posted to |
|---|---|---|---|
| github | ``github:OWNER/NAME#N@SHA`` | the pull request's ``.patch`` | a check run on SHA |
| patchwork | ``patchwork:URL#ID`` | the series mbox | a check on each patch |
| lore | ``lore:LIST:MSGID`` | the thread through b4 | nowhere (stored) |

Posting goes through the publishers with the shared "already posted" record, and only
when the configuration says so (``publish.github.post``, ``publish.patchwork.post``).

A job runs within its time budget (:mod:`reviewbot.service.budget`): downloads stop when
it is spent, the review runs in a child process killed then, and nothing is posted after
it. Downloads stop past ``serve.max-patch-bytes`` too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reviewbot.engine.loader import RuleSet, load_rules
from reviewbot.errors import InputError
from reviewbot.findings import Report
from reviewbot.kernel import KernelVersion
from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.publish import Delivery
from reviewbot.publish.patchwork import TARGET_URL_MAX, PatchworkConfig, PatchworkPublisher
from reviewbot.publish.record import PostedRecord
from reviewbot.report.json_format import report_dict
from reviewbot.service import fetch, github
from reviewbot.service.budget import Budget, Reviewer, run_review
from reviewbot.service.budget import review as review_in_child
from reviewbot.service.jobs import Job
from reviewbot.service.settings import Settings
from reviewbot.service.store import ReviewResult
from reviewbot.sources import load_series
from reviewbot.sources.local import mails_from_bytes

PATCHWORK_TIMEOUT = 60  # seconds before a series mbox download gives up
_SPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r"<([^<>]+)>")


def github_job(repo: str, number: int, head_sha: str) -> str:
    return f"github:{repo}#{number}@{head_sha}"


def patchwork_job(url: str, series_id: int) -> str:
    return f"patchwork:{url.rstrip('/')}#{series_id}"


def lore_job(list_name: str, msgid: str) -> str:
    return f"lore:{list_name}:{msgid}"


def mail_series_key(series: Series) -> str:
    """One key for every revision of a mailed series: the author and the subject."""
    author = series.cover.author if series.cover else series.patches[0].author
    found = _ADDRESS.search(author)
    address = (found.group(1) if found else author).strip().lower()
    title = _SPACE.sub(" ", series.subject).strip().lower()
    return f"mail:{address}:{title}"


@dataclass(frozen=True)
class Outcome:
    """A job's end: a review to store, or a note saying why there is none."""

    result: ReviewResult | None
    note: str | None = None


class LeaseLost(Exception):
    """The job's lease went to another worker (this one stalled): post nothing."""


@dataclass(frozen=True)
class _Run:
    """What a task is given besides its job: when it may post, and its time."""

    before_posting: Callable[[], None]  # raises LeaseLost or JobTimeout
    budget: Budget


class Tasks:
    def __init__(
        self,
        settings: Settings,
        open_record: Callable[[], PostedRecord],
        *,
        clock: Callable[[], float] = time.time,
        reviewer: Reviewer = review_in_child,
    ) -> None:
        self.settings = settings
        self.open_record = open_record
        self.clock = clock
        # what the review's child process runs (a module-level function: tests slow it)
        self.reviewer = reviewer
        self._rules: RuleSet | None = None

    @property
    def rules(self) -> RuleSet:
        if self._rules is None:
            self._rules = load_rules(self.settings.review.rule_dirs)
        return self._rules

    def validate(self) -> None:
        """Raise UsageError now for a rule selection or kernel that every review would hit."""
        options = self.settings.review
        self.rules.select(options.select, options.ignore)
        if options.kernel:
            KernelVersion.parse(options.kernel)

    def details_url(self, job: str, configured: str = "") -> str | None:
        """The configured link, else the job's review on this service (serve.public-url):
        GET /reviews/{job id} answers it once the review is stored."""
        return configured or self.settings.review_url(job)

    def review(self, series: Series, budget: Budget) -> Report:
        return run_review(series, self.settings.review, budget, self.reviewer)

    def run(
        self, job: Job, check_lease: Callable[[], None], budget: Budget | None = None
    ) -> Outcome:
        """Fetch, review and post ``job`` within ``budget`` (default: queue.job-timeout
        from now); ``check_lease`` raises LeaseLost before posting."""
        started = self.clock()
        if budget is None:
            budget = Budget(self.settings.queue.job_timeout)
        runner = {"github": self._github, "patchwork": self._patchwork, "lore": self._lore}
        try:
            kind = runner[job.kind]
        except KeyError:
            raise InputError(f"job {job.id}: unknown kind {job.kind!r}") from None

        def before_posting() -> None:
            check_lease()
            budget.check()

        with self.open_record() as record:
            return kind(job, started, _Run(before_posting, budget), record)

    def _result(
        self,
        job: Job,
        started: float,
        series: Series,
        report: Report,
        series_key: str,
        revision: str,
        published: list[Delivery],
    ) -> ReviewResult:
        return ReviewResult(
            job=job.id,
            source=job.kind,
            series_key=series_key,
            revision=revision,
            version=series.version,
            subject=series.subject,
            msgid=series.msgid,
            queued_at=job.created,
            started_at=started,
            finished_at=self.clock(),
            report=report_dict(report),
            published=[d.line() for d in published],
        )

    def _github(self, job: Job, started: float, run: _Run, record: PostedRecord) -> Outcome:
        p = job.params
        repo, number, sha = str(p["repo"]), int(p["number"]), str(p["head_sha"])
        data = github.fetch_pull_patch(
            self.settings.github,
            repo,
            number,
            limit=self.settings.max_patch_bytes,
            budget=run.budget,
        )
        series = github.pull_series(data, repo, number)
        if github.superseded(series, sha):
            return Outcome(
                None, f"superseded: the pull request's head is now {series.patches[-1].commit}"
            )
        report = self.review(series, run.budget)
        published: list[Delivery] = []
        if self.settings.github.post:
            run.before_posting()
            if github.completed_run_exists(self.settings.github, repo, sha):
                what = f"check run {self.settings.github.check_name} on {sha}"
                published.append(Delivery("github", what, "already posted", "", "found on GitHub"))
            else:
                published = github.post_check_run(
                    self.settings.github,
                    record,
                    repo,
                    sha,
                    report,
                    details_url=self.details_url(job.id, self.settings.github.details_url),
                )
        result = self._result(
            job, started, series, report, f"github:{repo}#{number}", sha, published
        )
        return Outcome(result)

    def _patchwork(self, job: Job, started: float, run: _Run, record: PostedRecord) -> Outcome:
        p = job.params
        mbox = fetch.download(
            str(p["mbox"]),
            limit=self.settings.max_patch_bytes,
            timeout=PATCHWORK_TIMEOUT,
            budget=run.budget,
        )
        where = f"patchwork series {p['series']}"
        series = build_series(mails_from_bytes(mbox, where), source=str(p["mbox"]), what="mbox")
        report = self.review(series, run.budget)
        published: list[Delivery] = []
        pw = self.settings.patchwork
        if pw.post:
            run.before_posting()
            target = self.details_url(job.id)
            publisher = PatchworkPublisher(
                PatchworkConfig(
                    url=str(p["url"]),
                    project=pw.project or None,
                    api_version=pw.api_version,
                    context=pw.context,
                    target_url=pw.target_url or self._patchwork_link(target),
                ),
                record=record,
            )
            published = publisher.publish(report)
        return Outcome(self._mail_result(job, started, series, report, published))

    @staticmethod
    def _patchwork_link(target: str | None) -> str | None:
        if not target or len(target) > TARGET_URL_MAX:
            return None
        # braces would be taken for the publisher's {msgid} fields
        return target.replace("{", "%7B").replace("}", "%7D")

    def _lore(self, job: Job, started: float, run: _Run, record: PostedRecord) -> Outcome:
        p = job.params
        series = load_series(
            f"id:{p['msgid']}", lore_url=self.settings.lore.url, timeout=self.settings.lore.timeout
        )
        report = self.review(series, run.budget)
        return Outcome(self._mail_result(job, started, series, report, []))

    def _mail_result(
        self, job: Job, started: float, series: Series, report: Report, published: list[Delivery]
    ) -> ReviewResult:
        revision = f"v{series.version} <{series.msgid or job.id}>"
        key = mail_series_key(series)
        return self._result(job, started, series, report, key, revision, published)


def describe(job: Job) -> dict[str, Any]:
    """The fields a log line names a job by."""
    return {"job": job.id, "kind": job.kind, "attempt": job.attempts}
