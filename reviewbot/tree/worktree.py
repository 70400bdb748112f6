"""A scratch git worktree where a series is applied, leaving the user's checkout alone.

``Worktree(repo, base, paths)`` is a context manager: on entry it adds a detached
worktree at ``base`` in a temporary directory, checking out only ``paths`` (a sparse
checkout: a kernel tree has ~90k files and the series touches a handful); ``apply()``
runs ``git am -3`` there, one patch at a time; on exit, even on an exception, Ctrl-C or
SIGTERM, the worktree, its administrative directory and the temporary directory are
removed.

What the user's repository sees: a ``worktrees/<name>`` entry while the worktree exists,
nothing afterwards. The user's HEAD, branches, index, stash and working tree are never
read for writing. New objects (the applied commits) go to an object directory inside
the temporary directory, with the repository's objects as an alternate, so not even a
loose object is left behind. ``git worktree prune`` is deliberately not run: it would
also forget the user's own worktrees whose directories are missing (an unmounted disk);
the entry this module made is removed by name instead.

Every git command runs with a clean environment (no inherited ``GIT_*`` variable can
redirect it to another repository, index or work tree), the C locale (git's messages
are parsed), no hooks, no signing, no rerere, no automatic gc, and a fixed committer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType, TracebackType

from reviewbot.errors import InputError

# Configuration that wins over the user's for every command run here; why, in order:
# no user hooks run (post-checkout, applypatch-msg...), no signing prompts, nothing
# recorded in the shared rr-cache, no gc or maintenance of the user's repository, files
# checked out byte for byte, no fsmonitor daemon for a throwaway worktree, the sparse
# checkout of this worktree, diffs in the shape the diff parser reads, git am options
# that must not depend on the user's taste.
_CONFIG = (
    "core.hooksPath=/dev/null",
    "commit.gpgSign=false",
    "rerere.enabled=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.fsmonitor=false",
    "core.sparseCheckout=true",
    "core.sparseCheckoutCone=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.suppressBlankEmpty=false",
    "am.keepcr=false",
    "am.threeWay=false",
    "am.messageId=false",
    "mailinfo.scissors=false",
    "advice.detachedHead=false",
)
COMMITTER = ("reviewbot", "reviewbot@localhost")
# Enough context to hold any kernel file whole (mm/memory.c has ~7k lines).
_WHOLE_FILE_CONTEXT = 100_000_000
_CLEANUP_SIGNALS = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s
)
_EXIT_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGHUP")) if s)


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without anything that steers git, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for name in ("LANGUAGE", "LC_MESSAGES", "EMAIL"):
        env.pop(name, None)
    env.update(
        LC_ALL="C",
        GIT_TERMINAL_PROMPT="0",
        GIT_COMMITTER_NAME=COMMITTER[0],
        GIT_COMMITTER_EMAIL=COMMITTER[1],
    )
    env.update(extra or {})
    return env


def git(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git args`` in ``cwd``; a failure with ``check`` is an InputError naming it."""
    command = ["git", *(part for c in _CONFIG for part in ("-c", c)), *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env if env is not None else clean_environment(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise InputError("--tree needs git, which is not installed (no git in PATH)") from None
    if check and done.returncode != 0:
        raise InputError(f"git {args[0]} in {cwd}: {git_reason(done)}")
    return done


def git_reason(done: subprocess.CompletedProcess[bytes]) -> str:
    """git's own explanation of a failure, on one line (``error:``/``fatal:``/``CONFLICT``)."""
    text = (done.stderr + b"\n" + done.stdout).decode("utf-8", "replace")
    reasons: list[str] = []
    for line in (ln.strip() for ln in text.splitlines()):
        if line.startswith(("error:", "fatal:")):
            message = line.split(":", 1)[1].strip()
            if message and not message.startswith("Did you hand edit"):
                reasons.append(message)
        elif line.startswith("CONFLICT"):
            reasons.append(line)
    if not reasons:
        reasons = [
            ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("hint:")
        ][-1:] or [f"exit status {done.returncode}"]
    return "; ".join(dict.fromkeys(reasons))


def repository_of(tree: Path) -> Path:
    """The top of the git checkout ``tree`` (or the bare repository): an InputError if none."""
    if not tree.is_dir():
        raise InputError(f"--tree {tree}: no such directory")
    done = git(["rev-parse", "--show-toplevel"], tree, check=False)
    if done.returncode == 0 and done.stdout.strip():
        return Path(done.stdout.decode("utf-8", "replace").strip())
    bare = git(["rev-parse", "--is-bare-repository"], tree, check=False)
    if bare.returncode == 0 and bare.stdout.strip() == b"true":
        return tree.resolve()
    raise InputError(f"--tree {tree}: not a git checkout ({git_reason(done)})")


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The full SHA of ``rev`` when the repository has that commit, else None."""
    done = git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        repo,
        check=False,
    )
    sha = done.stdout.decode("ascii", "replace").strip()
    return sha if done.returncode == 0 and sha else None


def _sparse_pattern(path: str) -> str:
    """One path as an anchored gitignore-style pattern, its special characters escaped."""
    escaped = "".join("\\" + ch if ch in "*?[]\\!#" else ch for ch in path.strip("/"))
    return "/" + escaped


def _quote_alternate(path: Path) -> str:
    """GIT_ALTERNATE_OBJECT_DIRECTORIES splits on ':'; git reads a C-quoted entry whole."""
    text = str(path)
    if ":" not in text and not text.startswith('"'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Worktree:
    """A detached, sparse worktree of ``repo`` at ``base`` holding ``paths``; see the module."""

    def __init__(self, repo: Path, base: str, paths: Iterable[str]) -> None:
        self.repo = repo
        self.base = base
        self.paths = sorted({p for p in paths if p} | {"Makefile"})
        self.tmp: Path | None = None
        self.path: Path | None = None
        self.admin: Path | None = None
        self.env = clean_environment()
        self._handlers: dict[int, object] = {}

    # -- lifecycle -----------------------------------------------------------------

    def __enter__(self) -> Worktree:
        self._trap_signals()
        try:
            self._create()
        except BaseException:
            self._remove()
            self._restore_signals()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._remove()
        finally:
            self._restore_signals()

    def _create(self) -> None:
        objects = git(["rev-parse", "--git-path", "objects"], self.repo)
        repo_objects = self.repo / objects.stdout.decode("utf-8", "replace").strip()
        self.tmp = Path(tempfile.mkdtemp(prefix="reviewbot-tree-"))
        (self.tmp / "objects").mkdir()
        self.env = clean_environment(
            {
                "GIT_OBJECT_DIRECTORY": str(self.tmp / "objects"),
                "GIT_ALTERNATE_OBJECT_DIRECTORIES": _quote_alternate(repo_objects.resolve()),
            }
        )
        path = self.tmp / self.tmp.name
        git(
            ["worktree", "add", "--detach", "--no-checkout", str(path), self.base],
            self.repo,
            self.env,
        )
        self.path = path
        admin = git(["rev-parse", "--absolute-git-dir"], path, self.env)
        self.admin = Path(admin.stdout.decode("utf-8", "replace").strip())
        info = self.admin / "info"
        info.mkdir(parents=True, exist_ok=True)
        patterns = "".join(_sparse_pattern(p) + "\n" for p in self.paths)
        (info / "sparse-checkout").write_text(patterns, encoding="utf-8")
        git(["read-tree", "-mu", "HEAD"], path, self.env)

    def _remove(self) -> None:
        """Remove everything made, whatever state it is in; never raises for git's sake."""
        masked = self._mask_signals()
        try:
            if self.path is not None:
                git(
                    ["worktree", "remove", "--force", "--force", str(self.path)],
                    self.repo,
                    self.env,
                    check=False,
                )
            # If git could not remove its entry (killed mid-command, a stale lock), this
            # worktree's own entry goes by name, never by a prune of every stale entry.
            if self.admin is not None and self.admin.parent.name == "worktrees":
                shutil.rmtree(self.admin, ignore_errors=True)
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.path = self.admin = self.tmp = None
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _CLEANUP_SIGNALS)

    # -- signals: SIGTERM/SIGHUP unwind like Ctrl-C, so that the finally clauses run ---

    def _trap_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread receives signals (and may set handlers)
        for sig in _EXIT_SIGNALS:
            self._handlers[sig] = signal.signal(sig, _exit_on_signal)

    def _restore_signals(self) -> None:
        for sig, handler in self._handlers.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        self._handlers.clear()

    def _mask_signals(self) -> bool:
        """Hold signals while cleaning up: a second Ctrl-C must not leave half a worktree."""
        if threading.current_thread() is not threading.main_thread():
            return False
        signal.pthread_sigmask(signal.SIG_BLOCK, _CLEANUP_SIGNALS)
        return True

    # -- work in the worktree --------------------------------------------------------

    def _here(self) -> Path:
        if self.path is None:
            raise RuntimeError("the worktree is not set up (use it as a context manager)")
        return self.path

    def apply(self, mbox: bytes) -> str | None:
        """``git am -3`` one patch; None when it applied, else git's reason (am aborted)."""
        here = self._here()
        done = git(
            ["am", "-3", "--quiet", "--whitespace=nowarn"], here, self.env, mbox, check=False
        )
        if done.returncode == 0:
            return None
        reason = git_reason(done)
        git(["am", "--abort"], here, self.env, check=False)
        if "could not build fake ancestor" in reason or "sha1 information" in reason:
            # -3 could not even start (the tree lacks the blobs the patch was made from)
            # and git said only that: a plain apply says which hunk does not apply.
            plain = git(["am", "--quiet", "--whitespace=nowarn"], here, self.env, mbox, check=False)
            if plain.returncode != 0:
                reason = (
                    f"{git_reason(plain)} (no three-way merge: the tree lacks the "
                    "blobs the patch was made from)"
                )
                git(["am", "--abort"], here, self.env, check=False)
        return reason

    def head(self) -> str:
        done = git(["rev-parse", "HEAD"], self._here(), self.env)
        return done.stdout.decode("ascii").strip()

    def whole_diff(self, parent: str, commit: str, paths: Iterable[str]) -> str:
        """``parent``..``commit`` as a diff whose one hunk per file shows the whole file."""
        done = git(
            [
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--no-relative",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                "-M",
                f"--unified={_WHOLE_FILE_CONTEXT}",
                parent,
                commit,
                "--",
                *sorted(set(paths)),
            ],
            self._here(),
            self.env,
        )
        return done.stdout.decode("utf-8", "replace")

    def blob(self, rev: str, path: str) -> bytes | None:
        done = git(["cat-file", "blob", f"{rev}:{path}"], self._here(), self.env, check=False)
        return done.stdout if done.returncode == 0 else None


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
