"""The C model: tree-sitter-c parses of what a patch shows, with exact line maps.

A :class:`Fragment` is one parsed piece of C: the post-image (or pre-image) lines of a
hunk in patch mode, or a whole file in tree and scan mode. Every node maps back to a
line of the real file through ``Fragment.lines``; lines the fragment adds to make the
parse work (unmatched braces of a hunk that starts inside a block) map to ``None``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal

import tree_sitter
import tree_sitter_c

from reviewbot.analyze import normalize
from reviewbot.parse.diff import FileDiff, Hunk, Line

Side = Literal["post", "pre"]

C_SUFFIXES = (".c", ".h")


@cache
def language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_c.language())


@cache
def _orphan_else_query() -> tree_sitter.Query:
    # "x(...);\n else foo(a);" whose if is above the hunk parses as a declaration of
    # a function foo with the type "else".
    return tree_sitter.Query(language(), "(declaration type: (type_identifier) @type) @decl")


def _orphan_elses(tree: tree_sitter.Tree) -> list[tuple[int, int]]:
    cursor = tree_sitter.QueryCursor(_orphan_else_query())
    return [
        (node.start_byte, node.end_byte)
        for node in cursor.captures(tree.root_node).get("type", [])
        if node.text == b"else"
    ]


def _blank(text: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``text`` with the byte spans turned into spaces (offsets unchanged)."""
    out = bytearray(text)
    for start, end in spans:
        out[start:end] = b" " * (end - start)
    return bytes(out)


@cache
def _call_query() -> tree_sitter.Query:
    return tree_sitter.Query(
        language(),
        "(call_expression function: (identifier) @callee arguments: (argument_list) @args) @call",
    )


_local = threading.local()


def parse(source: bytes) -> tree_sitter.Tree:
    # One parser per thread: creating one per fragment costs more than small parses.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(language())
    tree: tree_sitter.Tree = parser.parse(source)
    return tree


def node_text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def has_error(node: tree_sitter.Node) -> bool:
    return node.has_error


@dataclass(frozen=True)
class Call:
    """A call ``callee(args...)`` found in a fragment."""

    callee: str
    args: tuple[str, ...]  # each argument's source text, whitespace folded
    node: tree_sitter.Node  # the call_expression
    line: int | None  # image line of the callee name
    fragment: Fragment = field(repr=False, compare=False)

    @property
    def added(self) -> bool:
        """The call's name sits on a line that this patch adds."""
        return self.line is not None and self.line in self.fragment.changed

    @property
    def function(self) -> str | None:
        return self.fragment.function_name(self.node)


_SECTION_NAME = re.compile(r"([A-Za-z_]\w*)\s*\(")
_SPACES = re.compile(r"\s+")


def section_function(section: str) -> str | None:
    """The function a hunk header names (``@@ ... @@ int copy_huge_pmd(struct ...``)."""
    names = [n for n in _SECTION_NAME.findall(section) if n not in _NOT_FUNCTIONS]
    return names[0] if names else None


_NOT_FUNCTIONS = frozenset(
    {"if", "else", "do", "for", "while", "switch", "return", "sizeof", "defined"}
)


@dataclass
class Fragment:
    path: str
    side: Side
    source: bytes  # the real text; the parse is of its normalised form
    lines: list[int | None]  # fragment row -> image line number
    changed: frozenset[int]  # image lines added (post side) or removed (pre side)
    complete: bool  # a whole file: nothing of the functions is outside
    section: str = ""  # the hunk header's function context
    normalize: bool = True  # parse the kernel-idiom normalised text (same offsets)
    tree: tree_sitter.Tree = field(init=False, repr=False)
    _calls: list[Call] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        text = normalized(self.source) if self.normalize else self.source
        self.tree = parse(text)
        if not self.complete:
            orphans = _orphan_elses(self.tree)
            if orphans:
                self.tree = parse(_blank(text, orphans))

    def text(self, node: tree_sitter.Node) -> str:
        """The node's real source text (node.text is the normalised text)."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    @property
    def root(self) -> tree_sitter.Node:
        return self.tree.root_node

    def line_of(self, node: tree_sitter.Node) -> int | None:
        row = node.start_point.row
        return self.lines[row] if 0 <= row < len(self.lines) else None

    def calls(self, names: frozenset[str] | set[str] | None = None) -> list[Call]:
        """Every call to a plain identifier (inside ERROR subtrees too), in source order.

        Found once per fragment: every rule asks the same fragment.
        """
        if self._calls is None:
            cursor = tree_sitter.QueryCursor(_call_query())
            found: list[Call] = []
            for _, caps in cursor.matches(self.root):
                call_node = caps["call"][0]
                args = tuple(
                    _SPACES.sub(" ", self.text(a)).strip()
                    for a in caps["args"][0].named_children
                    if a.type != "comment"
                )
                callee = caps["callee"][0]
                found.append(Call(node_text(callee), args, call_node, self.line_of(callee), self))
            found.sort(key=lambda c: c.node.start_byte)
            self._calls = found
        if names is None:
            return list(self._calls)
        return [c for c in self._calls if c.callee in names]

    def enclosing_function(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        cur: tree_sitter.Node | None = node
        while cur is not None:
            if cur.type == "function_definition":
                return cur
            cur = cur.parent
        return None

    def function_name(self, node: tree_sitter.Node) -> str | None:
        fn = self.enclosing_function(node)
        if fn is not None:
            name = function_definition_name(fn)
            if name and name not in _NOT_FUNCTIONS:  # error recovery can make "else (x) {...}" one
                return name
        return section_function(self.section) if self.section else None

    def sees_whole_function(self, node: tree_sitter.Node) -> bool:
        """Whether the function around ``node`` is entirely visible and parsed."""
        if self.complete:
            return True
        fn = self.enclosing_function(node)
        if fn is None or fn.has_error or self.line_of(fn) is None:
            return False
        # A hunk cut inside the function ends on a closing brace we added: not whole.
        end_row = fn.end_point.row
        return 0 <= end_row < len(self.lines) and self.lines[end_row] is not None


def function_definition_name(fn: tree_sitter.Node) -> str | None:
    decl = fn.child_by_field_name("declarator")
    while decl is not None:
        if decl.type == "function_declarator":
            inner = decl.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                return node_text(inner)
            decl = inner
        elif decl.type in (
            "pointer_declarator",
            "parenthesized_declarator",
            "attributed_declarator",
        ):
            decl = decl.child_by_field_name("declarator") or (
                decl.named_children[0] if decl.named_children else None
            )
        elif decl.type == "identifier":
            return node_text(decl)
        else:
            return None
    return None


_TOKENS = re.compile(r"""/\*|\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[{}]""")


def _unmatched(text: str) -> tuple[list[int], int]:
    """Offsets of the closing braces that close nothing, and how many openers stay open.

    Braces inside strings, character constants and comments are not counted.
    """
    depth = 0
    closers: list[int] = []
    in_comment = False
    pos = 0
    while pos <= len(text):
        m = _TOKENS.search(text, pos)
        if m is None:
            break
        tok, pos = m.group(), m.end()
        if in_comment:
            end = tok.find("*/")
            if end >= 0:
                in_comment = False
                pos = m.start() + end + 2  # a "//" or quote inside the comment swallowed its end
        elif tok == "/*":
            in_comment = True
        elif tok == "{":
            depth += 1
        elif tok == "}":
            if depth == 0:
                closers.append(m.start())
            else:
                depth -= 1
    return closers, depth


_ELSE_AFTER = re.compile(r"\s*else\b")
_LEADING_COMMENTS = re.compile(r"^(?:\s+|/\*.*?\*/|//[^\n]*)*", re.S)


def _openers(text: str) -> str:
    """What to put before a hunk to open the blocks it closes.

    A block closed by ``} else`` was an if's: open it with ``if (1) {`` so the else
    parses as an else and not as a stray declaration.
    """
    closers, _ = _unmatched(text)
    parts = ["if (1) {" if _ELSE_AFTER.match(text, at + 1) else "{" for at in closers]
    if _ELSE_AFTER.match(_LEADING_COMMENTS.sub("", text)):
        parts.insert(0, "if (1) ;")  # a hunk that starts at a brace-less "else foo(x);"
    return "".join(reversed(parts))


def _ends_in_comment(texts: list[str]) -> bool:
    joined = "\n".join(texts)
    return joined.rfind("/*") > joined.rfind("*/")


def _cut_comment_tail(texts: list[str]) -> list[str]:
    """Blank the end of a comment that a hunk starts inside (its ``/*`` is above the hunk)."""
    for row, text in enumerate(texts):
        opening, closing = text.find("/*"), text.find("*/")
        if closing >= 0 and (opening < 0 or closing < opening):
            blanked = [" " * len(t) for t in texts[:row]]
            return [*blanked, " " * (closing + 2) + text[closing + 2 :], *texts[row + 1 :]]
        if opening >= 0 or text.strip().startswith("//"):
            return texts
        if text.strip() and not text.strip().startswith("*"):
            return texts  # code before any comment marker: not inside a comment
    return texts


def fragment_from_lines(
    path: str,
    side: Side,
    lines: list[Line],
    section: str = "",
    normalize: bool = True,
) -> Fragment:
    """Parse the lines one hunk shows on one side, balancing braces it cuts through."""
    texts = [ln.text for ln in lines]
    changed_kind = "+" if side == "post" else "-"
    numbers = [ln.new if side == "post" else ln.old for ln in lines]
    changed = frozenset(
        n for ln, n in zip(lines, numbers, strict=True) if ln.kind == changed_kind and n
    )
    texts = _cut_comment_tail(texts)
    joined = "\n".join(texts)
    prefix = _openers(joined)
    after = _unmatched(joined)[1]
    rows: list[str] = []
    row_lines: list[int | None] = []
    if prefix:
        rows.append(prefix)
        row_lines.append(None)
    rows.extend(texts)
    row_lines.extend(numbers)
    if after or _ends_in_comment(texts):
        rows.append("*/" * _ends_in_comment(texts) + "}" * after)
        row_lines.append(None)
    source = "\n".join(rows) + "\n"
    data = source.encode("utf-8", "replace")
    return Fragment(
        path, side, data, row_lines, changed, complete=False, section=section, normalize=normalize
    )


def hunk_fragment(path: str, hunk: Hunk, side: Side = "post") -> Fragment:
    lines = list(hunk.post_lines() if side == "post" else hunk.pre_lines())
    return fragment_from_lines(path, side, lines, hunk.section)


def file_fragment(path: str, source: bytes, changed: frozenset[int] = frozenset()) -> Fragment:
    """A whole file (tree and scan mode): every line maps to itself."""
    count = source.count(b"\n") + 1
    return Fragment(path, "post", source, list(range(1, count + 1)), changed, complete=True)


def normalized(source: bytes) -> bytes:
    """Kernel idioms rewritten so tree-sitter-c parses them, offsets unchanged."""
    return normalize.normalize(source)


def is_c_file(path: str) -> bool:
    return path.endswith(C_SUFFIXES)


@dataclass(frozen=True)
class FileView:
    """What a patch shows of one C file: a fragment per hunk, both sides."""

    diff: FileDiff
    post: tuple[Fragment, ...]
    pre: tuple[Fragment, ...]

    @property
    def path(self) -> str:
        return self.diff.path

    def calls(self, names: frozenset[str] | set[str] | None = None) -> Iterator[Call]:
        for frag in self.post:
            yield from frag.calls(names)

    def removed_calls(self, names: frozenset[str] | set[str] | None = None) -> Iterator[Call]:
        for frag in self.pre:
            yield from frag.calls(names)


@lru_cache(maxsize=512)
def file_view(diff: FileDiff) -> FileView:
    """Cached: target inference and every rule read the same views of a patch."""
    post = tuple(hunk_fragment(diff.path, h, "post") for h in diff.hunks)
    pre = tuple(hunk_fragment(diff.old_path or diff.path, h, "pre") for h in diff.hunks)
    return FileView(diff, post, pre)
