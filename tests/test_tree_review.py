"""Tree mode: apply a series in a scratch worktree, report what it introduces.

The repository is built from fixtures/tree/kernel (a trimmed v6.12 mm/ and
include/linux/); the series are fixtures/tree/series/*.mbox (see make_series.sh there).
Most tests use the test rule TST901 (fixtures/tree/rules), which says "warning" with
whole functions and "info" from a hunk, so that the machinery is tested apart from the
real rule pack; the tests marked MM002 use the real rule.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from tree_repo import ROOT, SERIES, KernelRepo, load_series, make_repo

from reviewbot.cli import main
from reviewbot.cli.output import exit_status
from reviewbot.engine.loader import RuleSet, load_rules
from reviewbot.findings import Report, Severity
from reviewbot.pipeline import ReviewOptions, review_series
from reviewbot.tree import ApplyError, review_in_tree
from reviewbot.tree.worktree import Worktree

TEST_RULES = ROOT / "fixtures" / "tree" / "rules"
ONLY_TEST_RULE = ReviewOptions(select=["TST901"], rule_dirs=[str(TEST_RULES)])


@pytest.fixture()
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary directory for the worktrees, and no user git configuration."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    return tmp


@pytest.fixture()
def repo(tmp_path: Path, scratch: Path) -> KernelRepo:
    return make_repo(tmp_path)


@pytest.fixture(scope="module")
def pack_rules() -> RuleSet:
    return load_rules([TEST_RULES])


def in_tree(repo: KernelRepo, name: str, rules: RuleSet, **kw: object) -> Report:
    options = replace(ONLY_TEST_RULE, **kw)
    return review_in_tree(load_series(name), options, rules, repo.path)


def found(report: Report) -> list[tuple[int | None, str, str | None, int | None]]:
    return [(f.patch, str(f.severity), f.path, f.line) for f in report.findings]


def test_the_fixture_base_commit_is_the_one_the_series_name(repo: KernelRepo) -> None:
    assert load_series("clean").base_commit == repo.base


def test_a_clean_series_applies_on_its_base_commit(repo: KernelRepo, pack_rules: RuleSet) -> None:
    report = in_tree(repo, "clean", pack_rules)
    assert report.findings == () and report.errors == ()
    assert f"tree mode: applied on the series' base-commit {repo.base[:12]}" in report.notes
    assert (report.kernel, report.kernel_source) == ("6.12", "tree")


def test_the_kernel_option_wins_over_the_tree_makefile(
    repo: KernelRepo, pack_rules: RuleSet
) -> None:
    report = in_tree(repo, "clean", pack_rules, kernel="6.1")
    assert (report.kernel, report.kernel_source) == ("6.1", "option")


def test_an_unknown_base_commit_falls_back_to_head(repo: KernelRepo, pack_rules: RuleSet) -> None:
    head = repo.commit_edit("Makefile", "NAME = Baby Opossum Posse", "NAME = Test", "name")
    series = replace(load_series("clean"), base_commit="0123456789abcdef0123")
    report = review_in_tree(series, ONLY_TEST_RULE, pack_rules, repo.path)
    assert report.errors == ()
    assert (
        "tree mode: the tree does not have the series' base-commit 0123456789ab: "
        f"applied on HEAD ({head[:12]})"
    ) in report.notes
    report = in_tree(repo, "pre-existing", pack_rules)
    assert f"tree mode: the series names no base-commit: applied on HEAD ({head[:12]})" in (
        report.notes
    )


def test_a_defect_visible_only_in_the_whole_function(repo: KernelRepo, pack_rules: RuleSet) -> None:
    # ref-removed drops the folio_get() 7 lines above the dup calls: the hunk does not
    # show them, the whole function does.
    patch_mode = review_series(load_series("ref-removed"), ONLY_TEST_RULE, pack_rules)
    assert all(f.severity == Severity.INFO for f in patch_mode.findings)
    report = in_tree(repo, "ref-removed", pack_rules)
    assert found(report) == [
        (1, "warning", "mm/memory.c", 269),
        (1, "warning", "mm/memory.c", 279),
    ]
    assert {f.function for f in report.findings} == {"copy_present_ptes"}


def test_a_reference_outside_the_hunk_is_resolved_into_silence(
    repo: KernelRepo, pack_rules: RuleSet
) -> None:
    patch_mode = review_series(load_series("ref-far-above"), ONLY_TEST_RULE, pack_rules)
    assert found(patch_mode) == [(1, "info", "mm/memory.c", 270)]
    assert "needs the whole function" in patch_mode.findings[0].message
    assert in_tree(repo, "ref-far-above", pack_rules).findings == ()


def test_a_defect_already_in_a_touched_function_is_counted_not_reported(
    repo: KernelRepo, pack_rules: RuleSet
) -> None:
    repo.commit_edit(
        "mm/huge_memory.c", "\tfolio_get(src_folio);\n", "", "mm: a defect already in the tree"
    )
    # the series touches copy_huge_pmd() 64 lines above its dup call
    report = in_tree(repo, "pre-existing", pack_rules)
    assert report.findings == () and report.errors == ()
    assert "1 finding in touched code was there before the series: not reported" in (report.notes)


def test_mm002_a_defect_already_in_a_touched_function_is_not_reported(
    repo: KernelRepo, scratch: Path
) -> None:
    repo.commit_edit(
        "mm/huge_memory.c", "\tfolio_get(src_folio);\n", "", "mm: a defect already in the tree"
    )
    rules = load_rules()
    series = load_series("pre-existing")
    report = review_in_tree(series, ReviewOptions(select=["MM"]), rules, repo.path)
    assert [f for f in report.findings if f.severity >= Severity.WARNING] == []
    assert any("in touched code" in n and "not reported" in n for n in report.notes)


def test_mm002_finds_a_reference_removed_above_the_hunk(repo: KernelRepo, scratch: Path) -> None:
    rules = load_rules()
    only = ReviewOptions(select=["MM002"])
    # The removed folio_get() shows in the diff: patch mode already warns, at the removal.
    patch_mode = review_series(load_series("ref-removed"), only, rules)
    assert [(f.code, str(f.severity)) for f in patch_mode.findings] == [("MM002", "warning")]
    report = review_in_tree(load_series("ref-removed"), only, rules, repo.path)
    assert [(f.code, f.line, str(f.severity)) for f in report.findings] == [
        ("MM002", 269, "error"),
        ("MM002", 279, "error"),
    ]


def test_a_defect_only_the_whole_function_shows(repo: KernelRepo, scratch: Path) -> None:
    """folio_get() moved below the dup calls: no hunk shows a dup call."""
    rules = load_rules()
    only = ReviewOptions(select=["MM002"])
    patch_mode = review_series(load_series("ref-moved-below"), only, rules)
    assert [(f.code, f.line, str(f.severity)) for f in patch_mode.findings] == [
        ("MM002", 285, "info")
    ]
    assert "--tree" in patch_mode.findings[0].message
    report = review_in_tree(load_series("ref-moved-below"), only, rules, repo.path)
    assert [(f.code, f.line, str(f.severity)) for f in report.findings] == [
        ("MM002", 285, "warning")
    ]
    assert report.findings[0].related[0].line == 269  # the dup that now runs first


def test_a_patch_that_does_not_apply_names_the_patch_and_gits_reason(
    repo: KernelRepo, pack_rules: RuleSet
) -> None:
    report = in_tree(repo, "does-not-apply", pack_rules)
    error = report.errors[0]
    assert isinstance(error, ApplyError) and error.patch == 2
    assert error.message.startswith(
        "[PATCH 2/3] mm/huge_memory: reword a comment in copy_huge_pmd(): does not apply on "
    )
    assert "mm/huge_memory.c: patch does not apply" in error.message
    # the patch before it is still reviewed, with whole functions
    assert found(report) == [
        (1, "warning", "mm/memory.c", 269),
        (1, "warning", "mm/memory.c", 279),
    ]
    assert "patch 2 does not apply: patches 2, 3 reviewed from the diff alone (patch mode)" in (
        report.notes
    )
    assert exit_status(report, "never") == 2


def test_a_rebuilt_email_applies_when_the_raw_message_is_not_kept(
    repo: KernelRepo, pack_rules: RuleSet
) -> None:
    assert all(p.raw for p in load_series("ref-removed").patches)
    series = load_series("ref-removed", keep_raw=False)
    assert all(p.raw == b"" for p in series.patches)
    report = review_in_tree(series, ONLY_TEST_RULE, pack_rules, repo.path)
    assert report.errors == ()
    assert found(report) == [
        (1, "warning", "mm/memory.c", 269),
        (1, "warning", "mm/memory.c", 279),
    ]


def test_the_users_checkout_is_left_as_it_was(
    repo: KernelRepo, pack_rules: RuleSet, scratch: Path
) -> None:
    (repo.path / "mm" / "memory.c").write_text("stashed\n")
    repo.git("stash", "-q")
    (repo.path / "Makefile").write_text("# staged\n" + (repo.path / "Makefile").read_text())
    repo.git("add", "Makefile")
    (repo.path / "mm" / "huge_memory.c").write_text("unstaged\n")
    (repo.path / "untracked.c").write_text("int x;\n")
    repo.git("checkout", "-q", "-b", "topic")
    before = repo.state()
    for name in ("clean", "ref-removed", "does-not-apply"):
        in_tree(repo, name, pack_rules)
        assert repo.state() == before, name
    assert not (repo.path / ".git" / "worktrees").exists() or not any(
        (repo.path / ".git" / "worktrees").iterdir()
    )
    assert list(scratch.iterdir()) == []  # the temporary directories are gone


def test_inherited_git_variables_do_not_redirect_git(
    repo: KernelRepo, pack_rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = tmp_path / "decoy"
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(decoy))
    monkeypatch.setenv("GIT_INDEX_FILE", str(decoy / "index"))
    report = in_tree(repo, "ref-removed", pack_rules)
    assert len(report.findings) == 2 and report.errors == ()
    assert not decoy.exists()


def test_ctrl_c_during_the_review_removes_the_worktree(
    repo: KernelRepo, pack_rules: RuleSet, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = repo.state()

    def interrupted(self: Worktree, mbox: bytes) -> str | None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Worktree, "apply", interrupted)
    with pytest.raises(KeyboardInterrupt):
        in_tree(repo, "clean", pack_rules)
    assert repo.state() == before
    assert list(scratch.iterdir()) == []


def test_sigterm_during_the_review_removes_the_worktree(
    repo: KernelRepo, pack_rules: RuleSet, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = repo.state()
    handler = signal.getsignal(signal.SIGTERM)

    def terminated(self: Worktree, mbox: bytes) -> str | None:
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the review")

    monkeypatch.setattr(Worktree, "apply", terminated)
    with pytest.raises(SystemExit) as stopped:
        in_tree(repo, "clean", pack_rules)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert repo.state() == before
    assert list(scratch.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == handler


def test_cli_review_with_tree(
    repo: KernelRepo, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    common = ["--tree", str(repo.path), "--rules", str(TEST_RULES), "--select", "TST901"]
    status = main(["review", str(SERIES / "ref-removed.mbox"), *common, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 1
    assert [(f["code"], f["line"]) for f in out["findings"]] == [("TST901", 269), ("TST901", 279)]
    assert out["kernel"] == {"version": "6.12", "source": "tree"}

    status = main(["review", str(SERIES / "does-not-apply.mbox"), *common])
    captured = capsys.readouterr()
    assert status == 2
    assert "[PATCH 2/3] mm/huge_memory: reword a comment in copy_huge_pmd()" in captured.err
    assert "mm/memory.c:269: warning: TST901" in captured.out


def test_cli_tree_that_is_not_a_git_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    status = main(["review", str(SERIES / "clean.mbox"), "--tree", str(tmp_path / "nowhere")])
    assert status == 2
    assert "--tree" in capsys.readouterr().err
    (tmp_path / "plain").mkdir()
    status = main(["review", str(SERIES / "clean.mbox"), "--tree", str(tmp_path / "plain")])
    assert status == 2
    assert "not a git checkout" in capsys.readouterr().err
