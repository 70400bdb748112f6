"""The parts of tree mode: the kernel Makefile, the rebuilt email, touched functions,
the sparse scratch worktree."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from tree_repo import TREE, KernelRepo, load_series, make_repo

from reviewbot.analyze.cmodel import Fragment, file_fragment
from reviewbot.errors import InputError
from reviewbot.kernel import KernelVersion, version_in
from reviewbot.parse.diff import parse_diff
from reviewbot.tree.differential import file_states, function_spans
from reviewbot.tree.mbox import FROM_LINE, diff_text, patch_mbox, rebuilt_email
from reviewbot.tree.scan import kernel_root, tree_version
from reviewbot.tree.wholefile import whole_file
from reviewbot.tree.worktree import Worktree, git_reason, repository_of

# --- the kernel version of a tree ---------------------------------------------------


def test_version_from_the_top_level_makefile() -> None:
    assert version_in(b"# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n") == KernelVersion(
        6, 12
    )
    assert version_in(b"obj-y := memory.o\n") is None
    assert tree_version(TREE) == KernelVersion(6, 12)


def test_the_kernel_root_is_found_from_any_path_inside(tmp_path: Path) -> None:
    assert kernel_root(TREE / "mm" / "memory.c") == TREE.resolve()
    assert kernel_root(TREE / "include" / "linux") == TREE.resolve()
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "Makefile").write_text("obj-y := memory.o\n")  # not the top one
    assert kernel_root(tmp_path / "mm") is None


# --- the email git am reads ---------------------------------------------------------


def test_a_raw_message_is_fed_as_received() -> None:
    patch = load_series("ref-removed").patches[0]
    mbox = patch_mbox(patch)
    assert mbox.startswith(b"From ")
    assert patch.raw.split(b"\n", 1)[1] in mbox


def test_a_rebuilt_email_carries_the_fields_and_the_same_diff() -> None:
    patch = load_series("clean").patches[1]
    text = rebuilt_email(patch).decode()
    assert text.startswith(FROM_LINE.decode())
    assert "\nFrom: Jane Developer <jane@example.org>\n" in text
    assert "\nSubject: [PATCH 2/2] mm/huge_memory: clarify the pinned-folio comment" in text
    assert "Signed-off-by: Jane Developer <jane@example.org>\n---\n" in text
    assert parse_diff(diff_text(patch.files)) == patch.files


def test_non_ascii_headers_are_encoded() -> None:
    from dataclasses import replace

    patch = load_series("ref-removed").patches[0]
    patch = replace(patch, author="Jörg Rödel <joro@example.org>", raw=b"")
    head = rebuilt_email(patch).split(b"\n\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head


# --- whole files ----------------------------------------------------------------------


@pytest.mark.parametrize("names", [None, {"folio_get", "folio_try_dup_anon_rmap_pte"}, set()])
def test_whole_file_calls_are_the_fragment_calls(names: set[str] | None) -> None:
    source = (TREE / "mm" / "memory.c").read_bytes()
    changed = frozenset({262, 270})
    plain = file_fragment("mm/memory.c", source, changed)
    fast = whole_file("mm/memory.c", source, changed)

    def shape(frag: Fragment) -> list[tuple[str, tuple[str, ...], int | None, int, bool]]:
        return [(c.callee, c.args, c.line, c.node.start_byte, c.added) for c in frag.calls(names)]

    assert shape(fast) == shape(plain)
    assert fast.complete and fast.calls(names) is not fast.calls(names)  # callers may mutate


def test_a_whole_file_seen_as_another_image_keeps_its_own_changed_lines() -> None:
    fast = whole_file("mm/memory.c", (TREE / "mm" / "memory.c").read_bytes(), {262})
    other = fast.seen_as("pre", {88})
    assert [(c.line, c.added) for c in other.calls({"folio_get"})] == [(88, True), (262, False)]
    assert [(c.line, c.added) for c in fast.calls({"folio_get"})] == [(88, False), (262, True)]
    assert other.side == "pre" and other.tree is fast.tree  # one parse


# --- touched functions --------------------------------------------------------------


def test_function_spans_of_a_whole_file() -> None:
    source = (TREE / "mm" / "huge_memory.c").read_bytes()
    spans = list(function_spans(whole_file("mm/huge_memory.c", source).root))
    assert [name for name, _, _ in spans] == ["touch_pmd", "copy_huge_pmd"]
    assert spans[1][1] == 30 and spans[1][2] == 151


def test_touched_lines_cover_the_touched_function_and_nothing_else(tmp_path: Path) -> None:
    before = (TREE / "mm" / "huge_memory.c").read_text().splitlines()
    # a whole-file diff as git makes it: change one comment line inside copy_huge_pmd()
    at = before.index("\t/* Skip if can be re-fill on fault */")
    lines = [f" {t}" for t in before]
    lines[at : at + 1] = ["-\t/* Skip if can be re-fill on fault */", "+\t/* Skip: refilled */"]
    n = len(before)
    text = (
        "diff --git a/mm/huge_memory.c b/mm/huge_memory.c\n--- a/mm/huge_memory.c\n"
        f"+++ b/mm/huge_memory.c\n@@ -1,{n} +1,{n} @@\n" + "\n".join(lines) + "\n"
    )
    (diff,) = parse_diff(text)
    states = file_states(diff)
    assert states is not None
    assert states.after_changed == frozenset(range(30, 152))  # copy_huge_pmd(), whole
    assert states.before_changed == frozenset(range(30, 152))
    post = states.after.post[0]
    assert post.complete and post.changed == states.after_changed
    assert states.after.pre[0].changed == frozenset({at + 1})  # the removed line
    assert states.before is not None and states.before.post[0].changed == states.before_changed
    # the before run reads the pre-image as its post-image, under the same path
    assert states.before.path == "mm/huge_memory.c"
    assert states.before.diff.added() == {at + 1: "\t/* Skip if can be re-fill on fault */"}
    # the runs' Patch.files: the touched function whole, nothing around it
    (hunk,) = states.after_diff.hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (30, 122, 30, 122)
    assert len(hunk.lines) == 123 and states.after_diff.added() == {
        at + 1: "\t/* Skip: refilled */"
    }
    (back,) = states.before_diff.hunks
    assert states.before_diff.added() == {at + 1: "\t/* Skip if can be re-fill on fault */"}
    assert len(back.lines) == 123


# --- the worktree -------------------------------------------------------------------


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KernelRepo:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return make_repo(tmp_path)


def test_the_worktree_is_sparse_and_detached(repo: KernelRepo) -> None:
    with Worktree(repo.path, repo.base, ["mm/memory.c"]) as tree:
        assert tree.path is not None
        present = sorted(
            p.relative_to(tree.path).as_posix() for p in tree.path.rglob("*") if p.is_file()
        )
        assert present == [".git", "Makefile", "mm/memory.c"]
        assert tree.head() == repo.base
        assert "(detached HEAD)" in repo.git("worktree", "list")
        where = tree.tmp
    assert where is not None and not where.exists()
    assert repo.git("worktree", "list").count("\n") == 1


def test_applied_commits_stay_out_of_the_users_object_store(repo: KernelRepo) -> None:
    patch = load_series("ref-removed").patches[0]
    with Worktree(repo.path, repo.base, ["mm/memory.c"]) as tree:
        assert tree.apply(patch_mbox(patch)) is None
        commit = tree.head()
        assert commit != repo.base
        assert "mm/memory.c" in tree.whole_diff(repo.base, commit, ["mm/memory.c"])
    done = subprocess.run(
        ["git", "cat-file", "-e", commit], cwd=repo.path, env=repo.env, capture_output=True
    )
    assert done.returncode != 0


def test_gits_reason_is_one_line() -> None:
    done = subprocess.CompletedProcess(
        ["git"],
        128,
        b"Applying: x\n",
        b"error: patch failed: mm/memory.c:262\nerror: mm/memory.c: patch does not apply\n"
        b"error: Did you hand edit your patch?\nhint: Use 'git am --show-current-patch'\n",
    )
    assert git_reason(done) == "patch failed: mm/memory.c:262; mm/memory.c: patch does not apply"


def test_a_directory_that_is_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a git checkout"):
        repository_of(tmp_path)
    with pytest.raises(InputError, match="no such directory"):
        repository_of(tmp_path / "missing")


def test_a_rebuilt_email_with_a_non_ascii_author_applies(repo: KernelRepo) -> None:
    from dataclasses import replace

    patch = load_series("ref-removed").patches[0]
    patch = replace(patch, author="Jörg Rödel <joro@example.org>", raw=b"")
    with Worktree(repo.path, repo.base, ["mm/memory.c"]) as tree:
        assert tree.apply(patch_mbox(patch)) is None
        assert tree.path is not None
        done = subprocess.run(
            ["git", "log", "-1", "--format=%an <%ae>|%s"],
            cwd=tree.path,
            env=tree.env,
            capture_output=True,
            check=True,
        )
    assert done.stdout.decode().strip() == (
        "Jörg Rödel <joro@example.org>|mm/memory: do not take a folio reference for small folios"
    )
