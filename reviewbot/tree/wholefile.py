"""Whole-file fragments for tree and scan mode, with the call sites found once per file.

Every rule asks a fragment for its calls (``Fragment.calls(names)``), and each ask runs
a tree-sitter query over the whole tree: cheap on a hunk, not on a 7,000-line file asked
by every rule. :class:`WholeFile` runs the query once, indexes the call sites by callee
name, and builds the :class:`~reviewbot.analyze.cmodel.Call` objects of a name when a
rule first asks for it. Results are the same as ``Fragment.calls`` (source order, calls
inside ERROR subtrees included).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache

import tree_sitter

from reviewbot.analyze.cmodel import Call, Fragment, Side, language, node_text

_CALLS = "(call_expression function: (identifier) @callee arguments: (argument_list) @args) @call"

# callee -> (call node, callee node, argument list node) of each call site
Sites = dict[str, list[tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node]]]


@cache
def _call_query() -> tree_sitter.Query:
    return tree_sitter.Query(language(), _CALLS)


class WholeFile(Fragment):
    """A complete fragment (a whole file) whose calls are indexed once."""

    _sites: Sites | None
    _built: dict[str, list[Call]]
    _every: list[Call] | None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._sites = None
        self._built = {}
        self._every = None

    def _index(self) -> Sites:
        if self._sites is None:
            sites: Sites = {}
            cursor = tree_sitter.QueryCursor(_call_query())
            for _, caps in cursor.matches(self.root):
                callee = caps["callee"][0]
                sites.setdefault(node_text(callee), []).append(
                    (caps["call"][0], callee, caps["args"][0])
                )
            self._sites = sites
        return self._sites

    def _named(self, name: str) -> list[Call]:
        built = self._built.get(name)
        if built is None:
            src = self.source  # arguments as the real text shows them, as Fragment.calls
            built = []
            for call, callee, args in self._index().get(name, ()):
                texts = tuple(
                    " ".join(src[a.start_byte : a.end_byte].decode("utf-8", "replace").split())
                    for a in args.named_children
                    if a.type != "comment"
                )
                # A whole file maps row r to line r + 1: no line_of() lookup needed.
                built.append(Call(name, texts, call, callee.start_point.row + 1, self))
            self._built[name] = built
        return built

    def calls(self, names: frozenset[str] | set[str] | None = None) -> list[Call]:
        if names is None:
            if self._every is None:
                self._every = sorted(
                    (c for name in self._index() for c in self._named(name)),
                    key=lambda c: c.node.start_byte,
                )
            return list(self._every)
        out = [c for name in names for c in self._named(name)]
        out.sort(key=lambda c: c.node.start_byte)
        return out

    def release(self) -> None:
        """Drop the call index: its Calls point back here, a cycle only the GC would break
        (and it holds the parse). Scan calls it after each file to keep memory flat."""
        self._sites = None
        self._built = {}
        self._every = None

    def seen_as(self, side: Side, changed: Iterable[int]) -> WholeFile:
        """The same parse as another image (before run: the pre-image as "post")."""
        other = copy.copy(self)
        other.side = side
        other.changed = frozenset(changed)
        other._built = {}  # Call objects point at their fragment, whose changed lines differ
        other._every = None
        return other


def whole_file(
    path: str, source: bytes, changed: Iterable[int] = (), side: Side = "post"
) -> WholeFile:
    """A whole file (parsed normalised), every row mapped to its own line number."""
    rows = source.count(b"\n") + 1
    return WholeFile(
        path,
        side,
        source,
        list(range(1, rows + 1)),
        frozenset(changed),
        complete=True,
    )
