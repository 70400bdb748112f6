"""Options shared by the commands that review (review, check, scan), and their output."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from reviewbot import config as configuration
from reviewbot.cli import publishing
from reviewbot.engine.loader import RuleSet, load_rules
from reviewbot.errors import InputError, UsageError
from reviewbot.findings import Report, Severity
from reviewbot.parse.patch import Series
from reviewbot.pipeline import ReviewOptions, review_series
from reviewbot.report import FORMATS, RenderOptions, renderer
from reviewbot.tree import ApplyError, review_in_tree

FAIL_ON = ("error", "warning", "info", "never")
# Formats read by b4, which counts every stderr line as a failure: their stdout already
# carries rule errors, so nothing goes to stderr.
QUIET_FORMATS = ("checkpatch", "b4")


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="read configuration from FILE (after ~/.config/reviewbot/config.toml)",
    )
    parser.add_argument(
        "-c",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a configuration key, e.g. -c review.fail-on=error",
    )


def add_review_options(parser: argparse.ArgumentParser, tree: bool = True) -> None:
    add_common(parser)
    if tree:
        parser.add_argument(
            "--tree",
            metavar="PATH",
            help="a kernel git checkout: apply the series (git am -3) in a scratch worktree "
            "on its base-commit, else HEAD, and report what it introduces, seeing whole "
            "functions; a patch that does not apply exits 2 after the report of those before it",
        )
    parser.add_argument("--format", choices=sorted(FORMATS), help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="PATH", help="write the output to PATH")
    parser.add_argument("--kernel", metavar="VERSION", help="target kernel, e.g. 6.1 or 6.12")
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="RULES",
        help="run only these rules (codes, prefixes or names; comma-separated; repeatable)",
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="RULES", help="do not run these rules"
    )
    parser.add_argument(
        "--rules", action="append", default=[], metavar="DIR", help="load a rule pack directory"
    )
    parser.add_argument(
        "--fail-on", choices=FAIL_ON, help="lowest severity that exits 1 (default warning)"
    )
    parser.add_argument("--color", choices=("auto", "always", "never"), help="colour the text")


def load_config(args: argparse.Namespace) -> configuration.Config:
    return configuration.load(args.config, args.overrides)


def _split(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def review_options(args: argparse.Namespace, config: configuration.Config) -> ReviewOptions:
    return ReviewOptions(
        kernel=args.kernel or config.text("review.kernel") or None,
        select=_split(args.select) or config.words("rules.select"),
        ignore=_split(args.ignore) or config.words("rules.ignore"),
        rule_dirs=[*config.words("rules.dirs"), *args.rules],
    )


def ruleset(options: ReviewOptions) -> RuleSet:
    return load_rules(options.rule_dirs)


def review(
    args: argparse.Namespace,
    config: configuration.Config,
    series: Series,
    rules: RuleSet,
    tree_kernel: str | None = None,
) -> Report:
    """The pipeline for every command that reviews a series (review, check).

    ``tree_kernel`` is the version of the tree the author works in (check), which beats
    a guess from the patch but not --kernel.
    """
    opts = review_options(args, config)
    if getattr(args, "tree", None):
        return review_in_tree(series, opts, rules, Path(args.tree))
    return review_series(series, replace(opts, tree_kernel=tree_kernel), rules)


def exit_status(report: Report, fail_on: str) -> int:
    if any(isinstance(e, ApplyError) for e in report.errors):
        return 2  # --tree: a patch did not apply, the review is incomplete (input unusable)
    if fail_on == "never":
        return 0
    return 1 if report.at_least(Severity.parse(fail_on)) else 0


def write_atomically(path: Path, text: str) -> None:
    """Never leave a half-written output: write beside the target, then rename.

    A device or pipe (``-o /dev/null``, ``-o /dev/stdout``) is written directly: renaming
    over it would replace the device with a file.
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(
    args: argparse.Namespace, config: configuration.Config, report: Report, rules: RuleSet
) -> int:
    """Render ``report`` to stdout or -o, publish it if asked, and return the exit status."""
    fmt = args.format or config.text("review.format")
    colour = args.color or config.text("output.color")
    if colour not in ("auto", "always", "never"):
        raise UsageError(f"output.color = {colour!r}: expected auto, always or never")
    fail_on = args.fail_on or config.text("review.fail-on")
    if fail_on not in FAIL_ON:
        raise UsageError(f"review.fail-on = {fail_on!r}: expected one of {', '.join(FAIL_ON)}")
    to_tty = args.output is None and sys.stdout.isatty()
    options = RenderOptions(
        color=colour == "always"
        or (colour == "auto" and to_tty and not os.environ.get("NO_COLOR")),
        rules=rules.rules,
        extra=publishing.email_extra(config),
    )
    if fmt == "email" and args.output:
        # -o names a folder that receives one .eml per reply
        from reviewbot.publish.smtp import write_eml
        from reviewbot.report import email as email_format

        write_eml(email_format.messages(report, options), Path(args.output))
    else:
        text = renderer(fmt)(report, options)
        if args.output:
            write_atomically(Path(args.output), text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    if fmt not in QUIET_FORMATS:
        for error in report.errors:
            print(f"reviewbot: {error.message}", file=sys.stderr)
    if getattr(args, "publish", None):
        publishing.publish(args, config, report, options)
    return exit_status(report, fail_on)
