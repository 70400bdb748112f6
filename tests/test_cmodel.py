from reviewbot.analyze.cmodel import file_fragment, file_view, section_function
from reviewbot.parse.diff import parse_diff

DIFF = """\
diff --git a/mm/memory.c b/mm/memory.c
--- a/mm/memory.c
+++ b/mm/memory.c
@@ -960,9 +960,10 @@ copy_present_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
 		 * future.
 		 */
-		get_page(page);
 		if (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {
 			/* Page maybe pinned, we have to copy. */
 			put_page(page);
 			return copy_present_page(dst_vma, src_vma, dst_pte, src_pte,
 						 addr, rss, prealloc, page);
 		}
+		get_page(page);   /* page_dup_rmap(page) in a comment */
+		pr_info("page_dup_rmap(%p)\\n", page);
 		rss[mm_counter(page)]++;
"""


def test_hunk_fragment_line_maps_and_calls() -> None:
    (diff,) = parse_diff(DIFF)
    view = file_view(diff)
    calls = list(view.calls())
    names = [(c.callee, c.line, c.added) for c in calls]
    assert ("page_try_dup_anon_rmap", 962, False) in names
    assert ("put_page", 964, False) in names
    assert ("get_page", 968, True) in names
    assert ("pr_info", 969, True) in names
    # comments and strings are not calls
    assert not any(c.callee == "page_dup_rmap" for c in calls)
    # the hunk starts inside a block: the function comes from the hunk header
    assert {c.function for c in calls} == {"copy_present_pte"}
    get = next(c for c in calls if c.callee == "get_page")
    assert get.args == ("page",)
    assert not get.fragment.sees_whole_function(get.node)


def test_pre_image_sees_removed_lines() -> None:
    (diff,) = parse_diff(DIFF)
    removed = [(c.callee, c.line, c.added) for c in file_view(diff).removed_calls()]
    assert ("get_page", 962, True) in removed  # "added" on the pre side means removed


def test_whole_file_fragment_names_functions_and_survives_errors() -> None:
    src = b"""static int f(struct page *page)
{
\tlist_for_each_entry(vma, &mm->mmap, list) {
\t\tget_page(page);
\t}
\treturn folio_try_dup_anon_rmap_pte(folio, page, src_vma);
}
"""
    frag = file_fragment("mm/x.c", src, frozenset({4}))
    calls = {c.callee: c for c in frag.calls()}
    assert calls["get_page"].line == 4 and calls["get_page"].added
    assert calls["folio_try_dup_anon_rmap_pte"].function == "f"
    assert calls["folio_try_dup_anon_rmap_pte"].args == ("folio", "page", "src_vma")


def test_section_function() -> None:
    assert section_function("int copy_huge_pmd(struct mm_struct *dst_mm,") == "copy_huge_pmd"
    assert (
        section_function("static inline bool is_cow_mapping(vm_flags_t flags)") == "is_cow_mapping"
    )
    assert section_function("struct foo {") is None


def test_brace_balance_ignores_comments_strings_and_chars() -> None:
    from reviewbot.analyze.cmodel import _unmatched

    def balance(lines: list[str]) -> tuple[int, int]:
        closers, still_open = _unmatched("\n".join(lines))
        return len(closers), still_open

    assert balance(["}", 'x = "{"; /* { */ {', "a; } }", "// {", "c = '{';", "{"]) == (2, 1)
    assert balance(["/* see http://x/{ */ {", "}}"]) == (1, 0)
    assert balance(["/* don't { */ f();"]) == (0, 0)


def test_hunk_starting_at_an_else_keeps_the_function_from_the_header() -> None:
    from reviewbot.analyze.cmodel import fragment_from_lines
    from reviewbot.parse.diff import Line

    text = [
        "\t} else if (page) {",
        "\t\tget_page(page);",
        "\t\tpage_dup_file_rmap(page, false);",
        "\t}",
    ]
    lines = [Line(" ", t, n, n) for n, t in enumerate(text, 40)]
    frag = fragment_from_lines(
        "mm/memory.c", "post", lines, "copy_present_pte(struct vm_area_struct *dst_vma,"
    )
    calls = {c.callee: c for c in frag.calls()}
    assert not frag.root.has_error
    assert calls["page_dup_file_rmap"].function == "copy_present_pte"
    assert calls["page_dup_file_rmap"].line == 42


def test_hunk_starting_at_a_braceless_else_keeps_its_call() -> None:
    from reviewbot.analyze.cmodel import fragment_from_lines
    from reviewbot.parse.diff import Line

    text = ["\telse", "\t\tpage_dup_file_rmap(page, false);", "\treturn 0;"]
    lines = [Line(" ", t, n, n) for n, t in enumerate(text, 10)]
    frag = fragment_from_lines("mm/memory.c", "post", lines, "int f(struct page *page)")
    assert [(c.callee, c.line) for c in frag.calls()] == [("page_dup_file_rmap", 11)]


def test_a_function_cut_by_the_hunk_is_not_whole() -> None:
    from reviewbot.analyze.cmodel import fragment_from_lines
    from reviewbot.parse.diff import Line

    cut = ["static int f(struct page *page)", "{", "\tget_page(page);"]
    whole = [*cut, "\treturn 0;", "}"]
    for text, expected in ((cut, False), (whole, True)):
        lines = [Line(" ", t, n, n) for n, t in enumerate(text, 1)]
        frag = fragment_from_lines("mm/x.c", "post", lines)
        (call,) = frag.calls()
        assert frag.sees_whole_function(call.node) is expected


def test_an_else_whose_if_is_above_the_hunk_keeps_its_call() -> None:
    from reviewbot.analyze.cmodel import fragment_from_lines
    from reviewbot.parse.diff import Line

    text = [
        "\t\t\t\thugepage_add_anon_rmap(new, vma, pvmw.address,",
        "\t\t\t\t\t\t       rmap_flags);",
        "\t\t\telse",
        "\t\t\t\tpage_dup_rmap(new, true);",
        "\t\t\tset_huge_pte_at(vma->vm_mm, pvmw.address, pvmw.pte, pte);",
    ]
    lines = [Line(" ", t, n, n) for n, t in enumerate(text, 245)]
    frag = fragment_from_lines("mm/migrate.c", "post", lines)
    calls = {c.callee: c for c in frag.calls()}
    assert calls["page_dup_rmap"].line == 248 and calls["page_dup_rmap"].args == ("new", "true")
    assert frag.text(calls["page_dup_rmap"].node) == "page_dup_rmap(new, true)"
