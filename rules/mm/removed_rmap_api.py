"""removed-rmap-api: a call to an rmap function that the target kernel does not have.

What it checks
    Calls the patch adds to rmap functions that the target kernel lacks, in every era:
    ``page_dup_rmap()`` (gone in v5.19); the page-era ``page_try_dup_anon_rmap()``,
    ``page_dup_file_rmap()``, ``__page_dup_rmap()``, ``page_needs_cow_for_dma()`` and
    the rest of the page rmap interface (gone in v6.8); the folio functions on kernels
    before v6.8. From v6.15 the folio dup functions take a ``dst_vma`` argument: a call
    with the argument count of the other side of v6.15 is reported too. The suggestion
    names the replacement for that kernel and, where the code shows it, for that kind of
    page (anon, file, hugetlb; PTE or PMD).

    Not calls: mentions in comments and strings, removed lines, and definitions. Not
    reported: functions the series itself defines before the call, and functions the
    patch's own context lines call (the tree it applies to has them: the target kernel
    is the wrong one, not the patch).

    When nothing shows the target (no ``--kernel``, no tree, no era marker in the
    removed or context lines), the target is only the newest known kernel: a call it
    lacks is reported at info level, asking for ``--kernel``. A correct patch for an
    older kernel whose hunks happen to show no rmap call must not read as broken.

Why it matters
    Calling a function the kernel does not have breaks the build. The replacements are
    not drop-in: since v5.19 a caller must pick the anon variant (which may fail with
    -EBUSY) or the file variant (which cannot), and since v6.8 pass the folio and the
    page, and choose the PTE, PTE-batch or PMD variant.

Example
    On v6.1, ``page_dup_rmap(page, false);`` must become ``page_dup_file_rmap(page,
    false)`` for a file page or ``page_try_dup_anon_rmap(page, false, src_vma)`` (and
    handle -EBUSY) for an anon page; on v6.12, ``folio_dup_file_rmap_pte(folio, page)``
    or ``folio_try_dup_anon_rmap_pte(folio, page, src_vma)``.

Known false positives
    A series that gets the function from a patch that is not part of it (a prerequisite
    series): give the right ``--kernel``. The argument-count check only reports at
    warning level or above when the patch's own context shows the other argument count;
    otherwise it says at info level what the target kernel expects.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
    https://lore.kernel.org/all/20231220224504.646757-1-david@redhat.com/
    https://lore.kernel.org/all/20250224165603.1434404-8-david@redhat.com/
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call
from reviewbot.analyze.flow import function_scope
from reviewbot.analyze.symbols import Symbols, patch_symbols
from reviewbot.engine.rule import Hit, PatchContext, Rule
from reviewbot.findings import Confidence, Severity
from reviewbot.kernel import KernelVersion, VersionRange

from .dup_site import distinct, object_name, page_kind_at, target_unknown, weak_twins
from .rmap_api import (
    ARITY_ERAS,
    DUP_FUNCTIONS,
    ERA_MARKERS,
    LORE_DST_VMA,
    LORE_OVERHAUL,
    LORE_SPLIT,
    CallShape,
    Kind,
    arity_hint,
    replacement,
)


def _introduced_by(ctx: PatchContext) -> tuple[set[str], set[str], dict[str, set[int]]]:
    """Names defined by this patch or an earlier one of the series (and not removed
    since), names whose definition the series removed by now, and the argument counts
    the series' removed and context lines call each name with (the tree before)."""
    defined: set[str] = set()
    gone: set[str] = set()
    called: dict[str, set[int]] = {}
    for patch in ctx.series.patches:
        syms: Symbols = patch_symbols(patch)
        for name, counts in syms.called_before.items():
            called.setdefault(name, set()).update(counts)
        if patch.index > ctx.patch.index:
            continue
        for name in syms.gone:
            gone.add(name)
            defined.discard(name)
        for name in syms.introduced:
            defined.add(name)
            gone.discard(name)
    return defined, gone, called


def _shape(call: Call, path: str) -> CallShape:
    objects = {object_name(a) for a in call.args[:2]}
    loose: set[str] = set()
    for o in objects:
        loose |= weak_twins(o)
    scope = function_scope(call.node)
    kind, _ = page_kind_at(call.node, loose, scope, flow.index_of(call.fragment))
    hugetlb = (
        "hugetlb" in path
        or "hugetlb" in (call.function or "")
        or any("huge" in a for a in call.args[:1])
    )
    compound: bool | None = None
    func = DUP_FUNCTIONS.get(call.callee)
    if func is not None and func.compound_arg is not None and func.compound_arg < len(call.args):
        compound = {"true": True, "false": False}.get(call.args[func.compound_arg])
    page: Kind | None = "anon" if kind in ("anon", "device") else "file" if kind == "file" else None
    return CallShape(kind=page, hugetlb=hugetlb, compound=compound)


def _when(rng: VersionRange, kernel: KernelVersion) -> str:
    """ "removed in v6.8" / "added in v6.8" for a function missing from ``kernel``."""
    for clause in rng.text.split(","):
        clause = clause.strip()
        if (
            clause.startswith("<")
            and not clause.startswith("<=")
            and kernel >= KernelVersion.parse(clause[1:])
        ):
            return f"removed in v{clause[1:]}"
        if clause.startswith(">=") and kernel < KernelVersion.parse(clause[2:]):
            return f"only added in v{clause[2:]}"
    return f"only in {rng}"


def _reference_for(name: str) -> str:
    rng = ERA_MARKERS[name]
    if "5.19" in rng.text and "6.8" not in rng.text:
        return LORE_SPLIT
    return LORE_OVERHAUL


def _missing(ctx: PatchContext, call: Call, path: str) -> Hit:
    rng = ERA_MARKERS[call.callee]
    when = _when(rng, ctx.kernel)
    instead = replacement(call.callee, ctx.kernel, _shape(call, path))
    if target_unknown(ctx):
        return Hit(
            message=(
                f"{call.callee}() does not exist in v{ctx.kernel}, the newest kernel "
                f"reviewbot knows ({when}), and this patch does not show which kernel it "
                f"targets (no rmap call of a known era in its removed or context lines): "
                f"pass --kernel (or --tree) to check the call against its tree. "
                f"{_why(call.callee, ctx.kernel)} (see {_reference_for(call.callee)})"
            ),
            path=path,
            line=call.line,
            function=call.function,
            suggestion=f"run with --kernel VERSION; on v{ctx.kernel}, call {instead}",
            severity=Severity.INFO,
            confidence=Confidence.LOW,
        )
    return Hit(
        message=(
            f"{call.callee}() does not exist in v{ctx.kernel} ({when}): this does not "
            f"build. {_why(call.callee, ctx.kernel)} (see {_reference_for(call.callee)})"
        ),
        path=path,
        line=call.line,
        function=call.function,
        suggestion=f"call {instead}",
    )


def _why(name: str, kernel: KernelVersion) -> str:
    if name == "page_dup_rmap":
        return (
            "Since v5.19 a caller must choose: the file variant cannot fail, the anon "
            "variant checks for pins itself and may fail with -EBUSY."
        )
    if name in ("page_needs_cow_for_dma", "folio_needs_cow_for_dma"):
        return "The try functions check for pinned pages themselves since v5.19."
    if kernel >= KernelVersion(6, 8):
        return "The v6.8 rmap interface overhaul replaced the page functions with folio ones."
    return "The folio rmap interface only exists from v6.8."


def _arity(
    ctx: PatchContext,
    call: Call,
    path: str,
    defined: dict[str, int | None],
    called: dict[str, set[int]],
) -> Iterator[Hit]:
    func = DUP_FUNCTIONS[call.callee]
    if call.node.has_error or call.callee not in ARITY_ERAS:
        return
    nargs = len(call.args)
    if call.callee in defined and defined[call.callee] is not None:
        want = defined[call.callee]
        if nargs != want:
            yield Hit(
                message=(
                    f"{call.callee}() takes {want} arguments as this series defines it, "
                    f"but this call passes {nargs}: this does not build"
                ),
                path=path,
                line=call.line,
                function=call.function,
                suggestion=f"pass the arguments of the new definition ({want})",
            )
        return
    expected = func.arity_for(ctx.kernel)
    if nargs == expected:
        return
    shape = arity_hint(func, ctx.kernel)
    eras = ARITY_ERAS[call.callee]
    if nargs not in eras:
        yield Hit(
            message=(
                f"{call.callee}() takes {expected} arguments in v{ctx.kernel}, this call "
                f"passes {nargs}: this does not build"
            ),
            path=path,
            line=call.line,
            function=call.function,
            suggestion=f"call {shape}",
        )
        return
    # What the tree before the series shows: calls of the folio dup family with the
    # argument count of one side of v6.15.
    base_new = base_old = False
    for name, counts in called.items():
        f = DUP_FUNCTIONS.get(name)
        if f is None or f.arity_dst is None:
            continue
        base_new |= f.arity_dst in counts
        base_old |= f.arity in counts
    calls_new = nargs == func.arity_dst
    side = "from v6.15 on" if calls_new else "before v6.15"
    if (calls_new and base_new and not base_old) or (not calls_new and base_old and not base_new):
        return  # written for the tree it applies to; the target kernel is not that tree
    dst_note = f"v6.15 added a dst_vma argument to the folio dup functions (see {LORE_DST_VMA})"
    if (calls_new and base_old) or (not calls_new and base_new):
        yield Hit(
            message=(
                f"{call.callee}() is called with the {side} arguments ({nargs}), but the "
                f"code this patch applies to calls the folio dup functions with the other "
                f"argument count: this does not build. {dst_note}"
            ),
            path=path,
            line=call.line,
            function=call.function,
            suggestion=f"call {shape}",
        )
        return
    yield Hit(
        message=(
            f"{call.callee}() takes {expected} arguments in v{ctx.kernel} but this call "
            f"passes {nargs} (the {side} form); nothing in the patch shows which form its "
            f"tree has. {dst_note}"
        ),
        path=path,
        line=call.line,
        function=call.function,
        suggestion=f"on v{ctx.kernel}: {shape}",
        severity=Severity.INFO,
        confidence=Confidence.LOW,
    )


@distinct
def check(ctx: PatchContext) -> Iterator[Hit]:
    defined, gone, called = _introduced_by(ctx)
    params: dict[str, int | None] = {}
    for patch in ctx.series.patches:
        if patch.index > ctx.patch.index:
            continue
        for name, defs in patch_symbols(patch).added.items():
            for d in defs:
                if d.kind != "prototype" and d.params is not None:
                    params[name] = d.params
    names = set(ERA_MARKERS)
    removed: dict[str, set[int]] | None = None  # the patch's removed era calls, on demand
    for view in ctx.c_files:
        for call in (c for f in view.post for c in flow.all_calls(f, names)):
            if not call.added:
                continue
            if call.callee in defined and call.callee not in gone:
                if call.callee in params and call.callee in DUP_FUNCTIONS:
                    yield from _arity(ctx, call, view.path, params, called)
                continue
            rng = ERA_MARKERS[call.callee]
            if ctx.kernel in rng:
                if call.callee in ARITY_ERAS:
                    yield from _arity(ctx, call, view.path, {}, called)
                continue
            if call.callee in called and call.callee not in gone:
                continue  # the tree the patch applies to calls it, so it has it
            if removed is None:
                removed = _removed_calls(ctx)
            if _converts_to(call.callee, rng, ctx, removed):
                continue
            yield _missing(ctx, call, view.path)


def _converts_to(
    name: str, rng: VersionRange, ctx: PatchContext, removed: dict[str, set[int]]
) -> bool:
    """A newer-era call in a patch that removes older-era calls of the same interface:
    the patch converts a tree that already has the new interface (from a prerequisite
    series), whatever the target kernel inferred from the removed calls says."""
    lower = [c.strip()[2:] for c in rng.text.split(",") if c.strip().startswith(">=")]
    if not lower:
        return False
    since = KernelVersion.parse(lower[0])
    if ctx.kernel >= since:
        return False
    return any(other != name and since not in ERA_MARKERS[other] for other in removed)


def _removed_calls(ctx: PatchContext) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for view in ctx.c_files:
        for call in (c for f in view.pre for c in flow.all_calls(f, set(ERA_MARKERS))):
            if call.added:
                out.setdefault(call.callee, set()).add(len(call.args))
    return out


RULE = Rule(
    code="MM001",
    name="removed-rmap-api",
    summary="a call to an rmap function that the target kernel does not have",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    check=check,
    references=(LORE_SPLIT, LORE_OVERHAUL, LORE_DST_VMA),
)
