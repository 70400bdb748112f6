from pathlib import Path

import pytest

from reviewbot.engine import runner
from reviewbot.engine.loader import load_rules
from reviewbot.engine.target import infer
from reviewbot.errors import UsageError
from reviewbot.kernel import KernelVersion, VersionRange
from reviewbot.parse.diff import parse_diff
from reviewbot.parse.patch import Patch, Series, Subject


def make_series(*diffs: str) -> Series:
    patches = tuple(
        Patch(
            index=i,
            msgid=f"p{i}@example.org",
            subject=Subject(
                raw=f"[PATCH {i}/{len(diffs)}] t", title="t", counter=i, total=len(diffs)
            ),
            author="A <a@example.org>",
            date="",
            message="",
            trailers=(),
            notes="",
            files=parse_diff(d),
        )
        for i, d in enumerate(diffs, 1)
    )
    return Series(subject="t", version=1, total=len(diffs), patches=patches, msgid="p1@example.org")


def diff_adding(line: str, at: int = 100) -> str:
    return (
        "diff --git a/mm/memory.c b/mm/memory.c\n--- a/mm/memory.c\n+++ b/mm/memory.c\n"
        f"@@ -{at},2 +{at},3 @@ static int copy_present_pte(struct page *page)\n"
        " \tint x;\n"
        f"+{line}\n"
        " \treturn 0;\n"
    )


CRASHING_PACK = '''
"""crashing: a rule that always crashes (test pack)."""
from reviewbot.engine import Rule
from reviewbot.findings import Confidence, Severity

def check(ctx):
    raise RuntimeError("boom")
    yield

RULE = Rule(code="TST001", name="always-crashes", summary="crashes", severity=Severity.ERROR,
            confidence=Confidence.HIGH, check=check)
'''


def test_builtin_rules_load_with_docs() -> None:
    rules = load_rules()
    mm001 = rules.get("removed-rmap-api")
    assert mm001.code == "MM001" and mm001.pack == "mm"
    assert "What it checks" in mm001.doc


def test_select_and_ignore_by_code_prefix_and_name() -> None:
    rules = load_rules()
    assert [r.code for r in rules.select(["removed-rmap-api"])] == ["MM001"]
    assert "MM001" in [r.code for r in rules.select(["MM"])]
    assert "MM001" not in [r.code for r in rules.select(ignore=["MM001"])]
    with pytest.raises(UsageError, match="NOPE999"):
        rules.select(["NOPE999"])


def test_crashing_rule_is_reported_and_others_still_run(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(CRASHING_PACK)
    rules = load_rules([tmp_path])
    series = make_series(diff_adding("\tpage_dup_rmap(page, false);"))
    out = runner.run(series, rules.select(), KernelVersion(6, 1))
    assert [f.code for f in out.findings] == ["MM001"]
    assert len(out.errors) == 1
    assert out.errors[0].code == "TST001" and "boom" in out.errors[0].message


def test_duplicate_code_in_a_pack_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dup.py").write_text(CRASHING_PACK.replace("TST001", "MM001"))
    with pytest.raises(UsageError, match="MM001 is already used"):
        load_rules([tmp_path])


def test_fingerprint_ignores_line_numbers_and_whitespace() -> None:
    rules = load_rules().select(["MM001"])
    a = runner.run(
        make_series(diff_adding("\tpage_dup_rmap(page, false);", 100)), rules, KernelVersion(6, 1)
    )
    b = runner.run(
        make_series(diff_adding("  page_dup_rmap(page,  false);", 250)), rules, KernelVersion(6, 1)
    )
    assert a.findings[0].line == 101 and b.findings[0].line == 251
    assert a.findings[0].fingerprint == b.findings[0].fingerprint


def test_rules_outside_their_kernel_range_do_not_run() -> None:
    rules = load_rules().select(["MM001"])
    out = runner.run(
        make_series(diff_adding("\tpage_dup_rmap(page, false);")), rules, KernelVersion(5, 15)
    )
    assert out.findings == ()


def test_target_inferred_from_pre_image_calls() -> None:
    markers = {
        "page_dup_file_rmap": VersionRange(">=5.19,<6.8"),
        "folio_get": VersionRange(">=5.16"),
    }
    series = make_series(
        "diff --git a/mm/memory.c b/mm/memory.c\n--- a/mm/memory.c\n+++ b/mm/memory.c\n"
        "@@ -10,2 +10,2 @@ f\n-\tpage_dup_file_rmap(page, false);\n+\tx();\n \treturn;\n"
    )
    target = infer(series, markers)
    assert target.version == KernelVersion(6, 7)
    assert "page_dup_file_rmap" in target.source
    assert infer(make_series(diff_adding("x();")), markers).source == "default"


def test_added_lines_alone_do_not_set_the_target() -> None:
    markers = {"page_try_dup_anon_rmap": VersionRange(">=5.19,<6.8")}
    series = make_series(diff_adding("\tpage_try_dup_anon_rmap(page, false, vma);"))
    assert infer(series, markers).source == "default"
