"""pinned-check-moved: the "may this page be pinned" test moved into the try-dup functions.

What it checks
    On v5.19 and later, in code the patch adds:

    - a call to ``page_needs_cow_for_dma()`` (or ``folio_needs_cow_for_dma()``) with no
      ``is_cow_mapping()`` test on its path: since v5.19 it no longer tests
      ``is_cow_mapping()`` itself, so it does not filter out shared mappings any more
      (warning; info when the test could be outside the hunk);
    - a pinned check (``page_needs_cow_for_dma()``, ``folio_needs_cow_for_dma()``,
      ``page_maybe_dma_pinned()``, ``folio_maybe_dma_pinned()``, a ``MMF_HAS_PINNED``
      test) right before a try-dup call on its path, which does that check itself
      (info).

    A call of a function the target kernel lacks is left to removed-rmap-api, unless
    nothing shows the target (no ``--kernel``, no tree, no era marker in the removed or
    context lines): the call's own era then stands for it.

Why it matters
    The v5.19 split moved the pinned check (``MMF_HAS_PINNED`` and
    ``page_maybe_dma_pinned()``) into ``page_try_dup_anon_rmap()`` and dropped the
    ``is_cow_mapping()`` test from ``page_needs_cow_for_dma()``, as only anon pages in
    COW mappings get there. A caller that still relies on it to skip shared mappings
    now copies pages of shared mappings; a caller that repeats it before the try call
    does the work twice.

Example
    ``if (page && page_needs_cow_for_dma(src_vma, page))`` in a v6.1 fork path needs
    ``is_cow_mapping(src_vma->vm_flags) &&`` in front, or should go away in favour of
    the result of ``page_try_dup_anon_rmap()``.

Known false positives
    Functions only ever called for COW mappings, with the ``is_cow_mapping()`` test in
    their callers: tree mode still sees only the function.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call, FileView, Fragment
from reviewbot.engine.rule import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Severity
from reviewbot.kernel import VersionRange

from .dup_site import (
    NEEDS_TREE,
    atom_call,
    distinct,
    hunk_pairs,
    implied_atoms,
    object_name,
    sees_whole_function,
    target_unknown,
    weak_twins,
)
from .rmap_api import (
    ERA_MARKERS,
    LORE_SPLIT,
    NEEDS_COW,
    PINNED_CHECKS,
    TRY_FUNCTIONS,
    is_api_internal,
)

WHY_COW = (
    "Since v5.19 page_needs_cow_for_dma() no longer tests is_cow_mapping() (the pinned "
    "check moved into page_try_dup_anon_rmap(), which only sees anon pages of COW "
    f"mappings), so it no longer filters out shared mappings (see {LORE_SPLIT})"
)
WHY_TWICE = (
    "Since v5.19 the try-dup functions check MMF_HAS_PINNED and the page's pin count "
    f"themselves and fail with -EBUSY (see {LORE_SPLIT})"
)
_NEAR = 12  # "right before": within this many lines


def _cow_tested(call: Call) -> bool:
    """An is_cow_mapping() test (or a variable set from one) holds where ``call`` runs."""
    scope = flow.function_scope(call.node)
    index = flow.index_of(call.fragment)
    for fact in flow.known_facts(call.node, index, _may_test_cow):
        for atom, value in implied_atoms(fact.cond, fact.value):
            name, _ = atom_call(atom, scope, index)
            if name == "is_cow_mapping" and value:
                return True
    # ``is_cow_mapping(flags) && page_needs_cow_for_dma(vma, page)``
    child = call.node
    for anc in flow.ancestors(call.node):
        if anc.type == "binary_expression" and flow.text(anc.child_by_field_name("operator")) == (
            "&&"
        ):
            left = anc.child_by_field_name("left")
            right = anc.child_by_field_name("right")
            if left is not None and right is not None and flow.contains(right, child):
                for atom, value in implied_atoms(left, True):
                    if atom_call(atom, scope, index)[0] == "is_cow_mapping" and value:
                        return True
        if flow.is_statement(anc):
            break
        child = anc
    return False


def _may_test_cow(fact: flow.Fact, index: flow.FlowIndex) -> bool:
    return any(
        atom.type == "identifier" or flow.callee(atom) == "is_cow_mapping"
        for atom, _ in implied_atoms(fact.cond, fact.value)
    )


def _pinned_test(call: Call) -> bool:
    if call.callee in PINNED_CHECKS:
        return True
    return call.callee == "test_bit" and bool(call.args) and call.args[0] == "MMF_HAS_PINNED"


def _cow_checks(
    ctx: PatchContext, view: FileView, post: Fragment, pre: Fragment | None
) -> Iterator[Hit]:
    removed_cow = pre is not None and any(c.added for c in flow.all_calls(pre, {"is_cow_mapping"}))
    index = flow.index_of(post)
    tries = index.calls(TRY_FUNCTIONS)
    try_starts = [t.node.start_byte for t in tries]
    for call in flow.all_calls(post, set(NEEDS_COW)):
        if not call.added or is_api_internal(call.function) or _cow_tested(call):
            continue
        if ctx.kernel not in ERA_MARKERS[call.callee] and not target_unknown(ctx):
            # removed-rmap-api reports the call itself; with no sign of the target, the
            # call's own era is the best guess (and removed-rmap-api only says "info")
            continue
        whole = sees_whole_function(post, call.node)
        # A try-dup call follows on its path: this is the fork path of an anon page,
        # where the check now decides (wrongly, for non-COW mappings) to copy.
        first = bisect_right(try_starts, call.node.start_byte)
        before_try = any(
            flow.can_reach(call.node, tries[j].node, index) for j in range(first, len(tries))
        )
        if whole or removed_cow or before_try:
            why = (
                "this patch removes the is_cow_mapping() test next to it"
                if removed_cow and not whole
                else "no is_cow_mapping() test is on its path"
            )
            also = (
                "; the try-dup call after it does the pinned check itself, so it can simply go"
                if before_try
                else ""
            )
            yield Hit(
                message=f"{call.callee}() is relied on to skip non-COW mappings, but {why}"
                f"{also}. {WHY_COW}",
                path=view.path,
                line=call.line,
                function=call.function,
                suggestion="test is_cow_mapping(vma->vm_flags) first, or drop the check where "
                "a try-dup call follows (it checks for pins itself)",
                severity=Severity.WARNING,
            )
        else:
            yield Hit(
                message=f"{call.callee}() with no is_cow_mapping() test in what the patch "
                f"shows; {NEEDS_TREE}. {WHY_COW}",
                path=view.path,
                line=call.line,
                function=call.function,
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )


def _repeated(view: FileView, post: Fragment) -> Iterator[Hit]:
    index = flow.index_of(post)
    tries = index.calls(TRY_FUNCTIONS)
    try_starts = [t.node.start_byte for t in tries]
    for check_call in flow.all_calls(post):
        if not check_call.added or not _pinned_test(check_call):
            continue
        if is_api_internal(check_call.function):
            continue
        objects: set[str] = set()
        if check_call.callee in PINNED_CHECKS and check_call.args:
            objects |= weak_twins(object_name(check_call.args[-1]))
        # only the try calls after it can be on its path; lines grow along the fragment
        for j in range(bisect_right(try_starts, check_call.node.start_byte), len(tries)):
            dup = tries[j]
            gap = (
                None if check_call.line is None or dup.line is None else dup.line - check_call.line
            )
            if gap is not None and gap > _NEAR:
                break
            near = gap is not None and 0 <= gap <= _NEAR
            if not near or not flow.can_reach(check_call.node, dup.node, index):
                continue
            dup_objects = {object_name(a) for a in dup.args[:2]}
            if objects and not any(weak_twins(o) & objects for o in dup_objects):
                continue
            yield Hit(
                message=(
                    f"{check_call.callee}() repeats the pinned check that {dup.callee}() "
                    f"does itself. {WHY_TWICE}"
                ),
                path=view.path,
                line=check_call.line,
                function=check_call.function,
                suggestion=f"drop it and handle the -EBUSY result of {dup.callee}()",
                severity=Severity.INFO,
                confidence=Confidence.MEDIUM,
            )
            break


@distinct
def check(ctx: PatchContext) -> Iterator[Hit]:
    for view in ctx.c_files:
        for post, pre in hunk_pairs(view):
            repeated = list(_repeated(view, post))
            flagged = {h.line for h in repeated}
            warned: set[int | None] = set()
            for hit in _cow_checks(ctx, view, post, pre):
                if hit.line in flagged and hit.severity is Severity.INFO:
                    continue  # one info a line: the repetition says more
                if hit.severity is not Severity.INFO:
                    warned.add(hit.line)
                yield hit
            # one finding a line: the warning says the call is redundant too
            yield from (h for h in repeated if h.line not in warned)


RULE = Rule(
    code="MM005",
    name="pinned-check-moved",
    summary="page_needs_cow_for_dma() without is_cow_mapping(), or a pinned check the "
    "try-dup call already does",
    severity=Severity.WARNING,
    confidence=Confidence.MEDIUM,
    check=check,
    kernels=VersionRange(">=5.19"),
    references=(LORE_SPLIT,),
)
