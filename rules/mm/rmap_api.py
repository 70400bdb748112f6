"""The rmap duplication API across its eras, as data: names, arguments, kernels, stand-ins.

A helper module of the mm pack (no ``RULE``): every mm rule reads its function tables
from here, and the engine imports :data:`ERA_MARKERS` to infer the target kernel from
the calls a patch's removed and context lines make.

The facts come from ``../shared/DOMAIN.md``: ``page_dup_rmap()`` until v5.19, the
page-era split (v5.19 - v6.7), the folio interface of the "mm/rmap: interface overhaul"
series (v6.8), and the ``dst_vma`` argument added in v6.15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reviewbot.kernel import KernelVersion, VersionRange

Era = Literal["old", "page", "folio", "folio-dst"]
Kind = Literal["anon", "file"]
Level = Literal["pte", "ptes", "pmd", "hugetlb", "compound"]

V5_19 = KernelVersion(5, 19)
V6_8 = KernelVersion(6, 8)
V6_15 = KernelVersion(6, 15)

OLD = VersionRange("<5.19")
PAGE = VersionRange(">=5.19,<6.8")
FOLIO = VersionRange(">=6.8")
UNTIL_6_8 = VersionRange("<6.8")

# The lore threads that settled each fact; rule messages cite them.
LORE_SPLIT = "https://lore.kernel.org/all/20220315104741.63071-5-david@redhat.com/"
LORE_ORDER = "https://lore.kernel.org/all/92caaf7b-92a6-8485-d53e-728c3aac30c3@redhat.com/"
LORE_OVERHAUL = "https://lore.kernel.org/all/20231220224504.646757-1-david@redhat.com/"
LORE_DST_VMA = "https://lore.kernel.org/all/20250224165603.1434404-8-david@redhat.com/"
LORE_COW_FIXES = "https://lore.kernel.org/all/20220315104741.63071-1-david@redhat.com/"


def era_of(kernel: KernelVersion) -> Era:
    if kernel < V5_19:
        return "old"
    if kernel < V6_8:
        return "page"
    if kernel < V6_15:
        return "folio"
    return "folio-dst"


@dataclass(frozen=True)
class DupFunction:
    """One function that duplicates an rmap entry (raises a mapcount) at fork time."""

    name: str
    kind: Kind | None  # anon: may fail with -EBUSY; file: cannot fail; None: either (old era)
    level: Level
    exists: VersionRange
    object_args: tuple[int, ...]  # the page/folio arguments, folio first
    nr_arg: int | None = None  # the batch size (the _ptes variants)
    compound_arg: int | None = None  # the page-era ``bool compound``
    # argument counts: before v6.15 and from v6.15 (None: unchanged / not applicable)
    arity: int = 0
    arity_dst: int | None = None

    @property
    def is_try(self) -> bool:
        return self.kind == "anon"

    def arity_for(self, kernel: KernelVersion) -> int:
        if self.arity_dst is not None and kernel >= V6_15:
            return self.arity_dst
        return self.arity


DUP_FUNCTIONS: dict[str, DupFunction] = {
    f.name: f
    for f in (
        DupFunction("page_dup_rmap", None, "compound", OLD, (0,), compound_arg=1, arity=2),
        DupFunction("page_dup_file_rmap", "file", "compound", PAGE, (0,), compound_arg=1, arity=2),
        DupFunction("__page_dup_rmap", "file", "compound", PAGE, (0,), compound_arg=1, arity=2),
        DupFunction(
            "page_try_dup_anon_rmap", "anon", "compound", PAGE, (0,), compound_arg=1, arity=3
        ),
        DupFunction("folio_dup_file_rmap_pte", "file", "pte", FOLIO, (0, 1), arity=2, arity_dst=3),
        DupFunction(
            "folio_dup_file_rmap_ptes",
            "file",
            "ptes",
            FOLIO,
            (0, 1),
            nr_arg=2,
            arity=3,
            arity_dst=4,
        ),
        DupFunction("folio_dup_file_rmap_pmd", "file", "pmd", FOLIO, (0, 1), arity=2, arity_dst=3),
        DupFunction(
            "folio_try_dup_anon_rmap_pte", "anon", "pte", FOLIO, (0, 1), arity=3, arity_dst=4
        ),
        DupFunction(
            "folio_try_dup_anon_rmap_ptes",
            "anon",
            "ptes",
            FOLIO,
            (0, 1),
            nr_arg=2,
            arity=4,
            arity_dst=5,
        ),
        DupFunction(
            "folio_try_dup_anon_rmap_pmd", "anon", "pmd", FOLIO, (0, 1), arity=3, arity_dst=4
        ),
        DupFunction("hugetlb_try_dup_anon_rmap", "anon", "hugetlb", FOLIO, (0,), arity=2),
    )
}

# The dup calls the fork-time rules look at (the old era's page_dup_rmap is MM001's alone).
CHECKED_DUPS = frozenset(n for n, f in DUP_FUNCTIONS.items() if f.kind is not None)
TRY_FUNCTIONS = frozenset(n for n, f in DUP_FUNCTIONS.items() if f.kind == "anon")
FILE_DUPS = frozenset(n for n, f in DUP_FUNCTIONS.items() if f.kind == "file")
# What a file branch next to an anon one calls (hugetlb has an "add" that dups).
FILE_BRANCH_CALLS = FILE_DUPS | {"hugetlb_add_file_rmap", "page_dup_rmap"}

# Reference counting: name -> index of the count argument (None: one reference).
REF_TAKE: dict[str, int | None] = {
    "get_page": None,
    "folio_get": None,
    "folio_ref_add": 1,
    "page_ref_add": 1,
    "folio_ref_inc": None,
    "page_ref_inc": None,
    "try_get_page": None,
    "folio_try_get": None,
    "get_page_unless_zero": None,
}
REF_DROP: dict[str, int | None] = {
    "put_page": None,
    "folio_put": None,
    "folio_ref_sub": 1,
    "page_ref_sub": 1,
    "folio_put_refs": 1,
    "folio_ref_dec": None,
    "page_ref_dec": None,
}

# "May this page be pinned?" tests that the try functions do themselves since v5.19.
PINNED_CHECKS = frozenset(
    {
        "page_needs_cow_for_dma",
        "folio_needs_cow_for_dma",
        "page_maybe_dma_pinned",
        "folio_maybe_dma_pinned",
    }
)
NEEDS_COW = frozenset({"page_needs_cow_for_dma", "folio_needs_cow_for_dma"})

# Predicates: the page is anon (object argument first), the vma is anon (any page in it).
ANON_TESTS = frozenset({"PageAnon", "folio_test_anon", "PageAnonExclusive"})
# The tests that decide anon vs file (PageAnonExclusive only ever asserts).
ANON_GUARDS = frozenset({"PageAnon", "folio_test_anon"})
ANON_VMA_TESTS = frozenset({"vma_is_anonymous"})
# Device-private / device-exclusive entries: their pages are anon and cannot be pinned.
DEVICE_TESTS = frozenset(
    {
        "is_device_private_entry",
        "is_writable_device_private_entry",
        "is_device_exclusive_entry",
        "is_writable_device_exclusive_entry",
        "is_device_private_page",
        "folio_is_device_private",
        "is_device_coherent_page",
    }
)
# Functions where a try call on a non-present entry is the documented "cannot fail" case.
DEVICE_ENTRY_FUNCTIONS = frozenset({"copy_nonpresent_pte"})

# The fork-time copy functions: evidence removed there matters even when the dup call it
# belonged to is outside the hunk.
FORK_COPY_FUNCTIONS = frozenset(
    {
        "copy_present_pte",
        "copy_present_ptes",
        "copy_nonpresent_pte",
        "copy_huge_pmd",
        "copy_hugetlb_page_range",
        "copy_huge_pud",
    }
)

# Getters that return a page/folio without taking a reference: a pointer fresh from one
# of these has no reference of the caller's yet.
NO_REF_GETTERS = frozenset(
    {
        "vm_normal_page",
        "vm_normal_folio",
        "vm_normal_page_pmd",
        "vm_normal_folio_pmd",
        "pmd_page",
        "pud_page",
        "pte_page",
        "pfn_swap_entry_to_page",
        "pfn_swap_entry_folio",
        "pfn_to_page",
        "virt_to_page",
        "migration_entry_to_page",
        "device_private_entry_to_page",
        "pmd_folio",
        "pte_folio",
        "pud_folio",
    }
)
# Expressions that name the same refcount as their argument (page <-> its folio).
ALIAS_GETTERS = frozenset(
    {"page_folio", "compound_head", "folio_page", "nth_page", "virt_to_folio"}
)


# --- kernel eras of every rmap function, for MM001 and for target inference ----------

# When each name exists. The engine infers the target kernel from the names the
# removed and context lines call (see reviewbot.engine.target).
ERA_MARKERS: dict[str, VersionRange] = {
    **{name: f.exists for name, f in DUP_FUNCTIONS.items()},
    "page_needs_cow_for_dma": UNTIL_6_8,
    "folio_needs_cow_for_dma": FOLIO,
    "hugetlb_add_file_rmap": FOLIO,
    # the rest of the rmap interface that the v6.8 overhaul replaced
    "page_add_anon_rmap": UNTIL_6_8,
    "page_add_file_rmap": UNTIL_6_8,
    "page_remove_rmap": UNTIL_6_8,
    "page_try_share_anon_rmap": PAGE,
    "hugepage_add_anon_rmap": UNTIL_6_8,
    "hugepage_add_new_anon_rmap": UNTIL_6_8,
    "folio_add_anon_rmap_pte": FOLIO,
    "folio_add_anon_rmap_ptes": FOLIO,
    "folio_add_anon_rmap_pmd": FOLIO,
    "folio_add_file_rmap_pte": FOLIO,
    "folio_add_file_rmap_ptes": FOLIO,
    "folio_add_file_rmap_pmd": FOLIO,
    "folio_remove_rmap_pte": FOLIO,
    "folio_remove_rmap_ptes": FOLIO,
    "folio_remove_rmap_pmd": FOLIO,
    "folio_try_share_anon_rmap_pte": FOLIO,
    "folio_try_share_anon_rmap_pmd": FOLIO,
    "hugetlb_add_anon_rmap": FOLIO,
    "hugetlb_add_new_anon_rmap": FOLIO,
    "hugetlb_remove_rmap": FOLIO,
    "hugetlb_try_share_anon_rmap": FOLIO,
}

# Functions whose argument count tells v6.8-v6.14 from v6.15 on.
ARITY_ERAS: dict[str, dict[int, VersionRange]] = {
    name: {f.arity: VersionRange(">=6.8,<6.15"), f.arity_dst: VersionRange(">=6.15")}
    for name, f in DUP_FUNCTIONS.items()
    if f.arity_dst is not None
}


def call_era(name: str, nargs: int | None = None) -> VersionRange | None:
    """The kernels in which a call ``name(<nargs arguments>)`` builds, when the name is an
    era marker; the argument count narrows the folio functions to before/after v6.15."""
    if nargs is not None and name in ARITY_ERAS and nargs in ARITY_ERAS[name]:
        return ARITY_ERAS[name][nargs]
    return ERA_MARKERS.get(name)


_API_INTERNAL = re.compile(r"^_*(?:page|folio|hugetlb)\w*(?:_rmap\w*|_needs_cow_for_dma)$")


def is_api_internal(function: str | None) -> bool:
    """The function is part of the rmap interface itself (its definitions in
    ``include/linux/rmap.h`` call each other): caller rules don't apply inside."""
    return bool(function) and (function in ERA_MARKERS or bool(_API_INTERNAL.match(function or "")))


# Same-family stand-ins used by MM001 when a page-era name meets a folio-era kernel and
# back. Keys are the function; values say what to call in each era (None: use the dup
# tables through :func:`replacement`).
_SIMPLE_STAND_INS: dict[str, dict[Era, str]] = {
    "page_add_anon_rmap": {
        "folio": "folio_add_anon_rmap_pte()/_ptes()/_pmd()",
        "folio-dst": "folio_add_anon_rmap_pte()/_ptes()/_pmd()",
    },
    "page_add_file_rmap": {
        "folio": "folio_add_file_rmap_pte()/_ptes()/_pmd()",
        "folio-dst": "folio_add_file_rmap_pte()/_ptes()/_pmd()",
    },
    "page_remove_rmap": {
        "folio": "folio_remove_rmap_pte()/_ptes()/_pmd()",
        "folio-dst": "folio_remove_rmap_pte()/_ptes()/_pmd()",
    },
    "page_try_share_anon_rmap": {
        "old": "nothing: before v5.19 there is no anon-exclusive tracking to share",
        "folio": "folio_try_share_anon_rmap_pte()/_pmd()",
        "folio-dst": "folio_try_share_anon_rmap_pte()/_pmd()",
    },
    "hugepage_add_anon_rmap": {
        "folio": "hugetlb_add_anon_rmap()",
        "folio-dst": "hugetlb_add_anon_rmap()",
    },
    "hugepage_add_new_anon_rmap": {
        "folio": "hugetlb_add_new_anon_rmap()",
        "folio-dst": "hugetlb_add_new_anon_rmap()",
    },
    "folio_add_anon_rmap_pte": {"old": "page_add_anon_rmap()", "page": "page_add_anon_rmap()"},
    "folio_add_anon_rmap_ptes": {
        "old": "page_add_anon_rmap() for each page",
        "page": "page_add_anon_rmap() for each page",
    },
    "folio_add_anon_rmap_pmd": {
        "old": "page_add_anon_rmap(page, vma, address, RMAP_COMPOUND)",
        "page": "page_add_anon_rmap(page, vma, address, RMAP_COMPOUND)",
    },
    "folio_add_file_rmap_pte": {"old": "page_add_file_rmap()", "page": "page_add_file_rmap()"},
    "folio_add_file_rmap_ptes": {
        "old": "page_add_file_rmap() for each page",
        "page": "page_add_file_rmap() for each page",
    },
    "folio_add_file_rmap_pmd": {
        "old": "page_add_file_rmap(page, vma, true)",
        "page": "page_add_file_rmap(page, vma, true)",
    },
    "folio_remove_rmap_pte": {"old": "page_remove_rmap()", "page": "page_remove_rmap()"},
    "folio_remove_rmap_ptes": {
        "old": "page_remove_rmap() for each page",
        "page": "page_remove_rmap() for each page",
    },
    "folio_remove_rmap_pmd": {
        "old": "page_remove_rmap(page, vma, true)",
        "page": "page_remove_rmap(page, vma, true)",
    },
    "folio_try_share_anon_rmap_pte": {"page": "page_try_share_anon_rmap(page)"},
    "folio_try_share_anon_rmap_pmd": {"page": "page_try_share_anon_rmap(page)"},
    "hugetlb_add_anon_rmap": {
        "old": "hugepage_add_anon_rmap()",
        "page": "hugepage_add_anon_rmap()",
    },
    "hugetlb_add_new_anon_rmap": {
        "old": "hugepage_add_new_anon_rmap()",
        "page": "hugepage_add_new_anon_rmap()",
    },
    "hugetlb_add_file_rmap": {
        "old": "page_dup_rmap(&folio->page, true)",
        "page": "page_dup_file_rmap(&folio->page, true)",
    },
    "hugetlb_remove_rmap": {
        "old": "page_remove_rmap(&folio->page, vma, true)",
        "page": "page_remove_rmap(&folio->page, vma, true)",
    },
    "hugetlb_try_share_anon_rmap": {"page": "page_try_share_anon_rmap(&folio->page)"},
}

# Where a function is from, for "removed in" / "added in" wording.
FAMILY_OF: dict[str, str] = {name: "rmap" for name in ERA_MARKERS}


@dataclass(frozen=True)
class CallShape:
    """What MM001 knows about a call site when it picks a stand-in."""

    kind: Kind | None = None  # the page is known anon / file there
    hugetlb: bool = False  # the call is in hugetlb code
    compound: bool | None = None  # the page-era ``compound`` argument, when literal


def _dst(era: Era, before: str, after: str) -> str:
    return after if era == "folio-dst" else before


def _folio_dup(kind: Kind, level: Level, era: Era) -> str:
    if level == "hugetlb":
        return (
            "hugetlb_try_dup_anon_rmap(folio, vma)"
            if kind == "anon"
            else ("hugetlb_add_file_rmap(folio)")
        )
    if kind == "anon":
        nr = "nr, " if level == "ptes" else ""
        vmas = _dst(era, "src_vma", "dst_vma, src_vma")
        return f"folio_try_dup_anon_rmap_{level}(folio, page, {nr}{vmas})"
    nr = ", nr" if level == "ptes" else ""
    dst = _dst(era, "", ", dst_vma")
    return f"folio_dup_file_rmap_{level}(folio, page{nr}{dst})"


def _page_dup(kind: Kind, compound: str, era: Era) -> str:
    if era == "old":
        return f"page_dup_rmap(page, {compound})"
    if kind == "anon":
        return f"page_try_dup_anon_rmap(page, {compound}, src_vma)"
    return f"page_dup_file_rmap(page, {compound})"


def _levels(shape: CallShape, level: Level) -> list[Level]:
    if shape.hugetlb and level in ("compound", "pmd", "hugetlb"):
        return ["hugetlb"]
    if level == "compound":
        if shape.compound is True:
            return ["pmd"]
        if shape.compound is False:
            return ["pte"]
        return ["pte", "pmd"]
    if level == "hugetlb":
        return ["hugetlb"]
    return [level]


def replacement(name: str, kernel: KernelVersion, shape: CallShape) -> str:
    """What to call on ``kernel`` instead of ``name`` (which that kernel lacks)."""
    era = era_of(kernel)
    if name in _SIMPLE_STAND_INS:
        stand_in = _SIMPLE_STAND_INS[name].get(era)
        return stand_in or "the equivalent of this kernel's rmap interface"
    if name in NEEDS_COW:
        if era in ("folio", "folio-dst"):
            return (
                "nothing before a folio_try_dup_anon_rmap_*() call, which checks for pins "
                "itself; elsewhere folio_needs_cow_for_dma(vma, folio)"
            )
        if era == "page":
            return (
                "nothing before a page_try_dup_anon_rmap() call, which checks for pins "
                "itself; elsewhere page_needs_cow_for_dma(vma, page), plus is_cow_mapping()"
            )
        return "page_needs_cow_for_dma(vma, page)"
    func = DUP_FUNCTIONS.get(name)
    if func is None:
        return "the equivalent of this kernel's rmap interface"
    kinds: list[Kind] = (
        [shape.kind] if shape.kind else ([func.kind] if func.kind else ["file", "anon"])
    )
    out: list[str] = []
    for kind in kinds:
        if era in ("folio", "folio-dst"):
            options = [_folio_dup(kind, lvl, era) for lvl in _levels(shape, func.level)]
            text = " or ".join(options)
        else:
            compound_value: bool | None
            if func.level == "compound":
                compound_value = shape.compound
            else:
                compound_value = func.level not in ("pte", "ptes")
            compound = {True: "true", False: "false", None: "compound"}[compound_value]
            text = _page_dup(kind, compound, era)
            if func.level == "ptes":
                text += " for each of the nr pages"
            if func.level == "hugetlb" or (func.level != "compound" and shape.hugetlb):
                text = text.replace("(page,", "(&folio->page,")
        label = {"anon": "for an anon page", "file": "for a file page"}[kind]
        if kind == "anon" and era != "old":
            text += " (it may fail with -EBUSY: handle that)"
        if era == "old" and kind == "anon":
            text += " after a page_needs_cow_for_dma() check"
        out.append(f"{text} {label}" if len(kinds) > 1 else text)
    return "; ".join(out)


def arity_hint(func: DupFunction, kernel: KernelVersion) -> str:
    """The argument list ``func`` takes on ``kernel`` (for arity messages)."""
    era = era_of(kernel)
    level: Level = func.level
    kind: Kind = func.kind or "file"
    return _folio_dup(kind, level, "folio-dst" if era == "folio-dst" else "folio")
