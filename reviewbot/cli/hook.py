"""``reviewbot install-hook``: a git ``sendemail-validate`` hook that runs the check.

``git send-email`` runs ``sendemail-validate`` on every patch before it sends anything,
in the top of the work tree with ``GIT_DIR`` set, the patch file as ``$1`` (git 2.42 and
later also pass the SMTP headers file as ``$2``), and sends nothing when the hook exits
non-zero. The hook runs ``reviewbot check --format checkpatch --fail-on error`` on the
patch: errors stop the sending, warnings are shown and let it through. It calls the
reviewbot that installed it by absolute path, so it works without an activated venv.

The hook goes where git looks for it (``git rev-parse --git-path hooks``, which follows
``core.hooksPath``). A hook that is already there and is not ours is kept unless
``--force`` (then it is saved beside it as ``sendemail-validate.orig``); ours is
rewritten, so running install-hook again after moving the venv is enough.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from reviewbot.errors import InputError, UsageError
from reviewbot.sources import git

HOOK = "sendemail-validate"
MARKER = "# reviewbot sendemail-validate hook"


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "install-hook",
        help="install a git sendemail-validate hook that checks each patch before sending",
        description=(
            "Write the sendemail-validate hook of this repository: git send-email then runs "
            "reviewbot check on each patch and sends nothing when it finds an error. "
            "Skip it once with git send-email --no-validate."
        ),
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing hook that is not reviewbot's"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.set_defaults(run=run)


def command() -> list[str]:
    """How the hook calls this reviewbot: its console script, else this Python with -m."""
    script = Path(sys.executable).parent / "reviewbot"  # the venv's bin, symlinks kept
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "reviewbot"]


def script(argv: list[str]) -> str:
    run = " ".join(shlex.quote(a) for a in argv)
    return f"""#!/bin/sh
{MARKER} (written by `reviewbot install-hook`).
# git send-email runs it on each patch ($1) before sending; a non-zero exit sends nothing.
# Errors stop the sending, warnings are only shown. Skip it once: git send-email --no-validate
# A file without a diff (the cover letter) has nothing to check.
grep -qE '^(diff --git |\\+\\+\\+ )' "$1" || exit 0
exec {run} check --format checkpatch --fail-on error "$1"
"""


def hooks_dir(repo: git.Repository) -> Path:
    found = repo.git("rev-parse", "--git-path", "hooks")
    where = found.out.decode("utf-8", "surrogateescape").strip()
    if found.status != 0 or not where:
        raise InputError(f"{repo.top}: cannot find the hooks directory: {found.err}")
    path = Path(where)
    return path if path.is_absolute() else repo.cwd / path


def install(repo: git.Repository, force: bool) -> tuple[Path, str]:
    """Write the hook; returns its path and what was done ("installed", "unchanged"...)."""
    directory = hooks_dir(repo)
    path = directory / HOOK
    text = script(command())
    done = "installed"
    if path.exists() or path.is_symlink():
        try:
            old = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            old = ""
        if old == text and os.access(path, os.X_OK):
            return path, "already installed, unchanged"
        if MARKER in old:
            done = "updated"
        elif not force:
            raise UsageError(
                f"{path}: a {HOOK} hook that is not reviewbot's is already there; "
                "merge the check into it by hand, or use --force to replace it "
                f"(it is saved as {HOOK}.orig)"
            )
        else:
            os.replace(path, path.with_name(f"{HOOK}.orig"))
            done = f"installed (the previous hook is saved as {HOOK}.orig)"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{HOOK}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the hook: {exc.strerror or exc}") from None
    return path, done


def run(args: argparse.Namespace) -> int:
    repo = git.Repository.discover()
    if repo is None:
        raise UsageError("not inside a git repository: run install-hook in your kernel tree")
    path, done = install(repo, args.force)
    print(f"reviewbot: {path}: {done}")
    return 0
