"""series-removed-symbol: a patch calls a function that this or an earlier patch removed.

What it checks
    For every function or macro whose definition a patch of the series removes (or
    renames: the old name is removed) without defining it again, any later call in the
    series: in lines the same or a later patch adds, or in context lines of the same or
    a later patch (a caller that was not converted). A definition added back by a later
    patch ends the check for that name. Static functions of a ``.c`` file only count in that file.
    Any symbol, not only the rmap ones.

Why it matters
    Every patch of a series must build: ``git bisect`` lands on each of them. A caller
    converted in a later patch than the one removing its callee leaves a window of
    commits that does not compile; a caller never converted breaks the series for good.

Example
    Patch 2/3 renames ``page_dup_rmap()`` to ``__page_dup_rmap()``; patch 3/3 still adds
    ``page_dup_rmap(page, true)`` in ``mm/hugetlb.c``: reported on patch 3.

Known false positives
    A function defined twice under different configurations (``#ifdef`` with a stub)
    where the series removes only one of the definitions.

References
    https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/
    https://docs.kernel.org/process/submitting-patches.html#separate-your-changes
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import FileView, file_view, is_c_file
from reviewbot.analyze.symbols import Definition, patch_symbols
from reviewbot.engine.rule import Hit, Rule, SeriesContext
from reviewbot.findings import Confidence, Related, Severity
from reviewbot.parse.patch import Patch

BISECT = "https://docs.kernel.org/process/submitting-patches.html#separate-your-changes"


@dataclass(frozen=True)
class Removal:
    patch: Patch
    definition: Definition


def _views(sctx: SeriesContext, patch: Patch) -> tuple[FileView, ...]:
    for ctx in sctx.patches:
        if ctx.patch is patch:
            return ctx.c_files
    return tuple(
        file_view(f)
        for f in patch.files
        if is_c_file(f.path) and not f.binary and f.status != "removed"
    )


def _subject(patch: Patch) -> str:
    return patch.subject.title if patch.subject else ""


def check(sctx: SeriesContext) -> Iterator[Hit]:
    seen: set[Hit] = set()
    for hit in _check(sctx):
        if hit not in seen:  # many calls on one line: one finding, fingerprinted once
            seen.add(hit)
            yield hit


def _check(sctx: SeriesContext) -> Iterator[Hit]:
    gone: dict[str, Removal] = {}
    total = sctx.series.total or len(sctx.series.patches)
    for patch in sorted(sctx.series.patches, key=lambda p: p.index):
        syms = patch_symbols(patch)
        for name in syms.introduced:
            gone.pop(name, None)
        for name, defs in syms.gone.items():
            gone[name] = Removal(patch, defs[0])
        if not gone:
            continue
        for view in _views(sctx, patch):
            for call in (c for f in view.post for c in flow.all_calls(f, set(gone))):
                removal = gone[call.callee]
                where = removal.definition
                if where.static and where.path.endswith(".c") and where.path != view.path:
                    continue  # another .c file's static function of the same name
                same = removal.patch is patch
                by = (
                    "this patch removes its definition"
                    if same
                    else f'patch {removal.patch.index}/{total} ("{_subject(removal.patch)}") '
                    "removes its definition"
                )
                how = "calls it here" if call.added else "leaves this caller unconverted"
                yield Hit(
                    message=(
                        f"{call.callee}() is gone: {by} ({where.path}:{where.line}), but this "
                        f"patch {how}: the series does not build at patch {patch.index}, and "
                        f"every patch must build for git bisect (see {BISECT})"
                    ),
                    path=view.path,
                    line=call.line,
                    function=call.function,
                    suggestion=(
                        f"convert this caller in patch {removal.patch.index} (or earlier), or "
                        f"remove {call.callee}() only after its last caller is gone"
                    ),
                    related=(
                        Related(
                            f"definition of {call.callee}() removed here",
                            where.path,
                            where.line,
                            removal.patch.index,
                        ),
                    ),
                    patch=patch.index,
                    severity=Severity.ERROR,
                    confidence=Confidence.HIGH if call.added else Confidence.MEDIUM,
                )


RULE = Rule(
    code="SER001",
    name="series-removed-symbol",
    summary="a patch calls a function that this or an earlier patch of the series removed",
    severity=Severity.ERROR,
    confidence=Confidence.HIGH,
    check=check,
    scope="series",
    references=(BISECT,),
)
