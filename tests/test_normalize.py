"""Kernel C normalisation: every idiom parses cleanly, and nothing moves."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import tree_sitter

from reviewbot.analyze import idioms as idiom_table
from reviewbot.analyze.cmodel import file_fragment, function_definition_name, parse
from reviewbot.analyze.normalize import IDIOMS, Idiom, Kind, idiom_for, normalize, register
from reviewbot.errors import ConfigError

# Words the rewrites write that are not in the source.
SYNTHESISED = {b"while", b"long", b"sizeof"}


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(cur.children))


def problems(source: bytes) -> list[str]:
    """The ERROR and MISSING nodes of a parse, as `row:col type` strings."""
    return [
        f"{n.start_point.row}:{n.start_point.column} {'MISSING ' if n.is_missing else ''}{n.type}"
        for n in walk(parse(source).root_node)
        if n.type == "ERROR" or n.is_missing
    ]


def assert_offsets_kept(source: bytes, out: bytes) -> None:
    assert len(out) == len(source)
    assert [i for i, b in enumerate(out) if b == 0x0A] == [
        i for i, b in enumerate(source) if b == 0x0A
    ]


def assert_identifiers_real(source: bytes, out: bytes) -> None:
    """Every name in the normalised parse is the source's text at the same offsets."""
    for node in walk(parse(out).root_node):
        if node.type not in ("identifier", "type_identifier", "field_identifier"):
            continue
        text = out[node.start_byte : node.end_byte]
        real = source[node.start_byte : node.end_byte]
        joined = re.sub(rb"\s+", b"_", real)  # `unsigned long` -> `unsigned_long`
        assert text in (real, joined) or text in SYNTHESISED, (text, real)


def calls(source: bytes) -> dict[str, list[tuple[int, int]]]:
    """Callee name -> (row, column) of each call_expression of the normalised parse."""
    return raw_calls(normalize(source))


def raw_calls(source: bytes) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for node in walk(parse(source).root_node):
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "identifier":
                name = (fn.text or b"").decode()
                out.setdefault(name, []).append((fn.start_point.row, fn.start_point.column))
    return out


def position(source: bytes, needle: bytes, nth: int = 0) -> tuple[int, int]:
    """(row, column) of the nth occurrence of ``needle`` in ``source``."""
    at = -1
    for _ in range(nth + 1):
        at = source.index(needle, at + 1)
    line_start = source.rfind(b"\n", 0, at) + 1
    return source.count(b"\n", 0, at), at - line_start


def clean(source: bytes) -> bytes:
    out = normalize(source)
    assert_offsets_kept(source, out)
    assert problems(out) == []
    assert_identifiers_real(source, out)
    return out


# --- the table ----------------------------------------------------------------------


def test_table_is_well_formed() -> None:
    names = [i.name for i in IDIOMS]
    assert len(names) == len(set(names))
    for idiom in IDIOMS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", idiom.name)
        assert idiom.example.strip() and idiom.why.strip()
        re.compile(idiom.pattern)
    assert {i.kind for i in IDIOMS} == set(Kind)


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.name for i in IDIOMS])
def test_each_idiom_example_needs_the_pass_and_parses_after_it(idiom: Idiom) -> None:
    source = idiom.example.encode()
    assert problems(source), "the example parses raw: it shows nothing"
    out = clean(source)
    assert normalize(out) == out  # idempotent


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.name for i in IDIOMS])
def test_each_idiom_example_keeps_every_call_in_place(idiom: Idiom) -> None:
    # Every call the raw parse sees, but for the idiom macros themselves, is still a
    # call at the same row and column after normalisation.
    source = idiom.example.encode()
    raw = raw_calls(source)
    kept = calls(source)
    # compat_arg_u64_dual(offset) expands to parameters: a parameter, not a call, now.
    for name, places in raw.items():
        if idiom_for(name) is None and name != "compat_arg_u64_dual":
            assert set(places) <= set(kept.get(name, [])), name


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.name for i in IDIOMS])
def test_each_idiom_survives_being_cut_anywhere(idiom: Idiom) -> None:
    # Hunks are fragments: a pass over a text cut mid-comment, mid-call or mid-directive
    # must neither raise nor move anything.
    source = idiom.example.encode()
    for cut in range(0, len(source), 3):
        for piece in (source[:cut], source[cut:]):
            assert_offsets_kept(piece, normalize(piece))


SECTION = sorted(
    set(idiom_table.SECTION_WORDS + idiom_table.SPARSE_WORDS + idiom_table.ATTRIBUTE_WORDS)
)


@pytest.mark.parametrize("word", SECTION)
def test_every_attribute_word_is_blanked(word: str) -> None:
    source = f"static int {word} *frob(int {word} *x)\n{{\n\treturn bar(x);\n}}\n".encode()
    clean(source)
    assert calls(source)["bar"] == [position(source, b"bar")]


@pytest.mark.parametrize(
    "word", sorted(set(idiom_table.LOCK_CONTEXT_CALLS + idiom_table.ATTRIBUTE_CALLS))
)
def test_every_attribute_call_is_blanked(word: str) -> None:
    source = f"static void frob(spinlock_t *l)\n\t{word}(l->x, 2)\n{{\n\tbar(l);\n}}\n".encode()
    out = clean(source)
    assert out.splitlines()[1].strip() == b""
    assert calls(source)["bar"] == [position(source, b"bar")]


# --- loops ----------------------------------------------------------------------------

COPY = b"""static int copy_pte_range(struct list_head *head, struct vm_area_struct *vma)
{
\tstruct folio *folio;

\tlist_for_each_entry(folio, folio_list(head), lru) {
\t\tget_page(&folio->page);
\t\tfolio_get(folio);
\t\tif (folio_try_dup_anon_rmap_pte(folio, page, vma))
\t\t\treturn -EAGAIN;
\t}
\tspin_lock(ptl);
\treturn 0;
}
"""


def test_calls_in_a_loop_macro_stay_calls_where_they_were() -> None:
    out = clean(COPY)
    found = calls(COPY)
    for name in ("get_page", "folio_get", "folio_try_dup_anon_rmap_pte", "folio_list"):
        assert found[name] == [position(COPY, name.encode())], name
    assert found["spin_lock"] == [position(COPY, b"spin_lock")]
    assert "list_for_each_entry" not in found
    loops = [n for n in walk(parse(out).root_node) if n.type == "while_statement"]
    assert len(loops) == 1
    assert loops[0].start_point == position(COPY, b"list_for_each_entry")
    body = loops[0].child_by_field_name("body")
    assert body is not None and body.type == "compound_statement"


def test_loop_macros_with_statement_bodies_and_nesting() -> None:
    source = b"""void drain_all(void)
{
\tfor_each_online_node(nid)
\t\tif (node_present_pages(nid))
\t\t\tcount++;
\tfor_each_possible_cpu(cpu)
\t\tfor_each_populated_zone(zone) {
\t\t\tdrain_zone_pages(zone, cpu);
\t\t}
\tfor_each_cpu(cpu, mask)
\t\t*per_cpu_ptr(stats, cpu) = 0;
\tif (x)
\t\tfor_each_node(nid) /* every node */
\t\t\tput_node(nid);
\telse
\t\tfor_each_zone(zone)
\t\t\tput_zone(zone);
}
"""
    out = clean(source)
    assert sum(n.type == "while_statement" for n in walk(parse(out).root_node)) == 6
    for name in ("node_present_pages", "drain_zone_pages", "per_cpu_ptr", "put_node", "put_zone"):
        assert calls(source)[name] == [position(source, name.encode())]


def test_empty_loop_arguments() -> None:
    clean(
        b"void f(void)\n{\n\tfor_each_thing() {\n\t\tg();\n\t}\n\tfor_each_thing( )\n\t\tg();\n}\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        b"\tret = idr_for_each(&idr, free_one, NULL);",
        b"\tif (bus_for_each_dev(&bus, NULL, data, match))\n\t\treturn;",
        b"\tcma_for_each_area(cma_count, &data);",
        b"\treturn walk_for_each(x) &&\n\t\tother(x);",
        b"\tn += kmem_for_each_cache(fn)\n\t\t* 2;",
        b"\tx = f(list_for_each_helper(a), b);",
        b"\t(void)for_each_thing(a);",
    ],
)
def test_for_each_calls_used_as_expressions_are_left_alone(line: bytes) -> None:
    source = b"int f(void)\n{\n" + line + b"\n\treturn 0;\n}\n"
    assert normalize(source) == source
    callee = re.search(rb"(\w*for_each\w*)\(", line)
    assert callee is not None
    assert calls(source)[callee.group(1).decode()] == [position(source, callee.group(1))]


def test_definitions_named_like_a_loop_are_left_alone() -> None:
    source = b"""static int damon_for_each_helper(struct damon_ctx *ctx)
{
\treturn 0;
}
int cgroup_for_each_live(struct cgroup *cgrp, int (*fn)(struct cgroup *));
#define list_for_each_entry(pos, head, member) \\
\tfor (pos = list_first_entry(head, typeof(*pos), member); \\
\t     !list_entry_is_head(pos, head, member); pos = list_next_entry(pos, member))
"""
    out = normalize(source)
    assert out == source
    fn = next(n for n in walk(parse(out).root_node) if n.type == "function_definition")
    assert function_definition_name(fn) == "damon_for_each_helper"


def test_comments_strings_and_characters_are_never_rewritten() -> None:
    source = b"""/* static int __init list_for_each_entry(a, b, c) { __user */
// __releases(x) for_each_cpu(cpu) {
static const char *s = "__init for_each_cpu(cpu) { __user";
static char c = '"';
static const char *t = "\\" __init";
"""
    assert normalize(source) == source


def test_ordinary_code_is_returned_as_is() -> None:
    source = b"""static void unlock(spinlock_t *ptl, struct page *page)
{
\tspin_lock(ptl);
\tget_page(page);
\tspin_unlock(ptl);
}
"""
    assert normalize(source) is source
    assert calls(source)["spin_lock"] == [position(source, b"spin_lock")]


# --- definitions, types, syscalls -------------------------------------------------------


def test_syscall_definition_is_a_function_of_that_name() -> None:
    source = b"""SYSCALL_DEFINE3(madvise, unsigned long, start, size_t, len_in,
\t\tint, behavior)
{
\treturn do_madvise(current->mm, start, len_in, behavior);
}
"""
    out = clean(source)
    fn = next(n for n in walk(parse(out).root_node) if n.type == "function_definition")
    assert function_definition_name(fn) == "madvise"
    params = [n for n in walk(fn) if n.type == "parameter_declaration"]
    names = [p.child_by_field_name("declarator") for p in params]
    assert [(n.text, n.start_point) for n in names if n is not None] == [
        (b"start", position(source, b"start")),
        (b"len_in", position(source, b"len_in")),
        (b"behavior", position(source, b"behavior")),
    ]
    assert calls(source)["do_madvise"] == [position(source, b"do_madvise")]


def test_compat_syscall_with_a_whole_parameter_macro() -> None:
    source = b"""COMPAT_SYSCALL_DEFINE4(readahead, int, fd, compat_arg_u64_dual(offset),
\t\t       size_t, count)
{
\treturn ksys_readahead(fd, compat_arg_u64_glue(offset), count);
}
"""
    out = clean(source)
    fn = next(n for n in walk(parse(out).root_node) if n.type == "function_definition")
    assert function_definition_name(fn) == "readahead"
    assert calls(source)["ksys_readahead"] == [position(source, b"ksys_readahead")]


def test_type_arguments_become_identifiers_in_place() -> None:
    source = b"""static void first(struct list_head *list)
{
\tstruct page *page = list_first_entry(list, struct page, lru);
\tunsigned long n = min_t(unsigned long, nr, 16);
\tvoid *p = container_of(page, struct anon_vma *, rb_root);
}
"""
    out = clean(source)
    assert b"min_t(unsigned_long, nr, 16)" in out
    found = calls(source)
    for name in ("list_first_entry", "min_t", "container_of"):
        assert found[name] == [position(source, name.encode())]
    args = next(
        n
        for n in walk(parse(out).root_node)
        if n.type == "argument_list"
        and n.parent is not None
        and (n.parent.child_by_field_name("function") or n).text == b"list_first_entry"
    )
    assert [a.text for a in args.named_children] == [b"list", b"page", b"lru"]


def test_definition_macro_without_semicolon_does_not_swallow_the_next_function() -> None:
    source = b"""postcore_initcall(init_per_zone_wmark_min)

static int min_free_kbytes_sysctl_handler(const struct ctl_table *table, int write)
{
\treturn proc_dointvec_minmax(table, write);
}
EXPORT_SYMBOL(min_free_kbytes_sysctl_handler);
static DEFINE_MUTEX(pcp_batch_high_lock);
"""
    out = clean(source)
    assert out.endswith(
        b"EXPORT_SYMBOL(min_free_kbytes_sysctl_handler);\n"
        b"static DEFINE_MUTEX(pcp_batch_high_lock);\n"
    )
    fns = [n for n in walk(parse(out).root_node) if n.type == "function_definition"]
    assert [function_definition_name(f) for f in fns] == ["min_free_kbytes_sysctl_handler"]
    assert calls(source)["EXPORT_SYMBOL"] == [position(source, b"EXPORT_SYMBOL")]


def test_static_definition_with_arguments_is_a_call_statement() -> None:
    source = b"""static void check(void)
{
\tstatic DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
\t\t\t\t      DEFAULT_RATELIMIT_BURST);

\tif (__ratelimit(&rs))
\t\tdump_stack();
}
"""
    clean(source)
    assert calls(source)["DEFINE_RATELIMIT_STATE"] == [position(source, b"DEFINE_RATELIMIT_STATE")]


def test_per_cpu_definitions_are_declarations_of_their_name() -> None:
    source = b"""static DEFINE_PER_CPU(struct per_cpu_nodestat __percpu *, boot_nodestats);
DEFINE_PER_CPU(struct cpu_fbatches, cpu_fbatches) = {
\t.lock = INIT_LOCAL_LOCK(lock),
};
static __read_mostly DEFINE_HASHTABLE(mm_slots_hash, MM_SLOTS_HASH_BITS);
"""
    out = clean(source)
    declarations = [n for n in parse(out).root_node.children if n.type == "declaration"]
    declared = []
    for decl in declarations[:2]:
        node = decl.child_by_field_name("declarator")
        while node is not None and node.type != "identifier":
            node = node.child_by_field_name("declarator")
        assert node is not None
        declared.append((node.text, node.start_point))
    assert declared == [
        (b"boot_nodestats", position(source, b"boot_nodestats")),
        (b"cpu_fbatches", position(source, b"cpu_fbatches", 1)),
    ]
    assert calls(source)["INIT_LOCAL_LOCK"] == [position(source, b"INIT_LOCAL_LOCK")]


def test_typeof_is_a_type_only_in_declarations() -> None:
    source = b"""static void f(struct folio *folio)
{
\ttypeof(folio->flags) flags;
\tlong n = (typeof(n))sizeof(typeof(folio_ref(folio)));
}
"""
    out = clean(source)
    assert out.splitlines()[2] == b"\ttypeof" + b" " * len(b"(folio->flags)") + b" flags;"
    assert out.splitlines()[3] == source.splitlines()[3]
    assert calls(source)["folio_ref"] == [position(source, b"folio_ref")]


# --- directives ---------------------------------------------------------------------------


def test_conditional_groups_without_else_are_opened() -> None:
    source = b"""void f(struct page *page)
{
\tif (x)
\t\tfoo();
#ifdef CONFIG_A
\telse if (y)
\t\tbar();
#endif
\telse
\t\tbaz();
}
"""
    out = clean(source)
    assert out.count(b"#") == 0
    assert calls(source)["bar"] == [position(source, b"bar")]


def test_conditional_groups_with_else_and_if_zero_are_kept() -> None:
    source = b"""void f(void)
{
#ifdef CONFIG_A
\ta();
#else
\tb();
#endif
#if 0
\tthis is not C;
#endif
#if defined(X)
#ifdef Y
\tc();
#endif
#elif Z
\td();
#endif
}
"""
    out = normalize(source)
    assert_offsets_kept(source, out)
    kept = [line.strip() for line in out.splitlines() if line.strip().startswith(b"#")]
    assert kept == [
        b"#ifdef CONFIG_A",
        b"#else",
        b"#endif",
        b"#if 0",
        b"#endif",
        b"#if defined(X)",
        b"#elif Z",
        b"#endif",
    ]


def test_local_attribute_macros_are_learnt() -> None:
    source = b"""#ifdef CONFIG_KMSAN
#define pad_check_attributes noinline __no_kmsan_checks
#else
#define pad_check_attributes
#endif
#define PAD_SIZE 64
#define __spinlock_func __section(".spinlock.text") __cold
#define not_an_attribute(x) noinline

void __spinlock_func spin_it(void)
{
}

static pad_check_attributes int
check_bytes(struct kmem_cache *s, int value)
{
\treturn memchr_inv(s, value, PAD_SIZE) != NULL;
}
"""
    out = clean(source)
    assert b"static                      int\n" in out
    assert b"void                 spin_it(void)" in out
    assert b"PAD_SIZE) != NULL" in out


# --- the table is extensible ----------------------------------------------------------------


@pytest.fixture
def restore_idioms() -> Iterator[None]:
    saved = list(IDIOMS)
    yield
    IDIOMS[:] = saved


MY_WALK = b"""void f(struct my_tree *t)
{
\tmy_tree_walk(t, node) {
\t\tvisit(node);
\t}
}
"""


@pytest.mark.usefixtures("restore_idioms")
def test_register_adds_an_idiom() -> None:
    assert problems(normalize(MY_WALK))
    register(Idiom("my-tree-walk", Kind.LOOP, r"my_tree_walk", MY_WALK.decode(), "a loop"))
    clean(MY_WALK)
    assert calls(MY_WALK)["visit"] == [position(MY_WALK, b"visit")]
    assert idiom_for("my_tree_walk") is IDIOMS[-1]


@pytest.mark.usefixtures("restore_idioms")
@pytest.mark.parametrize(
    "idiom",
    [
        Idiom("for-each-loop", Kind.LOOP, r"x", "", "taken"),
        Idiom("bad-regex", Kind.WORD, r"(", "", "unbalanced"),
        Idiom("named", Kind.WORD, r"(?P<n>x)", "", "named group"),
        Idiom("empty", Kind.WORD, r"x*", "", "matches nothing"),
    ],
    ids=["duplicate", "bad-regex", "named-group", "empty"],
)
def test_register_refuses_bad_idioms(idiom: Idiom) -> None:
    with pytest.raises(ConfigError):
        register(idiom)


def test_idiom_for_names_the_entry() -> None:
    found = idiom_for("list_for_each_entry_safe")
    assert found is not None and found.name == "for-each-loop"
    assert idiom_for("spin_lock") is None


# --- through the C model ------------------------------------------------------------------


def test_file_fragment_sees_calls_in_loops_with_their_function() -> None:
    fragment = file_fragment("mm/memory.c", COPY)
    (call,) = fragment.calls({"folio_try_dup_anon_rmap_pte"})
    assert call.line == 8
    assert call.function == "copy_pte_range"
    assert fragment.sees_whole_function(call.node)
    function = fragment.enclosing_function(call.node)
    assert function is not None and not function.has_error
