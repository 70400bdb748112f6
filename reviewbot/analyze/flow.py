"""Control flow within one parsed C fragment: statement order, branches, guards, exits.

Rules that reason about "what happens before this call on its path" ask these questions
of a :class:`~reviewbot.analyze.cmodel.Fragment`'s tree-sitter nodes. Everything here is
structural (no data flow beyond visible assignments) and errs towards "could reach":
callers that must be sure of a defect combine it with their own evidence.

Terms: a *statement* is a node that sits directly in a statement list (a compound
statement, the translation unit of a fragment, a case) or is the body of an ``if``,
``else``, loop or label. An *exit* leaves the current block for good: ``return``,
``goto``, ``break`` and ``continue`` (the last two only outside a nested loop/switch).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

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


def in_condition_of(node: Node) -> Node | None:
    """The ``if``/loop/switch whose condition holds ``node``, if any."""
    child = node
    for anc in ancestors(node):
        if anc.type in ("if_statement", "while_statement", "switch_statement", "do_statement"):
            cond = anc.child_by_field_name("condition")
            if cond is not None and contains(cond, child):
                return anc
            return None
        if is_statement(child) or anc.type in _FUNCTION_BOUNDARY:
            return None
        child = anc
    return None


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


def lowest_common_ancestor(a: Node, b: Node) -> Node | None:
    chain = [a, *ancestors(a)]
    for anc in [b, *ancestors(b)]:
        for cand in chain:
            if same(cand, anc):
                return anc
    return None


def is_exit(stmt: Node) -> bool:
    return stmt.type in EXIT_TYPES


def ends_with_exit(stmt: Node) -> bool:
    """The statement (or block) always leaves: its last statement is an exit."""
    if is_exit(stmt):
        return True
    if stmt.type == "compound_statement":
        body = [c for c in stmt.named_children if c.type != "comment"]
        return bool(body) and ends_with_exit(body[-1])
    if stmt.type == "if_statement":
        cons = stmt.child_by_field_name("consequence")
        alt = stmt.child_by_field_name("alternative")
        if cons is None or alt is None:
            return False
        alt_body = alt.named_children[-1] if alt.named_children else None
        return ends_with_exit(cons) and alt_body is not None and ends_with_exit(alt_body)
    if stmt.type == "expression_statement":
        call = stmt.named_children[0] if stmt.named_children else None
        return (
            call is not None
            and call.type == "call_expression"
            and text(call.child_by_field_name("function")) in ("BUG", "panic")
        )
    return False


def _exclusive_arms(a: Node, b: Node, lca: Node) -> bool:
    if lca.type == "if_statement":
        arm_a, arm_b = arm_of(a, lca), arm_of(b, lca)
        return {arm_a, arm_b} == {"then", "else"}
    if lca.type == "else_clause":
        return False
    return False


def _leaves_before(a: Node, stop: Node) -> bool:
    """From ``a``, control always leaves some block below ``stop`` before going on."""
    child = statement_of(a)
    for anc in ancestors(child):
        if same(anc, stop):
            return False
        if anc.type in ("compound_statement", "case_statement"):
            after = False
            for sib in anc.named_children:
                if same(sib, child) or contains(sib, child):
                    after = True
                    continue
                if after and sib.type != "comment" and ends_with_exit(sib):
                    return True
        if anc.type in _LOOPS:
            # leaving a loop body by break/continue still continues after the loop
            return False
        child = anc
    return False


def can_reach(a: Node, b: Node) -> bool:
    """``a`` comes before ``b`` and some path (one loop iteration) runs from ``a`` to ``b``."""
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
    return not _leaves_before(a, lca)


def dominates(a: Node, b: Node) -> bool:
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
    return can_reach(a, b)


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

    def walk(node: Node, loop_depth: int) -> None:
        for child in node.named_children:
            if child.type in ("return_statement", "goto_statement"):
                out.append(child)
            elif child.type in ("break_statement", "continue_statement"):
                if loop_depth == 0:
                    out.append(child)
            elif child.type in ("function_definition",):
                continue
            else:
                nested = loop_depth + (1 if child.type in (*_LOOPS, "switch_statement") else 0)
                walk(child, nested)

    walk(block, 0)
    return out


def labels(scope: Node) -> dict[str, Node]:
    """``label:`` statements in ``scope`` by name."""
    out: dict[str, Node] = {}

    def walk(node: Node) -> None:
        for child in node.named_children:
            if child.type == "labeled_statement":
                label = child.child_by_field_name("label")
                if label is not None:
                    out[text(label)] = child
            walk(child)

    walk(scope)
    return out


def following_statements(stmt: Node) -> list[Node]:
    """The statements after ``stmt`` in its list, then after its enclosing statements,
    up to the function: what runs next when ``stmt`` completes normally."""
    out: list[Node] = []
    child = stmt
    for anc in ancestors(stmt):
        if anc.type in ("compound_statement", "case_statement", "translation_unit"):
            after = False
            for sib in anc.named_children:
                if after and sib.type != "comment":
                    out.append(sib)
                if same(sib, child):
                    after = True
        if anc.type in _FUNCTION_BOUNDARY or anc.type in _LOOPS:
            break
        child = anc
    return out


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


def branches_on(call: Node) -> Branches | None:
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
        for nxt in following_statements(stmt)[:3]:
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
    if node.type == "identifier" and text(node) == name:
        return node
    for child in node.named_children:
        found = _find_identifier(child, name)
        if found is not None:
            return found
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
    return node.type == "expression_statement" and text(node).rstrip(";").strip() == "else"


def is_synthetic_condition(cond: Node) -> bool:
    """``if (1)``: what :mod:`~reviewbot.analyze.cmodel` puts before a hunk that starts
    inside the then-block of an if/else (the real condition is above the hunk)."""
    return text(cond) == "(1)" and cond.start_point.row == 0


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


def known_facts(node: Node) -> list[Fact]:
    """Conditions that hold at ``node``: enclosing ``if`` arms, earlier ``if (c) return;``
    in enclosing blocks, and stopping asserts (``BUG_ON(c)``) before it."""
    facts: list[Fact] = []
    child = node
    for anc in ancestors(node):
        if anc.type == "if_statement":
            arm = arm_of(child, anc)
            cond = anc.child_by_field_name("condition")
            # The fragment builder opens a block closed by ``} else`` with ``if (1) {``:
            # its condition is not the code's, only the shape is.
            unknown = cond is not None and is_synthetic_condition(cond)
            if cond is not None and arm == "then":
                facts.append(Fact(cond, True, "unknown-if" if unknown else "if"))
            elif cond is not None and arm == "else":
                facts.append(Fact(cond, False, "unknown-else" if unknown else "else"))
        if anc.type in ("compound_statement", "translation_unit", "case_statement"):
            prev: Node | None = None
            siblings = [c for c in anc.named_children if c.type != "comment"]
            for i, sib in enumerate(siblings):
                if contains(sib, child):
                    # A hunk that starts inside an if/else shows ``} else {`` without its
                    # ``if``: the parse has the block, a bare ``else``, then the block.
                    if (
                        sib.type == "compound_statement"
                        and prev is not None
                        and is_orphan_else(prev)
                    ):
                        facts.append(Fact(prev, False, "unknown-else"))
                    nxt = siblings[i + 1] if i + 1 < len(siblings) else None
                    if sib.type == "compound_statement" and nxt is not None and is_orphan_else(nxt):
                        facts.append(Fact(nxt, True, "unknown-if"))
                    break
                if sib.type == "if_statement" and sib.child_by_field_name("alternative") is None:
                    cons = sib.child_by_field_name("consequence")
                    cond = sib.child_by_field_name("condition")
                    if cons is not None and cond is not None and ends_with_exit(cons):
                        facts.append(Fact(cond, False, "early-exit"))
                if sib.type == "expression_statement" and sib.named_children:
                    call = sib.named_children[0]
                    if call.type == "call_expression" and callee(call) in ASSERT_CALLS:
                        args = call_args(call)
                        if args:
                            facts.append(Fact(args[0], False, "assert"))
                if sib.type != "comment":
                    prev = sib
        if anc.type in _FUNCTION_BOUNDARY:
            break
        child = anc
    return facts


def assignments(scope: Node, name: str) -> list[tuple[Node, Node]]:
    """``name = value`` and ``T name = value`` in ``scope``: (statement-level node, value)."""
    out: list[tuple[Node, Node]] = []

    def walk(node: Node) -> None:
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            op = text(node.child_by_field_name("operator"))
            if left is not None and right is not None and op == "=" and text(left) == name:
                out.append((node, right))
        elif node.type == "init_declarator":
            decl = node.child_by_field_name("declarator")
            value = node.child_by_field_name("value")
            if decl is not None and value is not None and text(decl).lstrip("* ") == name:
                out.append((node, value))
        for child in node.named_children:
            walk(child)

    walk(scope)
    return out


def declares(scope: Node, name: str) -> Node | None:
    """A declaration of local ``name`` (or a parameter) visible in ``scope``."""

    def walk(node: Node) -> Node | None:
        if node.type in ("declaration", "parameter_declaration"):
            for d in node.named_children:
                target = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
                if target is not None and text(target).lstrip("* ").split("[")[0] == name:
                    return node
        for child in node.named_children:
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(scope)


def is_parameter(scope: Node, name: str) -> bool:
    if scope.type != "function_definition":
        return False
    decl = scope.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    params = decl.child_by_field_name("parameters") if decl is not None else None
    return params is not None and declares(params, name) is not None


def all_calls(frag: Fragment, names: set[str] | frozenset[str] | None = None) -> list[Call]:
    """The fragment's calls in source order (the C model finds them once per fragment)."""
    return frag.calls(names)
