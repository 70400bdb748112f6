"""The real b4 (from the venv) running ``reviewbot check`` as its per-patch check command.

- ``b4 prep --check`` with ``b4.prep-perpatch-check-cmd = reviewbot check --format
  checkpatch -`` next to a checkpatch command: both tools' lines are shown per commit;
- ``b4.review-perpatch-check-cmd = reviewbot check --format b4 -`` (with b4's built-in
  ``_builtin_checkpatch`` kept beside it): ``b4 review`` runs its checks from the TUI, so
  the test drives the same code b4's TUI calls (``b4.review.checks.load_check_cmds`` and
  ``run_perpatch_checks``) in a b4 process.

Offline: ``b4 --offline-mode``; HOME (b4's cache and config) is the test's.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from checkrepo import BAD, BIN, CLEAN, ROOT, KernelRepo

B4 = BIN / "b4"
OURS_PREP = "reviewbot check --format checkpatch -"
OURS_REVIEW = "reviewbot check --format b4 -"
# A checkpatch as b4 runs it by default (-q --terse --no-summary --mailback --showfile),
# with --no-tree: the test tree is not a whole kernel.
CHECKPATCH = "./scripts/checkpatch.pl -q --terse --no-summary --mailback --showfile --no-tree"
# The stand-in: one warning per patch, in the shape checkpatch --terse --mailback prints.
FAKE_CHECKPATCH = """#!/bin/sh
cat >/dev/null
echo "-:7: WARNING:COMMIT_LOG_LONG_LINE: Prefer a maximum 75 chars per line (possible unwrapped commit description?)"
"""
# The real one, when the extracted v6.12 tree is on this machine (next to the repository).
KERNEL_SCRIPTS = ROOT.parent / "kernel" / "6.12" / "scripts"

pytestmark = pytest.mark.skipif(not B4.is_file(), reason="b4 is not installed in this venv")


def _prep_repo(tmp_path: Path, checkpatch: Path | None) -> KernelRepo:
    """A b4 prep branch (cover letter commit) with a clean commit, then a bad one."""
    repo = KernelRepo(tmp_path)
    scripts = repo.path / "scripts"
    scripts.mkdir()
    if checkpatch is None:
        (scripts / "checkpatch.pl").write_text(FAKE_CHECKPATCH)
        (scripts / "checkpatch.pl").chmod(0o755)
    else:
        for name in ("checkpatch.pl", "spelling.txt", "const_structs.checkpatch"):
            shutil.copy2(checkpatch / name, scripts / name)
    repo.git("add", "scripts")
    repo.git("commit", "-q", "-m", "scripts: checkpatch")
    made = repo.run([str(B4), "--offline-mode", "prep", "-n", "rmapfix"])
    assert made.returncode == 0, made.stderr
    repo.clean = repo.commit("mm/memory: explain the file rmap dup", CLEAN)
    repo.bad = repo.commit("mm/memory: use page_dup_rmap() for file pages", BAD)
    repo.git("config", "--add", "b4.prep-perpatch-check-cmd", CHECKPATCH)
    repo.git("config", "--add", "b4.prep-perpatch-check-cmd", OURS_PREP)
    return repo


def _prep_check(repo: KernelRepo) -> str:
    done = repo.run([str(B4), "--offline-mode", "prep", "--check"])
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr  # b4 logs to stderr


def test_b4_prep_check_shows_our_finding_next_to_checkpatch(tmp_path: Path) -> None:
    repo = _prep_repo(tmp_path, None)
    out = _prep_check(repo)
    lines = out.splitlines()
    bad_at = next(i for i, ln in enumerate(lines) if f"{repo.bad[:12]}: mm/memory: use" in ln)
    clean_at = next(i for i, ln in enumerate(lines) if f"{repo.clean[:12]}: mm/memory: ex" in ln)
    bad_block = "\n".join(lines[bad_at : bad_at + 3])
    clean_block = "\n".join(lines[clean_at : clean_at + 3])
    # Under the bad commit: checkpatch's warning and our error, as b4 prints them.
    assert "checkpatch.pl: 7: WARNING:COMMIT_LOG_LONG_LINE" in bad_block
    assert "reviewbot: mm/memory.c:" in bad_block
    assert "ERROR:MM001: removed-rmap-api: page_dup_rmap() does not exist" in bad_block
    # Under the clean one: nothing from us, which b4 reports as a pass.
    assert "reviewbot: passed all checks" in clean_block
    assert "Error: 1" in out


@pytest.mark.skipif(
    not (KERNEL_SCRIPTS / "checkpatch.pl").is_file(), reason="no extracted v6.12 scripts/"
)
def test_b4_prep_check_with_the_real_checkpatch(tmp_path: Path) -> None:
    repo = _prep_repo(tmp_path, KERNEL_SCRIPTS)
    out = _prep_check(repo)
    assert "ERROR:MM001: removed-rmap-api" in out
    assert "checkpatch.pl: " in out  # checkpatch ran too (a pass or its own findings)


_REVIEW_CHECKS = """
import email, json, sys
import b4
import b4.review.checks as checks
b4._setup_main_config()
perpatch, _ = checks.load_check_cmds()
patches = []
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        msg = email.message_from_binary_file(fh, policy=b4.emlpolicy)
    patches.append((msg["message-id"].strip("<> "), msg))
print(json.dumps({"cmds": perpatch,
                  "results": checks.run_perpatch_checks(patches, perpatch, b4.git_get_toplevel())}))
"""


def test_b4_review_perpatch_check_cmd(tmp_path: Path) -> None:
    repo = KernelRepo(tmp_path)
    repo.series()
    (repo.path / "scripts").mkdir()
    (repo.path / "scripts" / "checkpatch.pl").write_text(FAKE_CHECKPATCH)
    (repo.path / "scripts" / "checkpatch.pl").chmod(0o755)
    # Setting the command replaces b4's built-in checkpatch: name it to keep it.
    repo.git("config", "--add", "b4.review-perpatch-check-cmd", "_builtin_checkpatch")
    repo.git("config", "--add", "b4.review-perpatch-check-cmd", OURS_REVIEW)
    out = tmp_path / "series"
    repo.git("format-patch", "-q", "--thread", "-o", str(out), "master..HEAD")
    files = sorted(str(p) for p in out.glob("*.patch"))
    done = repo.run([sys.executable, "-c", _REVIEW_CHECKS, *files])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["cmds"] == ["_builtin_checkpatch", OURS_REVIEW]
    clean, bad = (data["results"][m] for m in _msgids(files))
    # Nothing from us on the clean patch; checkpatch's warning on both.
    assert [(e["tool"], e["status"]) for e in clean] == [("checkpatch", "warn")]
    checkpatch, entry = bad
    assert (checkpatch["tool"], checkpatch["status"]) == ("checkpatch", "warn")
    assert (entry["tool"], entry["status"], entry["summary"]) == ("reviewbot", "fail", "1 error")
    (detail,) = json.loads(entry["details"])
    assert detail["status"] == "fail" and "MM001 removed-rmap-api" in detail["description"]


def _msgids(files: list[str]) -> list[str]:
    out = []
    for name in files:
        for line in Path(name).read_text().splitlines():
            if line.lower().startswith("message-id:"):
                out.append(line.split(":", 1)[1].strip().strip("<>"))
                break
    return out
