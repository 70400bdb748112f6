"""removed-rmap-api: a call to an rmap function that the target kernel does not have.

What it checks
    Added calls to rmap duplication functions that the target kernel removed:
    ``page_dup_rmap()`` (gone in v5.19), and the page-era ``page_try_dup_anon_rmap()``,
    ``page_dup_file_rmap()``, ``__page_dup_rmap()`` and ``page_needs_cow_for_dma()``
    (gone in v6.8). Mentions in comments, strings and removed lines are not calls.

Why it matters
    Calling a function the kernel no longer has breaks the build. The replacements are
    not drop-in: callers must pick the anon or the file variant.

Example
    On v6.1, ``page_dup_rmap(page, false);`` must become ``page_dup_file_rmap(page,
    false)`` for a file page or ``page_try_dup_anon_rmap(page, false, src_vma)`` (and
    handle -EBUSY) for an anon page.

Known false positives
    A series that defines the function again before calling it.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewbot.engine import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Severity
from reviewbot.kernel import VersionRange

# function -> (kernels that no longer have it, what to call instead)
REMOVED: dict[str, tuple[VersionRange, str]] = {
    "page_dup_rmap": (
        VersionRange(">=5.19"),
        "page_dup_file_rmap() for a file page, page_try_dup_anon_rmap() for an anon page",
    ),
    "page_try_dup_anon_rmap": (
        VersionRange(">=6.8"),
        "folio_try_dup_anon_rmap_pte()/_ptes()/_pmd()",
    ),
    "page_dup_file_rmap": (VersionRange(">=6.8"), "folio_dup_file_rmap_pte()/_ptes()/_pmd()"),
    "__page_dup_rmap": (VersionRange(">=6.8"), "the folio_dup_*_rmap_*() functions"),
    "page_needs_cow_for_dma": (VersionRange(">=6.8"), "folio_needs_cow_for_dma()"),
}


def check(ctx: PatchContext) -> Iterator[Hit]:
    for view in ctx.c_files:
        for call in view.calls(set(REMOVED)):
            removed_in, instead = REMOVED[call.callee]
            if not call.added or ctx.kernel not in removed_in:
                continue
            yield Hit(
                message=(
                    f"{call.callee}() does not exist in v{ctx.kernel} "
                    f"(removed in {removed_in}): this does not build"
                ),
                path=view.path,
                line=call.line,
                function=call.function,
                suggestion=f"call {instead}",
            )


RULE = Rule(
    code="MM001",
    name="removed-rmap-api",
    summary="a call to an rmap function that the target kernel does not have",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    check=check,
    references=("https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/",),
)
