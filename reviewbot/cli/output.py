"""What a reviewing command (review, check, scan) delivers: the format, -o, publishing
and the exit status. The settings are checked before any work, so a typo never costs a
fetch and a review."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reviewbot import config as configuration
from reviewbot.cli import publishing
from reviewbot.engine.loader import RuleSet
from reviewbot.errors import InputError, UsageError
from reviewbot.findings import Report, Severity
from reviewbot.report import FORMATS, RenderOptions, renderer

FAIL_ON = ("error", "warning", "info", "never")
COLOURS = ("auto", "always", "never")
# Formats read by b4, which counts every stderr line as a failure: their stdout already
# carries rule errors, so nothing goes to stderr. A check command for b4 reports through
# its output, so these exit 0 with findings unless --fail-on says otherwise.
QUIET_FORMATS = ("checkpatch", "b4")
EXIT_RULE_CRASHED = 4  # as for an internal error: a rule has a bug


@dataclass(frozen=True)
class Output:
    format: str
    colour: bool
    fail_on: str
    path: Path | None


def _choice(value: str, key: str, config: configuration.Config, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        origin = config.origins.get(key, "the default")
        raise UsageError(f"{origin}: {key} = {value!r}: expected one of {', '.join(allowed)}")
    return value


def settings(args: argparse.Namespace, config: configuration.Config) -> Output:
    """The output settings from options and configuration, checked (exit 2 when wrong)."""
    fmt = args.format or _choice(
        config.text("review.format"), "review.format", config, tuple(FORMATS)
    )
    colour = args.color or _choice(config.text("output.color"), "output.color", config, COLOURS)
    if args.fail_on:
        fail_on = args.fail_on
    elif fmt in QUIET_FORMATS:
        fail_on = "never"
    else:
        fail_on = _choice(config.text("review.fail-on"), "review.fail-on", config, FAIL_ON)
    if (getattr(args, "post", False) or getattr(args, "dry_run", False)) and not getattr(
        args, "publish", None
    ):
        raise UsageError("--post and --dry-run go with --publish TARGET")
    to_tty = args.output is None and sys.stdout.isatty()
    return Output(
        format=fmt,
        colour=colour == "always"
        or (colour == "auto" and to_tty and not os.environ.get("NO_COLOR")),
        fail_on=fail_on,
        path=Path(args.output) if args.output else None,
    )


def exit_status(report: Report, fail_on: str) -> int:
    from reviewbot.tree import ApplyError

    if any(isinstance(e, ApplyError) for e in report.errors):
        return 2  # --tree: a patch did not apply, the review is incomplete (input unusable)
    if fail_on == "never":
        return 0
    if report.errors:
        return EXIT_RULE_CRASHED  # a crashed rule may hide a finding: never a clean pass
    return 1 if report.at_least(Severity.parse(fail_on)) else 0


def write_atomically(path: Path, text: str) -> None:
    """Never leave a half-written output: write beside the target, then rename.

    A device or pipe (``-o /dev/null``, ``-o /dev/stdout``) is written directly: renaming
    over it would replace the device with a file. The file gets the mode a plain write
    would give it (the umask's), not mkstemp's private 0600.
    """
    if path.exists() and not path.is_file():
        if path.is_dir():
            raise InputError(f"-o {path}: is a directory")
        with path.open("w", encoding="utf-8") as out:
            out.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"-o {path}: directory {directory} does not exist")
    umask = os.umask(0)
    os.umask(umask)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise InputError(f"-o {path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(
    args: argparse.Namespace, config: configuration.Config, report: Report, rules: RuleSet
) -> int:
    """Render ``report`` to stdout or -o, publish it if asked, and return the exit status."""
    out = settings(args, config)
    options = RenderOptions(
        color=out.colour,
        rules=rules.rules,
        extra=publishing.email_extra(config),
        rule_doc_url=config.text("output.rule-doc-url"),
    )
    if out.format == "email" and out.path is not None:
        # -o names a folder that receives one .eml per reply
        from reviewbot.publish.smtp import write_eml
        from reviewbot.report import email as email_format

        write_eml(email_format.messages(report, options), out.path)
    else:
        text = renderer(out.format)(report, options)
        if out.path is not None:
            write_atomically(out.path, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    if out.format not in QUIET_FORMATS:
        for error in report.errors:
            print(f"reviewbot: {error.message}", file=sys.stderr)
    if getattr(args, "publish", None):
        publishing.publish(args, config, report, options)
    return exit_status(report, out.fail_on)
