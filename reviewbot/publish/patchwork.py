"""Patchwork checks: one check per patch, ``pending`` first, then the result.

The patch ids come from patchwork itself: ``GET /api/<version>/patches/?msgid=<msgid>``
(``project`` narrows it when a patch went to several lists). Then, per patch,
``POST /api/<version>/patches/<id>/checks/`` with ``state`` (see
:mod:`reviewbot.report.levels`), ``context``, a one-line ``description``
("1 error, 2 warnings") and ``target_url``. Series-wide findings count on every patch.
Checks exist since API 1.0 and the ``msgid`` filter since 1.1; the default is 1.3.

The token comes from the environment (``Authorization: Token ...``). A patch whose check
with the same result is in the record is "already posted" and sent nothing, not even
``pending`` (which would hide the result already there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewbot.config import SECRET_ENV
from reviewbot.errors import ConfigError, PublishError
from reviewbot.findings import Finding, Report, RuleError
from reviewbot.parse.patch import Patch, Series
from reviewbot.publish import Delivery
from reviewbot.publish.record import PostedRecord, digest, revision_key
from reviewbot.publish.transport import Transport, authorized
from reviewbot.report import RenderOptions
from reviewbot.report.levels import count_text, outcome, shown

TARGET = "patchwork"
_CONTEXT = re.compile(r"^[-a-zA-Z0-9_]+$")  # patchwork's CheckCreate pattern
TARGET_URL_MAX = 200  # CheckCreate.target_url maxLength

Json = dict[str, Any]


@dataclass(frozen=True)
class PatchworkConfig:
    url: str  # the instance, e.g. https://patchwork.kernel.org
    project: str | None = None  # linkname or id; narrows the msgid look-up
    api_version: str = "1.3"
    context: str = "reviewbot"
    # Link to the full report; may use {msgid}, {index} and {patch_id}.
    target_url: str | None = None
    token_env: str = SECRET_ENV["patchwork-token"]
    pending: bool = True  # post "pending" before the result

    def __post_init__(self) -> None:
        if not _CONTEXT.match(self.context) or len(self.context) > 255:
            raise ConfigError(
                f"patchwork context {self.context!r}: letters, digits, '-' and '_' only"
            )
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"patchwork url {self.url!r}: expected http(s)://HOST")

    @property
    def api(self) -> str:
        return f"{self.url.rstrip('/')}/api/{self.api_version}"


@dataclass(frozen=True)
class PatchCheck:
    """The check one patch gets."""

    patch: Patch
    state: str
    description: str
    fingerprints: tuple[str, ...]

    def key(self) -> str:
        # Same patch and same result: already posted. A changed result posts again.
        return f"{self.patch.msgid}#{digest(self.state, self.description, *self.fingerprints)}"


def checks(report: Report, options: RenderOptions | None = None) -> list[PatchCheck]:
    """The check of every patch of the series (series-wide findings on each)."""
    findings = shown(report, options or RenderOptions())
    wide = [f for f in findings if f.patch is None]
    wide_errors = [e for e in report.errors if e.patch is None]
    out: list[PatchCheck] = []
    for patch in report.series.patches:
        mine: list[Finding] = [*(f for f in findings if f.patch == patch.index), *wide]
        errors: list[RuleError] = [*(e for e in report.errors if e.patch == patch.index)]
        errors += wide_errors
        out.append(
            PatchCheck(
                patch=patch,
                state=outcome(mine, errors).patchwork,
                description=count_text(mine, errors),
                fingerprints=tuple(sorted(f.fingerprint for f in mine)),
            )
        )
    return out


class PatchworkPublisher:
    def __init__(
        self,
        config: PatchworkConfig,
        *,
        record: PostedRecord | None = None,
        dry_run: bool = False,
        env: Mapping[str, str] | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.config = config
        self.record = record
        self.dry_run = dry_run
        self.transport = authorized(
            f"{TARGET} {config.url}",
            {"Accept": "application/json"},
            token_env=config.token_env,
            scheme="Token",
            env=env,
            dry_run=dry_run,
            transport=transport,
        )
        self.record_target = f"patchwork {config.url.rstrip('/')} {config.context}"

    # --- look-up ---------------------------------------------------------------------

    def patch_id(self, msgid: str) -> int:
        params = {"msgid": msgid}
        if self.config.project:
            params["project"] = self.config.project
        found = self.transport.json("GET", f"{self.config.api}/patches/", params=params)
        if not isinstance(found, list):
            raise PublishError(f"patchwork {self.config.url}: unexpected answer for <{msgid}>")
        ids = sorted({int(p["id"]) for p in found if isinstance(p, dict) and "id" in p})
        if not ids:
            where = f" in project {self.config.project}" if self.config.project else ""
            raise PublishError(f"patchwork {self.config.url}: no patch <{msgid}>{where}")
        if len(ids) > 1:
            raise PublishError(
                f"patchwork {self.config.url}: <{msgid}> is {len(ids)} patches "
                f"({', '.join(map(str, ids))}): set the project"
            )
        return ids[0]

    def patch_ids(self, series: Series) -> dict[int, int]:
        """Patch index -> patchwork id, for every patch of ``series``."""
        return {p.index: self.patch_id(p.msgid) for p in series.patches}

    # --- posting ---------------------------------------------------------------------

    def body(self, check: PatchCheck, patch_id: int, state: str | None = None) -> Json:
        body: Json = {
            "state": state or check.state,
            "context": self.config.context,
            "description": check.description if state is None else "review in progress",
        }
        if self.config.target_url:
            url = self.config.target_url.format(
                msgid=check.patch.msgid, index=check.patch.index, patch_id=patch_id
            )
            if len(url) > TARGET_URL_MAX:
                raise PublishError(
                    f"patchwork {self.config.url}: target_url is over {TARGET_URL_MAX} characters"
                )
            body["target_url"] = url
        return body

    def _post(self, patch_id: int, body: Json, note: str) -> Delivery:
        url = f"{self.config.api}/patches/{patch_id}/checks/"
        text = json.dumps(body, indent=2)
        if self.dry_run:
            return Delivery(TARGET, f"POST {url}", "dry-run", text, note)
        self.transport.request("POST", url, json=body, expect=(200, 201))
        return Delivery(TARGET, f"POST {url}", "sent", text, note)

    def pending(self, series: Series) -> list[Delivery]:
        """Mark every patch ``pending`` (the service calls this when a review starts)."""
        ids = self.patch_ids(series)
        out = []
        for patch in series.patches:
            check = PatchCheck(patch, "pending", "review in progress", ())
            out.append(self._post(ids[patch.index], self.body(check, ids[patch.index]), "pending"))
        return out

    def publish(self, report: Report, options: RenderOptions | None = None) -> list[Delivery]:
        """Post each patch's check (``pending`` first unless configured off)."""
        revision = revision_key(report.series)
        todo: list[PatchCheck] = []
        out: list[Delivery] = []
        for check in checks(report, options):
            if self.record and self.record.posted(self.record_target, revision, check.key()):
                what = f"check {self.config.context} on <{check.patch.msgid}>"
                out.append(Delivery(TARGET, what, "already posted", "", check.state))
            else:
                todo.append(check)
        if not todo:
            return out
        ids = {c.patch.index: self.patch_id(c.patch.msgid) for c in todo}
        if self.config.pending:
            for c in todo:
                pid = ids[c.patch.index]
                out.append(self._post(pid, self.body(c, pid, "pending"), "pending"))
        for c in todo:
            pid = ids[c.patch.index]
            out.append(self._post(pid, self.body(c, pid), c.state))
            if self.record and not self.dry_run:
                self.record.add(self.record_target, revision, [c.key()])
        return out
