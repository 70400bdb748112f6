"""Which functions and macros a patch defines, removes and shows, from its C fragments.

A definition counts as *added* when the line with its name is an added line, *removed*
when that line is a removed line, and *shown* when it is a context line: a rename is
one removal and one addition. Prototypes are kept apart from definitions, because a
removed prototype does not remove the function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import tree_sitter

from reviewbot.analyze import flow
from reviewbot.analyze.cmodel import (
    FileView,
    Fragment,
    file_view,
    function_definition_name,
    is_c_file,
    node_text,
)
from reviewbot.parse.patch import Patch

DefKind = Literal["function", "macro", "prototype"]


@dataclass(frozen=True)
class Definition:
    name: str
    kind: DefKind
    path: str
    line: int | None  # image line of the name
    changed: bool  # the name's line is added (post side) or removed (pre side)
    static: bool
    params: int | None  # parameter count of a function or function-like macro
    # Inside #if/#ifdef (include guards aside): another branch may define it too.
    conditional: bool = False


def _params(declarator: tree_sitter.Node | None) -> int | None:
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return None
    params = declarator.child_by_field_name("parameters")
    if params is None:
        return None
    named = [p for p in params.named_children if p.type != "comment"]
    if len(named) == 1 and node_text(named[0]).strip() == "void":
        return 0
    return len(named)


def _is_static(node: tree_sitter.Node) -> bool:
    return any(
        c.type == "storage_class_specifier" and node_text(c) == "static" for c in node.children
    )


def _declared_function(decl: tree_sitter.Node) -> tuple[str, tree_sitter.Node] | None:
    """The function a prototype declaration declares, with its name node."""
    for d in decl.children_by_field_name("declarator"):
        cur: tree_sitter.Node | None = d
        while cur is not None and cur.type in ("pointer_declarator", "attributed_declarator"):
            cur = cur.child_by_field_name("declarator")
        if cur is not None and cur.type == "function_declarator":
            inner = cur.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                return node_text(inner), inner
    return None


_GUARD = re.compile(r"_H_*$")
_DEFINE = re.compile(r"#\s*define\s+([A-Za-z_]\w*)")
_HEADED = re.compile(r"([A-Za-z_]\w*)\s*\(")


def _conditional(node: tree_sitter.Node) -> bool:
    cur = node.parent
    while cur is not None:
        if cur.type in ("preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else"):
            name = cur.child_by_field_name("name")
            if not (
                cur.type == "preproc_ifdef" and name is not None and _GUARD.search(node_text(name))
            ):
                return True
        cur = cur.parent
    return False


def _real_prototype(decl: tree_sitter.Node) -> bool:
    """A declaration with a type and typed parameters (``else foo(a, b);`` in a hunk
    fragment parses as a declaration of ``foo`` with type ``else``)."""
    kind = decl.child_by_field_name("type")
    if kind is None or node_text(kind) in ("else", "return", "do"):
        return False
    for d in decl.children_by_field_name("declarator"):
        cur: tree_sitter.Node | None = d
        while cur is not None and cur.type != "function_declarator":
            cur = cur.child_by_field_name("declarator")
        params = cur.child_by_field_name("parameters") if cur is not None else None
        if params is None:
            return False
        for p in params.named_children:
            if p.type == "parameter_declaration" and p.child_by_field_name("type") is not None:
                if p.child_by_field_name("declarator") is None and node_text(p) != "void":
                    return False
            elif p.type not in ("variadic_parameter", "comment"):
                return False
    return True


def definitions(frag: Fragment) -> Iterator[Definition]:
    """Every function definition, function prototype and macro the fragment shows."""

    def name_node(fn: tree_sitter.Node) -> tree_sitter.Node | None:
        decl = fn.child_by_field_name("declarator")
        while decl is not None:
            if decl.type == "identifier":
                return decl
            nxt = decl.child_by_field_name("declarator")
            if nxt is None and decl.named_children:
                nxt = decl.named_children[0]
            decl = nxt
        return None

    def make(
        name: str, node: tree_sitter.Node, kind: DefKind, static: bool, params: int | None
    ) -> Definition:
        line = frag.line_of(node)
        return Definition(
            name,
            kind,
            frag.path,
            line,
            line is not None and line in frag.changed,
            static,
            params,
            _conditional(node),
        )

    # An explicit stack, not recursion: a patch can nest expressions thousands deep.
    stack = [frag.root]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        # Kernel style starts definitions in column 0; an indented "definition" is a
        # statement the fragment parse misread (a loop macro with a block, say).
        top = node.start_point.column == 0
        if node.type == "function_definition" and top:
            name = function_definition_name(node)
            nn = name_node(node)
            if name and nn is not None:
                yield make(
                    name,
                    nn,
                    "function",
                    _is_static(node),
                    _params(node.child_by_field_name("declarator")),
                )
        elif node.type in ("preproc_function_def", "preproc_def"):
            nn = node.child_by_field_name("name")
            if nn is not None:
                params = None
                if node.type == "preproc_function_def":
                    p = node.child_by_field_name("parameters")
                    params = len(p.named_children) if p is not None else None
                yield make(node_text(nn), nn, "macro", False, params)
        elif node.type == "declaration" and top and _real_prototype(node):
            found = _declared_function(node)
            if found is not None:
                yield make(found[0], found[1], "prototype", _is_static(node), None)


@dataclass
class Symbols:
    """What one patch does to the functions and macros of its C files."""

    added: dict[str, list[Definition]] = field(default_factory=dict)
    removed: dict[str, list[Definition]] = field(default_factory=dict)
    shown: dict[str, list[Definition]] = field(default_factory=dict)
    # name -> argument counts of its calls in removed and context lines (the tree before)
    called_before: dict[str, set[int]] = field(default_factory=dict)
    # The post-image lines of the patch that start in column 0 (declarations and
    # definitions start there in kernel style; calls are indented): a name that heads
    # one of them still exists, even when the fragment parse missed the definition.
    top_lines: list[str] = field(default_factory=list)
    # Directives of the pre-image: ``#ifndef NAME`` marks a fallback definition.
    pre_directives: list[str] = field(default_factory=list)

    def _add(self, table: dict[str, list[Definition]], d: Definition) -> None:
        table.setdefault(d.name, []).append(d)

    def declared_after(self, name: str) -> bool:
        """The post-image still defines or declares ``name`` (parsed or by its line)."""
        if self.added.get(name) or self.shown.get(name):
            return True
        return name in self._top_names

    @cached_property
    def _top_names(self) -> frozenset[str]:
        names: set[str] = set()
        for line in self.top_lines:
            m = _DEFINE.match(line)
            if m:
                names.add(m.group(1))
            elif not line.startswith("#"):
                names.update(_HEADED.findall(line))
        return frozenset(names)

    @cached_property
    def gone(self) -> dict[str, list[Definition]]:
        """Functions and macros whose definition the patch removes and does not add
        back or leave behind anywhere it shows (a rename's old name)."""
        out: dict[str, list[Definition]] = {}
        for name, defs in self.removed.items():
            real = [d for d in defs if d.kind != "prototype"]
            if not real or self.declared_after(name):
                continue  # still defined, or declared for a definition elsewhere
            if all(d.conditional for d in real) or self._fallback(name):
                continue  # an #ifdef branch: other configurations may still define it
            out[name] = real
        return out

    def _fallback(self, name: str) -> bool:
        guard = re.compile(
            rf"^#\s*(?:ifndef\s+{re.escape(name)}\b|if\s+!\s*defined\s*\(?\s*{re.escape(name)}\b)"
        )
        return any(guard.match(line) for line in self.pre_directives)

    @property
    def introduced(self) -> set[str]:
        """Functions and macros the patch defines on added lines (prototypes aside)."""
        return {n for n, defs in self.added.items() if any(d.kind != "prototype" for d in defs)}


def symbols(views: Iterable[FileView]) -> Symbols:
    out = Symbols()
    for view in views:
        for hunk in view.diff.hunks:
            out.top_lines.extend(
                ln.text for ln in hunk.post_lines() if ln.text[:1].isalpha() or ln.text[:1] in "_#"
            )
        for hunk in view.diff.hunks:
            out.pre_directives.extend(
                ln.text.strip() for ln in hunk.pre_lines() if ln.text.lstrip().startswith("#")
            )
        for frag in view.post:
            for d in definitions(frag):
                out._add(out.added if d.changed else out.shown, d)
        for frag in view.pre:
            for d in definitions(frag):
                if d.changed:
                    out._add(out.removed, d)
            for call in flow.all_calls(frag):
                out.called_before.setdefault(call.callee, set()).add(len(call.args))
    return out


_CACHE: dict[int, tuple[Patch, Symbols]] = {}


def patch_symbols(patch: Patch) -> Symbols:
    """:func:`symbols` of a patch's C files, computed once per patch object."""
    hit = _CACHE.get(id(patch))
    if hit is not None and hit[0] is patch:
        return hit[1]
    views = [file_view(f) for f in patch.files if is_c_file(f.path) and not f.binary]
    result = symbols(views)
    if len(_CACHE) > 512:
        _CACHE.clear()
    _CACHE[id(patch)] = (patch, result)
    return result
