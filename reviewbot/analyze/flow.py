"""Control flow within one parsed C fragment: statement order, branches, guards, exits.

Rules that reason about "what happens before this call on its path" ask these questions
of a :class:`~reviewbot.analyze.cmodel.Fragment`'s tree-sitter nodes. Everything here is
structural (no data flow beyond visible assignments) and errs towards "could reach":
callers that must be sure of a defect combine it with their own evidence.

Nothing here recurses over the tree: a patch can nest an expression thousands deep, so
walks keep an explicit stack (:func:`preorder`). Questions that rules ask once per call
site (what is known there, what a name is assigned, which calls a function makes) are
answered from a :class:`FlowIndex` that a fragment builds once (:func:`index_of`).

Terms: a *statement* is a node that sits directly in a statement list (a compound
statement, the translation unit of a fragment, a case) or is the body of an ``if``,
``else``, loop or label. An *exit* leaves the current block for good: ``return``,
``goto``, ``break`` and ``continue`` (the last two only outside a nested loop/switch).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal, TypeVar, cast

import tree_sitter

from reviewbot.analyze.cmodel import Call, Fragment

Node = tree_sitter.Node

_LISTS = frozenset({"compound_statement", "translation_unit", "case_statement"})
_LOOPS = frozenset({"for_statement", "while_statement", "do_statement"})
EXIT_TYPES = frozenset(
    {"return_statement", "goto_statement", "break_statement", "continue_statement"}
)
_FUNCTION_BOUNDARY = frozenset({"function_definition", "translation_unit"})

# Wrappers that pass a value through unchanged for the purpose of "is it tested".
PASS_THROUGH_CALLS = frozenset({"likely", "unlikely", "WARN_ON_ONCE_NOT", "READ_ONCE"})
# Calls that consume a condition and stop (or warn) when it is true.
ASSERT_CALLS = frozenset(
    {
        "BUG_ON",
        "VM_BUG_ON",
        "VM_BUG_ON_PAGE",
        "VM_BUG_ON_FOLIO",
        "VM_BUG_ON_VMA",
        "VM_BUG_ON_MM",
        "WARN_ON",
        "WARN_ON_ONCE",
        "VM_WARN_ON",
        "VM_WARN_ON_ONCE",
        "VM_WARN_ON_PAGE",
        "VM_WARN_ON_FOLIO",
        "VM_WARN_ON_ONCE_PAGE",
        "VM_WARN_ON_ONCE_FOLIO",
        "WARN",
        "WARN_ONCE",
    }
)
# Of those, the ones after which the condition is known false (the kernel stopped otherwise).
STOPPING_ASSERTS = frozenset(
    {"BUG_ON", "VM_BUG_ON", "VM_BUG_ON_PAGE", "VM_BUG_ON_FOLIO", "VM_BUG_ON_VMA", "VM_BUG_ON_MM"}
)


T = TypeVar("T")


def preorder(node: Node, enter: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """``node`` and the named nodes below it in source order, parents first, without
    recursion. ``enter(child)`` false skips that child and everything below it."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        children = cur.named_children
        for child in reversed(children):
            if enter is None or enter(child):
                stack.append(child)


def text(node: Node | None) -> str:
    if node is None:
        return ""
    return " ".join((node.text or b"").decode("utf-8", "replace").split())


def same(a: Node, b: Node) -> bool:
    return a.start_byte == b.start_byte and a.end_byte == b.end_byte and a.type == b.type


def contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def ancestors(node: Node) -> Iterator[Node]:
    cur = node.parent
    while cur is not None:
        yield cur
        cur = cur.parent


def function_scope(node: Node) -> Node:
    """The function definition around ``node``, else the fragment's root."""
    last = node
    for anc in ancestors(node):
        last = anc
        if anc.type == "function_definition":
            return anc
    return last


def is_statement(node: Node) -> bool:
    parent = node.parent
    if parent is None or not node.is_named or node.type == "comment":
        return False
    if parent.type in ("compound_statement", "translation_unit"):
        return True
    field = _field_of(node)
    if parent.type == "case_statement":
        return field != "value"
    if parent.type == "if_statement":
        return field == "consequence"
    if parent.type == "else_clause":
        return True
    if parent.type in _LOOPS:
        return field == "body"
    if parent.type == "labeled_statement":
        return node.type != "statement_identifier"
    return False


def _field_of(node: Node) -> str | None:
    parent = node.parent
    if parent is None:
        return None
    for i, child in enumerate(parent.children):
        if same(child, node):
            return parent.field_name_for_child(i)
    return None


def statement_of(node: Node) -> Node:
    """The innermost statement that contains ``node`` (itself if it is one)."""
    cur: Node | None = node
    while cur is not None:
        if is_statement(cur):
            return cur
        cur = cur.parent
    return node


def arm_of(node: Node, if_node: Node) -> Literal["then", "else", "condition", None]:
    """Which part of ``if_node`` holds ``node``."""
    cond = if_node.child_by_field_name("condition")
    cons = if_node.child_by_field_name("consequence")
    alt = if_node.child_by_field_name("alternative")
    if cond is not None and contains(cond, node):
        return "condition"
    if cons is not None and contains(cons, node):
        return "then"
    if alt is not None and contains(alt, node):
        return "else"
    return None


def _key(node: Node) -> tuple[int, int, str]:
    return node.start_byte, node.end_byte, node.type


def lowest_common_ancestor(a: Node, b: Node) -> Node | None:
    chain = {_key(n) for n in (a, *ancestors(a))}
    for anc in (b, *ancestors(b)):
        if _key(anc) in chain:
            return anc
    return None


def is_exit(stmt: Node) -> bool:
    return stmt.type in EXIT_TYPES


def ends_with_exit(stmt: Node) -> bool:
    """The statement (or block) always leaves: its last statement is an exit."""
    # Every statement on the stack must end with an exit (both arms of an if do).
    pending = [stmt]
    while pending:
        cur = pending.pop()
        if is_exit(cur):
            continue
        if cur.type == "compound_statement":
            body = [c for c in cur.named_children if c.type != "comment"]
            if not body:
                return False
            pending.append(body[-1])
        elif cur.type == "if_statement":
            cons = cur.child_by_field_name("consequence")
            alt = cur.child_by_field_name("alternative")
            alt_body = alt.named_children[-1] if alt is not None and alt.named_children else None
            if cons is None or alt_body is None:
                return False
            pending += [cons, alt_body]
        elif cur.type == "expression_statement":
            call = cur.named_children[0] if cur.named_children else None
            if not (
                call is not None
                and call.type == "call_expression"
                and text(call.child_by_field_name("function")) in ("BUG", "panic")
            ):
                return False
        else:
            return False
    return True


def _exclusive_arms(a: Node, b: Node, lca: Node) -> bool:
    if lca.type == "if_statement":
        arm_a, arm_b = arm_of(a, lca), arm_of(b, lca)
        return {arm_a, arm_b} == {"then", "else"}
    if lca.type == "else_clause":
        return False
    return False


def _leaves_before(a: Node, stop: Node, index: FlowIndex) -> bool:
    """From ``a``, control always leaves some block below ``stop`` before going on."""
    child = statement_of(a)
    for anc in ancestors(child):
        if same(anc, stop):
            return False
        if anc.type in ("compound_statement", "case_statement"):
            block = index.statement_list(anc)
            i = block.position.get(child.id)
            if i is not None and block.exit_from[i + 1]:
                return True
        if anc.type in _LOOPS:
            # leaving a loop body by break/continue still continues after the loop
            return False
        child = anc
    return False


def can_reach(a: Node, b: Node, index: FlowIndex | None = None) -> bool:
    """``a`` comes before ``b`` and some path (one loop iteration) runs from ``a`` to ``b``.
    Pass the fragment's index when asking about many nodes of one fragment."""
    if a.start_byte >= b.start_byte:
        return False
    lca = lowest_common_ancestor(a, b)
    if lca is None:
        return False
    # inside an if, the two arms never both run
    for anc in [lca, *ancestors(lca)]:
        if anc.type == "if_statement" and _exclusive_arms(a, b, anc):
            return False
        if anc.type in _FUNCTION_BOUNDARY:
            break
    return not _leaves_before(a, lca, index if index is not None else FlowIndex())


def dominates(a: Node, b: Node, index: FlowIndex | None = None) -> bool:
    """``a`` runs on every path that reaches ``b`` (structurally: not in a branch ``b``
    is outside of, and before it)."""
    if a.start_byte >= b.start_byte:
        return False
    lca = lowest_common_ancestor(a, b)
    if lca is None:
        return False
    for anc in ancestors(a):
        if same(anc, lca) or contains(anc, b):
            break
        if anc.type in ("if_statement", "switch_statement", *_LOOPS, "conditional_expression"):
            if anc.type == "if_statement" and arm_of(a, anc) == "condition":
                continue
            return False
        if anc.type == "binary_expression" and text(anc.child_by_field_name("operator")) in (
            "&&",
            "||",
        ):
            right = anc.child_by_field_name("right")
            if right is not None and contains(right, a):
                return False
    return can_reach(a, b, index)


def exits_within(block: Node) -> list[Node]:
    """Exit statements that leave ``block`` (break/continue only outside nested loops)."""
    if block.type in (
        "return_statement",
        "goto_statement",
        "break_statement",
        "continue_statement",
    ):
        return [block]  # a branch that is a single exit statement
    out: list[Node] = []
    # (node, loops and switches around it inside the block), in source order
    stack: list[tuple[Node, int]] = [(block, 0)]
    while stack:
        node, loop_depth = stack.pop()
        for child in reversed(node.named_children):
            if child.type in ("return_statement", "goto_statement"):
                out.append(child)
            elif child.type in ("break_statement", "continue_statement"):
                if loop_depth == 0:
                    out.append(child)
            elif child.type != "function_definition":
                nested = loop_depth + (1 if child.type in (*_LOOPS, "switch_statement") else 0)
                stack.append((child, nested))
    out.sort(key=lambda n: n.start_byte)
    return out


def labels(scope: Node, index: FlowIndex | None = None) -> dict[str, Node]:
    """``label:`` statements in ``scope`` by name."""
    if index is not None:
        return index.remember(("labels", scope.id), lambda: labels(scope))
    out: dict[str, Node] = {}
    for node in preorder(scope):
        if node.type == "labeled_statement" and not same(node, scope):
            label = node.child_by_field_name("label")
            if label is not None:
                out[text(label)] = node
    return out


def following_statements(
    stmt: Node, index: FlowIndex | None = None, limit: int | None = None
) -> list[Node]:
    """The statements after ``stmt`` in its list, then after its enclosing statements,
    up to the function: what runs next when ``stmt`` completes normally (the first
    ``limit`` of them when given)."""
    return list(islice(next_statements(stmt, index), limit))


def next_statements(stmt: Node, index: FlowIndex | None = None) -> Iterator[Node]:
    """:func:`following_statements`, one at a time (callers that stop early pay for
    what they read)."""
    idx = index if index is not None else FlowIndex()
    child = stmt
    for anc in ancestors(stmt):
        if anc.type in _LISTS:
            block = idx.statement_list(anc)
            i = block.position.get(child.id)
            if i is not None:
                for j in range(i + 1, len(block.siblings)):
                    yield block.siblings[j]
        if anc.type in _FUNCTION_BOUNDARY or anc.type in _LOOPS:
            break
        child = anc


# --- expressions -------------------------------------------------------------------


def unwrap(expr: Node) -> Node:
    """Strip parentheses, ``likely()``/``unlikely()`` and casts around a value."""
    cur = expr
    while True:
        if cur.type == "parenthesized_expression" and cur.named_children:
            inner = [c for c in cur.named_children if c.type != "comment"]
            if len(inner) != 1:
                return cur
            cur = inner[0]
        elif (
            cur.type == "call_expression"
            and text(cur.child_by_field_name("function")) in PASS_THROUGH_CALLS
        ):
            args = cur.child_by_field_name("arguments")
            named = [c for c in args.named_children if c.type != "comment"] if args else []
            if len(named) != 1:
                return cur
            cur = named[0]
        else:
            return cur


def callee(call: Node) -> str:
    return text(call.child_by_field_name("function"))


def call_args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [c for c in args.named_children if c.type != "comment"] if args else []


UseKind = Literal[
    "dropped", "void", "condition", "assigned", "returned", "asserted", "argument", "other"
]


@dataclass(frozen=True)
class ResultUse:
    """How the value of a call expression is consumed."""

    kind: UseKind
    consumer: Node  # the statement, if, assignment or call that takes the value
    target: str | None = None  # the variable for "assigned"
    negated: bool = False  # the condition tests the value with ``!`` or ``== 0``


def result_use(call: Node) -> ResultUse:
    child = call
    negated = False
    for anc in ancestors(call):
        t = anc.type
        if t in ("parenthesized_expression", "argument_list"):
            child = anc
            continue
        if t == "call_expression":
            name = callee(anc)
            if name in PASS_THROUGH_CALLS:
                child = anc
                continue
            if name in ASSERT_CALLS:
                return ResultUse("asserted", anc)
            return ResultUse("argument", anc)
        if t == "unary_expression" and text(anc.child_by_field_name("operator")) == "!":
            negated = not negated
            child = anc
            continue
        if t == "binary_expression":
            op = text(anc.child_by_field_name("operator"))
            other = anc.child_by_field_name("right")
            if other is not None and same(other, child):
                other = anc.child_by_field_name("left")
            if op in ("==", "!=", "<", ">", "<=", ">=") and other is not None:
                if op == "==" and text(other) == "0":
                    negated = not negated
                child = anc
                continue
            if op in ("&&", "||"):
                child = anc
                continue
            return ResultUse("other", anc)
        if t == "cast_expression":
            if "void" in text(anc.child_by_field_name("type")):
                return ResultUse("void", anc)
            child = anc
            continue
        if t == "expression_statement":
            return ResultUse("dropped", anc)
        if t in (
            "if_statement",
            "while_statement",
            "do_statement",
            "switch_statement",
            "conditional_expression",
            "for_statement",
        ):
            return ResultUse("condition", anc, negated=negated)
        if t == "assignment_expression":
            right = anc.child_by_field_name("right")
            if right is not None and contains(right, call):
                return ResultUse("assigned", anc, text(anc.child_by_field_name("left")))
            return ResultUse("other", anc)
        if t == "init_declarator":
            decl = anc.child_by_field_name("declarator")
            return ResultUse("assigned", anc, text(decl).lstrip("*").strip())
        if t == "return_statement":
            return ResultUse("returned", anc)
        if t in ("comma_expression",):
            child = anc
            continue
        return ResultUse("other", anc)
    return ResultUse("other", call)


@dataclass(frozen=True)
class Branches:
    """The two ways an ``if`` on a tested value goes."""

    if_node: Node
    nonzero: Node | None  # what runs when the value is non-zero (an error, for try calls)
    zero: Node | None  # what runs when it is zero


def branches_on(call: Node, index: FlowIndex | None = None) -> Branches | None:
    """For a call whose value an ``if`` tests (directly, or through a variable that the
    next statements test), the branch taken on non-zero and on zero."""
    use = result_use(call)
    if_node: Node | None = None
    negated = False
    if use.kind == "condition" and use.consumer.type == "if_statement":
        if_node, negated = use.consumer, use.negated
        if not _simple_test(if_node, call):
            return None
    elif use.kind == "assigned" and use.target:
        stmt = statement_of(use.consumer)
        for nxt in following_statements(stmt, index, limit=3):
            if nxt.type == "if_statement":
                cond = nxt.child_by_field_name("condition")
                found = _find_identifier(cond, use.target) if cond is not None else None
                if found is not None:
                    neg = result_use(found)
                    if (
                        neg.kind == "condition"
                        and same(neg.consumer, nxt)
                        and _simple_test(nxt, found)
                    ):
                        if_node, negated = nxt, neg.negated
                        break
            if is_exit(nxt):
                break
    if if_node is None:
        return None
    cons = if_node.child_by_field_name("consequence")
    alt = if_node.child_by_field_name("alternative")
    alt_body = alt.named_children[-1] if alt is not None and alt.named_children else None
    if negated:
        return Branches(if_node, alt_body, cons)
    return Branches(if_node, cons, alt_body)


def _simple_test(if_node: Node, value: Node) -> bool:
    """The condition is the value itself (maybe negated or compared), not part of a
    larger ``&&``/``||`` whose other half decides the branch too."""
    cond = if_node.child_by_field_name("condition")
    if cond is None:
        return False
    for anc in ancestors(value):
        if same(anc, cond):
            return True
        if anc.type == "binary_expression" and text(anc.child_by_field_name("operator")) in (
            "&&",
            "||",
        ):
            return False
    return False


def _find_identifier(node: Node, name: str) -> Node | None:
    for cur in preorder(node):
        if cur.type == "identifier" and text(cur) == name:
            return cur
    return None


# --- what is known at a point ----------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A condition known to have ``value`` at a point, and where that comes from."""

    cond: Node
    value: bool
    # unknown-else / unknown-if: the node is in the else / then arm of an if whose
    # condition the fragment does not show; ``cond`` is then the bare ``else``.
    source: Literal["if", "else", "early-exit", "assert", "unknown-else", "unknown-if"]


def is_orphan_else(node: Node) -> bool:
    """A bare ``else`` that a fragment parse left as an expression statement."""
    return (
        node.type == "expression_statement"
        and node.end_byte - node.start_byte < 80  # don't read a huge statement's text
        and text(node).rstrip(";").strip() == "else"
    )


def is_synthetic_condition(cond: Node) -> bool:
    """``if (1)``: what :mod:`~reviewbot.analyze.cmodel` puts before a hunk that starts
    inside the then-block of an if/else (the real condition is above the hunk)."""
    return (
        cond.start_point.row == 0 and cond.end_byte - cond.start_byte == 3 and text(cond) == "(1)"
    )


def other_arm(orphan: Node) -> tuple[Node | None, Node | None]:
    """For a bare ``else`` of a fragment, or the condition of a synthetic ``if (1)``:
    (the then block, the else block)."""
    parent = orphan.parent
    if parent is not None and parent.type == "if_statement":
        alt = parent.child_by_field_name("alternative")
        alt_body = alt.named_children[-1] if alt is not None and alt.named_children else None
        return parent.child_by_field_name("consequence"), alt_body
    before = orphan.prev_named_sibling
    while before is not None and before.type == "comment":
        before = before.prev_named_sibling
    after = orphan.next_named_sibling
    while after is not None and after.type == "comment":
        after = after.next_named_sibling
    return (
        before if before is not None and before.type == "compound_statement" else None,
        after if after is not None and after.type == "compound_statement" else None,
    )


# Which facts a caller of :func:`known_facts` cares about; a module-level function, so
# that it can key the index's tables.
FactFilter = Callable[[Fact, "FlowIndex"], bool]


def _sibling_fact(sib: Node) -> Fact | None:
    """What a statement tells the statements after it: ``if (c) return;`` that ``c`` is
    false, ``BUG_ON(c)`` likewise."""
    if sib.type == "if_statement" and sib.child_by_field_name("alternative") is None:
        cons = sib.child_by_field_name("consequence")
        cond = sib.child_by_field_name("condition")
        if cons is not None and cond is not None and ends_with_exit(cons):
            return Fact(cond, False, "early-exit")
    if sib.type == "expression_statement" and sib.named_children:
        call = sib.named_children[0]
        if call.type == "call_expression" and callee(call) in ASSERT_CALLS:
            args = call_args(call)
            if args:
                return Fact(args[0], False, "assert")
    return None


@dataclass(frozen=True)
class _StatementList:
    """The facts a statement list's statements establish, for every position in it."""

    siblings: list[Node]  # the statements (comments left out)
    position: dict[int, int]  # node id of a statement -> its index in ``siblings``
    facts: list[Fact]  # what the statements establish, in order
    before: list[int]  # before[i]: how many of ``facts`` come from ``siblings[:i]``
    exit_from: list[bool]  # exit_from[i]: one of ``siblings[i:]`` always leaves

    @classmethod
    def of(cls, block: Node) -> _StatementList:
        siblings = [c for c in block.named_children if c.type != "comment"]
        facts: list[Fact] = []
        before: list[int] = []
        for sib in siblings:
            before.append(len(facts))
            fact = _sibling_fact(sib)
            if fact is not None:
                facts.append(fact)
        before.append(len(facts))
        exit_from = [False] * (len(siblings) + 1)
        for i in range(len(siblings) - 1, -1, -1):
            exit_from[i] = exit_from[i + 1] or ends_with_exit(siblings[i])
        position = {sib.id: i for i, sib in enumerate(siblings)}
        return cls(siblings, position, facts, before, exit_from)


class FlowIndex:
    """The per-fragment tables behind the questions rules ask once per call site.

    Built on first use and kept by the fragment (:func:`index_of`), so a rule that asks
    for every one of thousands of calls what is known there, or what a name was
    assigned, pays for one pass over the tree, not one per call. Nodes are keyed by
    ``Node.id``, which is unique within one tree: an index only ever sees its own
    fragment's nodes. A ``FlowIndex()`` without a fragment answers one-off questions.
    """

    def __init__(self, frag: Fragment | None = None) -> None:
        self.frag = frag
        self._lists: dict[int, _StatementList] = {}
        self._assigns: dict[int, dict[str, list[tuple[Node, Node]]]] = {}
        self._calls: dict[frozenset[str] | None, tuple[tuple[Call, ...], list[int]]] = {}
        self._calls_within: dict[tuple[frozenset[str] | None, int], tuple[Call, ...]] = {}
        self._memo: dict[Hashable, object] = {}

    def statement_list(self, block: Node) -> _StatementList:
        found = self._lists.get(block.id)
        if found is None:
            found = self._lists[block.id] = _StatementList.of(block)
        return found

    def list_facts(
        self, block: Node, relevant: FactFilter | None = None
    ) -> tuple[list[Fact], list[int]]:
        """A statement list's facts and how many come before each position (as in
        :class:`_StatementList`), only the ``relevant`` ones when given."""
        every = self.statement_list(block)
        if relevant is None:
            return every.facts, every.before
        key = ("list-facts", block.id, relevant)
        if key not in self._memo:
            kept: list[Fact] = []
            upto = [0]  # upto[k]: how many of every.facts[:k] are kept
            for fact in every.facts:
                if relevant(fact, self):
                    kept.append(fact)
                upto.append(len(kept))
            self._memo[key] = (kept, [upto[b] for b in every.before])
        return cast(tuple[list[Fact], list[int]], self._memo[key])

    def assignments(self, scope: Node) -> dict[str, list[tuple[Node, Node]]]:
        """Plain ``name = value`` and ``T name = value`` in ``scope`` by name, in source
        order: (the assignment or declarator, the value)."""
        table = self._assigns.get(scope.id)
        if table is None:
            table = self._assigns[scope.id] = {}
            for node in preorder(scope):
                if node.type == "assignment_expression":
                    left = node.child_by_field_name("left")
                    right = node.child_by_field_name("right")
                    op = text(node.child_by_field_name("operator"))
                    if left is not None and right is not None and op == "=":
                        table.setdefault(text(left), []).append((node, right))
                elif node.type == "init_declarator":
                    decl = node.child_by_field_name("declarator")
                    value = node.child_by_field_name("value")
                    if decl is not None and value is not None:
                        table.setdefault(text(decl).lstrip("* "), []).append((node, value))
        return table

    def identifiers(self, scope: Node) -> dict[str, list[Node]]:
        """The ``identifier`` nodes in ``scope`` by name, in source order."""
        key = ("identifiers", scope.id)
        if key not in self._memo:
            table: dict[str, list[Node]] = {}
            for node in preorder(scope):
                if node.type == "identifier":
                    table.setdefault(text(node), []).append(node)
            self._memo[key] = table
        return cast(dict[str, list[Node]], self._memo[key])

    def calls(
        self, names: set[str] | frozenset[str] | None = None, scope: Node | None = None
    ) -> tuple[Call, ...]:
        """The fragment's calls to ``names`` (all calls: None) in source order, only
        those inside ``scope`` when given: a slice, not a scan."""
        if self.frag is None:
            raise ValueError("a FlowIndex without a fragment has no calls")
        key = frozenset(names) if names is not None else None
        entry = self._calls.get(key)
        if entry is None:
            found = tuple(sorted(self.frag.calls(names), key=lambda c: c.node.start_byte))
            entry = self._calls[key] = (found, [c.node.start_byte for c in found])
        found, starts = entry
        if scope is None:
            return found
        within = self._calls_within.get((key, scope.id))
        if within is None:
            lo = bisect_left(starts, scope.start_byte)
            hi = bisect_left(starts, scope.end_byte, lo)
            within = tuple(c for c in found[lo:hi] if c.node.end_byte <= scope.end_byte)
            self._calls_within[(key, scope.id)] = within
        return within

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` for this fragment (helpers of the rule packs
        keep their per-function tables here)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])


_INDEX_ATTRIBUTE = "_flow_index"


def index_of(frag: Fragment) -> FlowIndex:
    """The fragment's :class:`FlowIndex`, built on first use and stored on the fragment
    (it lives exactly as long as the parse tree whose node ids it holds)."""
    found = frag.__dict__.get(_INDEX_ATTRIBUTE)
    if isinstance(found, FlowIndex):
        return found
    index = FlowIndex(frag)
    frag.__dict__[_INDEX_ATTRIBUTE] = index
    return index


def known_facts(
    node: Node, index: FlowIndex | None = None, relevant: FactFilter | None = None
) -> list[Fact]:
    """Conditions that hold at ``node``: enclosing ``if`` arms, earlier ``if (c) return;``
    in enclosing blocks, and stopping asserts (``BUG_ON(c)``) before it.

    Pass the fragment's index when asking for many nodes of one fragment, and, when
    only some facts can matter, a module-level ``relevant(fact, index)`` filter: the
    index keeps each block's relevant facts, so a call after thousands of irrelevant
    early returns costs no more than one after none.
    """
    idx = index if index is not None else FlowIndex()
    facts: list[Fact] = []

    def add(fact: Fact) -> None:
        if relevant is None or relevant(fact, idx):
            facts.append(fact)

    child = node
    for anc in ancestors(node):
        if anc.type == "if_statement":
            arm = arm_of(child, anc)
            cond = anc.child_by_field_name("condition")
            # The fragment builder opens a block closed by ``} else`` with ``if (1) {``:
            # its condition is not the code's, only the shape is.
            unknown = cond is not None and is_synthetic_condition(cond)
            if cond is not None and arm == "then":
                add(Fact(cond, True, "unknown-if" if unknown else "if"))
            elif cond is not None and arm == "else":
                add(Fact(cond, False, "unknown-else" if unknown else "else"))
        if anc.type in _LISTS:
            block = idx.statement_list(anc)
            i = block.position.get(child.id)
            kept, before = idx.list_facts(anc, relevant)
            facts += kept[: before[len(block.siblings) if i is None else i]]
            if i is not None and child.type == "compound_statement":
                # A hunk that starts inside an if/else shows ``} else {`` without its
                # ``if``: the parse has the block, a bare ``else``, then the block.
                prev = block.siblings[i - 1] if i > 0 else None
                if prev is not None and is_orphan_else(prev):
                    add(Fact(prev, False, "unknown-else"))
                nxt = block.siblings[i + 1] if i + 1 < len(block.siblings) else None
                if nxt is not None and is_orphan_else(nxt):
                    add(Fact(nxt, True, "unknown-if"))
        if anc.type in _FUNCTION_BOUNDARY:
            break
        child = anc
    return facts


def assignments(scope: Node, name: str, index: FlowIndex | None = None) -> list[tuple[Node, Node]]:
    """``name = value`` and ``T name = value`` in ``scope``: (statement-level node, value)."""
    idx = index if index is not None else FlowIndex()
    return list(idx.assignments(scope).get(name, ()))


def declares(scope: Node, name: str) -> Node | None:
    """A declaration of local ``name`` (or a parameter) visible in ``scope``."""
    for node in preorder(scope):
        if node.type in ("declaration", "parameter_declaration"):
            for d in node.named_children:
                target = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
                if target is not None and text(target).lstrip("* ").split("[")[0] == name:
                    return node
    return None


def is_parameter(scope: Node, name: str) -> bool:
    if scope.type != "function_definition":
        return False
    decl = scope.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    return params is not None and declares(params, name) is not None


def all_calls(frag: Fragment, names: set[str] | frozenset[str] | None = None) -> list[Call]:
    """The fragment's calls in source order (found once per fragment and name set)."""
    return list(index_of(frag).calls(names))
