"""``--publish NAME [--post | --dry-run]``: deliver a report to patchwork, GitHub or email.

Nothing is sent unless ``--post`` is given: without it, publishing is a dry run that
prints what would be sent. Settings come from the configuration (``patchwork.*``,
``github.*``, ``email.*``, ``smtp.*``); secrets from the environment only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewbot import config as configuration
from reviewbot.errors import UsageError
from reviewbot.findings import Report
from reviewbot.publish import Delivery
from reviewbot.report import RenderOptions

TARGETS = ("patchwork", "github", "email")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish",
        action="append",
        default=[],
        choices=TARGETS,
        metavar="TARGET",
        help="deliver the findings to patchwork, github or email (a dry run without --post)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--post", action="store_true", help="really send what --publish prepares")
    mode.add_argument(
        "--dry-run", action="store_true", help="print what --publish would send (the default)"
    )


def _optional(config: configuration.Config, key: str) -> str | None:
    return config.text(key) or None


def _publish_one(
    target: str,
    report: Report,
    options: RenderOptions,
    config: configuration.Config,
    post: bool,
    outdir: Path | None,
) -> list[Delivery]:
    from reviewbot.publish.record import PostedRecord, default_path

    record_path = Path(config.text("publish.record")) if config.text("publish.record") else None
    with PostedRecord(record_path or default_path()) as record:
        if target == "patchwork":
            from reviewbot.publish.patchwork import PatchworkConfig, PatchworkPublisher

            if not config.text("patchwork.url"):
                raise UsageError(
                    "--publish patchwork: set patchwork.url (e.g. -c patchwork.url=...)"
                )
            pw = PatchworkConfig(
                url=config.text("patchwork.url"),
                project=_optional(config, "patchwork.project"),
                api_version=config.text("patchwork.api-version"),
                context=config.text("patchwork.context"),
                target_url=_optional(config, "patchwork.target-url"),
            )
            return PatchworkPublisher(pw, record=record, dry_run=not post).publish(report, options)
        if target == "github":
            from reviewbot.publish.github import GitHubConfig, GitHubPublisher

            if not (config.text("github.repo") and config.text("github.head-sha")):
                raise UsageError("--publish github: set github.repo and github.head-sha")
            gh = GitHubConfig(
                repo=config.text("github.repo"),
                head_sha=config.text("github.head-sha"),
                api_url=config.text("github.api-url"),
                name=config.text("github.name"),
                details_url=_optional(config, "github.details-url"),
            )
            return GitHubPublisher(gh, record=record, dry_run=not post).publish(report, options)
        from reviewbot.publish.smtp import SmtpConfig, SmtpPublisher

        overrides: dict[str, object] = {
            key: value
            for key, value in {
                "host": _optional(config, "smtp.host"),
                "port": config.number("smtp.port") or None,
                "encryption": _optional(config, "smtp.encryption"),
                "user": _optional(config, "smtp.user"),
                "sender": _optional(config, "email.from"),
            }.items()
            if value is not None
        }
        smtp = SmtpConfig.from_git(None, **overrides)
        publisher = SmtpPublisher(smtp, record=record, dry_run=not post)
        # post=True: describe (dry run) or do the real sending; a folder only when the
        # user asked for email files (--format email -o DIR) and SMTP is not configured.
        return publisher.publish(report, options, post=True, outdir=outdir)


def email_extra(config: configuration.Config) -> dict[str, str]:
    """RenderOptions.extra for the email renderer, from the configuration."""
    extra = {"to": ", ".join(config.words("email.to")), "cc": ", ".join(config.words("email.cc"))}
    if config.text("email.from"):
        extra["from"] = config.text("email.from")
    if config.get("email.all") is True:
        extra["email-all"] = "1"
    return {k: v for k, v in extra.items() if v}


def publish(
    args: argparse.Namespace,
    config: configuration.Config,
    report: Report,
    options: RenderOptions,
) -> None:
    """Run each ``--publish`` target and print one line per delivery on stderr."""
    fmt = args.format or config.text("review.format")
    outdir = Path(args.output) if fmt == "email" and getattr(args, "output", None) else None
    for target in dict.fromkeys(args.publish):
        deliveries = _publish_one(target, report, options, config, args.post, outdir)
        for delivery in deliveries:
            print(f"reviewbot: {delivery.line()}", file=sys.stderr)
            if not args.post and delivery.body:
                print(delivery.body, file=sys.stderr)
