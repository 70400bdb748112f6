"""A small kernel-shaped git repository for the tree-mode tests, built from fixtures/tree.

The base commit is made with the identity and dates of fixtures/tree/make_series.sh, so
its SHA is the ``base-commit:`` the fixture series name. Git runs with no system or
global configuration (a user's ``commit.gpgSign`` must not break the tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.sources.local import mails_from_bytes

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / "fixtures" / "tree" / "kernel"
SERIES = ROOT / "fixtures" / "tree" / "series"
BASE_IDENTITY = {
    "GIT_AUTHOR_NAME": "Linus Torvalds",
    "GIT_AUTHOR_EMAIL": "torvalds@linux-foundation.org",
    "GIT_COMMITTER_NAME": "Linus Torvalds",
    "GIT_COMMITTER_EMAIL": "torvalds@linux-foundation.org",
    "GIT_AUTHOR_DATE": "2024-11-17 14:15:08 -0800",
    "GIT_COMMITTER_DATE": "2024-11-17 14:15:08 -0800",
}


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", LC_ALL="C")
    return env


@dataclass
class KernelRepo:
    path: Path
    env: dict[str, str]
    base: str

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, check=True
        )
        return done.stdout.decode()

    def commit_edit(self, path: str, old: str, new: str, message: str) -> str:
        file = self.path / path
        text = file.read_text()
        assert text.count(old) == 1, (path, old)
        file.write_text(text.replace(old, new))
        self.git("commit", "-q", "-am", message)
        return self.git("rev-parse", "HEAD").strip()

    def state(self) -> dict[str, str]:
        """Everything of the user's checkout that tree mode must leave as it was."""
        return {
            "head": self.git("rev-parse", "HEAD"),
            "symbolic": self.git("symbolic-ref", "-q", "HEAD"),
            "branches": self.git("for-each-ref", "refs/"),
            "status": self.git("status", "--porcelain", "--untracked-files=all"),
            "index": self.git("ls-files", "--stage", "--debug"),
            "stash": self.git("stash", "list"),
            "worktrees": self.git("worktree", "list", "--porcelain"),
            "objects": self.git("count-objects", "-v"),
            "config": (self.path / ".git" / "config").read_text(),
        }


def make_repo(where: Path) -> KernelRepo:
    """Copy the fixture tree to ``where/linux`` and commit it as "Linux 6.12"."""
    home = where / "home"
    home.mkdir(parents=True, exist_ok=True)
    path = where / "linux"
    shutil.copytree(TREE, path)
    env = git_env(home)
    base_env = {**env, **BASE_IDENTITY}
    for args in (
        ["-c", "init.defaultBranch=master", "init", "-q"],
        ["add", "-A"],
        ["commit", "-q", "-m", "Linux 6.12"],
    ):
        subprocess.run(["git", *args], cwd=path, env=base_env, check=True, capture_output=True)
    repo = KernelRepo(
        path, {**env, **{k: v for k, v in BASE_IDENTITY.items() if "DATE" not in k}}, ""
    )
    repo.base = repo.git("rev-parse", "HEAD").strip()
    return repo


def load_series(name: str, keep_raw: bool = True) -> Series:
    """A fixture series; without ``keep_raw`` its patches lose their raw messages, as
    from a source that does not keep them (tree mode then rebuilds the emails)."""
    path = SERIES / f"{name}.mbox"
    series = build_series(mails_from_bytes(path.read_bytes(), str(path)), source=str(path))
    if keep_raw:
        return series
    return replace(series, patches=tuple(replace(p, raw=b"") for p in series.patches))
