"""GitHub check runs: one completed check run on the head SHA, annotations 50 at a time.

``POST /repos/{owner}/{repo}/check-runs`` creates the run with its conclusion, output and
the first 50 annotations; each further 50 go in ``PATCH .../check-runs/{id}`` (GitHub
appends them). The bodies come from :mod:`reviewbot.report.github`. The token (a GitHub
App installation token: only Apps may create check runs) comes from the environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from reviewbot.config import SECRET_ENV
from reviewbot.errors import ConfigError, PublishError
from reviewbot.findings import Report
from reviewbot.publish import Delivery
from reviewbot.publish.record import PostedRecord, digest
from reviewbot.publish.transport import Transport, authorized
from reviewbot.report import RenderOptions
from reviewbot.report import github as render_github
from reviewbot.report.levels import shown

TARGET = "github"
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")


@dataclass(frozen=True)
class GitHubConfig:
    repo: str  # owner/name
    head_sha: str
    api_url: str = "https://api.github.com"  # GitHub Enterprise: https://HOST/api/v3
    name: str = "reviewbot"  # the check run's name
    details_url: str | None = None
    token_env: str = SECRET_ENV["github-token"]
    api_version: str = "2022-11-28"

    def __post_init__(self) -> None:
        if not _REPO.match(self.repo):
            raise ConfigError(f"github repo {self.repo!r}: expected OWNER/NAME")
        if not _SHA.match(self.head_sha):
            raise ConfigError(f"github head sha {self.head_sha!r}: expected a commit SHA")


class GitHubPublisher:
    def __init__(
        self,
        config: GitHubConfig,
        *,
        record: PostedRecord | None = None,
        dry_run: bool = False,
        env: Mapping[str, str] | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.config = config
        self.record = record
        self.dry_run = dry_run
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": config.api_version,
        }
        self.transport = authorized(
            f"{TARGET} {config.repo}",
            headers,
            token_env=config.token_env,
            scheme="Bearer",
            env=env,
            dry_run=dry_run,
            transport=transport,
        )
        self.record_target = f"github {config.api_url.rstrip('/')} {config.repo} {config.name}"

    @property
    def runs_url(self) -> str:
        return f"{self.config.api_url.rstrip('/')}/repos/{self.config.repo}/check-runs"

    def publish(self, report: Report, options: RenderOptions | None = None) -> list[Delivery]:
        options = options or RenderOptions()
        extra = dict(options.extra)
        extra["name"] = self.config.name
        if self.config.details_url:
            extra["details-url"] = self.config.details_url
        options = replace(options, extra=extra)
        bodies = render_github.request_bodies(report, options, self.config.head_sha)
        key = digest(
            json.dumps(bodies[0]["conclusion"]),
            *sorted(f.fingerprint for f in shown(report, options)),
        )
        revision = f"sha:{self.config.head_sha}"
        if self.record and self.record.posted(self.record_target, revision, key):
            what = f"check run {self.config.name} on {self.config.head_sha}"
            return [Delivery(TARGET, what, "already posted", "", bodies[0]["conclusion"])]
        out: list[Delivery] = []
        run_id: str = "{check_run_id}"
        for n, body in enumerate(bodies):
            method, url = (
                ("POST", self.runs_url) if n == 0 else ("PATCH", f"{self.runs_url}/{run_id}")
            )
            note = f"{len(body['output'].get('annotations', []))} annotations"
            text = json.dumps(body, indent=2, ensure_ascii=False)
            if self.dry_run:
                out.append(Delivery(TARGET, f"{method} {url}", "dry-run", text, note))
                continue
            answer = self.transport.json(method, url, json=body, expect=(200, 201))
            if n == 0:
                if not isinstance(answer, dict) or "id" not in answer:
                    raise PublishError(f"github: POST {url}: the answer has no check run id")
                run_id = str(answer["id"])
            out.append(Delivery(TARGET, f"{method} {url}", "sent", text, note))
        if self.record and not self.dry_run:
            self.record.add(self.record_target, revision, [key])
        return out
