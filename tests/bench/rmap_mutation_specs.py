"""The data of rmap_mutations.py: planted defects and correct changes, per real call site.

Each edit is located from the first line of a function (a regex; ``A >> B`` finds B after A)
in the v6.1, v6.12 or v6.15 (dst_vma) text of a file, then applies line operations (see Edit).
A mutation is exported five ways (-U3, -U10, -W, with an edit in another file, with an
unrelated edit far away in the same file), a correct change four ways (-U3, -U10, -W, with
an edit in another file). Series cases plant a use of a symbol that an earlier patch removed.
Not a benchmark by itself: run rmap_mutations.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# An operation of an Edit: its kind, then regexes and text (see Edit).
Op = tuple[str, ...]


@dataclass
class Edit:
    """An edit of one file, located from a function's first line (regex ``func``).

    ops: ("del", R) delete the first line matching R; ("sub", R, a, b) regex-substitute in
    it; ("mv", R, R2) move it after the first line matching R2 (searched from the old
    place); ("ins", R, text) insert lines after it; ("insb", R, text) insert before it;
    ("delblk", R1, R2) delete from R1 to R2; ("repblk", R1, R2, text) replace R1..R2;
    ("func", a, b) regex-substitute in every line of the function (a rename).
    """

    path: str
    func: str
    ops: list[Op]
    mut: bool = True  # the planted defect (False: an unrelated edit)


@dataclass
class Commit:
    subject: str
    edits: list[Edit]
    body: str = "Rework this path.\n"


@dataclass
class Case:
    id: str
    kind: str  # mutation operator, or "ok:..." for correct code
    base: str  # 6.1 / 6.12 / 6.15
    commits: list[Commit]
    rule: str | None  # the planted defect's rule name (None: correct code)
    fmt: str = "U3"  # U3, U10, W
    anchors: list[str] = field(default_factory=list)  # extra regexes: acceptable lines too


@dataclass
class Mutation:
    id: str
    base: str
    path: str
    func: str
    ops: list[Op]
    rule: str
    anchors: list[str]


MEM, HUGE, HTLB, MIG, RMAPH = (
    "mm/memory.c",
    "mm/huge_memory.c",
    "mm/hugetlb.c",
    "mm/migrate.c",
    "include/linux/rmap.h",
)

# function anchors
F61_CPP = r"^copy_present_pte\(struct"
F61_NONP = r"^copy_nonpresent_pte\("
F_CHP = r"^int copy_huge_pmd\("
F_HTLB = r"^int copy_hugetlb_page_range\("
F612_CPP = r"^copy_present_ptes\("
F612_SINGLE = F612_CPP + r" >> ^\tfolio_get\(folio\);"
F61_NOPAGE = r"^static vm_fault_t hugetlb_no_page\("
F61_MCOPY = r"^int hugetlb_mcopy_atomic_pte\("
F_MIG = r"^static bool remove_migration_pte\("

REF_BEFORE, UNCHECKED, ANON_ONLY, PINNED, REMOVED, SERIES = (
    "ref-before-dup",
    "dup-result-unchecked",
    "dup-anon-only",
    "pinned-check-moved",
    "removed-rmap-api",
    "series-removed-symbol",
)

MUTATIONS: list[Mutation] = []


def m(
    id_: str, base: str, path: str, func: str, ops: list[Op], rule: str, anchors: Sequence[str] = ()
) -> None:
    MUTATIONS.append(Mutation(id_, base, path, func, ops, rule, list(anchors)))


# ---------------- v6.1: copy_present_pte ----------------
TRY61 = r"page_try_dup_anon_rmap\(page, false, src_vma\)"
m(
    "61-cpp-ref-after-block",
    "6.1",
    MEM,
    F61_CPP,
    [("mv", r"^\t\tget_page\(page\);", r"^\t\t}$")],
    REF_BEFORE,
)
m(
    "61-cpp-ref-after-rss",
    "6.1",
    MEM,
    F61_CPP,
    [("mv", r"^\t\tget_page\(page\);", r"^\t\trss\[mm_counter")],
    REF_BEFORE,
)
m("61-cpp-del-ref", "6.1", MEM, F61_CPP, [("del", r"^\t\tget_page\(page\);")], REF_BEFORE, [TRY61])
m("61-cpp-del-put", "6.1", MEM, F61_CPP, [("del", r"^\t\t\tput_page\(page\);")], REF_BEFORE)
m(
    "61-cpp-put-after-copy",
    "6.1",
    MEM,
    F61_CPP,
    [
        ("del", r"^\t\t\tput_page\(page\);"),
        (
            "repblk",
            r"^\t\t\treturn copy_present_page",
            r"addr, rss, prealloc, page\);",
            "\t\t\tret = copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t\t\taddr, rss, prealloc, page);\n\t\t\treturn ret;",
        ),
        ("ins", r"^\tstruct page \*page;", "\tint ret;"),
    ],
    REF_BEFORE,
)
m(
    "61-cpp-unchecked",
    "6.1",
    MEM,
    F61_CPP,
    [("repblk", TRY61, r"^\t\t}$", "\t\tpage_try_dup_anon_rmap(page, false, src_vma);")],
    UNCHECKED,
)
m(
    "61-cpp-void",
    "6.1",
    MEM,
    F61_CPP,
    [("repblk", TRY61, r"^\t\t}$", "\t\t(void)page_try_dup_anon_rmap(page, false, src_vma);")],
    UNCHECKED,
)
m(
    "61-cpp-unused-var",
    "6.1",
    MEM,
    F61_CPP,
    [
        ("repblk", TRY61, r"^\t\t}$", "\t\tret = page_try_dup_anon_rmap(page, false, src_vma);"),
        ("ins", r"^\tstruct page \*page;", "\tint ret;"),
    ],
    UNCHECKED,
)
m(
    "61-cpp-no-anon-guard",
    "6.1",
    MEM,
    F61_CPP,
    [("sub", r"if \(page && PageAnon\(page\)\)", r"page && PageAnon\(page\)", "page")],
    ANON_ONLY,
    [TRY61],
)
m(
    "61-cpp-try-in-file",
    "6.1",
    MEM,
    F61_CPP + r" >> else if \(page\)",
    [
        (
            "sub",
            r"page_dup_file_rmap\(page, false\);",
            r"page_dup_file_rmap\(page, false\)",
            "page_try_dup_anon_rmap(page, false, src_vma)",
        )
    ],
    ANON_ONLY,
)
m(
    "61-cpp-page-dup-rmap",
    "6.1",
    MEM,
    F61_CPP,
    [("sub", r"page_dup_file_rmap\(page, false\);", r"page_dup_file_rmap", "page_dup_rmap")],
    REMOVED,
)
m(
    "61-cpp-folio-api",
    "6.1",
    MEM,
    F61_CPP,
    [
        (
            "sub",
            r"page_dup_file_rmap\(page, false\);",
            r"page_dup_file_rmap\(page, false\)",
            "folio_dup_file_rmap_pte(page_folio(page), page)",
        )
    ],
    REMOVED,
)
m(
    "61-cpp-file-del-ref",
    "6.1",
    MEM,
    F61_CPP + r" >> else if \(page\)",
    [("del", r"^\t\tget_page\(page\);")],
    REF_BEFORE,
)
m(
    "61-cpp-file-ref-after",
    "6.1",
    MEM,
    F61_CPP + r" >> else if \(page\)",
    [("mv", r"^\t\tget_page\(page\);", r"page_dup_file_rmap")],
    REF_BEFORE,
)
m(
    "61-cpp-needs-cow",
    "6.1",
    MEM,
    F61_CPP,
    [
        (
            "insb",
            r"^\t\tget_page\(page\);",
            "\t\tif (unlikely(page_needs_cow_for_dma(src_vma, page)))\n\t\t\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t\t\t addr, rss, prealloc, page);",
        )
    ],
    PINNED,
)
m(
    "61-cpp-pinned-repeat",
    "6.1",
    MEM,
    F61_CPP,
    [
        (
            "insb",
            r"^\t\tget_page\(page\);",
            "\t\tif (is_cow_mapping(vm_flags) && page_maybe_dma_pinned(page))\n\t\t\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t\t\t addr, rss, prealloc, page);",
        )
    ],
    PINNED,
)

# ---------------- v6.1: copy_nonpresent_pte (device private) ----------------
m(
    "61-nonp-del-ref",
    "6.1",
    MEM,
    F61_NONP,
    [("del", r"^\t\tget_page\(page\);")],
    REF_BEFORE,
    [r"BUG_ON\(page_try_dup"],
)
m(
    "61-nonp-ref-after",
    "6.1",
    MEM,
    F61_NONP,
    [("mv", r"^\t\tget_page\(page\);", r"BUG_ON\(page_try_dup")],
    REF_BEFORE,
)

# ---------------- v6.1: copy_huge_pmd ----------------
TRYPMD61 = r"page_try_dup_anon_rmap\(src_page, true, src_vma\)"
m(
    "61-chp-ref-after",
    "6.1",
    HUGE,
    F_CHP,
    [("mv", r"^\tget_page\(src_page\);", r"^\t}$")],
    REF_BEFORE,
)
m(
    "61-chp-del-ref",
    "6.1",
    HUGE,
    F_CHP,
    [("del", r"^\tget_page\(src_page\);")],
    REF_BEFORE,
    [TRYPMD61],
)
m("61-chp-del-put", "6.1", HUGE, F_CHP, [("del", r"^\t\tput_page\(src_page\);")], REF_BEFORE)
m(
    "61-chp-unchecked",
    "6.1",
    HUGE,
    F_CHP,
    [("repblk", TRYPMD61, r"^\t}$", "\tpage_try_dup_anon_rmap(src_page, true, src_vma);")],
    UNCHECKED,
)
m(
    "61-chp-page-dup-rmap",
    "6.1",
    HUGE,
    F_CHP,
    [("repblk", TRYPMD61, r"^\t}$", "\tpage_dup_rmap(src_page, true);")],
    REMOVED,
)
m(
    "61-chp-no-anon-vma",
    "6.1",
    HUGE,
    F_CHP,
    [("delblk", r"^\t/\* Skip if can be re-fill on fault \*/", r"^\t\treturn 0;$")],
    ANON_ONLY,
)
m(
    "61-chp-needs-cow",
    "6.1",
    HUGE,
    F_CHP,
    [
        (
            "insb",
            r"^\tget_page\(src_page\);",
            "\tif (unlikely(page_needs_cow_for_dma(src_vma, src_page))) {\n\t\tpte_free(dst_mm, pgtable);\n\t\tspin_unlock(src_ptl);\n\t\tspin_unlock(dst_ptl);\n\t\t__split_huge_pmd(src_vma, src_pmd, addr, false, NULL);\n\t\treturn -EAGAIN;\n\t}\n",
        )
    ],
    PINNED,
)

# ---------------- v6.1: copy_hugetlb_page_range ----------------
m(
    "61-htlb-del-ref",
    "6.1",
    HTLB,
    F_HTLB,
    [("del", r"^\t\t\tget_page\(ptepage\);")],
    REF_BEFORE,
    [r"page_dup_file_rmap\(ptepage"],
)
m(
    "61-htlb-ref-after",
    "6.1",
    HTLB,
    F_HTLB,
    [("mv", r"^\t\t\tget_page\(ptepage\);", r"page_dup_file_rmap\(ptepage, true\);")],
    REF_BEFORE,
)
m(
    "61-htlb-del-put",
    "6.1",
    HTLB,
    F_HTLB + r" >> page_try_dup_anon_rmap\(ptepage",
    [("del", r"^\t\t\t\t\tput_page\(ptepage\);")],
    REF_BEFORE,
)
m(
    "61-htlb-guard-inverted",
    "6.1",
    HTLB,
    F_HTLB,
    [("sub", r"if \(!PageAnon\(ptepage\)\)", r"!PageAnon", "PageAnon")],
    ANON_ONLY,
    [r"page_try_dup_anon_rmap\(ptepage"],
)
m(
    "61-htlb-page-dup-rmap",
    "6.1",
    HTLB,
    F_HTLB,
    [("sub", r"page_dup_file_rmap\(ptepage, true\);", r"page_dup_file_rmap", "page_dup_rmap")],
    REMOVED,
)

# ---------------- v6.1: other page_dup_file_rmap callers ----------------
m(
    "61-nopage-page-dup-rmap",
    "6.1",
    HTLB,
    F61_NOPAGE,
    [("sub", r"page_dup_file_rmap\(page, true\);", r"page_dup_file_rmap", "page_dup_rmap")],
    REMOVED,
)
m(
    "61-mcopy-page-dup-rmap",
    "6.1",
    HTLB,
    F61_MCOPY,
    [("sub", r"page_dup_file_rmap\(page, true\);", r"page_dup_file_rmap", "page_dup_rmap")],
    REMOVED,
)
m(
    "61-mcopy-folio-api",
    "6.1",
    HTLB,
    F61_MCOPY,
    [
        (
            "sub",
            r"page_dup_file_rmap\(page, true\);",
            r"page_dup_file_rmap\(page, true\)",
            "hugetlb_add_file_rmap(page_folio(page))",
        )
    ],
    REMOVED,
)
m(
    "61-mig-page-dup-rmap",
    "6.1",
    MIG,
    F_MIG,
    [("sub", r"page_dup_file_rmap\(new, true\);", r"page_dup_file_rmap", "page_dup_rmap")],
    REMOVED,
)

# ---------------- v6.12: copy_present_ptes, batch ----------------
TRYPTES = r"folio_try_dup_anon_rmap_ptes\(folio, page,$"
m(
    "612-ptes-ref-after-try",
    "6.12",
    MEM,
    F612_CPP,
    [("mv", r"^\t\tfolio_ref_add\(folio, nr\);", r"^\t\t\t}$")],
    REF_BEFORE,
)
m(
    "612-ptes-ref-after-else",
    "6.12",
    MEM,
    F612_CPP,
    [("mv", r"^\t\tfolio_ref_add\(folio, nr\);", r"^\t\t}$")],
    REF_BEFORE,
)
m(
    "612-ptes-del-ref",
    "6.12",
    MEM,
    F612_CPP,
    [("del", r"^\t\tfolio_ref_add\(folio, nr\);")],
    REF_BEFORE,
    [TRYPTES],
)
m(
    "612-ptes-del-sub",
    "6.12",
    MEM,
    F612_CPP,
    [("del", r"^\t\t\t\tfolio_ref_sub\(folio, nr\);")],
    REF_BEFORE,
)
m(
    "612-ptes-ref-add-1",
    "6.12",
    MEM,
    F612_CPP,
    [("sub", r"^\t\tfolio_ref_add\(folio, nr\);", r"nr\)", "1)")],
    REF_BEFORE,
)
m(
    "612-ptes-ref-get",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "sub",
            r"^\t\tfolio_ref_add\(folio, nr\);",
            r"folio_ref_add\(folio, nr\)",
            "folio_get(folio)",
        )
    ],
    REF_BEFORE,
)
m(
    "612-ptes-sub-1",
    "6.12",
    MEM,
    F612_CPP,
    [("sub", r"folio_ref_sub\(folio, nr\);", r"nr\)", "1)")],
    REF_BEFORE,
)
m(
    "612-ptes-sub-put",
    "6.12",
    MEM,
    F612_CPP,
    [("sub", r"folio_ref_sub\(folio, nr\);", r"folio_ref_sub\(folio, nr\)", "folio_put(folio)")],
    REF_BEFORE,
)
m(
    "612-ptes-try-nr-1",
    "6.12",
    MEM,
    F612_CPP,
    [("sub", r"^\s+nr, src_vma\)\)\) \{", r"nr, src_vma", "1, src_vma")],
    REF_BEFORE,
)
m(
    "612-ptes-file-nr-mismatch",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "sub",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\);",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\)",
            "folio_dup_file_rmap_ptes(folio, page, 1)",
        )
    ],
    REF_BEFORE,
)
m(
    "612-ptes-unchecked",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "repblk",
            TRYPTES,
            r"^\t\t\t}$",
            "\t\t\tfolio_try_dup_anon_rmap_ptes(folio, page, nr, src_vma);",
        )
    ],
    UNCHECKED,
)
m(
    "612-ptes-try-in-file",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "sub",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\);",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\)",
            "folio_try_dup_anon_rmap_ptes(folio, page, nr, src_vma)",
        )
    ],
    ANON_ONLY,
)
m(
    "612-ptes-guard-inverted",
    "6.12",
    MEM,
    F612_CPP,
    [("sub", r"^\t\tif \(folio_test_anon\(folio\)\) \{", r"folio_test_anon", "!folio_test_anon")],
    ANON_ONLY,
    [TRYPTES],
)
m(
    "612-ptes-page-era",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "sub",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\);",
            r"folio_dup_file_rmap_ptes\(folio, page, nr\)",
            "page_dup_file_rmap(page, false)",
        )
    ],
    REMOVED,
)
m(
    "612-ptes-needs-cow",
    "6.12",
    MEM,
    F612_CPP,
    [
        (
            "insb",
            r"^\t\tfolio_ref_add\(folio, nr\);",
            "\t\tif (unlikely(folio_needs_cow_for_dma(src_vma, folio)))\n\t\t\treturn -EAGAIN;",
        )
    ],
    PINNED,
)

# ---------------- v6.12: copy_present_ptes, single page ----------------
TRYPTE = r"folio_try_dup_anon_rmap_pte\(folio, page, src_vma\)"
m(
    "612-pte-ref-after-try",
    "6.12",
    MEM,
    F612_SINGLE,
    [("mv", r"^\tfolio_get\(folio\);", r"^\t\t}$")],
    REF_BEFORE,
)
m(
    "612-pte-ref-after-file",
    "6.12",
    MEM,
    F612_SINGLE,
    [("mv", r"^\tfolio_get\(folio\);", r"folio_dup_file_rmap_pte\(folio, page\);")],
    REF_BEFORE,
)
m(
    "612-pte-del-ref",
    "6.12",
    MEM,
    F612_SINGLE,
    [("del", r"^\tfolio_get\(folio\);")],
    REF_BEFORE,
    [TRYPTE],
)
m("612-pte-del-put", "6.12", MEM, F612_SINGLE, [("del", r"^\t\t\tfolio_put\(folio\);")], REF_BEFORE)
m(
    "612-pte-put-refs-2",
    "6.12",
    MEM,
    F612_SINGLE,
    [("sub", r"^\t\t\tfolio_put\(folio\);", r"folio_put\(folio\)", "folio_put_refs(folio, 2)")],
    REF_BEFORE,
)
m(
    "612-pte-unchecked",
    "6.12",
    MEM,
    F612_SINGLE,
    [("repblk", TRYPTE, r"^\t\t}$", "\t\tfolio_try_dup_anon_rmap_pte(folio, page, src_vma);")],
    UNCHECKED,
)
m(
    "612-pte-void",
    "6.12",
    MEM,
    F612_SINGLE,
    [
        (
            "repblk",
            TRYPTE,
            r"^\t\t}$",
            "\t\t(void)folio_try_dup_anon_rmap_pte(folio, page, src_vma);",
        )
    ],
    UNCHECKED,
)
m(
    "612-pte-try-in-file",
    "6.12",
    MEM,
    F612_SINGLE,
    [
        (
            "sub",
            r"folio_dup_file_rmap_pte\(folio, page\);",
            r"folio_dup_file_rmap_pte\(folio, page\)",
            "folio_try_dup_anon_rmap_pte(folio, page, src_vma)",
        )
    ],
    ANON_ONLY,
)
m(
    "612-pte-guard-removed",
    "6.12",
    MEM,
    F612_SINGLE,
    [
        (
            "sub",
            r"^\tif \(folio_test_anon\(folio\)\) \{",
            r"folio_test_anon\(folio\)",
            "likely(folio)",
        )
    ],
    ANON_ONLY,
    [TRYPTE],
)
m(
    "612-pte-page-era-file",
    "6.12",
    MEM,
    F612_SINGLE,
    [
        (
            "sub",
            r"folio_dup_file_rmap_pte\(folio, page\);",
            r"folio_dup_file_rmap_pte\(folio, page\)",
            "page_dup_file_rmap(page, false)",
        )
    ],
    REMOVED,
)
m(
    "612-pte-page-era-anon",
    "6.12",
    MEM,
    F612_SINGLE,
    [("sub", TRYPTE, TRYPTE, "page_try_dup_anon_rmap(page, false, src_vma)")],
    REMOVED,
)
m(
    "612-pte-needs-cow-61",
    "6.12",
    MEM,
    F612_SINGLE,
    [
        (
            "insb",
            r"^\tfolio_get\(folio\);",
            "\tif (unlikely(page_needs_cow_for_dma(src_vma, page)))\n\t\tgoto copy_pte;",
        )
    ],
    REMOVED,
)
m(
    "612-pte-dst-arity",
    "6.12",
    MEM,
    F612_SINGLE,
    [("sub", TRYPTE, r"src_vma\)", "dst_vma, src_vma)")],
    REMOVED,
)

# ---------------- v6.12: copy_nonpresent_pte ----------------
m(
    "612-nonp-del-ref",
    "6.12",
    MEM,
    r"^copy_nonpresent_pte\( >> is_device_private_entry",
    [("del", r"^\t\tfolio_get\(folio\);")],
    REF_BEFORE,
    [r"folio_try_dup_anon_rmap_pte"],
)
m(
    "612-nonp-ref-after",
    "6.12",
    MEM,
    r"^copy_nonpresent_pte\( >> is_device_private_entry",
    [("mv", r"^\t\tfolio_get\(folio\);", r"folio_try_dup_anon_rmap_pte")],
    REF_BEFORE,
)

# ---------------- v6.12: copy_huge_pmd ----------------
TRYPMD = r"folio_try_dup_anon_rmap_pmd\(src_folio, src_page, src_vma\)"
m(
    "612-chp-ref-after",
    "6.12",
    HUGE,
    F_CHP,
    [("mv", r"^\tfolio_get\(src_folio\);", r"^\t}$")],
    REF_BEFORE,
)
m(
    "612-chp-del-ref",
    "6.12",
    HUGE,
    F_CHP,
    [("del", r"^\tfolio_get\(src_folio\);")],
    REF_BEFORE,
    [TRYPMD],
)
m("612-chp-del-put", "6.12", HUGE, F_CHP, [("del", r"^\t\tfolio_put\(src_folio\);")], REF_BEFORE)
m(
    "612-chp-unchecked",
    "6.12",
    HUGE,
    F_CHP,
    [("repblk", TRYPMD, r"^\t}$", "\tfolio_try_dup_anon_rmap_pmd(src_folio, src_page, src_vma);")],
    UNCHECKED,
)
m(
    "612-chp-ret-unused",
    "6.12",
    HUGE,
    F_CHP,
    [
        (
            "repblk",
            TRYPMD,
            r"^\t}$",
            "\tret = folio_try_dup_anon_rmap_pmd(src_folio, src_page, src_vma);",
        )
    ],
    UNCHECKED,
)
m(
    "612-chp-page-era",
    "6.12",
    HUGE,
    F_CHP,
    [("sub", TRYPMD, TRYPMD, "page_try_dup_anon_rmap(src_page, true, src_vma)")],
    REMOVED,
)
m(
    "612-chp-no-anon-vma",
    "6.12",
    HUGE,
    F_CHP,
    [("delblk", r"^\t/\* Skip if can be re-fill on fault \*/", r"^\t\treturn 0;$")],
    ANON_ONLY,
)
m(
    "612-chp-needs-cow",
    "6.12",
    HUGE,
    F_CHP,
    [
        (
            "insb",
            r"^\tfolio_get\(src_folio\);",
            "\tif (unlikely(folio_needs_cow_for_dma(src_vma, src_folio))) {\n\t\tpte_free(dst_mm, pgtable);\n\t\tspin_unlock(src_ptl);\n\t\tspin_unlock(dst_ptl);\n\t\t__split_huge_pmd(src_vma, src_pmd, addr, false, NULL);\n\t\treturn -EAGAIN;\n\t}\n",
        )
    ],
    PINNED,
)

# ---------------- v6.12: copy_hugetlb_page_range ----------------
m(
    "612-htlb-del-ref",
    "6.12",
    HTLB,
    F_HTLB,
    [("del", r"^\t\t\tfolio_get\(pte_folio\);")],
    REF_BEFORE,
    [r"hugetlb_try_dup_anon_rmap"],
)
m(
    "612-htlb-ref-after",
    "6.12",
    HTLB,
    F_HTLB,
    [("mv", r"^\t\t\tfolio_get\(pte_folio\);", r"hugetlb_add_file_rmap\(pte_folio\);")],
    REF_BEFORE,
)
m(
    "612-htlb-del-put",
    "6.12",
    HTLB,
    F_HTLB + r" >> hugetlb_try_dup_anon_rmap",
    [("del", r"^\t\t\t\t\tfolio_put\(pte_folio\);")],
    REF_BEFORE,
)
m(
    "612-htlb-guard-inverted",
    "6.12",
    HTLB,
    F_HTLB,
    [("sub", r"if \(!folio_test_anon\(pte_folio\)\)", r"!folio_test_anon", "folio_test_anon")],
    ANON_ONLY,
    [r"hugetlb_try_dup_anon_rmap"],
)
m(
    "612-htlb-page-era",
    "6.12",
    HTLB,
    F_HTLB,
    [
        (
            "sub",
            r"hugetlb_add_file_rmap\(pte_folio\);",
            r"hugetlb_add_file_rmap\(pte_folio\)",
            "page_dup_file_rmap(&pte_folio->page, true)",
        )
    ],
    REMOVED,
)
m(
    "612-mig-page-era",
    "6.12",
    MIG,
    F_MIG,
    [
        (
            "sub",
            r"hugetlb_add_file_rmap\(folio\);",
            r"hugetlb_add_file_rmap\(folio\)",
            "page_dup_file_rmap(new, true)",
        )
    ],
    REMOVED,
)

# ---------------- v6.15 (dst_vma) ----------------
TRYPTE15 = r"folio_try_dup_anon_rmap_pte\(folio, page, dst_vma, src_vma\)"
m(
    "615-pte-old-arity",
    "6.15",
    MEM,
    F612_SINGLE,
    [("sub", r"folio_dup_file_rmap_pte\(folio, page, dst_vma\);", r", dst_vma\)", ")")],
    REMOVED,
)
m(
    "615-pte-del-ref",
    "6.15",
    MEM,
    F612_SINGLE,
    [("del", r"^\tfolio_get\(folio\);")],
    REF_BEFORE,
    [TRYPTE15],
)
m(
    "615-pte-ref-after",
    "6.15",
    MEM,
    F612_SINGLE,
    [("mv", r"^\tfolio_get\(folio\);", r"^\t\t}$")],
    REF_BEFORE,
)
m(
    "615-pte-unchecked",
    "6.15",
    MEM,
    F612_SINGLE,
    [
        (
            "repblk",
            TRYPTE15,
            r"^\t\t}$",
            "\t\tfolio_try_dup_anon_rmap_pte(folio, page, dst_vma, src_vma);",
        )
    ],
    UNCHECKED,
)
m(
    "615-pte-try-in-file",
    "6.15",
    MEM,
    F612_SINGLE,
    [
        (
            "sub",
            r"folio_dup_file_rmap_pte\(folio, page, dst_vma\);",
            r"folio_dup_file_rmap_pte\(folio, page, dst_vma\)",
            "folio_try_dup_anon_rmap_pte(folio, page, dst_vma, src_vma)",
        )
    ],
    ANON_ONLY,
)
m(
    "615-ptes-del-sub",
    "6.15",
    MEM,
    F612_CPP,
    [("del", r"^\t\t\t\tfolio_ref_sub\(folio, nr\);")],
    REF_BEFORE,
)
m("615-chp-del-put", "6.15", HUGE, F_CHP, [("del", r"^\t\tfolio_put\(src_folio\);")], REF_BEFORE)
m(
    "615-chp-ref-after",
    "6.15",
    HUGE,
    F_CHP,
    [("mv", r"^\tfolio_get\(src_folio\);", r"^\t}$")],
    REF_BEFORE,
)


# ---------------- unrelated edits (noise) ----------------
NOISE_FAR = {
    MEM: Edit(
        MEM,
        r"^copy_pte_range\(",
        [("sub", r"^\tint progress, (max_nr, )?ret = 0;", r"ret = 0", "ret = 0, unused_count = 0")],
        mut=False,
    ),
    HUGE: Edit(
        HUGE,
        r"^int copy_huge_pmd\(",
        [
            (
                "sub",
                r"^\tint ret = -ENOMEM;",
                r"-ENOMEM",
                "-ENOMEM /* until the tables are in place */",
            )
        ],
        mut=False,
    ),
    HTLB: Edit(
        HTLB,
        r"^int copy_hugetlb_page_range\(",
        [("sub", r"^\tint ret = 0;", r"0;", "0; /* no error yet */")],
        mut=False,
    ),
    MIG: Edit(
        MIG,
        r"^static bool remove_migration_pte\(",
        [
            (
                "insb",
                r"^\twhile \(page_vma_mapped_walk",
                "\t/* walk every mapping of the new folio */",
            )
        ],
        mut=False,
    ),
}
OTHER_FILE = Edit(
    "mm/rmap.c",
    r"^void page_move_anon_rmap\(|^void folio_move_anon_rmap\(",
    [("ins", r"^\{", "\t/* the anon_vma of the page must be stable here */")],
    mut=False,
)


def mutated() -> list[Case]:
    out: list[Case] = []
    for mu in MUTATIONS:
        mut = Edit(mu.path, mu.func, mu.ops)
        subject = "mm: rework " + mu.path.split("/")[-1].removesuffix(".c") + " fork path"
        variants = [("U3", [mut]), ("U10", [mut]), ("W", [mut])]
        variants.append(("U3", [mut, OTHER_FILE]))
        if mu.path in NOISE_FAR:
            variants.append(("U3", [mut, NOISE_FAR[mu.path]]))
        for n, (fmt, edits) in enumerate(variants):
            tag = fmt + ("" if len(edits) == 1 else "+noise" + str(n))
            kind = mu.id.split("-", 1)[1]
            commit = Commit(subject, edits)
            out.append(Case(f"{mu.id}.{tag}", kind, mu.base, [commit], mu.rule, fmt, mu.anchors))
    return out


# ---------------- correct changes ----------------
CORRECT: list[tuple[str, str, list[Edit]]] = []


def ok(id_: str, base: str, edits: list[Edit]) -> None:
    CORRECT.append((id_, base, edits))


ok(
    "61-cpp-comment",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [("sub", r"Page maybe pinned, we have to copy", r"maybe pinned", "may be pinned")],
        )
    ],
)
ok(
    "61-cpp-rename-page",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [
                ("func", r"\bpage\b", "src_page"),
                ("func", r"src_page \*\*prealloc", "page **prealloc"),
            ],
        )
    ],
)
ok(
    "61-cpp-ret-var",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [
                (
                    "repblk",
                    TRY61,
                    r"^\t\t}$",
                    "\t\tret = page_try_dup_anon_rmap(page, false, src_vma);\n\t\tif (unlikely(ret)) {\n\t\t\t/* Page maybe pinned, we have to copy. */\n\t\t\tput_page(page);\n\t\t\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t\t\t addr, rss, prealloc, page);\n\t\t}",
                ),
                ("ins", r"^\tstruct page \*page;", "\tint ret;"),
            ],
        )
    ],
)
ok(
    "61-cpp-goto-copy",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [
                (
                    "repblk",
                    r"^\t\t\tput_page\(page\);",
                    r"addr, rss, prealloc, page\);",
                    "\t\t\tgoto copy;",
                ),
                (
                    "ins",
                    r"^\treturn 0;$",
                    "\ncopy:\n\tput_page(page);\n\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t addr, rss, prealloc, page);",
                ),
            ],
        )
    ],
)
ok(
    "61-cpp-split-branches",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [
                (
                    "repblk",
                    r"^\t} else if \(page\) \{",
                    r"^\t}$",
                    "\t} else if (page) {\n\t\t/* file pages cannot be pinned for COW: no failure to handle */\n\t\tget_page(page);\n\t\tpage_dup_file_rmap(page, false);\n\t\trss[mm_counter(page)]++;\n\t}",
                )
            ],
        )
    ],
)
ok(
    "61-nonp-drop-bug-on",
    "6.1",
    [
        Edit(
            MEM,
            F61_NONP,
            [
                (
                    "sub",
                    r"BUG_ON\(page_try_dup_anon_rmap",
                    r"BUG_ON\((page_try_dup_anon_rmap\(page, false, src_vma\))\);",
                    r"\1;",
                )
            ],
        )
    ],
)
ok(
    "61-chp-comment",
    "6.1",
    [Edit(HUGE, F_CHP, [("sub", r"Page maybe pinned: split", r"maybe", "may be")])],
)
ok(
    "61-chp-unlock-helper",
    "6.1",
    [
        Edit(
            HUGE,
            F_CHP,
            [
                (
                    "repblk",
                    r"^\t\tpte_free\(dst_mm, pgtable\);",
                    r"^\t\tspin_unlock\(dst_ptl\);",
                    "\t\tpte_free(dst_mm, pgtable);\n\t\tspin_unlock(dst_ptl);\n\t\tspin_unlock(src_ptl);",
                )
            ],
        )
    ],
)
ok(
    "61-chp-folio-conv",
    "6.1",
    [
        Edit(
            HUGE,
            F_CHP,
            [
                (
                    "sub",
                    r"^\tget_page\(src_page\);",
                    r"get_page\(src_page\)",
                    "src_folio = page_folio(src_page);\n\tfolio_get(src_folio)",
                ),
                (
                    "sub",
                    TRYPMD61,
                    TRYPMD61,
                    "page_try_dup_anon_rmap(&src_folio->page, true, src_vma)",
                ),
                (
                    "sub",
                    r"^\t\tput_page\(src_page\);",
                    r"put_page\(src_page\)",
                    "folio_put(src_folio)",
                ),
                ("ins", r"^\tstruct page \*src_page;", "\tstruct folio *src_folio;"),
            ],
        )
    ],
)
ok(
    "61-htlb-comment",
    "6.1",
    [
        Edit(
            HTLB,
            F_HTLB,
            [
                (
                    "sub",
                    r"Failing to duplicate the anon rmap is a rare case",
                    r"rare case",
                    "rare case,",
                )
            ],
        )
    ],
)
ok(
    "61-htlb-else-brace",
    "6.1",
    [
        Edit(
            HTLB,
            F_HTLB,
            [
                (
                    "sub",
                    r"if \(!PageAnon\(ptepage\)\)",
                    r"!PageAnon\(ptepage\)",
                    "!PageAnon(ptepage) && true",
                )
            ],
        )
    ],
)
ok(
    "61-mig-comment",
    "6.1",
    [
        Edit(
            MIG,
            F_MIG,
            [
                (
                    "insb",
                    r"page_dup_file_rmap\(new, true\);",
                    "\t\t\t\t/* file hugetlb: the mapcount only */",
                )
            ],
        )
    ],
)
ok(
    "61-move-copy-present-page-comment",
    "6.1",
    [
        Edit(
            MEM,
            r"^copy_present_page\(",
            [("insb", r"^\{", "/* the caller holds the page table locks */")],
        )
    ],
)

ok(
    "612-ptes-comment",
    "6.12",
    [Edit(MEM, F612_CPP, [("sub", r"If we likely have to copy, just", r"just", "simply")])],
)
ok(
    "612-ptes-rewrap",
    "6.12",
    [
        Edit(
            MEM,
            F612_CPP,
            [
                (
                    "repblk",
                    TRYPTES,
                    r"nr, src_vma\)\)\) \{",
                    "\t\t\tif (unlikely(folio_try_dup_anon_rmap_ptes(folio, page, nr, src_vma))) {",
                )
            ],
        )
    ],
)
ok(
    "612-ptes-nr-var",
    "6.12",
    [Edit(MEM, F612_CPP, [("func", r"\bnr\b", "nr_pages"), ("func", r"max_nr_pages", "max_nr")])],
)
ok(
    "612-ptes-rename-folio",
    "6.12",
    [
        Edit(
            MEM,
            F612_CPP,
            [("func", r"\bfolio\b", "src_folio"), ("func", r"struct src_folio", "struct folio")],
        )
    ],
)
ok(
    "612-pte-err-var",
    "6.12",
    [Edit(MEM, F612_SINGLE, [("sub", r"return err \? err : 1;", r"err \? err : 1", "err ?: 1")])],
)
ok(
    "612-pte-comment",
    "6.12",
    [
        Edit(
            MEM,
            F612_SINGLE,
            [("sub", r"Page may be pinned, we have to copy", r"we have to copy", "copy it now")],
        )
    ],
)
ok(
    "612-pte-stat",
    "6.12",
    [
        Edit(
            MEM,
            F612_SINGLE,
            [("ins", r"^\t\trss\[MM_ANONPAGES\]\+\+;", "\t\tcount_vm_event(PGREUSE);")],
        )
    ],
)
ok(
    "612-nonp-comment",
    "6.12",
    [
        Edit(
            MEM,
            r"^copy_nonpresent_pte\(",
            [("sub", r"Cannot fail as these pages cannot get pinned", r"get pinned", "be pinned")],
        )
    ],
)
ok(
    "612-nonp-unlikely-rss",
    "6.12",
    [
        Edit(
            MEM,
            r"^copy_nonpresent_pte\( >> is_device_private_entry",
            [("sub", r"^\t\trss\[mm_counter\(folio\)\]\+\+;", r"\+\+", " += 1")],
        )
    ],
)
ok(
    "612-chp-comment",
    "6.12",
    [Edit(HUGE, F_CHP, [("sub", r"Page maybe pinned: split", r"maybe", "may be")])],
)
ok("612-chp-rename", "6.12", [Edit(HUGE, F_CHP, [("func", r"\bsrc_folio\b", "folio")])])
ok(
    "612-chp-split-label",
    "6.12",
    [
        Edit(
            HUGE,
            F_CHP + " >> " + TRYPMD,
            [
                (
                    "repblk",
                    r"^\t\tpte_free\(dst_mm, pgtable\);$",
                    r"^\t\treturn -EAGAIN;",
                    "\t\tgoto split;",
                ),
                (
                    "ins",
                    r"^\treturn ret;$",
                    "split:\n\tpte_free(dst_mm, pgtable);\n\tspin_unlock(src_ptl);\n\tspin_unlock(dst_ptl);\n\t__split_huge_pmd(src_vma, src_pmd, addr, false, NULL);\n\treturn -EAGAIN;",
                ),
            ],
        )
    ],
)
ok(
    "612-htlb-comment",
    "6.12",
    [
        Edit(
            HTLB,
            F_HTLB,
            [
                (
                    "sub",
                    r"Failing to duplicate the anon rmap is a rare case",
                    r"rare case",
                    "rare case,",
                )
            ],
        )
    ],
)
ok("612-htlb-rename", "6.12", [Edit(HTLB, F_HTLB, [("func", r"\bpte_folio\b", "src_folio")])])
ok(
    "615-pte-comment",
    "6.15",
    [
        Edit(
            MEM,
            F612_SINGLE,
            [("sub", r"Page may be pinned, we have to copy", r"we have to copy", "copy it now")],
        )
    ],
)
ok("615-chp-rename", "6.15", [Edit(HUGE, F_CHP, [("func", r"\bsrc_folio\b", "folio")])])


# ---------------- more correct changes: near the new patch-mode heuristics ----------------
ok(
    "61-cpp-hoist-get",
    "6.1",
    [
        Edit(
            MEM,
            F61_CPP,
            [
                ("del", r"^\t\tget_page\(page\);"),
                ("del", r"^\t\tget_page\(page\);"),
                (
                    "insb",
                    r"^\tif \(page && PageAnon\(page\)\) \{",
                    "\tif (page)\n\t\tget_page(page);",
                ),
            ],
        )
    ],
)
ok(
    "612-htlb-ref-inc",
    "6.12",
    [
        Edit(
            HTLB,
            F_HTLB,
            [("sub", r"^\t\t\tfolio_get\(pte_folio\);", r"folio_get", "folio_ref_inc")],
        )
    ],
)
ok(
    "612-ptes-put-refs",
    "6.12",
    [
        Edit(
            MEM,
            F612_CPP,
            [("sub", r"folio_ref_sub\(folio, nr\);", r"folio_ref_sub", "folio_put_refs")],
        )
    ],
)
ok(
    "612-pte-put-refs-1",
    "6.12",
    [
        Edit(
            MEM,
            F612_SINGLE,
            [
                (
                    "sub",
                    r"^\t\t\tfolio_put\(folio\);",
                    r"folio_put\(folio\)",
                    "folio_put_refs(folio, 1)",
                )
            ],
        )
    ],
)
ok(
    "612-chp-anon-test-to-caller",
    "6.12",
    [
        Edit(
            HUGE,
            F_CHP,
            [("delblk", r"^\t/\* Skip if can be re-fill on fault \*/", r"^\t\treturn 0;$")],
        ),
        Edit(
            MEM,
            r"^copy_pmd_range\(",
            [
                (
                    "insb",
                    r"^\t\t\terr = copy_huge_pmd\(",
                    "\t\t\tif (!vma_is_anonymous(dst_vma))\n\t\t\t\tcontinue;",
                )
            ],
        ),
    ],
)
ok(
    "612-ptes-drop-exclusive-warn",
    "6.12",
    [Edit(MEM, F612_CPP, [("del", r"VM_WARN_ON_FOLIO\(PageAnonExclusive\(page\), folio\);")])],
)
ok(
    "612-htlb-anon-comment",
    "6.12",
    [
        Edit(
            HTLB,
            F_HTLB,
            [
                (
                    "sub",
                    r"if \(!folio_test_anon\(pte_folio\)\) \{",
                    r"\{$",
                    "{ /* file-backed hugetlb */",
                )
            ],
        )
    ],
)
ok(
    "61-nonp-comment",
    "6.1",
    [
        Edit(
            MEM,
            F61_NONP + r" >> is_device_private_entry",
            [("insb", r"^\t\tget_page\(page\);", "\t\t/* the child maps the device page too */")],
        )
    ],
)
ok(
    "612-pte-ret-tested",
    "6.12",
    [
        Edit(
            MEM,
            F612_SINGLE,
            [
                (
                    "repblk",
                    TRYPTE,
                    r"^\t\t\tfolio_put\(folio\);",
                    "\t\terr = folio_try_dup_anon_rmap_pte(folio, page, src_vma);\n\t\tif (unlikely(err)) {\n\t\t\t/* Page may be pinned, we have to copy. */\n\t\t\tfolio_put(folio);",
                )
            ],
        )
    ],
)
ok(
    "612-ptes-move-ref-up-comment",
    "6.12",
    [
        Edit(
            MEM,
            F612_CPP,
            [
                (
                    "insb",
                    r"^\t\tfolio_ref_add\(folio, nr\);",
                    "\t\t/* one reference per PTE we are about to map */",
                )
            ],
        )
    ],
)
ok(
    "61-chp-ref-comment",
    "6.1",
    [
        Edit(
            HUGE,
            F_CHP,
            [
                (
                    "insb",
                    r"^\tget_page\(src_page\);",
                    "\t/* reference first, then the mapcount: see page_try_dup_anon_rmap() */",
                )
            ],
        )
    ],
)


def correct() -> list[Case]:
    out: list[Case] = []
    for id_, base, edits in CORRECT:
        path = edits[0].path
        for fmt in ("U3", "U10", "W"):
            out.append(
                Case(
                    f"ok-{id_}.{fmt}",
                    "ok:" + id_.split("-", 1)[1],
                    base,
                    [Commit("mm: tidy up " + path.split("/")[-1], edits)],
                    None,
                    fmt,
                )
            )
        out.append(
            Case(
                f"ok-{id_}.U3+noise",
                "ok:" + id_.split("-", 1)[1],
                base,
                [Commit("mm: tidy up", [*edits, OTHER_FILE])],
                None,
                "U3",
            )
        )
    return out


# ---------------- series ----------------
def series() -> list[Case]:
    out: list[Case] = []
    p1 = Commit(
        "mm/memory: fix a comment in copy_present_pte",
        [Edit(MEM, F61_CPP, [("sub", r"Page maybe pinned, we have to copy", r"maybe", "may be")])],
    )
    # rename a static helper, then call the old name
    ren = Commit(
        "mm/memory: rename copy_present_page()",
        [
            Edit(
                MEM,
                r"^copy_present_page\(",
                [("sub", r"^copy_present_page\(", r"copy_present_page", "copy_present_anon_page")],
            ),
            Edit(
                MEM,
                F61_CPP,
                [
                    (
                        "sub",
                        r"return copy_present_page\(",
                        r"copy_present_page",
                        "copy_present_anon_page",
                    )
                ],
            ),
        ],
    )
    late = Commit(
        "mm/memory: copy pinned device pages early",
        [
            Edit(
                MEM,
                F61_NONP + r" >> is_device_private_entry",
                [
                    (
                        "insb",
                        r"^\t\tget_page\(page\);",
                        "\t\tif (unlikely(page_maybe_dma_pinned(page)))\n\t\t\treturn copy_present_page(dst_vma, src_vma, dst_pte, src_pte,\n\t\t\t\t\t\t addr, rss, NULL, page);",
                    )
                ],
            )
        ],
    )
    out.append(
        Case(
            "ser-61-rename-static-then-call", "series:rename-static", "6.1", [p1, ren, late], SERIES
        )
    )
    # remove page_dup_file_rmap from rmap.h (rename), convert memory.c, patch 3 adds a call
    rn = Commit(
        "mm/rmap: rename page_dup_file_rmap() to page_dup_file_rmap_compound()",
        [
            Edit(
                RMAPH,
                r"^static inline void page_dup_file_rmap\(",
                [
                    (
                        "sub",
                        r"page_dup_file_rmap\(",
                        r"page_dup_file_rmap",
                        "page_dup_file_rmap_compound",
                    )
                ],
            ),
            Edit(
                MEM,
                F61_CPP,
                [
                    (
                        "sub",
                        r"page_dup_file_rmap\(page, false\);",
                        r"page_dup_file_rmap",
                        "page_dup_file_rmap_compound",
                    )
                ],
            ),
        ],
    )
    late2 = Commit(
        "mm/hugetlb: take the file rmap in one place",
        [
            Edit(
                HTLB,
                F61_NOPAGE,
                [
                    (
                        "repblk",
                        r"^\tif \(anon_rmap\) \{",
                        r"page_dup_file_rmap\(page, true\);",
                        "\tif (anon_rmap) {\n\t\tClearHPageRestoreReserve(page);\n\t\thugepage_add_new_anon_rmap(page, vma, haddr);\n\t} else {\n\t\tpage_dup_file_rmap(page, true);\n\t}",
                    )
                ],
            )
        ],
    )
    out.append(
        Case("ser-61-rename-api-then-call", "series:rename-api", "6.1", [p1, rn, late2], SERIES)
    )
    # 6.12: remove a folio helper, patch 3 still calls it in an added line
    rm = Commit(
        "mm/rmap: drop folio_dup_file_rmap_pmd()",
        [
            Edit(
                RMAPH,
                r"^static inline void folio_dup_file_rmap_pmd\(",
                [("delblk", r"^static inline void folio_dup_file_rmap_pmd\(", r"^}$")],
            ),
        ],
    )
    p1b = Commit(
        "mm/memory: fix a comment in copy_present_ptes",
        [Edit(MEM, F612_CPP, [("sub", r"If we likely have to copy, just", r"just", "simply")])],
    )
    late3 = Commit(
        "mm/huge_memory: map file PMDs at fork",
        [
            Edit(
                HUGE,
                F_CHP,
                [
                    (
                        "insb",
                        r"^\tfolio_get\(src_folio\);",
                        "\tif (!folio_test_anon(src_folio)) {\n\t\tfolio_get(src_folio);\n\t\tfolio_dup_file_rmap_pmd(src_folio, src_page);\n\t\tgoto out_zero_page;\n\t}",
                    )
                ],
            )
        ],
    )
    out.append(
        Case("ser-612-remove-then-call", "series:remove-api", "6.12", [p1b, rm, late3], SERIES)
    )
    # 6.12: rename a static function in huge_memory.c; patch 3 adds a caller of the old name
    ren2 = Commit(
        "mm/huge_memory: rename set_huge_zero_folio()",
        [
            Edit(
                HUGE,
                r"^static void set_huge_zero_folio\(",
                [
                    (
                        "sub",
                        r"^static void set_huge_zero_folio\(",
                        r"set_huge_zero_folio",
                        "map_huge_zero_folio",
                    )
                ],
            ),
            Edit(
                HUGE,
                r"^static vm_fault_t do_huge_pmd_anonymous_page\(|^vm_fault_t do_huge_pmd_anonymous_page\(",
                [("func", r"\bset_huge_zero_folio\(", "map_huge_zero_folio(")],
            ),
            Edit(
                HUGE,
                r"^int copy_huge_pmd\(",
                [("func", r"\bset_huge_zero_folio\(", "map_huge_zero_folio(")],
            ),
        ],
    )
    out.append(
        Case(
            "ser-612-rename-static-then-call",
            "series:rename-static",
            "6.12",
            [
                p1b,
                ren2,
                Commit(
                    "mm/huge_memory: comment",
                    [
                        Edit(
                            HUGE,
                            F_CHP,
                            [
                                (
                                    "ins",
                                    r"mm_get_huge_zero_folio\(dst_mm\);",
                                    "\t\tset_huge_zero_folio(pgtable, dst_mm, dst_vma, addr, dst_pmd, NULL);",
                                )
                            ],
                        )
                    ],
                ),
            ],
            SERIES,
        )
    )
    # correct series: rename with every caller converted
    out.append(Case("ok-ser-61-rename-static", "ok:series-rename", "6.1", [p1, ren], None))
    out.append(
        Case(
            "ok-ser-61-rename-api-all",
            "ok:series-rename",
            "6.1",
            [
                p1,
                Commit(
                    "mm/rmap: rename page_dup_file_rmap()",
                    [
                        Edit(
                            RMAPH,
                            r"^static inline void page_dup_file_rmap\(",
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                        Edit(
                            MEM,
                            F61_CPP,
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(page, false\);",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                        Edit(
                            HTLB,
                            F_HTLB,
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(ptepage, true\);",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                        Edit(
                            HTLB,
                            F61_NOPAGE,
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(page, true\);",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                        Edit(
                            HTLB,
                            F61_MCOPY,
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(page, true\);",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                        Edit(
                            MIG,
                            F_MIG,
                            [
                                (
                                    "sub",
                                    r"page_dup_file_rmap\(new, true\);",
                                    r"page_dup_file_rmap",
                                    "page_dup_file_rmap_compound",
                                )
                            ],
                        ),
                    ],
                ),
            ],
            None,
        )
    )
    return out


def all_cases() -> list[Case]:
    return mutated() + correct() + series()


if __name__ == "__main__":
    # `make bench` runs every script here: say what this one is instead of nothing.
    print(f"data module of rmap_mutations.py ({len(all_cases())} cases): nothing to run")
