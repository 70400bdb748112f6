"""dup-anon-only: a try-dup call on a page that is not known to be anon.

What it checks
    Calls to ``page_try_dup_anon_rmap()``, ``folio_try_dup_anon_rmap_pte/_ptes/_pmd()``
    and ``hugetlb_try_dup_anon_rmap()`` that the patch adds, or whose guard it changes,
    must sit where the page is known to be anon: behind ``PageAnon()`` /
    ``folio_test_anon()`` (an enclosing ``if``, the ``else`` of a ``!PageAnon()`` test,
    an early return, or an assertion), in an anonymous VMA (``vma_is_anonymous()``, as
    in ``copy_huge_pmd()``), or on a device-private entry (always anon). Reported:

    - the call in the file-page branch (``else`` of ``if (folio_test_anon(folio))``):
      error;
    - the call in an ``if``/``else`` whose other arm does the file dup, but whose test
      is not an anon test: warning;
    - no anon guard in the whole function (tree mode, or a hunk that shows it all):
      warning. When the guard could be outside the hunk, info ("needs the whole
      function").

Why it matters
    The try variants are for anon pages only: they assert it
    (``VM_BUG_ON_PAGE(!PageAnon(page))``, ``VM_WARN_ON_FOLIO(!folio_test_anon(folio))``)
    and manage ``PageAnonExclusive``. A file page must use the file variant
    (``page_dup_file_rmap()``, ``folio_dup_file_rmap_*()``, ``hugetlb_add_file_rmap()``),
    which cannot fail.

Example
    ``if (folio_test_anon(folio)) { ... } else { folio_try_dup_anon_rmap_pte(...); }``
    is reported in the else branch.

    In patch mode a removed anon test (``PageAnon()``, ``folio_test_anon()``,
    ``vma_is_anonymous()``) of a fork-time copy function is a warning when the patch
    keeps the function's dup calls and adds no anon test anywhere; a try call that
    takes the place of a file dup of the same page, with no anon test added, too.

Known false positives
    An anon guard written through a helper the rule does not know.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
    https://lore.kernel.org/all/20231220224504.646757-1-david@redhat.com/
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call, FileView
from reviewbot.engine.rule import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Severity
from reviewbot.kernel import VersionRange

from .dup_site import (
    NEEDS_TREE,
    Removal,
    Site,
    distinct,
    hunk_pairs,
    object_name,
    removals,
    rewrites_function,
    sites,
    weak_twins,
)
from .rmap_api import (
    ANON_GUARDS,
    ANON_TESTS,
    ANON_VMA_TESTS,
    DUP_FUNCTIONS,
    FILE_BRANCH_CALLS,
    FILE_DUPS,
    FORK_COPY_FUNCTIONS,
    LORE_OVERHAUL,
    LORE_SPLIT,
    TRY_FUNCTIONS,
)

WHY = (
    "The try variants are for anon pages only (they assert PageAnon() and manage "
    "PageAnonExclusive); a file page takes the file variant, which cannot fail "
    f"(see {LORE_SPLIT})"
)


def _file_twin(site: Site) -> str:
    name = site.func.name
    if name == "hugetlb_try_dup_anon_rmap":
        return "hugetlb_add_file_rmap(folio)"
    if name == "page_try_dup_anon_rmap":
        return "page_dup_file_rmap(page, compound)"
    return name.replace("try_dup_anon", "dup_file") + "()"


def _discriminating_if(site: Site) -> flow.Node | None:
    """The nearest ``if`` that puts this call in one arm (or its condition, for an
    ``else if``) and a file dup on the same page in the other: it decides anon vs file."""
    child = site.node
    for anc in flow.ancestors(site.node):
        if flow.same(anc, site.scope):
            return None
        if anc.type == "if_statement":
            arm = flow.arm_of(child, anc)
            other = None
            if arm == "then":
                other = anc.child_by_field_name("alternative")
            elif arm in ("else", "condition"):
                other = anc.child_by_field_name("consequence")
                if arm == "condition":
                    # ``if (!anon) file(); else if (try())``: the file arm is the outer if's
                    parent = anc.parent
                    outer = parent.parent if parent is not None else None
                    if parent is not None and parent.type == "else_clause" and outer is not None:
                        other = outer.child_by_field_name("consequence")
                        anc = outer
            if other is not None and _has_file_dup(site, other):
                return anc
        child = anc
    return None


def _has_file_dup(site: Site, node: flow.Node) -> bool:
    for call in flow.all_calls(site.post, set(FILE_BRANCH_CALLS)):
        if flow.contains(node, call.node) and (
            not call.args or object_name(call.args[0]) in site.loose_objects
        ):
            return True
    return False


def _has_anon_test(cond: flow.Node) -> bool:
    return any(
        node.type == "call_expression" and flow.callee(node) in ANON_TESTS
        for node in flow.preorder(cond)
    )


def _guard_removed_earlier(site: Site) -> Call | None:
    """An anon test on this page that the patch removes in an earlier hunk of the same
    function, when it adds no anon test on the page anywhere in that function."""
    removed: list[Call] = []
    for _post, pre in site.earlier:
        if pre is None:
            continue
        for call in flow.all_calls(pre, set(ANON_GUARDS)):
            same_function = call.function == site.function
            if call.added and same_function and site.pre_on_objects(call):
                removed.append(call)
    if not removed or any(site.on_objects(c) for c in site.added_in_function(ANON_TESTS)):
        return None
    return removed[0]


def _triggered(site: Site) -> bool:
    if site.changed:
        return True
    if site.guard_changed:  # a changed line among the conditions that guard the call
        return True
    return bool(site.removed_in_hunk(set(ANON_TESTS))) or bool(site.pre_calls(set(ANON_TESTS)))


@distinct
def check(ctx: PatchContext) -> Iterator[Hit]:
    all_sites = list(sites(ctx, TRY_FUNCTIONS))
    yield from _guards_removed_alone(ctx, {(s.view.path, s.function) for s in all_sites})
    for site in all_sites:
        if not _triggered(site):
            continue
        kind, fact = site.page_kind()
        dup = site.func.name
        if kind in ("anon", "device"):
            continue
        if kind == "file" and fact is not None:
            where = (
                "the other arm of this if/else handles the anon page"
                if fact.source == "unknown-else"
                else f"{flow.text(fact.cond)} is {str(fact.value).lower()} here"
            )
            yield Hit(
                message=f"{dup}() is called in the file-page branch ({where}). {WHY}",
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion=f"use {_file_twin(site)} here, or move the call to the anon branch",
                severity=Severity.ERROR,
            )
            continue
        if site.in_device_entry_function:
            continue
        chooser = _discriminating_if(site)
        if chooser is not None:
            cond = chooser.child_by_field_name("condition")
            if cond is not None and not _has_anon_test(cond):
                yield Hit(
                    message=(
                        f"{dup}() sits in the arm of `if {flow.text(cond)}` opposite the "
                        f"file dup, but that test does not check that the page is anon "
                        f"(PageAnon()/folio_test_anon()). {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    suggestion="branch on folio_test_anon(folio) / PageAnon(page)",
                    severity=Severity.WARNING,
                )
            continue
        removed_tests = site.removed_in_hunk(set(ANON_GUARDS))
        if removed_tests:
            gone = removed_tests[0]
            yield Hit(
                message=(
                    f"{dup}() is no longer guarded: this patch removes the "
                    f"{gone.callee}({', '.join(gone.args)}) test that kept it to anon pages, "
                    f"and no other anon test is on its path. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion="keep the call behind folio_test_anon()/PageAnon()",
                severity=Severity.WARNING,
            )
            continue
        earlier = _guard_removed_earlier(site)
        if earlier is not None:
            yield Hit(
                message=(
                    f"{dup}() is no longer guarded: this patch removes the "
                    f"{earlier.callee}({', '.join(earlier.args)}) test above it in "
                    f"{site.function or 'this function'} and adds no other anon test. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion="keep the call behind folio_test_anon()/PageAnon()",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        replaced = _replaces_file_dup(site)
        if replaced is not None:
            yield Hit(
                message=(
                    f"{dup}() replaces {replaced.callee}({', '.join(replaced.args)}) on the "
                    f"same page, and this patch adds no anon test: this is the file-page "
                    f"path, where the dup cannot fail. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion=f"keep {replaced.callee}() here; call {dup}() in the anon branch",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        if site.whole:
            yield Hit(
                message=(
                    f"{dup}() is called where nothing shows the page is anon (no "
                    f"PageAnon()/folio_test_anon() test on its path). {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion=f"guard it with folio_test_anon()/PageAnon(); use {_file_twin(site)}"
                " for file pages",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        if not site.changed or (
            not site.guard_changed and any(c.callee in TRY_FUNCTIONS for c in site.converted_from)
        ):
            continue
        yield Hit(
            message=(
                f"{dup}(): no PageAnon()/folio_test_anon() test is visible on its path; "
                f"{NEEDS_TREE}. {WHY}"
            ),
            path=site.view.path,
            line=site.line,
            function=site.function,
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )


def _guards_removed_alone(
    ctx: PatchContext, with_sites: set[tuple[str, str | None]]
) -> Iterator[Hit]:
    """A hunk of a fork-time copy function drops an anon test and the try call it guarded
    is outside every hunk: say so at info level."""
    added_tests: dict[str, set[tuple[str | None, str]]] = {}  # by file: (function, object)
    alone: dict[tuple[str, str | None], bool] = {}  # by file and function
    for gone in removals(ctx, set(ANON_GUARDS) | set(ANON_VMA_TESTS)):
        call, path = gone.call, gone.view.path
        function = call.function
        if function not in FORK_COPY_FUNCTIONS:
            continue
        if (path, function) in with_sites and call.callee in ANON_GUARDS:
            continue  # the per-site check sees the call it guarded
        if path not in added_tests:
            added_tests[path] = {
                (c.function, object_name(c.args[0]))
                for post, _ in gone.pairs
                for c in flow.all_calls(post, ANON_TESTS)
                if c.added and c.args
            }
        if any((function, o) in added_tests[path] for o in weak_twins(object_name(call.args[0]))):
            continue
        if (path, function) not in alone:
            alone[(path, function)] = _lone_guard_removal(gone, ctx.c_files)
        if alone[(path, function)]:
            yield Hit(
                message=(
                    f"this patch removes the {call.callee}({', '.join(call.args)}) "
                    f"test from {function}() and adds no other anon test there, while "
                    f"its try-dup call stays: that call now also runs for file pages. "
                    f"{WHY}"
                ),
                path=path,
                line=gone.line,
                function=function,
                suggestion="keep the anon test in front of the try-dup call",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        if call.callee not in ANON_GUARDS:
            continue
        yield Hit(
            message=(
                f"this patch removes the {call.callee}({', '.join(call.args)}) test in "
                f"{function}(); if it guards a try-dup call outside the hunk, that call "
                f"is no longer kept to anon pages: {NEEDS_TREE}. {WHY}"
            ),
            path=path,
            line=gone.line,
            function=function,
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )


def _replaces_file_dup(site: Site) -> Call | None:
    """The added try call takes the place of a file dup of the same page that this hunk
    removes, and the patch adds no anon test in the function: the call now sits where
    the file page was handled."""
    if not site.changed or site.guard_changed:
        return None
    removed = site.removed_in_hunk(set(FILE_DUPS) | {"hugetlb_add_file_rmap"})
    if not removed:
        return None
    if site.added_in_function(ANON_TESTS | ANON_VMA_TESTS):
        return None
    return removed[0]


def _lone_guard_removal(gone: Removal, views: tuple[FileView, ...]) -> bool:
    """In a fork-time copy function, the patch removes this anon test and nothing else
    that could stand for it: no dup call is removed or added in the function (the
    anon/file split is not being rewritten), and no anon test is added anywhere in the
    patch (a caller may have taken the test over)."""
    if rewrites_function(gone.pairs, gone.call.function, lambda c: c.callee in DUP_FUNCTIONS):
        return False
    tests = set(ANON_TESTS) | set(ANON_VMA_TESTS)
    for view in views:
        for post, _ in hunk_pairs(view):
            for c in flow.all_calls(post):
                if c.added and (c.callee in tests or "anon" in c.callee):
                    return False
    return True


RULE = Rule(
    code="MM004",
    name="dup-anon-only",
    summary="a try-dup rmap call on a page not known to be anon",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    check=check,
    kernels=VersionRange(""),
    references=(LORE_SPLIT, LORE_OVERHAUL),
)
