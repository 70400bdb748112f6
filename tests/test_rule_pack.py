"""The mm rule pack on the real seed thread and on defects planted into it.

The corpus test: nothing at warning or above on any real message (the upstream
patches are correct), whatever kernel the review targets. The mutation test plants
the defects a reviewer would catch into the seed patch (v2 04/15) and requires each
to be reported at warning or above, by the right rule, within 3 lines of the planted
line. Both skip when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot import sources
from reviewbot.engine.loader import load_rules
from reviewbot.findings import Report, Severity
from reviewbot.pipeline import ReviewOptions, review_series

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = CORPUS / "v2-04-15-mm-rmap-split-page-dup-rmap.eml"
FIXTURES = ROOT / "fixtures" / "rules"
RULES = load_rules()
NEEDS_TREE = "needs the whole function"

needs_corpus = pytest.mark.skipif(not SEED.is_file(), reason="../shared/corpus is absent")


def review(path: Path, kernel: str | None = None) -> Report:
    series = sources.load_series(str(path), lore_url="http://127.0.0.1:9", stdin=None)
    return review_series(series, ReviewOptions(kernel=kernel), RULES)


def corpus_patches() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.glob("*.eml")
        if re.search(r"^diff --git ", p.read_text(errors="replace"), re.M)
        and not re.search(r"^Subject:\s*Re:", p.read_text(errors="replace"), re.M | re.I)
    )


@needs_corpus
@pytest.mark.parametrize("kernel", [None, "5.18", "6.1", "6.12", "6.15"])
def test_corpus_has_nothing_at_warning_or_above(kernel: str | None, tmp_path: Path) -> None:
    thread = tmp_path / "thread.mbox"
    with thread.open("w", encoding="utf-8") as out:
        for path in corpus_patches():
            out.write("From mboxrd@z Thu Jan  1 00:00:00 1970\n")
            out.write(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n")
    for source in [thread, *corpus_patches()]:
        report = review(source, kernel)
        assert not report.errors, [e.message for e in report.errors]
        loud = [
            f"{f.code} {f.path}:{f.line} {f.message}" for f in report.at_least(Severity.WARNING)
        ]
        assert not loud, f"{source.name} (kernel {kernel}): {loud}"
        for finding in report.findings:
            if NEEDS_TREE in finding.message:
                assert "--tree" in finding.message


@needs_corpus
def test_seed_patch_infos_say_what_they_need() -> None:
    report = review(SEED)
    infos = [f for f in report.findings if NEEDS_TREE in f.message]
    # copy_huge_pmd()'s anon guard (vma_is_anonymous) and the hugetlb failure branch are
    # outside the hunks: at most info, and honest about it
    assert {(f.code, f.path) for f in infos} <= {
        ("MM004", "mm/huge_memory.c"),
        ("MM002", "mm/hugetlb.c"),
    }
    assert all(f.severity is Severity.INFO for f in infos)


# --- planted defects ------------------------------------------------------------

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


def _recount(lines: list[str]) -> list[str]:
    """Rewrite hunk headers after lines were added or removed (a mutated patch)."""
    out: list[str] = []
    delta = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git"):
            delta = 0
        m = _HUNK.match(line)
        if not m:
            out.append(line)
            i += 1
            continue
        j, old, new = i + 1, 0, 0
        while (
            j < len(lines)
            and lines[j][:1] in ("+", "-", " ")
            and not lines[j].startswith(("-- ", "--- ", "+++ "))
        ):
            old += lines[j][:1] != "+"
            new += lines[j][:1] != "-"
            j += 1
        out.append(f"@@ -{m.group(1)},{old} +{int(m.group(3)) + delta},{new} @@{m.group(5)}")
        delta += (new - int(m.group(4) or 1)) - (old - int(m.group(2) or 1))
        out.extend(lines[i + 1 : j])
        i = j
    return out


def _added(lines: list[str], regex: str) -> int:
    for k, line in enumerate(lines):
        if line.startswith("+") and not line.startswith("+++") and re.search(regex, line):
            return k
    raise AssertionError(f"no added line matches {regex}")


def mutate(text: str, op: str, regex: str, arg: str = "") -> str:
    lines = text.split("\n")
    k = _added(lines, regex)
    if op == "delete":
        del lines[k]
    elif op == "replace":
        lines[k] = "+" + re.sub(regex.lstrip("^\\+"), arg, lines[k][1:], count=1)
    elif op == "move-after":
        moved = lines.pop(k)
        target = next(
            n for n in range(k, len(lines)) if lines[n][:1] in "+ " and re.search(arg, lines[n])
        )
        lines.insert(target + 1, moved)
    return "\n".join(_recount(lines))


MUTATIONS = [
    # (name, op, regex on an added line, argument, code, path, planted post-image line)
    ("delete get_page", "delete", r"^\+\t\tget_page\(page\);", "", "MM002", "mm/memory.c", 935),
    (
        "get_page after the dup",
        "move-after",
        r"^\+\t\tget_page\(page\);",
        r"rss\[mm_counter\(page\)\]\+\+;",
        "MM002",
        "mm/memory.c",
        942,
    ),
    (
        "delete put_page on failure",
        "delete",
        r"^\+\t\t\tput_page\(page\);",
        "",
        "MM002",
        "mm/memory.c",
        938,
    ),
    (
        "result ignored",
        "replace",
        r"if \(unlikely\((page_try_dup_anon_rmap\(page, false, src_vma\))\)\) \{",
        r"\1; {",
        "MM003",
        "mm/memory.c",
        936,
    ),
    (
        "THP: delete get_page",
        "delete",
        r"^\+\tget_page\(src_page\);",
        "",
        "MM002",
        "mm/huge_memory.c",
        1100,
    ),
    (
        "THP: delete put_page on failure",
        "delete",
        r"^\+\t\tput_page\(src_page\);",
        "",
        "MM002",
        "mm/huge_memory.c",
        1103,
    ),
    (
        "THP: get_page after the dup",
        "move-after",
        r"^\+\tget_page\(src_page\);",
        r"add_mm_counter\(dst_mm, MM_ANONPAGES",
        "MM002",
        "mm/huge_memory.c",
        1110,
    ),
    (
        "THP: result ignored",
        "replace",
        r"if \(unlikely\((page_try_dup_anon_rmap\(src_page, true, src_vma\))\)\) \{",
        r"\1; if (0) {",
        "MM003",
        "mm/huge_memory.c",
        1101,
    ),
    (
        "try on the file branch",
        "replace",
        r"page_dup_file_rmap\(ptepage, true\);",
        "BUG_ON(page_try_dup_anon_rmap(ptepage, true, vma));",
        "MM004",
        "mm/hugetlb.c",
        4794,
    ),
    (
        "anon guard replaced",
        "replace",
        r"if \(page && PageAnon\(page\)\) \{",
        "if (page && !PageKsm(page)) {",
        "MM004",
        "mm/memory.c",
        936,
    ),
]


@needs_corpus
@pytest.mark.parametrize(
    ("name", "op", "regex", "arg", "code", "path", "line"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
def test_planted_defect_is_found(
    name: str, op: str, regex: str, arg: str, code: str, path: str, line: int, tmp_path: Path
) -> None:
    mutant = tmp_path / "mutant.eml"
    mutant.write_text(mutate(SEED.read_text(encoding="utf-8"), op, regex, arg), encoding="utf-8")
    for kernel in (None, "6.1"):
        report = review(mutant, kernel)
        hits = [
            f
            for f in report.at_least(Severity.WARNING)
            if f.code == code and f.path == path and f.line is not None and abs(f.line - line) <= 3
        ]
        assert hits, f"{name} (kernel {kernel}): " + "; ".join(
            f"{f.code} {f.path}:{f.line} {f.severity}" for f in report.findings
        )


def test_needs_tree_findings_are_info_only_on_fixtures(tmp_path: Path) -> None:
    """Patch-mode honesty: a finding that says it needs the whole function is info."""
    marker = re.compile(r"\s*/\*\s*(?:ruleid|info|ok):[^*]*\*/")
    count = 0
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix not in (".patch", ".mbox"):
            continue
        raw = path.read_text(encoding="utf-8")
        stripped = tmp_path / path.name
        stripped.write_text(
            "\n".join(marker.sub("", ln) if ln.startswith("+") else ln for ln in raw.split("\n")),
            encoding="utf-8",
        )
        kernel = (
            m.group(1) if (m := re.search(r"^X-Reviewbot-Kernel:\s*(\S+)", raw, re.M)) else None
        )
        for finding in review(stripped, kernel).findings:
            if NEEDS_TREE in finding.message:
                count += 1
                assert finding.severity is Severity.INFO
    # fixtures/rules/MM005/cow-variable-outside-hunk-info.patch exercises it on purpose
    assert count >= 1


def _marked(raw: str) -> set[tuple[str, int, str]]:
    """(path, post-image line, code) of every ``ruleid:`` marker of a one-patch fixture."""
    out: set[tuple[str, int, str]] = set()
    path = ""
    line = 0
    for text in raw.split("\n"):
        if text.startswith("+++ "):
            path = text[6:] if text.startswith("+++ b/") else text[4:]
            continue
        m = _HUNK.match(text)
        if m:
            line = int(m.group(3))
            continue
        if text.startswith(("+", " ")) and path:
            if text.startswith("+"):
                for codes in re.findall(r"/\*\s*ruleid:\s*([A-Z0-9, ]+?)\s*\*/", text):
                    out |= {(path, line, c.strip()) for c in codes.split(",")}
            line += 1
        elif text.startswith("diff --git"):
            path = ""
    return out


def test_ruleid_markers_are_reported_at_warning_or_above(tmp_path: Path) -> None:
    """``ruleid:`` means a finding a maintainer should act on; ``info:`` marks the rest."""
    marker = re.compile(r"\s*/\*\s*(?:ruleid|info|ok):[^*]*\*/")
    checked = 0
    for path in sorted(FIXTURES.rglob("*.patch")):
        raw = path.read_text(encoding="utf-8")
        if path.with_suffix(".expect").is_file():
            continue
        expected = _marked(raw)
        if not expected:
            continue
        stripped = tmp_path / path.name
        stripped.write_text(
            "\n".join(marker.sub("", ln) if ln.startswith("+") else ln for ln in raw.split("\n")),
            encoding="utf-8",
        )
        kernel = (
            m.group(1) if (m := re.search(r"^X-Reviewbot-Kernel:\s*(\S+)", raw, re.M)) else None
        )
        loud = {
            (f.path, f.line, f.code) for f in review(stripped, kernel).at_least(Severity.WARNING)
        }
        assert expected <= loud, f"{path.name}: {sorted(expected - loud)} not at warning or above"
        checked += len(expected)
    assert checked >= 15


# Findings made from a removed line sit on context lines, so their fixtures use an
# ``.expect`` sidecar, which does not say how severe they are: patch mode reports these
# at warning because nothing else in the patch stands for what it removed.
REMOVED_LINE_WARNINGS = {
    "MM002/hugetlb-fork-drops-folio-get-6.12.patch": ("MM002", "removes folio_get(pte_folio)"),
    "MM002/hugetlb-fork-alloc-failure-keeps-reference-6.1.patch": (
        "MM002",
        "removes put_page(ptepage)",
    ),
    "MM002/ptes-try-dup-maps-one-of-a-batch.patch": ("MM002", "maps 1 page(s)"),
    "MM004/copy-huge-pmd-drops-anon-vma-check.patch": ("MM004", "vma_is_anonymous(dst_vma)"),
    "MM004/copy-present-pte-drops-pageanon-test-6.1.patch": ("MM004", "PageAnon(page)"),
}


@pytest.mark.parametrize("name", sorted(REMOVED_LINE_WARNINGS))
def test_removed_line_findings_are_warnings(name: str) -> None:
    code, words = REMOVED_LINE_WARNINGS[name]
    report = review(FIXTURES / name)
    hits = [f for f in report.findings if f.code == code and words in f.message]
    assert hits, [f.message for f in report.findings]
    assert all(f.severity is Severity.WARNING for f in hits)


# --- big and deep patches: every rule runs in time linear in what the patch shows -------

# v6.1 copy_present_pte(), lines 957-977 (mm/memory.c)
_COPY_PRESENT_PTE_61 = [
    "\tpage = vm_normal_page(src_vma, addr, pte);",
    "\tif (page && PageAnon(page)) {",
    "\t\t/*",
    "\t\t * If this page may have been pinned by the parent process,",
    "\t\t * copy the page immediately for the child so that we'll always",
    "\t\t * guarantee the pinned page won't be randomly replaced in the",
    "\t\t * future.",
    "\t\t */",
    "\t\tget_page(page);",
    "\t\tif (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {",
    "\t\t\t/* Page maybe pinned, we have to copy. */",
    "\t\t\tput_page(page);",
    "\t\t\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,",
    "\t\t\t\t\t\t addr, rss, prealloc, page);",
    "\t\t}",
    "\t\trss[mm_counter(page)]++;",
    "\t} else if (page) {",
    "\t\tget_page(page);",
    "\t\tpage_dup_file_rmap(page, false);",
    "\t\trss[mm_counter(page)]++;",
    "\t}",
]


def _copy_present_pte_patch(after: int, added: list[str]) -> tuple[str, int]:
    """A git format-patch email that adds ``added`` to v6.1 copy_present_pte() after its
    line ``after`` (957-977), and the post-image line of the last added line."""
    at = after - 957 + 1
    body = [
        "@@ -957,21 +957,21 @@ copy_present_pte(struct vm_area_struct *dst_vma, "
        "struct vm_area_struct *src_vma,",
        *(" " + ln for ln in _COPY_PRESENT_PTE_61[:at]),
        *("+" + ln for ln in added),
        *(" " + ln for ln in _COPY_PRESENT_PTE_61[at:]),
    ]
    head = (
        "From 8948cb713061f2716890c02f7ed44af4d5637b05 Mon Sep 17 00:00:00 2001\n"
        "From: Jane Developer <jane@example.org>\n"
        "Date: Mon, 2 Mar 2026 10:15:00 +0100\n"
        "Subject: [PATCH] mm/memory: a generated stress test of copy_present_pte()\n"
        "\n"
        "Signed-off-by: Jane Developer <jane@example.org>\n"
        "---\n"
        " mm/memory.c | 1 +\n"
        " 1 file changed, 1 insertion(+)\n"
        "\n"
        "diff --git a/mm/memory.c b/mm/memory.c\n"
        "index eba719e..99ca1c3 100644\n"
        "--- a/mm/memory.c\n"
        "+++ b/mm/memory.c\n"
    )
    return head + "\n".join(_recount(body)) + "\n-- \n2.39.5\n", after + len(added)


# 3,000 calls on one added line (a file dup with its reference, and its rss count), then
# one defect on the next line: the API of before v5.19.
_MANY_FILE_DUPS = "\t\t" + " ".join(
    ["get_page(page); page_dup_file_rmap(page, false); rss[mm_counter(page)]++;"] * 1000
)
# 3,000 calls of a checked try dup in the anon branch, then its result ignored once.
_MANY_TRY_DUPS = "\t\t" + " ".join(
    [
        "get_page(page); if (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) "
        "{ put_page(page); return -EAGAIN; }"
    ]
    * 750
)


@pytest.mark.parametrize(
    ("after", "many", "planted", "code"),
    [
        (975, _MANY_FILE_DUPS, "\t\tpage_dup_rmap(page, false);", "MM001"),
        (958, _MANY_TRY_DUPS, "\t\tpage_try_dup_anon_rmap(page, false, src_vma);", "MM003"),
    ],
    ids=["file-dups", "try-dups"],
)
def test_thousands_of_calls_on_one_line(
    after: int, many: str, planted: str, code: str, tmp_path: Path
) -> None:
    """Every rule finishes on a line of 3,000 calls (the per-call questions are answered
    from per-fragment tables, not by rescanning the function) and still finds the one
    defect planted after it."""
    text, line = _copy_present_pte_patch(after, [many, planted])
    patch = tmp_path / "many.patch"
    patch.write_text(text, encoding="utf-8")
    report = review(patch, "6.1")
    assert not report.errors, [e.message for e in report.errors]
    loud = [(f.code, f.line) for f in report.at_least(Severity.WARNING)]
    assert loud == [(code, line)]


def test_a_stale_call_three_thousand_parentheses_deep(tmp_path: Path) -> None:
    """No rule walks the tree by recursion: a deeply nested expression is reviewed."""
    deep = "\t\t" + "(" * 3000 + "page_dup_rmap(page, false)" + ")" * 3000 + ";"
    text, line = _copy_present_pte_patch(975, [deep])
    patch = tmp_path / "deep.patch"
    patch.write_text(text, encoding="utf-8")
    report = review(patch, "6.1")
    assert not report.errors, [e.message for e in report.errors]
    assert [(f.code, f.line, f.severity) for f in report.findings] == [
        ("MM001", line, Severity.ERROR)
    ]


@pytest.mark.parametrize(
    ("kernel", "severity"), [(None, Severity.INFO), ("6.12", Severity.ERROR), ("6.1", None)]
)
def test_a_missing_function_is_info_when_nothing_shows_the_target(
    kernel: str | None, severity: Severity | None, tmp_path: Path
) -> None:
    """No --kernel and no era marker in the hunks: the newest kernel is only a default,
    and a correct page-era patch must not read as broken."""
    raw = (FIXTURES / "MM001" / "file-dup-helper-no-era-in-context-info.patch").read_text()
    patch = tmp_path / "helper.patch"
    patch.write_text(re.sub(r"\s*/\*\s*info: MM001\s*\*/", "", raw), encoding="utf-8")
    report = review(patch, kernel)
    found = [f for f in report.findings if f.code == "MM001"]
    assert [f.severity for f in found] == ([severity] if severity else [])
    assert all(f.severity is Severity.INFO for f in report.findings if f.code != "MM001")
    if kernel is None:
        assert report.kernel_source == "default"
        assert "does not show which kernel it targets" in found[0].message
        assert "--kernel" in found[0].message
