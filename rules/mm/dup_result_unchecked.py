"""dup-result-unchecked: the result of a try-dup call is ignored.

What it checks
    Calls the patch adds to ``page_try_dup_anon_rmap()``,
    ``folio_try_dup_anon_rmap_pte/_ptes/_pmd()`` or ``hugetlb_try_dup_anon_rmap()``
    whose int result is dropped (a bare statement, a ``(void)`` cast, or a variable that
    is never read). A result that an ``if``, a ``return``, an assignment that is tested,
    or ``BUG_ON()`` consumes is checked.

    The documented exception is not reported: device-private (and device-exclusive)
    entries cannot be pinned, so the call cannot fail there; ``copy_nonpresent_pte()``
    ignores the result on purpose since v6.8 (v5.19 wrapped it in ``BUG_ON()``).

Why it matters
    The try variants return -EBUSY when the anon page may be pinned (GUP, O_DIRECT,
    RDMA): the mapcount was not raised, and the caller must drop its reference and fall
    back (copy the page, split the PMD, or retry page by page). Ignoring the result
    maps a pinned page into the child without a mapcount and breaks the pin on the next
    COW fault.

Example
    ``folio_try_dup_anon_rmap_pte(folio, page, src_vma);`` in ``copy_present_ptes()``
    must be ``if (unlikely(folio_try_dup_anon_rmap_pte(folio, page, src_vma))) {
    folio_put(folio); ... copy_present_page() ... }``.

Known false positives
    A new helper for device-private entries whose entry test is outside the function and
    that does not say so: patch mode reports it; the comment convention ("Cannot fail as
    these pages cannot get pinned.") next to the call lowers it to info.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
    https://lore.kernel.org/all/20231220224504.646757-1-david@redhat.com/
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from reviewbot.analyze import flow
from reviewbot.engine.rule import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Severity
from reviewbot.kernel import VersionRange

from .dup_site import NEEDS_TREE, Site, distinct, sites
from .rmap_api import LORE_OVERHAUL, LORE_SPLIT, TRY_FUNCTIONS

WHY = (
    "The try variants fail with -EBUSY when the anon page may be pinned: the mapcount "
    "was not raised and the caller must drop its reference and fall back (copy the "
    "page, split the PMD, or retry page by page); only device-private/exclusive entries, "
    f"which cannot be pinned, may ignore it (see {LORE_SPLIT})"
)
_CANNOT_FAIL = re.compile(r"cannot\s+(?:fail|get\s+pinned|be\s+pinned)", re.I)
# Entry tests that say the branch is not a device entry.
_OTHER_ENTRIES = frozenset(
    {
        "is_migration_entry",
        "non_swap_entry",
        "is_pte_marker_entry",
        "is_swap_pte",
        "is_hwpoison_entry",
        "pte_present",
    }
)


def _device_context(site: Site) -> bool:
    kind, _ = site.page_kind()
    if kind == "device":
        return True
    if not site.in_device_entry_function:
        return False
    # copy_nonpresent_pte(): only its device-private branch dups; unless the visible
    # branch says it is another kind of entry, that is where the call is.
    for fact in flow.known_facts(site.node, site.index, _enclosing_if):
        if _atoms(fact.cond) & _OTHER_ENTRIES:
            return False
    return True


def _enclosing_if(fact: flow.Fact, index: flow.FlowIndex) -> bool:
    return fact.source == "if"


def _atoms(cond: flow.Node) -> set[str]:
    return {flow.callee(node) for node in flow.preorder(cond) if node.type == "call_expression"}


def _says_cannot_fail(site: Site) -> bool:
    stmt = flow.statement_of(site.node)
    prev = stmt.prev_named_sibling
    return (
        prev is not None and prev.type == "comment" and bool(_CANNOT_FAIL.search(flow.text(prev)))
    )


def _read_later(site: Site, use: flow.ResultUse) -> bool | None:
    """Whether the variable the result went to is read afterwards: True, False, or
    None when the rest of the function is not visible."""
    name = use.target or ""
    start = use.consumer.end_byte
    uses, starts, reads = site.index.remember(
        ("uses", site.scope.id, name), lambda: _uses(site.index, site.scope, name)
    )
    at = bisect_left(starts, start)
    if at < len(uses) and _overwrites(uses[at], use.consumer):
        return False  # stored over, unconditionally, before anything reads it
    if bisect_left(reads, start) < len(reads):
        return True
    return False if site.whole else None


def _uses(
    index: flow.FlowIndex, scope: flow.Node, name: str
) -> tuple[list[flow.Node], list[int], list[int]]:
    """The identifiers ``name`` in ``scope``, where they start, and where those that
    read it start, in source order."""
    uses = index.identifiers(scope).get(name, [])
    return uses, [n.start_byte for n in uses], [n.start_byte for n in uses if not _is_store(n)]


def _is_store(ident: flow.Node) -> bool:
    """``ident`` is the left side of a plain ``=`` (its value is not read there)."""
    parent = ident.parent
    return (
        parent is not None
        and parent.type == "assignment_expression"
        and flow.same(parent.child_by_field_name("left") or parent, ident)
        and flow.text(parent.child_by_field_name("operator")) == "="
    )


def _overwrites(ident: flow.Node, store: flow.Node) -> bool:
    """``ident`` is the left side of a plain ``name = value`` statement that always runs
    after ``store`` (a later statement of the same block) and whose value does not
    read the name."""
    parent = ident.parent
    if (
        parent is None
        or parent.type != "assignment_expression"
        or flow.text(parent.child_by_field_name("operator")) != "="
        or not flow.same(parent.child_by_field_name("left") or parent, ident)
    ):
        return False
    value = parent.child_by_field_name("right")
    if value is None or _find_name(value, flow.text(ident)):
        return False
    a, b = flow.statement_of(store), flow.statement_of(parent)
    return (
        a.parent is not None
        and b.parent is not None
        and flow.same(a.parent, b.parent)
        and not flow.is_exit(b)
    )


def _find_name(node: flow.Node, name: str) -> bool:
    return any(n.type == "identifier" and flow.text(n) == name for n in flow.preorder(node))


def _tested_before(site: Site) -> bool:
    """The hunk's pre-image tested the result of the same call on the same page (the
    patch took the ``if`` away)."""
    for call in site.pre_calls({site.func.name}):
        if site.pre_on_objects(call) and flow.result_use(call.node).kind == "condition":
            return True
    return False


def _lines_after(site: Site, node: flow.Node) -> int:
    """How many real lines of the fragment follow ``node``."""
    row = node.end_point.row
    return sum(1 for n in site.post.lines[row + 1 :] if n is not None)


def _triggered(site: Site) -> bool:
    if site.changed:
        return True
    stmt = flow.statement_of(site.node)
    return site.post.complete and bool(site.post.line_of(stmt) in site.post.changed)


@distinct
def check(ctx: PatchContext) -> Iterator[Hit]:
    for site in sites(ctx, TRY_FUNCTIONS):
        if not _triggered(site):
            continue
        use = flow.result_use(site.node)
        dup = site.func.name
        if use.kind in ("dropped", "void"):
            if _device_context(site):
                continue
            if _says_cannot_fail(site):
                yield Hit(
                    message=(
                        f"the result of {dup}() is ignored; the comment says it cannot fail, "
                        f"which only holds for device-private/exclusive entries. {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    suggestion="check it unless this is a device-private entry",
                    severity=Severity.INFO,
                    confidence=Confidence.LOW,
                )
                continue
            how = "cast to void" if use.kind == "void" else "ignored"
            yield Hit(
                message=f"the result of {dup}() is {how}. {WHY}",
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion=(
                    f"if (unlikely({flow.text(site.node)})) {{ drop the reference; fall "
                    f"back (copy the page, split, or return -EAGAIN) }}"
                ),
            )
        elif use.kind == "assigned":
            read = _read_later(site, use)
            if read is True or _device_context(site):
                continue
            if read is False:
                yield Hit(
                    message=(
                        f"the result of {dup}() goes to {use.target}, which is never read. {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    suggestion=f"test {use.target} and fall back when it is non-zero",
                )
            elif _tested_before(site) and _lines_after(site, use.consumer) >= 3:
                yield Hit(
                    message=(
                        f"the result of {dup}() is no longer tested: this patch takes away "
                        f"the if () around the call and stores it in {use.target}, which "
                        f"nothing in the following lines reads. {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    suggestion=f"test {use.target} right away and fall back when it is non-zero",
                    severity=Severity.WARNING,
                    confidence=Confidence.MEDIUM,
                )
            else:
                yield Hit(
                    message=(
                        f"the result of {dup}() goes to {use.target}; no test of it is "
                        f"visible: {NEEDS_TREE}. {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    severity=Severity.INFO,
                    confidence=Confidence.LOW,
                )


RULE = Rule(
    code="MM003",
    name="dup-result-unchecked",
    summary="the -EBUSY result of a try-dup rmap call is ignored",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    check=check,
    kernels=VersionRange(""),
    references=(LORE_SPLIT, LORE_OVERHAUL),
)
