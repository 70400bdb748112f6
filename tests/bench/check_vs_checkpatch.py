"""Issue 6 benchmark: `reviewbot check --base REV` vs `checkpatch.pl --no-tree -g REV..HEAD`.

A kernel-shaped git repository is built from Debian's linux-source-6.12 tarball (the mm/
and include/linux/ files the series touches, the Makefile, and checkpatch.pl with its
spelling.txt and const_structs.checkpatch), and the 15 patches of
fixtures/bench/series-15.mbox are applied on it with `git am`: a 15-commit range. Both
tools run on that range as whole processes, side by side in one run, median of 5 after a
warm-up. Skips (exit 0) when the tarball is not installed.

    .venv/bin/python tests/bench/check_vs_checkpatch.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import REVIEWBOT, ROOT, TARBALL, extract, installed_env, side_by_side, wall

SERIES = ROOT / "fixtures" / "bench" / "series-15.mbox"
FILES = [
    "Makefile",
    "scripts/checkpatch.pl",
    "scripts/spelling.txt",
    "scripts/const_structs.checkpatch",
    "mm/memory.c",
    "mm/huge_memory.c",
    "mm/hugetlb.c",
    "mm/migrate.c",
    "mm/rmap.c",
    "mm/ksm.c",
    "include/linux/mm.h",
    "include/linux/rmap.h",
]


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in installed_env(home).items() if not k.startswith(("GIT_", "XDG_"))}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
    )
    return env


def _git(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def build(tmp: Path, env: dict[str, str]) -> tuple[Path, str, int]:
    """The repository, the base commit and the number of commits on top of it."""
    tree = extract(FILES, tmp / "linux")
    _git(tree, env, "init", "-q", "-b", "master")
    _git(tree, env, "add", ".")
    _git(tree, env, "commit", "-q", "-m", "Linux 6.12")
    base = _git(tree, env, "rev-parse", "HEAD")
    split = tmp / "split"
    split.mkdir()
    _git(tree, env, "mailsplit", f"-o{split}", str(SERIES))
    patches = [p for p in sorted(split.iterdir()) if b"\ndiff --git " in p.read_bytes()]
    _git(tree, env, "am", "-q", *map(str, patches))  # the cover letter has no diff: left out
    count = int(_git(tree, env, "rev-list", "--count", f"{base}..HEAD"))
    return tree, base, count


def main() -> int:
    if not TARBALL.is_file():
        print(f"skipped: {TARBALL} not installed (apt-get install linux-source-6.12)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = _environment(home)
        tree, base, count = build(Path(tmp), env)
        checkpatch = ["perl", "scripts/checkpatch.pl", "--no-tree", "-g", f"{base}..HEAD"]
        ours = [str(REVIEWBOT), "check", "--base", base, "--fail-on", "never"]
        # Sanity: both saw the commits (checkpatch prints one report per commit).
        seen = subprocess.run(checkpatch, cwd=tree, env=env, capture_output=True, text=True)
        mine = subprocess.run(ours, cwd=tree, env=env, capture_output=True, text=True)
        if mine.returncode != 0 or f"in {count} patches" not in mine.stdout:
            raise SystemExit(f"reviewbot check failed: {mine.stderr or mine.stdout}")
        if seen.stdout.count("total: ") != count:
            raise SystemExit(f"checkpatch did not check {count} commits: {seen.stdout[-500:]}")
        peer = wall(checkpatch, cwd=tree, env=env)
        ours_time = wall(ours, cwd=tree, env=env)
    side_by_side(
        f"check of a {count}-commit range (series-15 on v6.12 mm/)",
        ours_time,
        "checkpatch",
        peer,
        "reviewbot at most checkpatch's wall time",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
