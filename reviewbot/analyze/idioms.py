"""The table of kernel C idioms that tree-sitter-c does not understand.

Each :class:`Idiom` names a family of kernel macros, says how the normaliser
(:mod:`reviewbot.analyze.normalize`) rewrites a use of one into plain C of exactly the
same length (so byte offsets, rows and columns stay those of the real file), gives a
few lines of real-looking kernel C that need it, and says why tree-sitter-c fails
without it. A rule author adds an entry with :func:`reviewbot.analyze.normalize.register`;
tests parse every entry's example and check it comes out clean.

The rewrite strategies (:class:`Kind`):

``WORD``
    an annotation that is a bare word (``__init``, ``__rcu``): blanked with spaces, or
    replaced by ``Idiom.replacement`` padded with spaces (``__alignof__`` ->
    ``sizeof``). An object-like ``#define`` in the same text whose body is only such
    words (``#define pad_check_attributes noinline __no_kmsan_checks``) makes its name
    one too, from there on.
``WORD_ARGS``
    an annotation with an argument list (``__acquires(x)``, ``__printf(1, 2)``): the
    word and its balanced ``(...)`` are blanked (newlines kept). Without a following
    ``(`` only the word is blanked.
``LOOP``
    an iterator macro used as a loop header (``list_for_each_entry(pos, head, m) {``):
    the macro name becomes ``while`` padded with spaces, so the header parses as
    ``while (pos, head, m)`` and the calls in its arguments and body stay
    ``call_expression`` nodes at their own positions. Only in statement position
    (after ``;``, ``{``, ``}``, ``)``, ``:``, ``else``, ``do``, a preprocessor line or
    the start of the text) and when a statement follows (``{``, a word, or anything
    on a later line); otherwise (``ret = idr_for_each(...);``) it is a call and is
    left alone.
``TYPE_ARGS``
    a macro taking a type name as an argument (``container_of(p, struct foo, m)``):
    each argument that is a type name becomes an identifier of the same extent
    (``struct``/``union``/``enum``, qualifiers and ``*`` blanked; the spaces of a
    multi-word type such as ``unsigned long`` turned into ``_``).
``DEFINITION``
    a macro that stands for a declaration or definition at file or block scope
    (``DEFINE_PER_CPU(struct foo *, x);``, ``EXPORT_SYMBOL(f);``,
    ``postcore_initcall(f)``): type arguments are rewritten as for ``TYPE_ARGS``; a
    ``static`` in front of one with several arguments is blanked, so that it parses as
    a call statement rather than a broken declarator; a use in statement position that
    no ``;`` ends (the next token is a word, a directive or the end) is blanked whole,
    so that it does not swallow the definition after it.
``SYSCALL``
    ``SYSCALL_DEFINEn(name, type, arg, ...)``: rewritten as the function definition
    ``long name(type arg, ...)``: the macro and the ``(`` become ``long`` and spaces,
    the ``,`` after the name becomes ``(``, the ``,`` inside each type/argument pair a
    space; an argument that is a macro call (``compat_arg_u64_dual(offset)``) is a
    whole parameter. The name and every argument keep their positions.
``VARIABLE``
    ``DEFINE_PER_CPU(type, name)``: rewritten as the declaration ``type name`` (the
    macro name, ``(``, ``,`` and ``)`` blanked), so that ``static`` before it and an
    initialiser after it parse. Other shapes are handled as ``DEFINITION``.
``DECLARE_ARRAY``
    ``DECLARE_BITMAP(name, bits)``: rewritten as the declaration ``long name[ bits]``
    (what it expands to), so that an initialiser (``= { 0 }``) after it parses.
``TYPEOF``
    ``typeof(expr) name;``: in declaration position (a statement start, or after
    ``static``/``const``...) and followed by a declarator, the parenthesised operand is
    blanked so that ``typeof`` reads as a type name. The operand is never evaluated,
    so no call of the function is lost. Casts and ``sizeof`` operands are left alone.
``CONDITIONAL``
    ``#if``/``#ifdef``/``#ifndef`` ... ``#endif`` groups with no ``#else`` or ``#elif``
    (the pattern matches the directive keyword): both directive lines are blanked, so
    the guarded code reads as if the option were on, which is what an allyesconfig
    build compiles. tree-sitter-c only understands directives between whole
    statements or declarations; blanking fixes ``} else\n#endif\n{``, a label right
    before ``#endif``, and an ``#ifdef`` inside an expression. Groups with an ``#else``
    keep their directives (both branches stay visible); ``#if 0`` is left alone.

Entries are tried in table order: the first whose pattern matches a name wins, so a
specific entry (``DECLARE_BITMAP``) goes before a generic one (``DECLARE_\\w+``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass


class Kind(enum.Enum):
    WORD = "word"
    WORD_ARGS = "word_args"
    LOOP = "loop"
    TYPE_ARGS = "type_args"
    DEFINITION = "definition"
    SYSCALL = "syscall"
    VARIABLE = "variable"
    DECLARE_ARRAY = "declare_array"
    TYPEOF = "typeof"
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class Idiom:
    """One family of kernel macros and how to make it parse."""

    name: str  # kebab-case, unique in the table
    kind: Kind
    pattern: str  # a regex that matches the whole macro name (an identifier)
    example: str  # real-looking kernel C that needs this idiom to parse cleanly
    why: str  # what tree-sitter-c does with it otherwise
    replacement: str = ""  # WORD only: text written over the word instead of blanks

    def matches(self, word: str) -> bool:
        return re.fullmatch(self.pattern, word) is not None


def names(text: str) -> tuple[str, ...]:
    """The whitespace-separated names of ``text`` (keeps the lists below compact)."""
    return tuple(text.split())


def words(candidates: Iterable[str]) -> str:
    """A pattern matching exactly one of ``candidates`` (longest first: none shadows)."""
    return "|".join(re.escape(n) for n in sorted(set(candidates), key=lambda n: (-len(n), n)))


# Section placement (include/linux/init.h, cache.h, memblock.h): attributes that put
# code or data in a special section. They sit between the type and the name, where
# tree-sitter-c reads them as a second type or a declarator and gives up.
SECTION_WORDS = names(
    """
    __init __exit __initdata __initconst __exitdata __exit_call __meminit __meminitdata
    __meminitconst __init_memblock __initdata_memblock __initdata_or_meminfo __ref __refdata
    __refconst
    __read_mostly __ro_after_init __page_aligned_bss __page_aligned_data __nosavedata
    __cpuidle noinstr __cacheline_aligned __cacheline_aligned_in_smp ____cacheline_aligned
    ____cacheline_aligned_in_smp ____cacheline_internodealigned_in_smp __exitused __kprobes
    __sched __lockfunc
    """
)

# Sparse address-space and checker annotations (include/linux/compiler_types.h). They
# qualify pointers (`void __user *p`) like a type qualifier tree-sitter-c does not know.
SPARSE_WORDS = names(
    """
    __user __kernel __iomem __percpu __rcu __force __nocast __bitwise __safe __private
    __must_hold_rcu __data_racy
    """
)

# Code-generation and diagnostics attributes (compiler_attributes.h, compiler_types.h,
# linkage.h): function and variable attributes spelled as plain words.
ATTRIBUTE_WORDS = names(
    """
    __always_inline noinline __noinline __inline_maybe_unused __gnu_inline __fastpath_inline
    __no_sanitize_or_inline __cold __hot notrace asmlinkage __visible __weak __used
    __maybe_unused __always_unused __must_check __latent_entropy __randomize_layout
    __no_randomize_layout __nocfi __noreturn __pure __malloc __packed __attribute_const__
    __flatten __naked __noclone __noipa __noscs __nonstring __retain __designated_init
    __uninitialized __no_kmsan_checks __no_profile __no_sanitize_address
    __no_sanitize_coverage __no_sanitize_thread __no_sanitize_undefined __no_stack_protector
    __noretpoline __noinitretpoline __no_caller_saved_registers __signed_wrap __overloadable
    __annotate_jump_table __function_aligned __no_kcsan __no_kasan_or_inline
    __no_sanitize_memory __disable_sanitizer_instrumentation
    """
)

# Attributes with arguments.
LOCK_CONTEXT_CALLS = names(
    """
    __acquires __releases __must_hold __cond_acquires __cond_releases __acquire_ret
    __no_context_analysis
    """
)
ATTRIBUTE_CALLS = names(
    """
    __printf __scanf __section __aligned __alias __alloc_size __alloc_size__
    __assume_aligned __cleanup __compiletime_error __compiletime_warning __copy __counted_by
    __diagnose_as __mode __pass_object_size __pass_dynamic_object_size __free __guarded_by
    __pt_guarded_by __nocapture __realloc_size
    """
)

# Macros whose arguments include a type name (container_of and the accessors built on
# it, the typed min/max, va_arg). Any `*_entry*` macro is tried too (list_entry,
# rb_entry_safe, a file's own mm_slot_entry): only arguments that are type names change.
TYPE_ARG_CALLS = names(
    """
    container_of container_of_const min_t max_t clamp_t clamp_val min3_t umin_t va_arg
    sizeof_field offsetofend typeof_member struct_size_t KMEM_CACHE KMEM_CACHE_USERCOPY
    alloc_percpu alloc_percpu_gfp kmalloc_obj kzalloc_obj list_first_or_null_rcu
    list_next_or_null_rcu __same_type is_signed_type is_unsigned_type type_max type_min
    """
)

# Iterator macros whose names do not say for_each (include/linux/*.h macros that
# expand to a for or while header).
LOOP_CALLS = names(
    """
    for_next_zone_zonelist_nodemask for_other_threads scoped_guard scoped_seqlock_read
    for_ftrace_rec_iter skb_queue_walk skb_queue_walk_safe skb_queue_walk_from
    skb_queue_walk_from_safe skb_queue_reverse_walk skb_queue_reverse_walk_safe
    skb_queue_reverse_walk_from_safe skb_walk_frags skb_list_walk_safe skb_rbtree_walk
    skb_rbtree_walk_from skb_rbtree_walk_from_safe
    """
)

# Macros that stand for a declaration or definition at file (or block) scope.
DEFINITION_CALLS = names(
    r"""
    DEFINE_\w+ DECLARE_\w+ EXPORT_\w*SYMBOL\w* \w*initcall\w* module_init module_exit
    module_param\w* MODULE_[A-Z_]+ __setup\w* early_param core_param INTERVAL_TREE_DEFINE
    RB_DECLARE_CALLBACKS\w* ATTRIBUTE_GROUPS ALLOW_ERROR_INJECTION NOKPROBE_SYMBOL
    late_param_cb KUNIT_\w*SUITE\w*
    """
)

IDIOMS: list[Idiom] = [
    Idiom(
        name="section-annotation",
        kind=Kind.WORD,
        pattern=words(SECTION_WORDS),
        example=(
            "static int __init kswapd_init(void)\n"
            "{\n"
            "\treturn 0;\n"
            "}\n"
            "static unsigned long nr_pages __initdata;\n"
            "int sysctl_foo __read_mostly = 1;\n"
            "void __meminit memmap_init_range(unsigned long size)\n"
            "{\n"
            "}\n"
            "static phys_addr_t __init_memblock\n"
            "memblock_find_in_range(phys_addr_t start, phys_addr_t end)\n"
            "{\n"
            "\treturn end - start;\n"
            "}\n"
        ),
        why="between the type and the name tree-sitter-c reads `__init` as the declarator "
        "and the real name as junk: the whole function becomes an ERROR",
    ),
    Idiom(
        name="address-space-annotation",
        kind=Kind.WORD,
        pattern=words(SPARSE_WORDS),
        example=(
            "static long copy_to(const void __user *usr_src, struct mm_struct __rcu *mm)\n"
            "{\n"
            "\tstruct per_cpu_zonestat __percpu *pcp = zone->per_cpu_zonestats;\n"
            "\tvoid __iomem *io = (void __force __iomem *)addr;\n"
            "\treturn get_user(x, (int __user *)usr_src);\n"
            "}\n"
        ),
        why="sparse qualifiers are unknown words in a type: `struct s __percpu *p = x;` "
        "becomes an ERROR or a multiplication",
    ),
    Idiom(
        name="function-attribute",
        kind=Kind.WORD,
        pattern=words(ATTRIBUTE_WORDS),
        example=(
            "static __always_inline bool is_stable_node_chain(struct ksm_stable_node *chain)\n"
            "{\n"
            "\treturn chain->rmap_hlist_len == STABLE_NODE_CHAIN;\n"
            "}\n"
            "static noinline void validate_nommu_regions(void)\n"
            "{\n"
            "\tint __maybe_unused i;\n"
            "}\n"
            "void __weak __cold notrace arch_report(__always_unused int depth)\n"
            "{\n"
            "}\n"
        ),
        why="attributes spelled as words read as a second type name",
    ),
    Idiom(
        name="alignof-expression",
        kind=Kind.WORD,
        pattern=words(("__alignof__", "__alignof")),
        replacement="sizeof",
        example=(
            "static size_t base_size(struct pcpu_alloc_info *ai, int nr_groups)\n"
            "{\n"
            "\treturn ALIGN(struct_size(ai, groups, nr_groups),\n"
            "\t\t     __alignof__(ai->groups[0].cpu_map[0]));\n"
            "}\n"
        ),
        why="tree-sitter-c knows alignof of a type only; GNU `__alignof__(expr)` becomes a "
        "MISSING `)`. `sizeof` has the same shape",
    ),
    Idiom(
        name="lock-context-annotation",
        kind=Kind.WORD_ARGS,
        pattern=words(LOCK_CONTEXT_CALLS),
        example=(
            "static vm_fault_t wp_page_shared(struct vm_fault *vmf, struct folio *folio)\n"
            "\t__releases(vmf->ptl)\n"
            "{\n"
            "\tpte_unmap_unlock(vmf->pte, vmf->ptl);\n"
            "\treturn 0;\n"
            "}\n"
            "static void lock_two(spinlock_t *a, spinlock_t *b) __acquires(a) __acquires(b)\n"
            "{\n"
            "\tspin_lock(a);\n"
            "\tspin_lock_nested(b, SINGLE_DEPTH_NESTING);\n"
            "}\n"
        ),
        why="sparse lock annotations between the parameter list and the body look like a "
        "K&R declaration list that does not parse",
    ),
    Idiom(
        name="attribute-with-arguments",
        kind=Kind.WORD_ARGS,
        pattern=words(ATTRIBUTE_CALLS),
        example=(
            "static __printf(2, 3) void report(struct kmem_cache *s, const char *fmt, ...)\n"
            "{\n"
            "}\n"
            'static char buf[64] __aligned(8) __section(".data..ro_after_init");\n'
            "static int reader(void)\n"
            "{\n"
            "\tstruct folio *folio __free(folio_put) = NULL;\n"
            "\treturn 0;\n"
            "}\n"
        ),
        why="attribute macros with arguments read as a call in declarator position",
    ),
    Idiom(
        name="for-each-loop",
        kind=Kind.LOOP,
        pattern=r"\w*for_?each\w*",
        example=(
            "static void drain(struct list_head *head, struct address_space *mapping)\n"
            "{\n"
            "\tstruct page *page, *next;\n"
            "\n"
            "\tlist_for_each_entry_safe(page, next, head, lru) {\n"
            "\t\tget_page(page);\n"
            "\t\tlist_del(&page->lru);\n"
            "\t}\n"
            "\tfor_each_online_node(nid)\n"
            "\t\tif (node_present_pages(nid))\n"
            "\t\t\tcount++;\n"
            "\tfor_each_possible_cpu(cpu)\n"
            "\t\tfor_each_zone(zone)\n"
            "\t\t\tdrain_zone(zone, cpu);\n"
            "\tvma_interval_tree_foreach(vma, &mapping->i_mmap, 0, ULONG_MAX) {\n"
            "\t\tunmap_mapping_range_vma(vma, 0, 0, NULL);\n"
            "\t}\n"
            "\tcma_for_each_area(count_area, &data);\n"
            "}\n"
        ),
        why="an iterator macro followed by a block is a call with a missing `;` and an "
        "orphan block to tree-sitter-c",
    ),
    Idiom(
        name="loop-macro",
        kind=Kind.LOOP,
        pattern=words(LOOP_CALLS),
        example=(
            "static struct page *get_page_from_freelist(struct alloc_context *ac)\n"
            "{\n"
            "\tfor_next_zone_zonelist_nodemask(zone, z, ac->highest_zoneidx,\n"
            "\t\t\t\t\tac->nodemask) {\n"
            "\t\tif (zone_watermark_fast(zone, order, mark))\n"
            "\t\t\tbreak;\n"
            "\t}\n"
            "\tscoped_guard(mutex, &ctx->lock) {\n"
            "\t\tput_pid(ctx->pid);\n"
            "\t}\n"
            "\treturn NULL;\n"
            "}\n"
        ),
        why="iterator and guard macros without for_each in their names, followed by a block",
    ),
    Idiom(
        name="type-argument",
        kind=Kind.TYPE_ARGS,
        pattern=words(TYPE_ARG_CALLS) + r"|\w+_entry(?:_\w+)?",
        example=(
            "static struct anon_vma *first(struct list_head *list, struct rb_node *node)\n"
            "{\n"
            "\tstruct page *page = list_first_entry(list, struct page, lru);\n"
            "\tunsigned long n = min_t(unsigned long, nr, 16);\n"
            "\tentry = rb_entry(node, struct quota_id, node);\n"
            "\tmm_slot = mm_slot_entry(slot, struct ksm_mm_slot, slot);\n"
            "\treturn container_of(page, const struct anon_vma, rb_root);\n"
            "}\n"
        ),
        why="a type name is not an expression: `struct page` inside an argument list "
        "makes the call an ERROR",
    ),
    Idiom(
        name="syscall-definition",
        kind=Kind.SYSCALL,
        pattern=r"(?:COMPAT_)?SYSCALL_DEFINE[1-6]",
        example=(
            "SYSCALL_DEFINE3(madvise, unsigned long, start, size_t, len_in, int, behavior)\n"
            "{\n"
            "\treturn do_madvise(current->mm, start, len_in, behavior);\n"
            "}\n"
            "SYSCALL_DEFINE1(swapoff, const char __user *, specialfile)\n"
            "{\n"
            "\treturn 0;\n"
            "}\n"
            "COMPAT_SYSCALL_DEFINE4(readahead, int, fd, compat_arg_u64_dual(offset),\n"
            "\t\t       size_t, count)\n"
            "{\n"
            "\treturn ksys_readahead(fd, compat_arg_u64_glue(offset), count);\n"
            "}\n"
        ),
        why="the macro's arguments alternate types and names: `(madvise, unsigned long, "
        "start, ...)` is neither a parameter list nor an argument list",
    ),
    Idiom(
        name="per-cpu-variable",
        kind=Kind.VARIABLE,
        pattern=r"(?:DEFINE|DECLARE)_PER_CPU(?:_[A-Z]+)*",
        example=(
            "static DEFINE_PER_CPU(struct per_cpu_nodestat *, boot_nodestats);\n"
            "DEFINE_PER_CPU(struct cpu_fbatches, cpu_fbatches) = {\n"
            "\t.lock = INIT_LOCAL_LOCK(lock),\n"
            "};\n"
            "DEFINE_PER_CPU_SHARED_ALIGNED(unsigned long, nr_pages) = 0;\n"
        ),
        why="a type argument, and an initialiser assigned to what reads as a call",
    ),
    Idiom(
        name="declare-bitmap",
        kind=Kind.DECLARE_ARRAY,
        pattern=r"DECLARE_BITMAP",
        example=(
            "static void fill(void)\n"
            "{\n"
            "\tDECLARE_BITMAP(map, SUBSECTIONS_PER_SECTION) = { 0 };\n"
            "\n"
            "\tbitmap_set(map, 0, 1);\n"
            "}\n"
        ),
        why="`DECLARE_BITMAP(map, n) = { 0 };` assigns an initialiser list to a call",
    ),
    Idiom(
        name="typeof-declaration",
        kind=Kind.TYPEOF,
        pattern=words(("typeof", "__typeof__", "__typeof")),
        example=(
            "static bool report_matches(const struct expect_report *r)\n"
            "{\n"
            "\ttypeof(observed.lines) expect;\n"
            "\tconst typeof(*r) *copy = (typeof(r))r;\n"
            "\n"
            "\treturn strstr(expect[0], r->func) != NULL;\n"
            "}\n"
        ),
        why="tree-sitter-c takes `typeof` of a type only: `typeof(a.b) x;` is an ERROR",
    ),
    Idiom(
        name="definition-macro",
        kind=Kind.DEFINITION,
        pattern="|".join(DEFINITION_CALLS),
        example=(
            "static void warn_stale(struct file *filp)\n"
            "{\n"
            "\tstatic DEFINE_RATELIMIT_STATE(_rs, 86400 * HZ, DEFAULT_RATELIMIT_BURST);\n"
            "\n"
            "\tif (__ratelimit(&_rs))\n"
            '\t\tpr_crit("stale");\n'
            "}\n"
            "EXPORT_SYMBOL_GPL(warn_stale);\n"
            "postcore_initcall(init_per_zone_wmark_min)\n"
            "\n"
            "static int min_free_kbytes_sysctl_handler(const struct ctl_table *table)\n"
            "{\n"
            "\treturn 0;\n"
            "}\n"
        ),
        why="`static DEFINE_X(a, b, c);` is a declarator that does not parse, and an "
        "initcall without its `;` swallows the next function",
    ),
    Idiom(
        name="conditional-directive",
        kind=Kind.CONDITIONAL,
        pattern=r"if|ifdef|ifndef",
        example=(
            "static void set_flags(struct page *page, int zone)\n"
            "{\n"
            "\tif (unlikely(page->flags |\n"
            "#ifdef CONFIG_MEMCG\n"
            "\t\t\tpage->memcg_data |\n"
            "#endif\n"
            "\t\t\tpage_ref_count(page)))\n"
            "\t\tbad_page(page);\n"
            "#ifdef CONFIG_ZONE_DEVICE\n"
            "\tif (zone == ZONE_DEVICE)\n"
            "\t\t__SetPageReserved(page);\n"
            "\telse\n"
            "#endif\n"
            "\t\t__SetPageOffline(page);\n"
            "#ifdef CONFIG_TRANSPARENT_HUGEPAGE\n"
            "\tgoto out;\n"
            "regular_page:\n"
            "#endif\n"
            "\tput_page(page);\n"
            "out:\n"
            "\treturn;\n"
            "}\n"
        ),
        why="tree-sitter-c takes directives only between whole statements: inside an "
        "expression, after `else` or after a label the function becomes an ERROR",
    ),
]
