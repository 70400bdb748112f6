"""A dup call site and what the patch shows around it (helper module of the mm pack).

The fork-time rules (ref-before-dup, dup-result-unchecked, dup-anon-only,
pinned-check-moved) all ask the same questions of a call: which page/folio it acts on
(and which names alias it), what the code before it on its path does, what is known
about the page there (anon, file, device-private), and what the same hunk looked like
before the patch. This module answers them once.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import Call, FileView, Fragment
from reviewbot.engine.rule import Hit, PatchContext

from .rmap_api import (
    ALIAS_GETTERS,
    ANON_TESTS,
    ANON_VMA_TESTS,
    DEVICE_ENTRY_FUNCTIONS,
    DEVICE_TESTS,
    DUP_FUNCTIONS,
    FILE_BRANCH_CALLS,
    REF_DROP,
    REF_TAKE,
    TRY_FUNCTIONS,
    DupFunction,
    is_api_internal,
)

Node = flow.Node

NEEDS_TREE = "needs the whole function to decide; run with --tree"

_ADDR_PAGE = re.compile(r"^&\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*->\s*page$")
_ALIAS_CALL = re.compile(r"^(\w+)\s*\((.*)\)$")
_CAST = re.compile(r"^\(\s*(?:const\s+)?struct\s+\w+\s*\*\s*\)\s*(.+)$")


def distinct(
    check: Callable[[PatchContext], Iterable[Hit]],
) -> Callable[[PatchContext], Iterator[Hit]]:
    """``check`` without exact repeats among its hits: a thousand calls on one line say
    the same thing once (the engine drops repeats too, but only after fingerprinting
    each by the text of its line)."""

    @functools.wraps(check)
    def run(ctx: PatchContext) -> Iterator[Hit]:
        seen: set[Hit] = set()
        for hit in check(ctx):
            if hit not in seen:
                seen.add(hit)
                yield hit

    return run


def target_unknown(ctx: PatchContext) -> bool:
    """Nothing says which kernel the patch is for: no ``--kernel``, no tree, no era
    marker in its removed or context lines. The target is then only the newest known
    kernel, and a call that kernel lacks may well build where the patch goes."""
    return ctx.kernel_source.startswith("default")


def object_name(expr: str) -> str:
    """The variable a page/folio expression stands for: ``&folio->page`` and
    ``page_folio(page)`` name the refcount of ``folio`` and ``page``."""
    e = " ".join(expr.split())
    for _ in range(4):
        while e.startswith("(") and e.endswith(")") and _balanced(e[1:-1]):
            e = e[1:-1].strip()
        m = _CAST.match(e)
        if m:
            e = m.group(1).strip()
            continue
        m = _ADDR_PAGE.match(e)
        if m:
            return m.group(1)
        m = _ALIAS_CALL.match(e)
        if m and m.group(1) in ALIAS_GETTERS:
            e = _first_arg(m.group(2))
            continue
        break
    return e


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _first_arg(args: str) -> str:
    depth = 0
    for i, ch in enumerate(args):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            return args[:i].strip()
    return args.strip()


def weak_twins(name: str) -> set[str]:
    """Names that by kernel convention hold the page and its folio (``src_page`` and
    ``src_folio``, ``ptepage`` and ``pte_folio``): a reference on one is a reference on
    the other."""
    out = {name}
    if "page" in name:
        out.add(name.replace("page", "folio"))
    if "folio" in name:
        out.add(name.replace("folio", "page"))
    more: set[str] = set()
    for n in out:
        more.add(re.sub(r"_(page|folio)", r"\1", n))
        more.add(re.sub(r"(?<=[a-z])(page|folio)", r"_\1", n))
    return out | more


def count_text(call: Call) -> str:
    """How many references a take/drop call moves, as normalised text (``1``, ``nr``)."""
    table = REF_TAKE if call.callee in REF_TAKE else REF_DROP
    idx = table.get(call.callee)
    if idx is None or idx >= len(call.args):
        return "1"
    return " ".join(call.args[idx].split())


@dataclass
class Site:
    """One dup call in a post-image fragment."""

    call: Call
    func: DupFunction
    post: Fragment
    pre: Fragment | None  # the same hunk before the patch (patch mode only)
    view: FileView
    ctx: PatchContext
    later: tuple[Fragment, ...] = field(default=())  # later hunks of the same file
    earlier: tuple[tuple[Fragment, Fragment | None], ...] = field(default=())  # (post, pre)

    @property
    def node(self) -> Node:
        return self.call.node

    @property
    def line(self) -> int | None:
        return self.call.line

    @cached_property
    def changed(self) -> bool:
        """The patch adds or changes a line of the call (a call over several lines
        counts when any of them is added, not only its first)."""
        return self.call.added or touched(self, self.node)

    @cached_property
    def scope(self) -> Node:
        return flow.function_scope(self.node)

    @property
    def index(self) -> flow.FlowIndex:
        """The post-image fragment's flow tables (shared by every site of it)."""
        return flow.index_of(self.post)

    @cached_property
    def whole(self) -> bool:
        """The whole function is visible: missing evidence is really missing."""
        return sees_whole_function(self.post, self.node)

    @cached_property
    def function(self) -> str | None:
        return self.call.function

    @cached_property
    def direct_objects(self) -> frozenset[str]:
        names = {
            object_name(self.call.args[i]) for i in self.func.object_args if i < len(self.call.args)
        }
        return frozenset(n for n in names if n)

    @cached_property
    def objects(self) -> frozenset[str]:
        """The page/folio names and their visible aliases (``folio = page_folio(page)``)."""
        return frozenset(aliases(self.scope, self.direct_objects, self.index))

    @cached_property
    def loose_objects(self) -> frozenset[str]:
        """``objects`` plus the page/folio naming twins, for matching references."""
        out: set[str] = set()
        for name in self.objects:
            out |= weak_twins(name)
        return frozenset(out)

    def on_objects(self, call: Call, loose: bool = True) -> bool:
        names = self.loose_objects if loose else self.objects
        return bool(call.args) and object_name(call.args[0]) in names

    def calls_in_scope(self, names: set[str] | frozenset[str]) -> list[Call]:
        return [c for c in self.index.calls(names, self.scope) if not flow.same(c.node, self.node)]

    @cached_property
    def ref_before(self) -> Call | None:
        """The last reference take on the page/folio that runs before the call on its
        path (searched backwards from the call: the nearest one usually is it)."""
        takes = self.index.calls(_REF_TAKES, self.scope)
        start = self.node.start_byte
        for i in range(bisect_left(takes, start, key=_start) - 1, -1, -1):
            c = takes[i]
            if self.on_objects(c) and flow.can_reach(c.node, self.node, self.index):
                return c
        return None

    @cached_property
    def ref_after(self) -> Call | None:
        """The first reference take on the page/folio that the call reaches after it."""
        takes = self.index.calls(_REF_TAKES, self.scope)
        for i in range(bisect_right(takes, self.node.end_byte, key=_start), len(takes)):
            c = takes[i]
            if self.on_objects(c) and flow.can_reach(self.node, c.node, self.index):
                return c
        return None

    def later_refs(self) -> list[Call]:
        """Reference takes on the same names added in later hunks of the same function."""
        out: list[Call] = []
        for frag in self.later:
            for c in flow.all_calls(frag, set(REF_TAKE)):
                if c.added and c.function == self.function and self.on_objects(c):
                    out.append(c)
        return out

    def added_in_function(self, names: set[str] | frozenset[str]) -> list[Call]:
        """Calls to ``names`` that the patch adds anywhere in this call's function (in
        any hunk of the file)."""
        posts = [p for p, _ in self.earlier] + [self.post] + list(self.later)
        return [
            c
            for frag in posts
            for c in flow.all_calls(frag, names)
            if c.added and c.function == self.function
        ]

    def earlier_refs(self) -> list[Call]:
        """Reference takes on the same names added in earlier hunks of the same function
        (which run before the dup unless a branch separates them)."""
        out: list[Call] = []
        for frag, _ in self.earlier:
            for c in flow.all_calls(frag, set(REF_TAKE)):
                if c.added and c.function == self.function and self.on_objects(c):
                    out.append(c)
        return out

    # --- the same hunk before the patch -----------------------------------------

    def pre_calls(self, names: set[str] | frozenset[str], removed_only: bool = True) -> list[Call]:
        if self.pre is None:
            return []
        return [c for c in flow.all_calls(self.pre, names) if c.added or not removed_only]

    @cached_property
    def pre_objects(self) -> frozenset[str]:
        """``loose_objects`` widened by the aliases the pre-image shows."""
        if self.pre is None:
            return self.loose_objects
        out = set(self.loose_objects)
        for name in aliases(self.pre.root, self.loose_objects, flow.index_of(self.pre)):
            out |= weak_twins(name)
        return frozenset(out)

    def pre_on_objects(self, call: Call) -> bool:
        return bool(call.args) and object_name(call.args[0]) in self.pre_objects

    @cached_property
    def converted_from(self) -> tuple[Call, ...]:
        """Dup calls the patch removes in this hunk on the same page/folio: this call
        replaces one of them (an API conversion, not a new dup site)."""
        return self._removed_on_objects(frozenset(DUP_FUNCTIONS), _dup_objects)

    def removed_in_hunk(self, names: set[str]) -> tuple[Call, ...]:
        """Calls to ``names`` on this page/folio (its first argument) that the patch
        removes in this hunk."""
        return self._removed_on_objects(frozenset(names), _first_object)

    def _removed_on_objects(
        self, names: frozenset[str], objects_of: Callable[[Call], set[str]]
    ) -> tuple[Call, ...]:
        if self.pre is None:
            return ()
        pre, index = self.pre, flow.index_of(self.pre)
        # once per hunk and page/folio names: every site of the hunk asks
        table = index.remember(
            ("removed-by-object", names, objects_of),
            lambda: _by_object([c for c in flow.all_calls(pre, names) if c.added], objects_of),
        )

        def collect() -> tuple[Call, ...]:
            found = {id(c): c for name in self.pre_objects for c in table.get(name, ())}
            return tuple(sorted(found.values(), key=lambda c: c.node.start_byte))

        return index.remember(("removed-on", names, objects_of, self.pre_objects), collect)

    # --- what is known about the page here --------------------------------------

    @cached_property
    def facts(self) -> list[flow.Fact]:
        """Every fact known at the call (as many as the early returns above it: rules
        that look for one kind ask :func:`flow.known_facts` with a filter)."""
        return flow.known_facts(self.node, self.index)

    @cached_property
    def guard_changed(self) -> bool:
        """The patch changes a line of a condition known at the call (a guard)."""
        return bool(flow.known_facts(self.node, self.index, _changed_fact))

    def page_kind(self) -> tuple[str | None, flow.Fact | None]:
        """ "anon", "file", "device" (device-private/exclusive: anon, cannot be pinned)
        or None, with the fact that says so."""
        return page_kind_at(self.node, self.loose_objects, self.scope, self.index)

    @cached_property
    def in_device_entry_function(self) -> bool:
        return (self.function or "") in DEVICE_ENTRY_FUNCTIONS


_REF_TAKES = frozenset(REF_TAKE)
_DUPS = frozenset(DUP_FUNCTIONS)


def _start(call: Call) -> int:
    return call.node.start_byte


def _first_object(call: Call) -> set[str]:
    return {object_name(call.args[0])} if call.args else set()


def _dup_objects(call: Call) -> set[str]:
    func = DUP_FUNCTIONS[call.callee]
    return {object_name(call.args[i]) for i in func.object_args if i < len(call.args)}


def _by_object(calls: list[Call], objects_of: Callable[[Call], set[str]]) -> dict[str, list[Call]]:
    out: dict[str, list[Call]] = {}
    for call in calls:
        for name in objects_of(call):
            out.setdefault(name, []).append(call)
    return out


def _changed_fact(fact: flow.Fact, index: flow.FlowIndex) -> bool:
    return index.frag is not None and node_touched(index.frag, fact.cond)


_KIND_TESTS = DEVICE_TESTS | ANON_VMA_TESTS | ANON_TESTS


def _tells_page_kind(fact: flow.Fact, index: flow.FlowIndex) -> bool:
    """The facts :func:`page_kind_at` can decide on: a condition the fragment does not
    show, or one with an anon, anon-VMA or device test (or a variable that may hold
    one) among the atoms it implies."""
    if fact.source in ("unknown-else", "unknown-if"):
        return True
    return any(
        atom.type == "identifier" or flow.callee(atom) in _KIND_TESTS
        for atom, _ in implied_atoms(fact.cond, fact.value)
    )


def page_kind_at(
    node: Node,
    objects: frozenset[str] | set[str],
    scope: Node,
    index: flow.FlowIndex | None = None,
) -> tuple[str | None, flow.Fact | None]:
    """What the code around ``node`` knows about the page: "device" (a device-private
    or device-exclusive entry: anon, cannot be pinned), "anon", "file" (an anon test on
    one of ``objects`` is false here) or None, with the fact that says so. ``index``:
    the fragment's flow tables, when asking for many nodes of one fragment."""
    idx = index if index is not None else flow.FlowIndex()
    for fact in flow.known_facts(node, idx, _tells_page_kind):  # the first that decides
        if fact.source in ("unknown-else", "unknown-if"):
            # the condition is not shown: judge by what the other arm does to the page
            before, after = flow.other_arm(fact.cond)
            other = before if fact.source == "unknown-else" else after
            if other is None:
                continue
            kind = _arm_kind(other, objects)
            if kind == "anon":
                return "file", fact
            if kind == "file":
                return "anon", fact
            continue
        for atom, value in implied_atoms(fact.cond, fact.value):
            name, arg = atom_call(atom, scope, idx)
            if name in DEVICE_TESTS and value:
                return "device", fact
            if name in ANON_VMA_TESTS and value:
                return "anon", fact
            if name in ANON_TESTS:
                if value:
                    return "anon", fact
                if arg is not None and object_name(arg) in objects and name != "PageAnonExclusive":
                    return "file", fact
    return None, None


def _arm_kind(arm: Node, objects: frozenset[str] | set[str]) -> str | None:
    """ "anon" when a block does anon-only work on the page (a try-dup call, an
    anon-exclusive test), "file" when it does the file dup; else None."""
    for node in flow.preorder(arm):
        if node.type == "call_expression":
            name = flow.callee(node)
            args = flow.call_args(node)
            on_me = bool(args) and object_name(flow.text(args[0])) in objects
            if on_me and (name in TRY_FUNCTIONS or name == "PageAnonExclusive"):
                return "anon"
            if on_me and name in FILE_BRANCH_CALLS:
                return "file"
    return None


def aliases(
    scope: Node, names: set[str] | frozenset[str], index: flow.FlowIndex | None = None
) -> set[str]:
    """``names`` plus the names that visible assignments tie to them through
    ``page_folio()``, ``&folio->page``, ``folio_page()`` and friends (both directions).
    ``index``: the fragment's flow tables, which keep the answer per scope and names."""
    if index is None:
        return _aliases(_alias_assignments(scope), names)
    pairs = index.remember(("alias-pairs", scope.id), lambda: _alias_assignments(scope))
    key = ("aliases", scope.id, frozenset(names))
    return set(index.remember(key, lambda: frozenset(_aliases(pairs, names))))


def _aliases(assigns: list[tuple[str, str]], names: set[str] | frozenset[str]) -> set[str]:
    out = set(names)
    for _ in range(3):
        grew = False
        for left, right in assigns:
            if left in out and right not in out:
                out.add(right)
                grew = True
            elif right in out and left not in out:
                out.add(left)
                grew = True
        if not grew:
            break
    return out


def _alias_assignments(scope: Node) -> list[tuple[str, str]]:
    """(left, object of right) for the alias-shaped assignments in ``scope``."""
    out: list[tuple[str, str]] = []
    for node in flow.preorder(scope):
        left = value = None
        if (
            node.type == "assignment_expression"
            and flow.text(node.child_by_field_name("operator")) == "="
        ):
            left, value = node.child_by_field_name("left"), node.child_by_field_name("right")
        elif node.type == "init_declarator":
            left, value = node.child_by_field_name("declarator"), node.child_by_field_name("value")
        if left is not None and value is not None:
            raw = flow.text(value)
            obj = object_name(raw)
            if obj != raw.strip() and re.fullmatch(r"[A-Za-z_]\w*", obj):
                out.append((flow.text(left).lstrip("* "), obj))
    return out


def implied_atoms(cond: Node, value: bool) -> list[tuple[Node, bool]]:
    """Predicate calls and plain identifiers whose value follows from ``cond == value``."""
    out: list[tuple[Node, bool]] = []
    stack = [(cond, value)]  # left operands on top: atoms come out in source order
    while stack:
        expr, val = stack.pop()
        node = flow.unwrap(expr)
        op = flow.text(node.child_by_field_name("operator"))
        if node.type == "unary_expression" and op == "!":
            arg = node.child_by_field_name("argument")
            if arg is not None:
                stack.append((arg, not val))
        elif node.type == "binary_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            implied = (op == "&&" and val) or (op == "||" and not val)
            if left is not None and right is not None and implied:
                stack += [(right, val), (left, val)]
        elif node.type in ("call_expression", "identifier"):
            out.append((node, val))
    return out


def atom_call(
    atom: Node, scope: Node, index: flow.FlowIndex | None = None
) -> tuple[str, str | None]:
    """The predicate an atom applies and its first argument; a boolean variable set
    from a predicate (``bool anon = PageAnon(page)``) stands for that predicate."""
    if atom.type == "call_expression":
        args = flow.call_args(atom)
        return flow.callee(atom), (flow.text(args[0]) if args else None)
    name = flow.text(atom)
    for _, value in flow.assignments(scope, name, index):
        inner = flow.unwrap(value)
        if inner.type == "call_expression":
            args = flow.call_args(inner)
            return flow.callee(inner), (flow.text(args[0]) if args else None)
    return name, None


def hunk_pairs(view: FileView) -> list[tuple[Fragment, Fragment | None]]:
    """Each post-image fragment with the pre-image of the same hunk (patch mode)."""
    if any(f.complete for f in view.post):
        return [(f, None) for f in view.post]
    pres = list(view.pre)
    return [(post, pres[i] if i < len(pres) else None) for i, post in enumerate(view.post)]


def sites(ctx: PatchContext, names: frozenset[str]) -> Iterator[Site]:
    """Every call to one of ``names`` (dup functions) in the post-image of the patch."""
    for view in ctx.c_files:
        pairs = hunk_pairs(view)
        for i, (post, pre) in enumerate(pairs):
            later = tuple(p for p, _ in pairs[i + 1 :])
            earlier = tuple(pairs[:i])
            for call in flow.all_calls(post, names):
                if call.callee not in DUP_FUNCTIONS or is_api_internal(call.function):
                    continue
                yield Site(call, DUP_FUNCTIONS[call.callee], post, pre, view, ctx, later, earlier)


def touched(site: Site, node: Node) -> bool:
    """Some line of ``node`` is added by the patch."""
    return node_touched(site.post, node)


def node_touched(frag: Fragment, node: Node) -> bool:
    """Some line of ``node`` is a changed line of ``frag``."""
    lo, hi = node.start_point.row, node.end_point.row
    lines = frag.lines
    return any(
        (n := lines[r]) is not None and n in frag.changed
        for r in range(lo, min(hi, len(lines) - 1) + 1)
    )


def function_touched(site: Site) -> bool:
    """Tree mode: the function around the call has a changed line."""
    return touched(site, site.scope)


def sees_whole_function(frag: Fragment, node: Node) -> bool:
    """The function around ``node`` is in the fragment from its first line to its closing
    brace (a hunk that ends inside it gets a balancing brace that is not a real line)."""
    if frag.complete:
        return True
    fn = frag.enclosing_function(node)
    return fn is not None and visible(frag, fn)


def visible(frag: Fragment, node: Node) -> bool:
    """Both ends of ``node`` are real lines of the fragment (not braces the parse added)."""
    lines = frag.lines
    lo, hi = node.start_point.row, node.end_point.row
    return (
        0 <= lo < len(lines)
        and hi < len(lines)
        and lines[lo] is not None
        and (lines[hi] is not None)
        and not node.has_error
    )


def first_line(frag: Fragment, node: Node) -> int | None:
    """The first real line of a block's first statement (what a deleted first statement
    would have been next to)."""
    body = [c for c in node.named_children if c.type != "comment"]
    target = body[0] if body else node
    return frag.line_of(target)


def deletion_point(view: FileView, index: int, old_line: int | None) -> int | None:
    """The post-image line that now sits where a removed line of hunk ``index`` was."""
    hunk = view.diff.hunks[index]
    passed = False
    last_new: int | None = None
    for ln in hunk.lines:
        if ln.kind == "-" and ln.old == old_line:
            passed = True
            continue
        if ln.new is not None:
            if passed:
                return ln.new
            last_new = ln.new
    return last_new


# --- calls the patch removes (evidence from removed lines) ---------------------------

HunkPairs = list[tuple[Fragment, Fragment | None]]


@dataclass(frozen=True)
class Removal:
    """A call on a removed line: its file, the file's hunks (post, pre) and which hunk."""

    call: Call
    view: FileView
    pairs: HunkPairs
    index: int

    @property
    def pre(self) -> Fragment:
        """The pre-image of the call's hunk (the call is in it)."""
        return self.call.fragment

    @property
    def line(self) -> int | None:
        """The post-image line that now sits where the call was."""
        return deletion_point(self.view, self.index, self.call.line)


def removals(ctx: PatchContext, names: set[str] | frozenset[str]) -> Iterator[Removal]:
    """The calls to ``names`` (with arguments) that the patch removes, file by file and
    hunk by hunk."""
    for view in ctx.c_files:
        pairs = hunk_pairs(view)
        for index, (_, pre) in enumerate(pairs):
            if pre is None:
                continue
            for call in flow.all_calls(pre, names):
                if call.added and call.args:
                    yield Removal(call, view, pairs, index)


def rewrites_function(pairs: HunkPairs, function: str | None, adds: Callable[[Call], bool]) -> bool:
    """In one file's hunks, the patch removes a dup call of ``function`` or adds a call
    there that ``adds`` accepts: something it removed from the function may have a
    stand-in, so its removal alone says nothing."""
    for post, pre in pairs:
        if pre is not None and any(
            c.added and c.function == function for c in flow.all_calls(pre, _DUPS)
        ):
            return True
        if any(c.added and c.function == function and adds(c) for c in flow.all_calls(post)):
            return True
    return False
