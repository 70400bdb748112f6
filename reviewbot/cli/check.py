"""``reviewbot check [RANGE | FILES... | -]``: the pre-send check for patch authors.

What is checked:

- nothing named: the commits on this branch that its upstream does not have
  (``@{upstream}..HEAD``), or ``BASE..HEAD`` with ``--base BASE``;
- a range (``A..B``, ``A..``, ``X^!``) or one commit (``HEAD``, a SHA: that commit only);
- files: ``git format-patch`` output (``00*.patch``), an mbox, a directory of patches;
- ``-``: one patch (or an mbox) on standard input, as ``b4 prep --check`` and ``b4 review``
  send it.

An argument that names an existing file is a file. Only committed changes are checked:
the work tree and the index are never read. An empty range is not an error: it says so
on stderr and exits 0. Inside a git work tree, configuration is also read from the
repository's ``.reviewbot.toml`` and ``git config reviewbot.*`` (see reviewbot.config).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from reviewbot import config as configuration
from reviewbot.cli import options, output
from reviewbot.errors import UsageError
from reviewbot.parse.mail import Mail
from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.sources import git, local


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="check your own commits or patches before sending them",
        description=(
            "Check patches before sending them: the commits on this branch that its "
            "upstream does not have (or --base REV..HEAD), a revision range, one commit, "
            "git format-patch files, or - for one patch on stdin (for b4). Exits 1 when "
            "there are findings at the --fail-on level (default warning; the checkpatch "
            "and b4 formats exit 0 unless --fail-on is given)."
        ),
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="RANGE | FILE | -",
        help="a range (A..B), a commit, format-patch files, or - (default: @{upstream}..HEAD)",
    )
    parser.add_argument(
        "--base", metavar="REV", help="check the commits REV..HEAD (instead of the upstream)"
    )
    options.add_review_options(parser)
    parser.set_defaults(run=run)


def load_config(args: argparse.Namespace, repo: git.Repository | None) -> configuration.Config:
    """The usual layers, plus the repository's .reviewbot.toml and git config reviewbot.*."""
    return configuration.load(
        args.config,
        args.overrides,
        user_file=configuration.USER_FILE,
        repo_file=repo.top / configuration.REPO_FILE if repo else None,
        git_config=git.config_entries(repo, configuration.GIT_SECTION),
    )


def _from_files(names: list[str]) -> Series | str:
    """The series in these files, or why there is nothing to check."""
    mails: list[Mail] = []
    what = "files"
    for name in names:
        found, what = local.read_path(Path(name))
        mails += found
    if len(names) == 1:
        return _series(mails, names[0], what)
    return _series(mails, f"{names[0]} ... ({len(names)} files)", "files")


def _series(mails: list[Mail], source: str, what: str) -> Series | str:
    # git send-email hands the cover letter to the hook like any patch: nothing to check.
    if mails and not any(m.has_diff for m in mails) and all(m.subject.counter == 0 for m in mails):
        return f"{source}: a cover letter, no patch: nothing to check"
    series = build_series(mails, source=source, what=what)
    if len(mails) == 1 and series.missing:
        # One patch of a series, as b4 and the sendemail hook send them: checked on its own,
        # the others are not missing.
        patch = series.patches[0]
        note = f"patch {patch.index}/{series.total} checked on its own"
        series = replace(series, missing=(), notes=(*series.notes, note))
    return series


def _select(args: argparse.Namespace, repo: git.Repository | None) -> Series | str:
    """What the arguments name, as a Series, or a message saying there is nothing to check."""
    targets: list[str] = args.targets
    if targets == ["-"]:
        if args.base:
            raise UsageError("--base and -: give one or the other")
        mails, what = local.read_stdin(sys.stdin.buffer)
        return _series(mails, "-", what)
    if "-" in targets:
        raise UsageError("-: standard input cannot be mixed with other arguments")
    paths = [t for t in targets if Path(t).exists()]
    revisions = [t for t in targets if t not in paths]
    if paths and (revisions or args.base):
        extra = revisions[0] if revisions else f"--base {args.base}"
        raise UsageError(
            f"{extra}: no such file; give patch files or a range, not both"
            if revisions
            else f"{extra}: give patch files or a base, not both"
        )
    if paths:
        return _from_files(paths)
    if len(revisions) > 1:
        raise UsageError(
            f"{' '.join(revisions)}: one range at a time (A..B), or existing patch files"
        )
    spec = revisions[0] if revisions else None
    if repo is None:
        if spec is not None:
            raise UsageError(f"{spec}: no such file (and not inside a git repository)")
        raise UsageError(
            "not inside a git repository: run reviewbot check in your kernel tree, "
            "or name patch files or - for stdin"
        )
    return git.load_series(repo, git.select(repo, spec, args.base))


def run(args: argparse.Namespace) -> int:
    repo = git.Repository.discover()
    config = load_config(args, repo)
    output.settings(args, config)
    found = _select(args, repo)
    if isinstance(found, str):
        print(f"reviewbot: {found}", file=sys.stderr)
        return 0
    rules = options.ruleset(options.review_options(args, config))
    version = repo.kernel_version(found.base_commit) if repo is not None else None
    report = options.review(args, config, found, rules, str(version) if version else None)
    return output.emit(args, config, report, rules)
