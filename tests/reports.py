"""Sample reports for the renderer and publisher tests, built by hand from the dataclasses.

The series looks like a real three-patch mm series with a cover letter: patch 1 reorders
``get_page()`` after the dup in ``copy_present_pte()`` and calls a removed function, patch 2
touches ``include/linux/rmap.h``, patch 3 is clean. Its diffs go through ``parse_diff`` so
that hunks, post-image line numbers and context are the real thing.
"""

from __future__ import annotations

from reviewbot.engine.rule import Rule
from reviewbot.findings import Confidence, Finding, Related, Report, RuleError, Severity, Status
from reviewbot.kernel import VersionRange
from reviewbot.parse.diff import parse_diff
from reviewbot.parse.patch import Patch, Series, Subject, Trailer

AUTHOR = "Jane Developer <jane@example.org>"
TO = ("Andrew Morton <akpm@linux-foundation.org>",)
CC = ("linux-mm@kvack.org", "linux-kernel@vger.kernel.org", "David Hildenbrand <david@redhat.com>")
COVER_MSGID = "20250301120000.1000-1-jane@example.org"
LORE = "https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/"

# Post-image lines of patch 1 (mm/memory.c), as the hunk below numbers them.
LINE_DUP = 965  # if (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {
LINE_RETURN = 967  # return copy_present_page(...)
LINE_GET = 970  # +get_page(page);  (now after the dup)
LINE_REMOVED_API = 974  # +page_dup_rmap(page, false);

DIFF_1 = """\
diff --git a/mm/memory.c b/mm/memory.c
index 0a3b7e4c1d2f..5e6f7a8b9c0d 100644
--- a/mm/memory.c
+++ b/mm/memory.c
@@ -962,17 +962,16 @@ copy_present_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
 		 * guarantee the pinned page won't be randomly replaced in the
 		 * future.
 		 */
-		get_page(page);
 		if (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {
 			/* Page maybe pinned, we have to copy. */
-			put_page(page);
 			return copy_present_page(dst_vma, src_vma, dst_pte, src_pte,
 						 addr, rss, prealloc, page);
 		}
+		get_page(page);
 		rss[mm_counter(page)]++;
 	} else if (page) {
 		get_page(page);
-		page_dup_file_rmap(page, false);
+		page_dup_rmap(page, false);
 		rss[mm_counter(page)]++;
 	}
 
"""  # noqa: W293 (a diff as sent: tabs, blank context lines)

DIFF_2 = """\
diff --git a/include/linux/rmap.h b/include/linux/rmap.h
index 1b2c3d4e5f60..6f5e4d3c2b1a 100644
--- a/include/linux/rmap.h
+++ b/include/linux/rmap.h
@@ -210,6 +210,8 @@ static inline void page_dup_file_rmap(struct page *page, bool compound)
 	__page_dup_rmap(page, compound);
 }
 
+/* The caller must hold a reference on the page. */
+
 /**
  * page_try_dup_anon_rmap - try duplicating a mapping of an already mapped
  *			    anonymous page
"""  # noqa: W293

DIFF_3 = """\
diff --git a/mm/huge_memory.c b/mm/huge_memory.c
index 2c3d4e5f6a7b..7b6a5f4e3d2c 100644
--- a/mm/huge_memory.c
+++ b/mm/huge_memory.c
@@ -1100,7 +1100,7 @@ int copy_huge_pmd(struct mm_struct *dst_mm, struct mm_struct *src_mm,
 	src_page = pmd_page(pmd);
 	VM_BUG_ON_PAGE(!PageHead(src_page), src_page);
 
-	get_page(src_page);
+	get_page(src_page); /* the reference comes first */
 	if (unlikely(page_try_dup_anon_rmap(src_page, true, src_vma))) {
 		/* Page maybe pinned: split and retry the fault on PTEs. */
 		put_page(src_page);
"""  # noqa: W293


def _subject(title: str, counter: int, total: int = 3) -> Subject:
    raw = f"[PATCH v2 {counter}/{total}] {title}"
    return Subject(raw=raw, title=title, version=2, counter=counter, total=total, is_patch=True)


def _patch(index: int, title: str, diff: str) -> Patch:
    msgid = f"20250301120000.1000-{index + 1}-jane@example.org"
    return Patch(
        index=index,
        msgid=msgid,
        subject=_subject(title, index),
        author=AUTHOR,
        date="Sat, 01 Mar 2025 12:00:00 +0000",
        message=f"{title}.\n\nSigned-off-by: {AUTHOR}\n",
        trailers=(Trailer("Signed-off-by", AUTHOR),),
        notes="",
        files=parse_diff(diff, f"patch {index}"),
        in_reply_to=COVER_MSGID,
        references=(COVER_MSGID,),
        to=TO,
        cc=CC,
    )


def series() -> Series:
    cover = Patch(
        index=0,
        msgid=COVER_MSGID,
        subject=_subject("mm: take the page reference after the rmap dup", 0),
        author=AUTHOR,
        date="Sat, 01 Mar 2025 12:00:00 +0000",
        message="This series reorders things.\n",
        trailers=(),
        notes="",
        files=(),
        to=TO,
        cc=CC,
    )
    patches = (
        _patch(1, "mm/memory: take the page reference after the dup", DIFF_1),
        _patch(2, "mm/rmap: document the reference rule", DIFF_2),
        _patch(3, "mm/huge_memory: comment the ordering", DIFF_3),
    )
    return Series(
        subject="mm: take the page reference after the rmap dup",
        version=2,
        total=3,
        patches=patches,
        msgid=COVER_MSGID,
        cover=cover,
        source=COVER_MSGID,
    )


def _msgid(index: int) -> str:
    return f"20250301120000.1000-{index + 1}-jane@example.org"


def findings() -> tuple[Finding, ...]:
    """One finding of every severity, plus series-wide, line-less, low-confidence, preview;
    in the engine's order."""
    return tuple(sorted(_findings(), key=Finding.sort_key))


def _findings() -> tuple[Finding, ...]:
    return (
        Finding(
            code="MM002",
            name="ref-before-dup",
            severity=Severity.ERROR,
            confidence=Confidence.HIGH,
            message=(
                "get_page() now comes after page_try_dup_anon_rmap(): while the mapcount is "
                "raised before the reference, page_count() can be below the mapcount, and "
                "KSM or GUP may take the page for unreferenced"
            ),
            patch=1,
            msgid=_msgid(1),
            path="mm/memory.c",
            line=LINE_GET,
            fingerprint="a1" * 16,
            suggestion="take the reference before the dup, and drop it on -EBUSY",
            related=(
                Related("the dup that the reference must precede", "mm/memory.c", LINE_DUP, 1),
            ),
            function="copy_present_pte",
        ),
        Finding(
            code="MM001",
            name="removed-rmap-api",
            severity=Severity.ERROR,
            confidence=Confidence.HIGH,
            message=(
                "page_dup_rmap() does not exist in v6.1 (removed in >=5.19): this does not build"
            ),
            patch=1,
            msgid=_msgid(1),
            path="mm/memory.c",
            line=LINE_REMOVED_API,
            fingerprint="b2" * 16,
            suggestion="call page_dup_file_rmap() for a file page",
            function="copy_present_pte",
        ),
        Finding(
            code="MM003",
            name="no-undo-on-ebusy",
            severity=Severity.WARNING,
            confidence=Confidence.HIGH,
            message="The -EBUSY path returns without dropping a page reference",
            patch=1,
            msgid=_msgid(1),
            path="mm/memory.c",
            line=LINE_RETURN,
            fingerprint="c3" * 16,
            function="copy_present_pte",
        ),
        Finding(
            code="MM010",
            name="rmap-comment",
            severity=Severity.INFO,
            confidence=Confidence.MEDIUM,
            message="rmap.h gains a comment about references",
            patch=2,
            msgid=_msgid(2),
            path="include/linux/rmap.h",
            line=None,
            fingerprint="d4" * 16,
        ),
        Finding(
            code="MM011",
            name="preview-thing",
            severity=Severity.WARNING,
            confidence=Confidence.HIGH,
            message="A preview rule says something about this comment",
            patch=2,
            msgid=_msgid(2),
            path="include/linux/rmap.h",
            line=213,
            fingerprint="e5" * 16,
            status=Status.PREVIEW,
        ),
        Finding(
            code="SR001",
            name="missing-patches",
            severity=Severity.WARNING,
            confidence=Confidence.HIGH,
            message="The series has no patch that updates the other callers",
            patch=None,
            msgid=COVER_MSGID,
            path=None,
            line=None,
            fingerprint="f6" * 16,
        ),
    )


def _rule(code: str, name: str, severity: Severity, summary: str, **kw: object) -> Rule:
    doc = (
        f"{name}: {summary}.\n\nWhat it checks\n    {summary}.\n\n"
        f"Why it matters\n    Because.\n\nReferences\n    {LORE}\n"
    )
    return Rule(
        code=code,
        name=name,
        summary=summary,
        severity=severity,
        confidence=Confidence.HIGH,
        check=lambda ctx: (),
        doc=doc,
        references=(LORE,),
        kernels=VersionRange(">=5.19"),
        pack="mm",
        **kw,  # type: ignore[arg-type]
    )


def rules() -> dict[str, Rule]:
    out = [
        _rule("MM001", "removed-rmap-api", Severity.ERROR, "a call to a removed rmap function"),
        _rule("MM002", "ref-before-dup", Severity.ERROR, "the reference comes before the dup"),
        _rule("MM003", "no-undo-on-ebusy", Severity.WARNING, "-EBUSY must drop the reference"),
        _rule("MM010", "rmap-comment", Severity.INFO, "a note about rmap comments"),
        _rule("MM011", "preview-thing", Severity.WARNING, "a preview rule", status=Status.PREVIEW),
        _rule("SR001", "missing-patches", Severity.WARNING, "the series misses patches"),
    ]
    return {r.code: r for r in out}


ERRORS = (
    RuleError("rule MM009 crashy crashed on patch 2: KeyError: 'x' (crashy.py:12)", "MM009", 2),
)


def full() -> Report:
    """Findings of every severity, and one rule error."""
    return Report(
        series=series(),
        findings=findings(),
        errors=ERRORS,
        kernel="6.1",
        kernel_source="option",
        rules_run=tuple(sorted(rules())),
    )


def clean() -> Report:
    return Report(series=series(), findings=(), kernel="6.1", rules_run=tuple(sorted(rules())))


def single_patch(report: Report, index: int) -> Report:
    """The report as ``b4`` sees it: one patch fed on stdin, its findings only."""
    from dataclasses import replace

    patch = next(p for p in report.series.patches if p.index == index)
    s = replace(report.series, patches=(patch,), total=1, cover=None, msgid=patch.msgid)
    return replace(
        report,
        series=s,
        findings=tuple(f for f in report.findings if f.patch == index),
        errors=tuple(e for e in report.errors if e.patch in (index, None)),
    )
