"""A throwaway kernel-shaped git repository for the ``reviewbot check`` tests.

``fixtures/check/tree/`` holds the tree (a Makefile of v6.1 and an mm/memory.c excerpt that
duplicates rmap the v6.1 way); commits are made on top with :data:`CLEAN` (a comment) and
:data:`BAD` (a call to ``page_dup_rmap()``, gone since v5.19: MM001 reports it as an error).
Everything runs with ``HOME`` in the temporary directory, fixed author and dates, and no
system git config, so the user's configuration never leaks in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "check" / "tree"
BIN = Path(sys.executable).parent
MEMORY_C = "mm/memory.c"

_DUP = "\t\tpage_dup_file_rmap(page, false);\n"
CLEAN = (_DUP, "\t\t/* a file page: nothing exclusive to keep */\n" + _DUP)
BAD = (_DUP, "\t\tpage_dup_rmap(page, false);\n")
BAD_TEXT = "\t\tpage_dup_rmap(page, false);\n"


def environment(home: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "XDG_", "B4_", "REVIEWBOT_", "EMAIL"))
    }
    keep.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Jane Developer",
        GIT_AUTHOR_EMAIL="jane@example.org",
        GIT_COMMITTER_NAME="Jane Developer",
        GIT_COMMITTER_EMAIL="jane@example.org",
        GIT_AUTHOR_DATE="2026-11-27T09:00:00+00:00",
        GIT_COMMITTER_DATE="2026-11-27T09:00:00+00:00",
        # The reviewbot of this checkout, whatever is installed where.
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=str(ROOT),
        NO_COLOR="1",
        TERM="dumb",
    )
    return keep


class KernelRepo:
    """``path``: the work tree, on branch ``master`` with one commit, "Linux 6.1"."""

    def __init__(self, tmp: Path) -> None:
        self.home = tmp / "home"
        self.home.mkdir()
        self.path = tmp / "linux"
        self.env = environment(self.home)
        shutil.copytree(FIXTURE, self.path)
        self.git("init", "-q", "-b", "master")
        self.git("config", "user.name", "Jane Developer")
        self.git("config", "user.email", "jane@example.org")
        self.git("add", ".")
        self.git("commit", "-q", "-m", "Linux 6.1")
        self.base = self.git("rev-parse", "HEAD")
        self.clean = ""  # SHAs of the commits of series()
        self.bad = ""

    def git(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout.strip()

    def edit(self, change: tuple[str, str]) -> None:
        path = self.path / MEMORY_C
        text = path.read_text()
        assert change[0] in text, change
        path.write_text(text.replace(change[0], change[1], 1))

    def commit(self, subject: str, change: tuple[str, str]) -> str:
        self.edit(change)
        body = f"{subject}\n\nWhy it is done.\n\nSigned-off-by: Jane Developer <jane@example.org>\n"
        self.git("commit", "-q", "-a", "-m", body)
        return self.git("rev-parse", "HEAD")

    def topic(self, name: str = "topic") -> None:
        """A branch whose upstream is master, as ``git checkout -t master -b topic``."""
        self.git("checkout", "-q", "--track", "-b", name, "master")

    def series(self) -> None:
        """Branch ``topic`` (upstream master): a clean commit, then a bad one."""
        self.topic()
        self.clean = self.commit("mm/memory: explain the file rmap dup", CLEAN)
        self.bad = self.commit("mm/memory: use page_dup_rmap() for file pages", BAD)

    def run(
        self, argv: list[str], stdin: bytes | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv,
            cwd=cwd or self.path,
            env=self.env,
            input=stdin,
            capture_output=True,
        )
        return subprocess.CompletedProcess(
            done.args,
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )

    def reviewbot(
        self, *args: str, stdin: bytes | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run([sys.executable, "-m", "reviewbot", *args], stdin=stdin, cwd=cwd)
