"""ref-before-dup: the page reference must be taken before the rmap dup, and dropped on failure.

What it checks
    For every dup call (``page_dup_file_rmap()``, ``page_try_dup_anon_rmap()``,
    ``folio_dup_file_rmap_pte/_ptes/_pmd()``, ``folio_try_dup_anon_rmap_pte/_ptes/_pmd()``,
    ``hugetlb_try_dup_anon_rmap()``) that the patch adds or whose surroundings it
    changes:

    - a reference on the same page or folio (``get_page()``, ``folio_get()``,
      ``folio_ref_add()``) must come before it on its path; a reference taken only after
      the dup is the ordering the seed thread rejected;
    - the batched ``_ptes`` variants need ``folio_ref_add(folio, nr)`` with the same
      ``nr``; the single variants one reference;
    - when a try call fails, its failure branch must drop that reference (``put_page()``,
      ``folio_put()``, ``folio_ref_sub(folio, nr)``) before it returns, breaks, jumps or
      falls through, with the count it took.

Why it matters
    With the refcount raised before the mapcount (and lowered after it on unmap), a
    snapshot always satisfies ``page_count() >= mapcount``. Code that detects extra
    references relies on it: KSM compares ``page_mapcount() + 1 + swapped`` with
    ``page_count()`` before merging, and the reversed order gives it a false "no
    additional reference" while O_DIRECT is in flight. A failure branch that keeps the
    reference leaks the page.

Example
    ``folio_try_dup_anon_rmap_pte(folio, page, src_vma); folio_get(folio);`` is
    reported at the ``folio_get()``; it must come first, and the ``if (unlikely(...))``
    branch must ``folio_put(folio)`` before copying the page.

Known false positives
    A reference taken by a helper the rule does not know (it knows the get/put/ref
    functions of ``include/linux/mm.h``). When the reference is outside the hunk, patch
    mode says so at info level ("needs the whole function") instead of guessing; it
    warns from a removed line only when nothing else in the patch can stand for it (a
    fork-time copy function loses a reference call, keeps its dup calls, and gains no
    reference call at all), or when a dup's count changes while no reference call does.

References
    https://lore.kernel.org/all/92caaf7b-92a6-8485-d53e-728c3aac30c3@redhat.com/
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call, Fragment
from reviewbot.engine.rule import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Related, Severity
from reviewbot.kernel import VersionRange

from .dup_site import (
    NEEDS_TREE,
    HunkPairs,
    Removal,
    Site,
    count_text,
    distinct,
    first_line,
    function_touched,
    hunk_pairs,
    object_name,
    removals,
    rewrites_function,
    sites,
    touched,
    visible,
    weak_twins,
)
from .rmap_api import (
    ALIAS_GETTERS,
    CHECKED_DUPS,
    DUP_FUNCTIONS,
    FORK_COPY_FUNCTIONS,
    LORE_ORDER,
    LORE_SPLIT,
    NO_REF_GETTERS,
    REF_DROP,
    REF_TAKE,
)

WHY = (
    "The refcount must go up before the mapcount, so that page_count() >= mapcount at "
    "any moment: code that detects extra references relies on it (KSM's check before "
    f"merging would see no extra reference while O_DIRECT is in flight), see {LORE_ORDER}"
)
WHY_LEAK = (
    "On failure the caller must drop the reference it took for the dup before it falls "
    f"back, or the page leaks a reference (see {LORE_SPLIT})"
)

# Calls that might take a reference on their argument behind our back.
_MAYBE_REF = re.compile(r"get|ref|grab|pin|try_")


def _take_for(site: Site) -> str:
    obj = sorted(site.direct_objects)[0] if site.direct_objects else "page"
    if site.func.name.startswith(("folio_", "hugetlb_")):
        folio = object_name(site.call.args[0]) if site.call.args else "folio"
        if site.func.nr_arg is not None and site.func.nr_arg < len(site.call.args):
            return f"folio_ref_add({folio}, {site.call.args[site.func.nr_arg]})"
        return f"folio_get({folio})"
    return f"get_page({obj})"


def _drop_for(take: str) -> str:
    return (
        take.replace("folio_ref_add", "folio_ref_sub")
        .replace("folio_get", "folio_put")
        .replace("get_page", "put_page")
    )


def _norm(expr: str) -> str:
    e = "".join(expr.split())
    while e.startswith("(") and e.endswith(")"):
        e = e[1:-1]
    return e


def _origin(site: Site, name: str) -> tuple[str, flow.Node | None]:
    """Where ``name`` got its value before the dup: fresh (a getter that takes no
    reference), derived (an alias of another name of the set), unknown, invisible."""
    assigns = site.index.assignments(site.scope).get(name, [])
    # the last one before the dup that reaches it, searched backwards
    at = bisect_left(assigns, site.node.start_byte, key=lambda a: a[0].start_byte)
    last = next(
        (i for i in range(at - 1, -1, -1) if flow.can_reach(assigns[i][0], site.node, site.index)),
        None,
    )
    if last is None:
        return "invisible", None
    node, value = assigns[last]
    inner = flow.unwrap(value)
    if inner.type == "call_expression":
        callee = flow.callee(inner)
        if callee in NO_REF_GETTERS:
            return "fresh", node
        if callee in ALIAS_GETTERS and object_name(flow.text(value)) in site.objects:
            return "derived", node
        return "unknown", node
    obj = object_name(flow.text(value))
    if obj != name and obj in site.objects:
        return "derived", node
    return "unknown", node


def _surely_unreferenced(site: Site) -> flow.Node | None:
    """The getter assignment that proves no reference can exist before the dup: every
    name for the page/folio is visibly fresh from a no-reference getter or derived from
    one, and no call in between could take a reference behind our back."""
    fresh: flow.Node | None = None
    for name in site.objects:
        kind, node = _origin(site, name)
        if kind in ("invisible", "unknown"):
            return None
        if kind == "fresh" and (fresh is None or (node and node.start_byte < fresh.start_byte)):
            fresh = node
    if fresh is None:
        return None
    # the calls that might take a reference, once per fragment; those in between only
    suspects = site.index.remember(
        ("maybe-ref-calls",),
        lambda: [
            c
            for c in flow.all_calls(site.post)
            if c.callee not in DUP_FUNCTIONS and _MAYBE_REF.search(c.callee)
        ],
    )
    lo = bisect_right(suspects, fresh.start_byte, key=lambda c: c.node.start_byte)
    hi = bisect_left(suspects, site.node.start_byte, key=lambda c: c.node.start_byte)
    for i in range(lo, hi):
        call = suspects[i]
        if not flow.contains(site.scope, call.node):
            continue
        if not any(object_name(a) in site.loose_objects for a in call.args):
            continue
        if flow.can_reach(call.node, site.node, site.index):
            return None  # on the dup's path (not a branch that returns)
    return fresh


def _triggered(site: Site) -> bool:
    """The patch changes something this check looks at (report only what it introduces)."""
    if site.changed:
        return True
    if site.post.complete:
        return function_touched(site)
    if site.removed_in_hunk(set(REF_TAKE)) or site.removed_in_hunk(set(REF_DROP)):
        return True
    refs = [c for c in site.calls_in_scope(set(REF_TAKE) | set(REF_DROP)) if site.on_objects(c)]
    return any(c.added for c in refs) or bool(site.later_refs())


def _order(site: Site) -> Iterator[Hit]:
    if not _triggered(site):
        return
    dup = site.func.name
    objs = ", ".join(sorted(site.direct_objects)) or "the page"
    take = _take_for(site)
    if site.ref_before is not None:
        return
    late = site.ref_after or next(iter(site.later_refs()), None)
    if late is not None:
        yield Hit(
            message=(
                f"{late.callee}({', '.join(late.args)}) takes the reference only after "
                f"{dup}() raised the mapcount: between the two, "
                f"mapcount can exceed page_count(). {WHY}"
            ),
            path=site.view.path,
            line=late.line,
            function=site.function,
            suggestion=f"move {late.callee}() before the {dup}() call (and drop the "
            f"reference in the failure branch)",
            related=(Related(f"{dup}() call", site.view.path, site.line),),
            severity=Severity.WARNING,
        )
        return
    if site.earlier_refs():
        return  # taken higher up now, in an earlier hunk (a hoist)
    removed = site.removed_in_hunk(set(REF_TAKE))
    if removed:
        gone = removed[0]
        yield Hit(
            message=(
                f"{dup}() on {objs} is no longer preceded by a reference: this patch "
                f"removes {gone.callee}({', '.join(gone.args)}) and takes none before the "
                f"dup. {WHY}"
            ),
            path=site.view.path,
            line=site.line,
            function=site.function,
            suggestion=f"keep the reference before the dup: {take}",
            severity=Severity.ERROR,
        )
        return
    fresh = _surely_unreferenced(site)
    if fresh is not None:
        yield Hit(
            message=(
                f"{dup}() on {objs} is not preceded by a reference: {flow.text(fresh)} "
                f"takes none, and nothing takes one "
                f"before the dup. {WHY}"
            ),
            path=site.view.path,
            line=site.line,
            function=site.function,
            suggestion=f"take the reference first: {take}",
            severity=Severity.ERROR,
        )
        return
    if site.whole:
        origins = {name: _origin(site, name)[0] for name in site.objects}
        if all(k == "invisible" for k in origins.values()) and any(
            flow.is_parameter(site.scope, n) for n in site.objects
        ):
            yield Hit(
                message=(
                    f"{dup}() on {objs}: no reference is taken in this function; the "
                    f"callers must hold one for the new mapping. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
        return
    if site.converted_from and site.func.nr_arg is not None and site.changed:
        nr = site.func.nr_arg
        before = {
            _norm(c.args[DUP_FUNCTIONS[c.callee].nr_arg or 0])
            for c in site.converted_from
            if DUP_FUNCTIONS[c.callee].nr_arg is not None
            and (DUP_FUNCTIONS[c.callee].nr_arg or 0) < len(c.args)
        }
        now = _norm(site.call.args[nr]) if nr < len(site.call.args) else ""
        if before and now not in before:
            if _refs_untouched(site):
                yield Hit(
                    message=(
                        f"{dup}() now maps {now} page(s) instead of "
                        f"{', '.join(sorted(before))}, but this patch changes no reference "
                        f"call in {site.function or 'this function'}: the references taken "
                        f"for the dup no longer match what it maps. {WHY}"
                    ),
                    path=site.view.path,
                    line=site.line,
                    function=site.function,
                    suggestion="take as many references as the dup maps (folio_ref_add(folio, nr))",
                    severity=Severity.WARNING,
                    confidence=Confidence.MEDIUM,
                )
                return
            yield Hit(
                message=(
                    f"{dup}() now maps {now} page(s) instead of {', '.join(sorted(before))}; "
                    f"the reference taken for it is not visible: {NEEDS_TREE}. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion="take as many references as the dup maps (folio_ref_add(folio, nr))",
                severity=Severity.INFO,
                confidence=Confidence.MEDIUM,
            )
            return
    if site.converted_from or not site.changed:
        return
    yield Hit(
        message=(
            f"{dup}() on {objs}: no reference on it is visible before the call; {NEEDS_TREE}. {WHY}"
        ),
        path=site.view.path,
        line=site.line,
        function=site.function,
        suggestion=f"make sure {take} comes before the dup",
        severity=Severity.INFO,
        confidence=Confidence.LOW,
    )


def _count_problems(site: Site) -> tuple[Call, str, str] | None:
    """(reference call, count it takes, count the dup needs) when they differ."""
    ref = site.ref_before
    if ref is None:
        return None
    for anc in flow.ancestors(site.node):
        loop = anc.type in ("for_statement", "while_statement", "do_statement")
        if loop and not flow.contains(anc, ref.node):
            return None  # a dup per loop iteration: counts don't compare
        if flow.same(anc, site.scope):
            break
    nr_arg = site.func.nr_arg
    want = site.call.args[nr_arg] if nr_arg is not None and nr_arg < len(site.call.args) else "1"
    have = count_text(ref)
    if _norm(want) == _norm(have):
        return None
    for _, value in flow.assignments(site.scope, _norm(want), site.index):
        if _norm(flow.text(value)) == _norm(have):
            return None
    for _, value in flow.assignments(site.scope, _norm(have), site.index):
        if _norm(flow.text(value)) == _norm(want):
            return None
    return ref, have, want


def _refs_untouched(site: Site) -> bool:
    """The patch adds and removes no reference call in the dup's function (so the count
    the unchanged code takes is the one the dup used to map)."""
    names = set(REF_TAKE) | set(REF_DROP)
    for post, pre in hunk_pairs(site.view):
        for frag in (post, pre):
            if frag is None:
                continue
            for c in flow.all_calls(frag, names):
                if c.added and c.function == site.function:
                    return False
    return True


def _same_count(site: Site, want: str, have: str) -> bool:
    """Two count expressions are the same, directly or through a visible assignment."""
    if _norm(want) == _norm(have):
        return True
    for _, value in flow.assignments(site.scope, _norm(want), site.index):
        if _norm(flow.text(value)) == _norm(have):
            return True
    for _, value in flow.assignments(site.scope, _norm(have), site.index):
        if _norm(flow.text(value)) == _norm(want):
            return True
    return False


def _counts(all_sites: list[Site]) -> Iterator[Hit]:
    by_ref: dict[tuple[str, int], list[tuple[Site, bool]]] = {}
    problems: dict[tuple[str, int], tuple[Call, str, str]] = {}
    for site in all_sites:
        ref = site.ref_before
        if ref is None or not _triggered(site):
            continue
        key = (site.view.path, ref.node.start_byte)
        problem = _count_problems(site)
        by_ref.setdefault(key, []).append((site, problem is not None))
        if problem is not None:
            problems[key] = problem
    for key, entries in by_ref.items():
        if key not in problems:
            continue
        ref, have, _ = problems[key]
        bad = [s for s, wrong in entries if wrong]
        if len(bad) == len(entries) and (ref.added or not any(s.changed for s in bad)):
            dups = ", ".join(f"{s.func.name}()" for s in bad)
            want = _count_problems(bad[0])
            yield Hit(
                message=(
                    f"{ref.callee}({', '.join(ref.args)}) takes {have} reference(s), but "
                    f"{dups} maps {want[2] if want else '?'} page(s): every mapping the dup "
                    f"adds needs its reference. {WHY}"
                ),
                path=bad[0].view.path,
                line=ref.line,
                function=bad[0].function,
                suggestion="take as many references as the dup maps: folio_ref_add(folio, "
                "nr) before the _ptes() variants, folio_get() before _pte()/_pmd()",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        for site in bad:
            problem = _count_problems(site)
            if problem is None:
                continue
            yield Hit(
                message=(
                    f"{site.func.name}() maps {problem[2]} page(s) but "
                    f"{ref.callee}({', '.join(ref.args)}) took "
                    f"{problem[1]} reference(s): the counts must match. {WHY}"
                ),
                path=site.view.path,
                line=site.line,
                function=site.function,
                suggestion="use the same count in folio_ref_add() and the _ptes() call",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )


def _drops_reaching(site: Site, exit_node: flow.Node, drops: list[Call]) -> bool:
    if any(flow.can_reach(d.node, exit_node, site.index) for d in drops):
        return True
    if exit_node.type == "goto_statement":
        label = flow.text(exit_node.child_by_field_name("label"))
        target = flow.labels(site.scope, site.index).get(label)
        if target is None:
            return True  # the label is outside what we see: don't guess
        tail = itertools.chain([target], flow.next_statements(target, site.index))
        for stmt in tail:
            for call in site.index.calls(set(REF_DROP), stmt):
                if site.on_objects(call):
                    return True
            if flow.is_exit(stmt) or flow.ends_with_exit(stmt):
                break
        return False
    return False


def _failure_branch(site: Site) -> Iterator[Hit]:
    branches = flow.branches_on(site.node, site.index)
    if branches is None or branches.nonzero is None:
        return
    body = branches.nonzero
    removed_drops = site.removed_in_hunk(set(REF_DROP))
    changed = site.changed or touched(site, body) or bool(removed_drops)
    if not changed and not (site.post.complete and function_touched(site)):
        return
    take = site.ref_before
    if site.ref_after or (take is None and site.later_refs()):
        return  # the reference comes after the dup: _order reports that
    if take is None and (
        site.removed_in_hunk(set(REF_TAKE)) or _surely_unreferenced(site) is not None
    ):
        return  # no reference at all: _order reports that, there is nothing to drop
    dup = site.func.name
    drops = [
        c
        for c in site.calls_in_scope(set(REF_DROP))
        if site.on_objects(c) and flow.contains(body, c.node)
    ]
    drop_name = (
        _drop_for(f"{take.callee}({', '.join(take.args)})") if take else _drop_for(_take_for(site))
    )
    if take is not None:
        for drop in drops:
            if _norm(count_text(drop)) != _norm(count_text(take)) and (drop.added or take.added):
                yield Hit(
                    message=(
                        f"the failure branch of {dup}() drops {count_text(drop)} reference(s) "
                        f"with {drop.callee}() but {take.callee}() took "
                        f"{count_text(take)}. {WHY_LEAK}"
                    ),
                    path=site.view.path,
                    line=drop.line,
                    function=site.function,
                    suggestion=f"drop what was taken: {drop_name}",
                    severity=Severity.WARNING,
                    confidence=Confidence.MEDIUM,
                )
    if take is None:
        # The reference is outside the hunk, but the dup says how many it needs: the
        # failure branch must drop that many (what the ``_ptes`` variants map, else one).
        nr_arg = site.func.nr_arg
        want = (
            site.call.args[nr_arg] if nr_arg is not None and nr_arg < len(site.call.args) else "1"
        )
        for drop in drops:
            have = count_text(drop)
            if drop.added and not _same_count(site, want, have):
                yield Hit(
                    message=(
                        f"the failure branch of {dup}() drops {have} reference(s) with "
                        f"{drop.callee}(), but the dup was for {_norm(want)} page(s), and "
                        f"that is what the caller took. {WHY_LEAK}"
                    ),
                    path=site.view.path,
                    line=drop.line,
                    function=site.function,
                    suggestion=f"drop what was taken: {drop_name}",
                    severity=Severity.WARNING,
                    confidence=Confidence.MEDIUM,
                )
    whole_body = visible(site.post, body)
    exits = [e for e in flow.exits_within(body) if site.post.line_of(e) is not None]
    missing: list[flow.Node | None] = [e for e in exits if not _drops_reaching(site, e, drops)]
    if whole_body and not flow.ends_with_exit(body) and not drops:
        missing.append(None)  # falls through to the success path still holding it
    took = f" taken by {take.callee}()" if take is not None else " taken for the dup"
    if missing:
        at = missing[0]
        line = first_line(site.post, body) if not drops or at is None else site.post.line_of(at)
        how = {
            "return_statement": "returns",
            "goto_statement": "jumps away",
            "break_statement": "breaks out",
            "continue_statement": "continues",
        }.get(at.type if at is not None else "", "falls through")
        yield Hit(
            message=(
                f"when {dup}() fails, this path {how} without dropping the reference"
                f"{took}. {WHY_LEAK}"
            ),
            path=site.view.path,
            line=line,
            function=site.function,
            suggestion=f"drop it first: {drop_name}",
            related=(Related(f"{dup}() call", site.view.path, site.line),),
            severity=Severity.WARNING,
        )
        return
    if drops or exits:
        return  # every visible way out drops it (directly or after a goto)
    if removed_drops:
        gone = removed_drops[0]
        yield Hit(
            message=(
                f"this patch removes {gone.callee}({', '.join(gone.args)}) from the failure "
                f"branch of {dup}(), which now keeps the reference{took}. {WHY_LEAK}"
            ),
            path=site.view.path,
            line=first_line(site.post, body),
            function=site.function,
            suggestion=f"keep dropping it: {drop_name}",
            severity=Severity.WARNING,
        )
        return
    if site.changed and not whole_body and not site.converted_from:
        yield Hit(
            message=(
                f"the failure branch of {dup}() drops no reference in what the patch shows; "
                f"{NEEDS_TREE}. {WHY_LEAK}"
            ),
            path=site.view.path,
            line=site.line,
            function=site.function,
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )


def _removed_refs(ctx: PatchContext, seen: set[tuple[str, int]]) -> Iterator[Hit]:
    """A fork-time copy function loses a reference call and the dup is outside the hunk."""
    per_file: dict[str, _FileDups] = {}
    alone: dict[tuple[str, str | None], bool] = {}  # by file and function
    for gone in removals(ctx, set(REF_TAKE) | set(REF_DROP)):
        call, view = gone.call, gone.view
        if view.path not in per_file:
            per_file[view.path] = _FileDups.of(gone.pairs, seen, view.path)
        dups = per_file[view.path]
        obj = object_name(call.args[0])
        function = call.function or ""
        twins = weak_twins(obj)
        dup_shown = any((call.function, t) in dups.shown for t in twins)
        if call.callee in REF_TAKE and function in FORK_COPY_FUNCTIONS and not dup_shown:
            moved = _moved_down(gone.pairs, gone.index, call, obj)
            if moved is not None:
                yield moved
                continue
        if twins & dups.added_refs or _allocated(gone.pre, obj):
            continue
        if function not in FORK_COPY_FUNCTIONS and not dups.in_hunk[gone.index]:
            continue
        if twins & dups.seen_in_hunk[gone.index]:
            continue
        line = gone.line
        what = "reference" if call.callee in REF_TAKE else "reference drop"
        why = WHY if call.callee in REF_TAKE else WHY_LEAK
        if (view.path, call.function) not in alone:
            alone[(view.path, call.function)] = _lone_removal(gone)
        if alone[(view.path, call.function)]:
            effect = (
                "dup now runs without its reference"
                if call.callee in REF_TAKE
                else "failure path now keeps the reference"
            )
            yield Hit(
                message=(
                    f"this patch removes {call.callee}({', '.join(call.args)}) from "
                    f"{function}() and takes or drops no reference anywhere else in "
                    f"it, while the dup calls of {function}() stay: the {effect}. {why}"
                ),
                path=view.path,
                line=line,
                function=function,
                suggestion=f"keep {call.callee}({', '.join(call.args)})",
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            continue
        yield Hit(
            message=(
                f"this patch removes {call.callee}({', '.join(call.args)}) from "
                f"{function or 'this function'} and adds no {what} for {obj}; the "
                f"dup call it paired with is outside the hunk: {NEEDS_TREE}. {why}"
            ),
            path=view.path,
            line=line,
            function=function or None,
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )


@dataclass(frozen=True)
class _FileDups:
    """What one file's hunks show of dup and reference calls, for the removed-line
    checks (computed once per file, not once per removed call)."""

    shown: set[tuple[str | None, str]]  # (function, page/folio) of every dup shown
    added_refs: set[str]  # pages/folios of the reference calls the patch adds
    in_hunk: list[bool]  # hunk i shows a dup call
    seen_in_hunk: list[set[str]]  # pages/folios of hunk i's dups that the sites checked

    @classmethod
    def of(cls, pairs: HunkPairs, seen: set[tuple[str, int]], path: str) -> _FileDups:
        shown = {
            (c.function, object_name(a))
            for post, _ in pairs
            for c in flow.all_calls(post, CHECKED_DUPS)
            for a in c.args[:2]
        }
        added_refs = {
            object_name(c.args[0])
            for post, _ in pairs
            for c in flow.all_calls(post, set(REF_TAKE) | set(REF_DROP))
            if c.added and c.args
        }
        in_hunk = [bool(flow.all_calls(post, CHECKED_DUPS)) for post, _ in pairs]
        seen_in_hunk = [
            {
                object_name(c.args[0])
                for c in flow.all_calls(post, CHECKED_DUPS)
                if c.args and (path, c.node.start_byte) in seen
            }
            for post, _ in pairs
        ]
        return cls(shown, added_refs, in_hunk, seen_in_hunk)


def _lone_removal(gone: Removal) -> bool:
    """In a fork-time copy function, the patch removes this reference call and nothing
    else that could stand for it: no dup call is removed (the site itself is not being
    rewritten), and no reference call (nor any call that might take or drop one) is
    added anywhere in the function."""
    function = gone.call.function
    if function not in FORK_COPY_FUNCTIONS:
        return False
    return not rewrites_function(
        gone.pairs,
        function,
        lambda c: c.callee in REF_TAKE or c.callee in REF_DROP or bool(_MAYBE_REF.search(c.callee)),
    )


def _moved_down(pairs: HunkPairs, index: int, gone: Call, obj: str) -> Hit | None:
    """A reference take removed in one hunk of a fork-time copy function and added back
    on the same page in a later hunk: whatever dup sat between now runs first."""
    for post, _ in pairs[index + 1 :]:
        for call in flow.all_calls(post, set(REF_TAKE)):
            if (
                call.added
                and call.function == gone.function
                and call.args
                and object_name(call.args[0]) in weak_twins(obj)
            ):
                return Hit(
                    message=(
                        f"this patch moves {gone.callee}({', '.join(gone.args)}) further down "
                        f"{gone.function}(): a dup call between its old and its new place "
                        f"would now run before the reference is taken; "
                        f"{NEEDS_TREE}. {WHY}"
                    ),
                    path=post.path,
                    line=call.line,
                    function=gone.function,
                    suggestion=f"keep {call.callee}() before the dup call",
                    severity=Severity.INFO,
                    confidence=Confidence.MEDIUM,
                )
    return None


def _allocated(frag: Fragment, name: str) -> bool:
    """``name`` holds a page the function allocated (a copy), not one it maps twice."""
    for _, value in flow.assignments(frag.root, name, flow.index_of(frag)):
        inner = flow.unwrap(value)
        if inner.type == "call_expression" and "alloc" in flow.callee(inner):
            return True
    return False


@distinct
def check(ctx: PatchContext) -> Iterator[Hit]:
    all_sites = list(sites(ctx, CHECKED_DUPS))
    seen: set[tuple[str, int]] = set()
    late: dict[tuple[str | None, int | None], Hit] = {}
    for site in all_sites:
        seen.add((site.view.path, site.node.start_byte))
        for hit in _order(site):
            if "only after" in hit.message:
                # one finding per late reference, however many dups it follows
                key = (hit.path, hit.line)
                if key in late:
                    continue
                late[key] = hit
            yield hit
        if site.func.is_try:
            yield from _failure_branch(site)
    yield from _counts(all_sites)
    yield from _removed_refs(ctx, seen)


RULE = Rule(
    code="MM002",
    name="ref-before-dup",
    summary="the page reference must be taken before the rmap dup and dropped if it fails",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    check=check,
    kernels=VersionRange(""),
    references=(LORE_ORDER, LORE_SPLIT),
)
