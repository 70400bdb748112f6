"""The C flow helpers and the rmap tables the mm rule pack stands on."""

from __future__ import annotations

from pathlib import Path

import pytest
from reviewbot_rules.mm.dup_site import (
    implied_atoms,
    object_name,
    page_kind_at,
    removals,
    rewrites_function,
)
from reviewbot_rules.mm.rmap_api import (
    DUP_FUNCTIONS,
    ERA_MARKERS,
    CallShape,
    call_era,
    is_api_internal,
    replacement,
)

from reviewbot import sources
from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call, file_fragment, file_view
from reviewbot.analyze.symbols import definitions, symbols
from reviewbot.engine.rule import PatchContext
from reviewbot.kernel import KernelVersion
from reviewbot.parse.diff import parse_diff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"

SRC = b"""static int copy(struct vm_area_struct *src_vma, struct folio *folio,
		struct page *page, int nr)
{
	int err;

	if (!folio_test_anon(folio)) {
		folio_dup_file_rmap_pte(folio, page);
		return 0;
	}
	folio_get(folio);
	if (unlikely(folio_try_dup_anon_rmap_pte(folio, page, src_vma))) {
		folio_put(folio);
		return -EAGAIN;
	}
	err = folio_try_dup_anon_rmap_ptes(folio, page, nr, src_vma);
	if (!err)
		goto out;
	BUG_ON(folio_try_dup_anon_rmap_pmd(folio, page, src_vma));
	(void)hugetlb_try_dup_anon_rmap(folio, src_vma);
	folio_try_dup_anon_rmap_pte(folio, page, src_vma);
out:
	folio_put(folio);
	return err;
}
"""


def _calls(name: str) -> list[Call]:
    frag = file_fragment("mm/x.c", SRC)
    return [c for c in flow.all_calls(frag) if c.callee == name]


def test_result_use_kinds() -> None:
    pte = _calls("folio_try_dup_anon_rmap_pte")
    assert flow.result_use(pte[0].node).kind == "condition"
    assert flow.result_use(pte[1].node).kind == "dropped"
    ptes = flow.result_use(_calls("folio_try_dup_anon_rmap_ptes")[0].node)
    assert (ptes.kind, ptes.target) == ("assigned", "err")
    assert flow.result_use(_calls("folio_try_dup_anon_rmap_pmd")[0].node).kind == "asserted"
    assert flow.result_use(_calls("hugetlb_try_dup_anon_rmap")[0].node).kind == "void"


def test_branches_on_direct_and_through_a_variable() -> None:
    direct = flow.branches_on(_calls("folio_try_dup_anon_rmap_pte")[0].node)
    assert direct is not None and direct.nonzero is not None
    assert "folio_put" in flow.text(direct.nonzero)
    via = flow.branches_on(_calls("folio_try_dup_anon_rmap_ptes")[0].node)
    # ``if (!err) goto out;``: the goto is the zero (success) branch
    assert via is not None and via.zero is not None and flow.text(via.zero) == "goto out;"
    assert via.nonzero is None


def test_order_and_reach() -> None:
    get = _calls("folio_get")[0]
    try_pte = _calls("folio_try_dup_anon_rmap_pte")[0]
    file_dup = _calls("folio_dup_file_rmap_pte")[0]
    put_fail = _calls("folio_put")[0]
    assert flow.can_reach(get.node, try_pte.node)
    assert flow.dominates(get.node, try_pte.node)
    assert not flow.can_reach(file_dup.node, try_pte.node)  # that branch returns
    assert not flow.can_reach(try_pte.node, get.node)
    assert not flow.dominates(put_fail.node, _calls("folio_try_dup_anon_rmap_ptes")[0].node)


def test_known_facts_anon_after_early_return() -> None:
    frag = file_fragment("mm/x.c", SRC)
    try_pte = _calls("folio_try_dup_anon_rmap_pte")[0]
    scope = flow.function_scope(try_pte.node)
    kind, fact = page_kind_at(try_pte.node, {"folio", "page"}, scope)
    assert kind == "anon" and fact is not None and fact.source == "early-exit"
    file_dup = _calls("folio_dup_file_rmap_pte")[0]
    assert page_kind_at(file_dup.node, {"folio"}, scope)[0] == "file"
    assert frag.complete


def test_exits_and_labels() -> None:
    try_pte = _calls("folio_try_dup_anon_rmap_pte")[0]
    br = flow.branches_on(try_pte.node)
    assert br is not None and br.nonzero is not None
    assert [e.type for e in flow.exits_within(br.nonzero)] == ["return_statement"]
    assert "out" in flow.labels(flow.function_scope(try_pte.node))


def test_orphan_else_in_a_hunk_is_still_a_call() -> None:
    diff = """\
diff --git a/mm/migrate.c b/mm/migrate.c
--- a/mm/migrate.c
+++ b/mm/migrate.c
@@ -245,7 +245,7 @@ static bool remove_migration_pte(struct folio *folio,
 				hugepage_add_anon_rmap(new, vma, pvmw.address,
 						       rmap_flags);
 			else
-				page_dup_file_rmap(new, true);
+				page_dup_rmap(new, true);
 			set_huge_pte_at(vma->vm_mm, pvmw.address, pvmw.pte, pte);
 		} else
 #endif
"""
    (fd,) = parse_diff(diff)
    (frag,) = file_view(fd).post
    calls = {(c.callee, c.line, c.added) for c in flow.all_calls(frag)}
    assert ("page_dup_rmap", 248, True) in calls


@pytest.mark.parametrize(
    ("expr", "name"),
    [
        ("&folio->page", "folio"),
        ("page_folio(page)", "page"),
        ("(struct page *)src_page", "src_page"),
        ("folio_page(folio, 0)", "folio"),
        (" ptepage ", "ptepage"),
    ],
)
def test_object_name(expr: str, name: str) -> None:
    assert object_name(expr) == name


def test_era_markers_cover_every_dup_function_and_arity() -> None:
    assert set(DUP_FUNCTIONS) <= set(ERA_MARKERS)
    assert KernelVersion(5, 18) in ERA_MARKERS["page_dup_rmap"]
    assert KernelVersion(6, 1) not in ERA_MARKERS["page_dup_rmap"]
    assert KernelVersion(6, 7) in ERA_MARKERS["page_try_dup_anon_rmap"]
    assert KernelVersion(6, 8) not in ERA_MARKERS["page_needs_cow_for_dma"]
    assert KernelVersion(6, 12) in ERA_MARKERS["folio_try_dup_anon_rmap_ptes"]
    old = call_era("folio_try_dup_anon_rmap_pte", 3)
    new = call_era("folio_try_dup_anon_rmap_pte", 4)
    assert old is not None and KernelVersion(6, 12) in old and KernelVersion(6, 15) not in old
    assert new is not None and KernelVersion(6, 15) in new
    assert call_era("hugetlb_try_dup_anon_rmap", 2) == ERA_MARKERS["hugetlb_try_dup_anon_rmap"]


def test_replacements_name_the_right_function_per_era_and_kind() -> None:
    v61, v612, v615 = KernelVersion(6, 1), KernelVersion(6, 12), KernelVersion(6, 15)
    anon_pte = CallShape(kind="anon", compound=False)
    assert replacement("page_dup_rmap", v61, anon_pte).startswith(
        "page_try_dup_anon_rmap(page, false, src_vma)"
    )
    assert replacement("page_dup_rmap", v61, CallShape(kind="file")).startswith(
        "page_dup_file_rmap(page, compound)"
    )
    assert "folio_try_dup_anon_rmap_pte(folio, page, src_vma)" in replacement(
        "page_try_dup_anon_rmap", v612, CallShape(compound=False)
    )
    assert "folio_try_dup_anon_rmap_pmd(folio, page, dst_vma, src_vma)" in replacement(
        "page_try_dup_anon_rmap", v615, CallShape(compound=True)
    )
    assert "hugetlb_add_file_rmap(folio)" in replacement(
        "page_dup_file_rmap", v612, CallShape(hugetlb=True, compound=True)
    )
    assert "page_dup_file_rmap(page, false)" in replacement(
        "folio_dup_file_rmap_pte", v61, CallShape()
    )


def test_api_internals() -> None:
    assert is_api_internal("__folio_try_dup_anon_rmap")
    assert is_api_internal("page_dup_file_rmap")
    assert not is_api_internal("copy_present_ptes")
    assert not is_api_internal(None)


def test_symbols_rename_prototype_and_fallback() -> None:
    diff = "\n".join(
        [
            "diff --git a/include/linux/rmap.h b/include/linux/rmap.h",
            "--- a/include/linux/rmap.h",
            "+++ b/include/linux/rmap.h",
            "@@ -10,12 +10,8 @@",
            "-static inline void old_name(struct page *page)",
            "+static inline void new_name(struct page *page)",
            " {",
            " \tatomic_inc(&page->_mapcount);",
            " }",
            " ",
            "-static inline void moved_out(struct page *page)",
            "-{",
            "-}",
            "+void moved_out(struct page *page);",
            " ",
            "-#ifndef fallback",
            "-#define fallback(x) (x)",
            "-#endif",
            "+int unrelated(void);",
            "",
        ]
    )
    syms = symbols([file_view(fd) for fd in parse_diff(diff)])
    assert set(syms.gone) == {"old_name"}
    assert "new_name" in syms.introduced


def test_the_flow_index_answers_as_one_off_questions_do() -> None:
    """The per-fragment tables change how fast the answers come, not what they are."""
    frag = file_fragment("mm/x.c", SRC)
    index = flow.index_of(frag)
    assert flow.index_of(frag) is index  # built once, kept by the fragment
    calls = flow.all_calls(frag)
    for call in calls:
        node = call.node
        assert flow.known_facts(node, index) == flow.known_facts(node)
        assert flow.following_statements(flow.statement_of(node), index) == (
            flow.following_statements(flow.statement_of(node))
        )
        for other in calls:
            assert flow.can_reach(node, other.node, index) == flow.can_reach(node, other.node)
    scope = flow.function_scope(calls[0].node)
    assert flow.assignments(scope, "err", index) == flow.assignments(scope, "err")
    assert [c.callee for c in index.calls({"folio_put"}, scope)] == ["folio_put", "folio_put"]
    # a filter keeps only what its caller can use: here, the early return's anon test
    try_pte = _calls("folio_try_dup_anon_rmap_pte")[0]
    anon = flow.known_facts(try_pte.node, index, lambda f, i: "anon" in flow.text(f.cond))
    assert [(flow.text(f.cond), f.value, f.source) for f in anon] == [
        ("(!folio_test_anon(folio))", False, "early-exit")
    ]


DEPTH = 3000


def test_walks_keep_their_own_stack_on_deeply_nested_code() -> None:
    """Python recursion stops near 1,000 frames; a patch can nest far deeper."""
    deep_call = "(" * DEPTH + "page_dup_rmap(page, false)" + ")" * DEPTH
    conjunction = " && ".join(["PageAnon(page)", *(f"c{i}" for i in range(DEPTH))])
    chain = " else ".join(f"if (x == {i}) return {i};" for i in range(DEPTH)) + " else return -1;"
    src = (
        "static int deep(struct page *page, int x)\n{\n"
        f"\tint err = {deep_call};\n"
        f"\tif ({conjunction})\n"
        "\t\tpage_try_dup_anon_rmap(page, false, vma);\n"
        f"\t{chain}\n"
        "out:\n"
        "\treturn err;\n}\n"
    ).encode()
    frag = file_fragment("mm/deep.c", src)
    index = flow.index_of(frag)
    (stale,) = [c for c in flow.all_calls(frag) if c.callee == "page_dup_rmap"]
    (try_dup,) = [c for c in flow.all_calls(frag) if c.callee == "page_try_dup_anon_rmap"]
    scope = flow.function_scope(stale.node)
    assert [d.name for d in definitions(frag)] == ["deep"]
    assert flow.result_use(stale.node).kind == "assigned"
    assert flow.can_reach(stale.node, try_dup.node, index)
    assert flow.lowest_common_ancestor(stale.node, try_dup.node) is not None
    assert [v for _, v in flow.assignments(scope, "err", index)] != []
    assert flow.declares(scope, "err") is not None
    assert "out" in flow.labels(scope)
    (fact,) = flow.known_facts(try_dup.node, index)
    assert len(implied_atoms(fact.cond, fact.value)) == DEPTH + 1
    assert page_kind_at(try_dup.node, {"page"}, scope, index)[0] == "anon"
    body = scope.child_by_field_name("body")
    assert body is not None
    chain_stmt = body.named_children[2]  # if (x == 0) return 0; else if ...
    assert flow.ends_with_exit(chain_stmt)
    assert len(flow.exits_within(chain_stmt)) == DEPTH + 1
    assert sum(1 for _ in flow.preorder(frag.root)) > 3 * DEPTH


def test_removals_say_where_the_removed_call_was_and_what_else_changed() -> None:
    """The removed-line evidence that ref-before-dup and dup-anon-only share."""
    fixture = FIXTURES / "MM004" / "copy-present-pte-drops-pageanon-test-6.1.patch"
    series = sources.load_series(str(fixture), lore_url="http://127.0.0.1:9", stdin=None)
    ctx = PatchContext(series, series.patches[0], KernelVersion(6, 1))
    (gone,) = removals(ctx, {"PageAnon", "get_page"})  # get_page() is only context
    assert (gone.call.callee, gone.call.line, gone.line, gone.view.path, gone.index) == (
        "PageAnon",
        958,
        958,
        "mm/memory.c",
        0,
    )
    assert gone.pre is gone.pairs[gone.index][1]
    assert gone.call.function == "copy_present_pte"
    # the hunk changes nothing else in the function: the removal stands alone
    assert not rewrites_function(gone.pairs, gone.call.function, lambda c: True)
