"""Commits of a git repository as a Series, through ``git format-patch``; and its config.

What is checked is what ``git send-email`` would send: committed changes only, read with
``git format-patch --stdout`` and parsed like any other patch mail, so each Patch keeps
the commit it came from (format-patch's ``From <sha>`` line) and findings name it.

Which commits (:func:`select`):

- nothing named: the commits on the current branch that its upstream does not have,
  ``@{upstream}..HEAD``;
- ``base``: ``BASE..HEAD``;
- a range (``A..B``, ``A...B``, ``A..``, ``X^!``): as given;
- a single revision: that one commit, as ``git show REV`` or ``git format-patch -1 REV``
  read it. ``git format-patch REV`` would mean ``REV..HEAD``; ``--base REV`` says that.

The environment: git tells a hook which repository it runs for through ``GIT_DIR`` (a
``sendemail-validate`` hook gets it set to the repository sending the mail), and a user
may have exported it on purpose, so ``GIT_DIR``/``GIT_WORK_TREE`` are honoured (made
absolute, so that they still hold if git runs elsewhere). What would change the text of
the patches rather than the repository is taken out: an external diff driver, colour,
``diff.noprefix``-style prefixes, the signature and the cover letter.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.errors import InputError, UsageError
from reviewbot.kernel import KernelVersion, version_in
from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.sources.local import mails_from_bytes

# Environment variables naming the repository: kept, but made absolute.
_REPOSITORY_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")
# Environment variables that would change the text format-patch writes.
_DROPPED_VARS = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_INDEX_FILE")

# What format-patch must write for the parser, whatever the user's configuration says
# (format.coverLetter, format.signature, diff.noprefix, color.ui, diff.external).
FORMAT_PATCH_OPTIONS = (
    "--stdout",
    "--no-color",
    "--no-ext-diff",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--numbered",
    "--no-cover-letter",
    "--no-signature",
    "--always",  # empty commits too: format-patch counts them in N/M even when it omits them
)


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in (see the module docstring)."""
    env = dict(os.environ if base is None else base)
    for name in _DROPPED_VARS:
        env.pop(name, None)
    cwd = Path.cwd()
    for name in _REPOSITORY_VARS:
        value = env.get(name)
        if value and not os.path.isabs(value):
            env[name] = str(cwd / value)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never ask for anything: stdin may be a patch
    env["GIT_OPTIONAL_LOCKS"] = "0"  # a check must not take the index lock of a busy tree
    return env


@dataclass(frozen=True)
class Result:
    status: int
    out: bytes
    err: str


def run_git(args: Sequence[str], cwd: Path | None = None) -> Result:
    """Run git; a missing git is an InputError, a failing one is returned to the caller."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            "git: command not found (reviewbot check reads commits with git)"
        ) from None
    err = done.stderr.decode("utf-8", "replace").strip()
    return Result(done.returncode, done.stdout, err)


def _first_line(text: str) -> str:
    lines = [ln.removeprefix("fatal: ").removeprefix("error: ") for ln in text.splitlines()]
    return next((ln for ln in lines if ln.strip()), "git failed")


@dataclass(frozen=True)
class Repository:
    """A git work tree: where ``git`` runs, and its top directory."""

    top: Path
    cwd: Path

    @classmethod
    def discover(cls, cwd: Path | None = None) -> Repository | None:
        """The work tree holding ``cwd`` (default: the current directory); None outside one."""
        where = cwd or Path.cwd()
        try:
            found = run_git(["rev-parse", "--show-toplevel"], cwd=where)
        except InputError:
            return None  # no git at all: not inside a repository as far as we can tell
        top = found.out.decode("utf-8", "surrogateescape").strip()
        if found.status != 0 or not top:
            return None
        return cls(top=Path(top), cwd=where)

    def git(self, *args: str) -> Result:
        return run_git(args, cwd=self.cwd)

    def commit(self, rev: str) -> str | None:
        """The full SHA of the commit ``rev`` names, None when it names none."""
        if rev.startswith("-"):
            return None  # never an option to git
        found = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        sha = found.out.decode("ascii", "replace").strip()
        return sha if found.status == 0 and sha else None

    def kernel_version(self, rev: str | None) -> KernelVersion | None:
        """VERSION.PATCHLEVEL of the top-level Makefile at ``rev`` (else the work tree)."""
        if rev is not None and self.commit(rev) is not None:
            found = run_git(["show", f"{rev}:Makefile"], cwd=self.top)
            return version_in(found.out) if found.status == 0 else None
        head = self.top / "Makefile"
        return version_in(head.read_bytes()) if head.is_file() else None

    def upstream(self) -> str:
        """The upstream of the current branch (``origin/master``), or a UsageError saying
        how to name the commits instead."""
        found = self.git("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        name = found.out.decode("utf-8", "replace").strip()
        if found.status == 0 and name:
            return name
        branch = self.git("symbolic-ref", "--quiet", "--short", "HEAD")
        what = (
            f"branch '{branch.out.decode('utf-8', 'replace').strip()}' has no upstream"
            if branch.status == 0
            else "HEAD is not on a branch, so there is no upstream"
        )
        raise UsageError(
            f"{what}: name the commits to check with --base REV (e.g. --base origin/master) "
            "or a range (e.g. origin/master..HEAD)"
        )


@dataclass(frozen=True)
class Selection:
    """The commits to check, as the user will read them back."""

    label: str  # "origin/master..HEAD", "abc123" (one commit)
    args: tuple[str, ...]  # what follows the format-patch options
    single: bool = False


def is_range(spec: str) -> bool:
    return ".." in spec or spec.endswith(("^!", "^@"))


def select(repo: Repository, spec: str | None = None, base: str | None = None) -> Selection:
    """Which commits: see the module docstring. Names that git does not know are errors."""
    if spec is not None and base is not None:
        raise UsageError(f"--base {base} and {spec}: give a base or a range, not both")
    if base is not None:
        if repo.commit(base) is None:
            raise UsageError(f"--base {base}: not a commit in {repo.top}")
        return Selection(f"{base}..HEAD", (f"{base}..HEAD",))
    if spec is None:
        upstream = repo.upstream()
        return Selection(f"{upstream}..HEAD", (f"{upstream}..HEAD",))
    if spec.startswith("-"):
        raise UsageError(f"{spec}: not a file, a commit or a range")
    if is_range(spec):
        check = repo.git("rev-parse", spec, "--")
        if check.status != 0:
            raise UsageError(
                f"{spec}: not a revision range in {repo.top}: {_first_line(check.err)}"
            )
        return Selection(spec, (spec,))
    if repo.commit(spec) is None:
        raise UsageError(f"{spec}: no such file, and not a commit or range in {repo.top}")
    return Selection(spec, ("-1", spec), single=True)


def format_patch(repo: Repository, selection: Selection) -> bytes:
    found = repo.git("format-patch", *FORMAT_PATCH_OPTIONS, *selection.args, "--")
    if found.status != 0:
        raise InputError(f"{selection.label}: git format-patch failed: {_first_line(found.err)}")
    return found.out


def load_series(repo: Repository, selection: Selection) -> Series | str:
    """The selected commits as a Series (source = the range), or why there is nothing to
    check: no commits, or only empty ones (such as the cover letter commit of b4 prep)."""
    data = format_patch(repo, selection)
    if not data.strip():
        return f"no commits in {selection.label}: nothing to check"
    mails = mails_from_bytes(data, selection.label)
    empty = [m for m in mails if not m.has_diff]
    if len(empty) == len(mails):
        return f"only empty commits in {selection.label}: nothing to check"
    series = build_series(mails, source=selection.label, what="range")
    # An empty commit is not a missing patch: say it was left out, under its own number.
    numbers = {m.subject.counter for m in empty}
    notes = [f"{m.commit[:12] if m.commit else '?'} has no diff: not checked" for m in empty]
    first = series.patches[0].commit if series.patches else None
    # What the series applies to: the parent of its first commit (tree mode checks it out).
    base = repo.commit(f"{first}^") if first else None
    return replace(
        series,
        base_commit=series.base_commit or base,
        missing=tuple(n for n in series.missing if n not in numbers),
        notes=(*series.notes, *notes),
    )


def config_entries(repo: Repository | None, section: str) -> list[tuple[str, str, str]]:
    """``git config`` entries under ``section`` as (name, value, origin), in git's order
    (system, global, local, worktree, command line: later ones win). A name is as git
    prints it: section and key lower case, subsection as written (``reviewbot.review.fail-on``).
    A key set without a value (``[reviewbot "x"] flag``) is ``true``, as git reads it.
    Outside a repository, the global and system files only; without git, nothing."""
    cwd = repo.cwd if repo else Path.cwd()
    pattern = "^" + section.replace(".", r"\.") + r"\."
    try:
        found = run_git(["config", "-z", "--show-origin", "--get-regexp", pattern], cwd=cwd)
    except InputError:
        return []
    if found.status not in (0, 1):  # 1: no such key
        raise UsageError(f"git config: {_first_line(found.err)}")
    fields = found.out.decode("utf-8", "surrogateescape").split("\0")
    entries: list[tuple[str, str, str]] = []
    for origin, item in zip(fields[0::2], fields[1::2], strict=False):
        name, newline, value = item.partition("\n")
        entries.append((name, value if newline else "true", _origin(origin, repo)))
    return entries


def _origin(origin: str, repo: Repository | None) -> str:
    kind, _, where = origin.partition(":")
    if kind != "file":
        return f"git config ({origin})"
    path = Path(where)
    if not path.is_absolute():  # git names the repository's own files relative to its top
        path = (repo.top if repo else Path.cwd()) / path
    return str(path)
