"""``reviewbot check``: which commits, files, stdin, and what the findings point at."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from checkrepo import BAD, BAD_TEXT, CLEAN, MEMORY_C, KernelRepo

from reviewbot import config
from reviewbot.cli import main

Check = Callable[..., subprocess.CompletedProcess[str]]


def _inside(repo: KernelRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in-process as in the repository's environment (HOME etc.), in its work tree."""
    for name in list(os.environ):
        if name not in repo.env:
            monkeypatch.delenv(name)
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(config, "USER_FILE", repo.home / ".config" / "reviewbot" / "config.toml")
    monkeypatch.chdir(repo.path)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KernelRepo:
    """master = Linux 6.1; topic (upstream master) = a clean commit, then a bad one."""
    kr = KernelRepo(tmp_path)
    kr.series()
    _inside(kr, monkeypatch)
    return kr


@pytest.fixture
def check(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Check:
    """``reviewbot check ARGS`` in-process (fast); the result as a CompletedProcess."""

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        status = main(["check", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["reviewbot", "check", *args], status, out, err)

    return run


def test_default_is_the_branch_against_its_upstream(repo: KernelRepo) -> None:
    done = repo.reviewbot("check", "--kernel", "6.1")  # the whole program, as a user runs it
    assert done.returncode == 1, done.stderr
    bad = repo.bad[:12]
    # The finding names the commit (short SHA), its subject, the file and line.
    assert "[PATCH 2/2] mm/memory: use page_dup_rmap() for file pages" in done.stdout
    assert f"[PATCH 2/2] {bad} mm/memory.c:" in done.stdout
    assert "error: MM001 removed-rmap-api" in done.stdout
    assert "in 2 patches" in done.stdout
    assert "[PATCH 1/2]" not in done.stdout  # the clean commit has nothing


def test_json_points_at_the_commit_and_the_base(repo: KernelRepo, check: Check) -> None:
    done = check("--kernel", "6.1", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["series"]["source"] == "master..HEAD"
    assert report["series"]["base_commit"] == repo.base
    assert [p["commit"] for p in report["series"]["patches"]] == [repo.clean, repo.bad]
    (finding,) = report["findings"]
    assert finding["code"] == "MM001"
    assert finding["commit"] == repo.bad[:12]
    assert (finding["patch"], finding["path"], finding["severity"]) == (2, MEMORY_C, "error")
    line = (repo.path / MEMORY_C).read_text().splitlines()[finding["line"] - 1]
    assert line + "\n" == BAD_TEXT


def test_base_option_and_explicit_ranges(repo: KernelRepo, check: Check) -> None:
    clean = repo.clean
    only_bad = json.loads(check("--base", clean, "--kernel", "6.1", "--format", "json").stdout)
    assert [p["commit"] for p in only_bad["series"]["patches"]] == [repo.bad]
    assert only_bad["series"]["source"] == f"{clean}..HEAD"

    only_clean = check("master..HEAD~1", "--kernel", "6.1")
    assert only_clean.returncode == 0, only_clean.stderr
    assert "0 errors, 0 warnings, 0 info in 1 patch" in only_clean.stdout

    # One revision is that one commit (as git show), not REV..HEAD.
    one = json.loads(check("HEAD", "--kernel", "6.1", "--format", "json").stdout)
    assert [p["commit"] for p in one["series"]["patches"]] == [repo.bad]
    assert check("HEAD~1", "--kernel", "6.1").returncode == 0


@pytest.mark.parametrize("args", [["HEAD..HEAD"], ["--base", "HEAD"]])
def test_empty_range_says_so_and_exits_0(repo: KernelRepo, args: list[str], check: Check) -> None:
    done = check(*args)
    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr == "reviewbot: no commits in HEAD..HEAD: nothing to check\n"


def test_without_upstream_the_error_says_what_to_do(repo: KernelRepo, check: Check) -> None:
    repo.git("checkout", "-q", "master")
    done = check()
    assert done.returncode == 2
    assert "branch 'master' has no upstream" in done.stderr
    assert "--base REV" in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope..HEAD"], "nope..HEAD: not a revision range"),
        (["nope"], "nope: no such file, and not a commit or range"),
        (["--base", "nope"], "--base nope: not a commit"),
        (["HEAD~1", "HEAD"], "one range at a time"),
        (["--base", "master", "HEAD~1..HEAD"], "give a base or a range, not both"),
    ],
)
def test_bad_names_are_one_line_usage_errors(
    repo: KernelRepo, args: list[str], message: str, check: Check
) -> None:
    done = check(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_format_patch_files_and_cover_letter(
    repo: KernelRepo, tmp_path: Path, check: Check
) -> None:
    out = tmp_path / "out"
    repo.git("format-patch", "-q", "--cover-letter", "-o", str(out), "master..HEAD")
    patches = sorted(str(p) for p in out.glob("000[1-9]-*.patch"))
    done = check("--kernel", "6.1", "--format", "checkpatch", *patches)
    assert done.returncode == 0, done.stderr  # b4 reads the lines, not the status
    (line,) = done.stdout.splitlines()
    assert line.startswith("mm/memory.c:") and "ERROR:MM001: removed-rmap-api:" in line

    # git send-email gives its hook the cover letter too: nothing to check there.
    cover = check(str(out / "0000-cover-letter.patch"))
    assert cover.returncode == 0
    assert "a cover letter, no patch: nothing to check" in cover.stderr

    mixed = check(patches[0], "HEAD")
    assert mixed.returncode == 2 and "not both" in mixed.stderr


def test_one_patch_on_stdin_as_b4_sends_it(repo: KernelRepo, check: Check) -> None:
    patch = repo.git("format-patch", "--stdout", "-1", "HEAD")
    b4 = repo.reviewbot("check", "--kernel", "6.1", "--format", "b4", "-", stdin=patch.encode())
    assert b4.returncode == 0, b4.stderr  # the status is in the JSON
    (entry,) = json.loads(b4.stdout)
    assert (entry["tool"], entry["status"]) == ("reviewbot", "fail")
    assert "MM001" in entry["details"]

    text = check("--kernel", "6.1", "-", stdin=patch.encode())
    assert f"{repo.bad[:12]} mm/memory.c" in text.stdout
    assert "missing" not in text.stdout  # a lone patch of a series is checked on its own

    clean = repo.git("format-patch", "--stdout", "-1", "HEAD~1")
    quiet = check("--format", "checkpatch", "-", stdin=clean.encode())
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_dirty_work_tree_is_not_mistaken_for_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: Check
) -> None:
    repo = KernelRepo(tmp_path)
    _inside(repo, monkeypatch)
    repo.topic()
    repo.commit("mm/memory: explain the file rmap dup", CLEAN)
    repo.edit(BAD)  # the bad change, uncommitted: staged ...
    repo.git("add", MEMORY_C)
    (repo.path / "mm" / "new.c").write_text("void f(void) { page_dup_rmap(p, false); }\n")
    clean = check("--kernel", "6.1", "--format", "json")
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert len(report["series"]["patches"]) == 1 and report["findings"] == []
    repo.git("commit", "-q", "-m", "mm/memory: use page_dup_rmap() for file pages")
    assert check("--kernel", "6.1").returncode == 1


def test_fail_on_threshold(repo: KernelRepo, check: Check) -> None:
    assert check("--kernel", "6.1", "--fail-on", "never").returncode == 0
    assert check("--kernel", "6.1", "--fail-on", "error").returncode == 1


def test_repository_file_and_git_config(repo: KernelRepo, check: Check) -> None:
    # The repository's .reviewbot.toml sets the project's defaults ...
    (repo.path / ".reviewbot.toml").write_text('[review]\nkernel = "6.1"\nfail-on = "never"\n')
    done = check("--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kernel"] == {"version": "6.1", "source": "option"}
    # ... git config reviewbot.* (the user's) wins over it, and -c over both.
    repo.git("config", "reviewbot.review.fail-on", "error")
    assert check().returncode == 1
    assert check("-c", "review.fail-on=never").returncode == 0
    # List keys add up over git config values (git config --add).
    repo.git("config", "--add", "reviewbot.rules.ignore", "MM002")
    repo.git("config", "--add", "reviewbot.rules.ignore", "MM001")
    ignored = json.loads(check("--format", "json").stdout)
    assert ignored["findings"] == [] and "MM001" not in ignored["rules"]


def test_unknown_keys_name_the_key_and_the_file(repo: KernelRepo, check: Check) -> None:
    (repo.path / ".reviewbot.toml").write_text("[review]\nfial-on = 'error'\n")
    done = check()
    assert done.returncode == 2
    assert ".reviewbot.toml: unknown configuration key 'review.fial-on'" in done.stderr

    (repo.path / ".reviewbot.toml").unlink()
    repo.git("config", "reviewbot.review.kernal", "6.1")
    done = check()
    assert done.returncode == 2
    assert str(repo.path / ".git" / "config") in done.stderr
    assert "git config reviewbot.review.kernal" in done.stderr
    assert "unknown configuration key 'review.kernal'" in done.stderr


def test_repository_file_cannot_load_rule_code(repo: KernelRepo, check: Check) -> None:
    (repo.path / ".reviewbot.toml").write_text('[rules]\ndirs = ["tools/rules"]\n')
    done = check()
    assert done.returncode == 2
    assert ".reviewbot.toml: rules.dirs cannot be set in a repository file" in done.stderr


def test_outside_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: Check
) -> None:
    repo = KernelRepo(tmp_path)
    patch = repo.git("format-patch", "--stdout", "--root", "-1", "HEAD")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "0001.patch").write_text(patch)
    _inside(repo, monkeypatch)
    monkeypatch.chdir(outside)
    assert check("0001.patch", "--kernel", "6.1").returncode == 0
    done = check()
    assert done.returncode == 2 and "not inside a git repository" in done.stderr


def test_empty_commits_are_left_out_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: Check
) -> None:
    # b4 prep keeps its cover letter in an empty commit at the start of the branch.
    repo = KernelRepo(tmp_path)
    _inside(repo, monkeypatch)
    repo.topic()
    repo.git("commit", "-q", "--allow-empty", "-m", "cover letter")
    only_empty = check()
    assert only_empty.returncode == 0
    assert "only empty commits in master..HEAD: nothing to check" in only_empty.stderr
    cover = repo.git("rev-parse", "HEAD")
    bad = repo.commit("mm/memory: use page_dup_rmap() for file pages", BAD)
    done = check("--kernel", "6.1")
    assert done.returncode == 1
    assert f"[PATCH 2/2] {bad[:12]} mm/memory.c:" in done.stdout
    assert "missing" not in done.stdout
    assert f"note: {cover[:12]} has no diff: not checked" in done.stdout


def test_kernel_comes_from_the_trees_makefile_unless_given(repo: KernelRepo, check: Check) -> None:
    report = json.loads(check("--base", "master", "--format", "json").stdout)
    assert report["kernel"] == {"version": "6.1", "source": "tree"}
    assert any(f["code"] == "MM001" for f in report["findings"])
    forced = json.loads(check("--base", "master", "--kernel", "5.18", "--format", "json").stdout)
    assert forced["kernel"] == {"version": "5.18", "source": "option"}
    assert not any(f["code"] == "MM001" for f in forced["findings"])
