"""Kernel C normalisation: rewrite kernel idioms into C that tree-sitter-c parses.

Raw tree-sitter-c leaves an ERROR node in about one function in five of mm/: loop
macros, section and sparse annotations, type arguments, ``SYSCALL_DEFINEn``,
directives inside statements. The pass rewrites each use of an idiom of
:data:`IDIOMS` (the table and its rewrite strategies are in
:mod:`reviewbot.analyze.idioms`) into plain C of exactly the same length, with
newlines where they were, so every byte offset, row and column of the parse is that
of the real source and findings point at the real file. Only the rewritten spans
change; a normal call (``spin_lock(ptl);``) is never touched, and the calls inside a
loop macro's arguments and body stay ``call_expression`` nodes where they were.

The pass is linear: one regex finds the comments, string and character literals and
preprocessor directives, which are never rewritten (a ``#define
list_for_each_entry(...)`` keeps its name) and where conditional groups are resolved;
the text's distinct words are split out and classified against the table (each word
once, cached across texts); each occurrence of an idiom word outside the skipped spans
goes, in text order, to its kind's rewriter, which looks only at the bytes around it.
On v6.12 mm/ this costs about a third of the parse, and the normalised text parses
faster than the raw one (tree-sitter spends less time recovering from errors).

Node texts of the parse are those of the normalised bytes (``container_of(p, struct
foo, m)`` shows its second argument as ``foo``); slice the original source with the
node's byte offsets for the real text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from reviewbot.analyze.idioms import IDIOMS, Idiom, Kind
from reviewbot.errors import ConfigError

__all__ = ["IDIOMS", "Idiom", "Kind", "idiom_for", "normalize", "register"]

# Bytes that survive blanking: line ends keep the rows, everything else becomes a space.
_BLANK = bytes(c if c in b"\n\r" else 0x20 for c in range(256))

# Comments and literals, consumed whole so that nothing inside them is rewritten.
# Unrolled loops (Friedl): twice as fast as lazy `/\*[\s\S]*?\*/` in CPython's engine.
_SKIP = (
    rb"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/"
    rb"|//[^\n]*"
    rb'|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"'
    rb"|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'"
)
# The rest of a directive after its "#": continued lines and comments included.
_DIRECTIVE = re.compile(rb"(?:[^\n\\/]|\\(?:\r\n|[\s\S])|/\*[\s\S]*?\*/|/)*")
_DIRECTIVE_WORD = re.compile(rb"[ \t]*([A-Za-z_]\w*)")
_IF_ZERO = re.compile(rb"[ \t]*if[ \t]+0[ \t]*(?:/[/*]|$)")
_DEFINE = re.compile(rb"[ \t]*define[ \t]+([A-Za-z_]\w*)(?![\w(])([\s\S]*)")
_COMMENT = re.compile(rb"/\*[\s\S]*?\*/|//[^\n]*|\\\r?\n")
_GAP = re.compile(rb"(?:\s+|/\*[\s\S]*?\*/|//[^\n]*)*")
_HSPACE = re.compile(rb"[ \t]*")
# What a bracket matcher steps over: brackets, commas, comments, literals.
_BRACKETS = re.compile(rb"[()\[\]{},]|" + _SKIP)
# How far a macro's argument list may reach: beyond this it is unbalanced text
# (a fragment cut mid-call, or #if branches that each open a parenthesis).
_MAX_ARGS = 4096

_WORD = re.compile(rb"[A-Za-z_]\w*")
# Splitting a text into its words: every byte that cannot be in one becomes a space.
_WORD_BYTES = bytes(
    c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95) else 0x20 for c in range(256)
)
# Every alternative starts with a literal byte, so the regex engine skips ahead with a
# byte set instead of trying each offset (a group here would cost 3x).
_SKIP_OR_HASH = re.compile(_SKIP + rb"|\#")
_WORD_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789")
_WORD_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_WORD_START_BYTES = frozenset(bytes([c]) for c in _WORD_START)
_SPACE = frozenset(b" \t\r\n\f\v")
_STATEMENT_END = frozenset(b";{}):")
_UNARY_START = frozenset(b"*&-+(!~")
_BINARY_PAIRS = frozenset((b"&&", b"||", b"->", b"-=", b"+=", b"*=", b"&="))
# Words that may precede the type of a declaration.
_DECLARATION_WORDS = frozenset(
    (b"static", b"const", b"volatile", b"register", b"auto", b"extern", b"unsigned", b"signed")
)
# One attribute in the body of a local attribute macro: a word, maybe with arguments.
_ATTRIBUTE_PART = re.compile(rb"([A-Za-z_]\w*)(\s*\([^()]*(?:\([^()]*\)[^()]*)*\))?")
# Words a local attribute macro may expand to besides WORD idioms.
_INLINE = frozenset((b"inline", b"__inline", b"__inline__"))

# A type name as a macro argument: `struct page *`, `unsigned long`, `const char *`.
_TYPE_ARG = re.compile(
    rb"(?:(?:const|volatile)\s+)*"
    rb"(?:(?:struct|union|enum)\s+[A-Za-z_]\w*"
    rb"|(?:(?:unsigned|signed|short|long|int|char|float|double|_Bool|bool|void)\b\s*)+"
    rb"|[A-Za-z_]\w*)"
    rb"(?:\s*(?:\*|\bconst\b|\bvolatile\b|\b__\w+))*"
)
_WHOLE_PARAMETER = re.compile(rb"\s*[A-Za-z_]\w*\s*\([^()]*\)\s*")
_MAX_TYPE = 200  # longer arguments are expressions, and the regex need not try them
_TYPE_NOISE = frozenset((b"const", b"volatile", b"restrict", b"struct", b"union", b"enum"))


class _Table:
    """The idiom table compiled: which words of a text are idioms, and of which kind."""

    # Cached verdicts per word; kernel vocabulary is finite, but bound the memory anyway.
    _MAX_SEEN = 500_000

    def __init__(self, idioms: list[Idiom]) -> None:
        self.idioms = list(idioms)
        named = [idiom for idiom in self.idioms if idiom.kind is not Kind.CONDITIONAL]
        branches = "|".join(f"(?P<i{k}>{idiom.pattern})" for k, idiom in enumerate(named))
        self.classifier = re.compile(branches.encode()) if branches else None
        self.by_group = {f"i{k}": idiom for k, idiom in enumerate(named)}
        conditionals = [i.pattern for i in self.idioms if i.kind is Kind.CONDITIONAL]
        self.conditional = (
            re.compile("|".join(f"(?:{p})" for p in conditionals).encode())
            if conditionals
            else None
        )
        word_patterns = [
            i.pattern for i in self.idioms if i.kind is Kind.WORD and not i.replacement
        ]
        self.attribute_word = (
            re.compile("|".join(f"(?:{p})" for p in word_patterns).encode())
            if word_patterns
            else None
        )
        call_patterns = [i.pattern for i in self.idioms if i.kind is Kind.WORD_ARGS]
        self.attribute_call = (
            re.compile("|".join(f"(?:{p})" for p in call_patterns).encode())
            if call_patterns
            else None
        )
        self.seen: set[bytes] = set()
        self.hits: dict[bytes, Idiom] = {}
        self.hit_words: set[bytes] = set()

    def idioms_in(self, words: set[bytes]) -> dict[bytes, Idiom]:
        """The words of ``words`` that name an idiom."""
        new = words - self.seen
        if new and self.classifier is not None:
            if len(self.seen) > self._MAX_SEEN:
                self.seen.clear()
            fullmatch = self.classifier.fullmatch
            for word in new:
                m = fullmatch(word)
                if m is not None and m.lastgroup is not None and word[:1] in _WORD_START_BYTES:
                    self.hits[word] = self.by_group[m.lastgroup]
                    self.hit_words.add(word)
            self.seen |= new
        return {word: self.hits[word] for word in words & self.hit_words}


_compiled: _Table | None = None


def _table() -> _Table:
    global _compiled
    if _compiled is None or _compiled.idioms != IDIOMS:
        _compiled = _Table(IDIOMS)
    return _compiled


def register(idiom: Idiom) -> None:
    """Add an idiom to the table (a rule pack's own kernel macros)."""
    if any(existing.name == idiom.name for existing in IDIOMS):
        raise ConfigError(f"kernel idiom {idiom.name!r} is already registered")
    try:
        compiled = re.compile(idiom.pattern)
    except re.error as exc:
        raise ConfigError(f"kernel idiom {idiom.name!r}: bad pattern: {exc}") from None
    if compiled.groupindex:
        raise ConfigError(f"kernel idiom {idiom.name!r}: pattern must not name groups")
    if compiled.fullmatch(""):
        raise ConfigError(f"kernel idiom {idiom.name!r}: pattern matches an empty name")
    IDIOMS.append(idiom)


def idiom_for(word: str) -> Idiom | None:
    """The idiom that rewrites the macro ``word``, if any (first in table order)."""
    for idiom in IDIOMS:
        if idiom.kind is not Kind.CONDITIONAL and idiom.matches(word):
            return idiom
    return None


def normalize(source: bytes) -> bytes:
    """``source`` with kernel idioms rewritten; same length, newlines at the same offsets."""
    run = _Pass(source, _table())
    run.scan()
    return source if run.out is None else bytes(run.out)


# The local attribute macros of one text (`#define pad_check_attributes noinline`).
_LOCAL_WORD = Idiom(
    name="local-attribute-macro",
    kind=Kind.WORD,
    pattern=r"\w+",
    example="",
    why="an object-like #define of attribute words only is an attribute word too",
)


@dataclass
class _Group:
    """An open #if/#ifdef/#ifndef."""

    start: int
    end: int
    blankable: bool  # no #else seen, not #if 0, and the table asks for it


@dataclass
class _Pass:
    """One normalisation: find the skipped spans, then rewrite the idioms outside them.

    Finding idioms word by word in Python, or with one regex of every pattern tried at
    every offset, costs as much as the parse; instead the text's distinct words are
    split out in C, classified once per word (cached across texts), and only the
    offsets of the few idiom words are looked at.
    """

    source: bytes
    table: _Table
    out: bytearray | None = None
    groups: list[_Group] = field(default_factory=list)
    skipped_starts: list[int] = field(default_factory=list)
    skipped_ends: list[int] = field(default_factory=list)
    local_words: set[bytes] = field(default_factory=set)

    def edit(self) -> bytearray:
        if self.out is None:
            self.out = bytearray(self.source)
        return self.out

    def scan(self) -> None:
        source = self.source
        self.skip_spans()
        words = set(source.translate(_WORD_BYTES).split())
        found = self.table.idioms_in(words)
        for word in self.local_words & words:
            found.setdefault(word, _LOCAL_WORD)
        if not found:
            return
        hits: list[tuple[int, int, Idiom]] = []
        starts, ends = self.skipped_starts, self.skipped_ends
        for word, idiom in found.items():
            size = len(word)
            at = source.find(word)
            while at >= 0:
                after = at + size
                if (at == 0 or source[at - 1] not in _WORD_CHARS) and (
                    after >= len(source) or source[after] not in _WORD_CHARS
                ):
                    k = bisect_right(starts, at) - 1
                    if k < 0 or ends[k] <= at:
                        hits.append((at, after, idiom))
                at = source.find(word, after)
        hits.sort(key=lambda hit: hit[0])
        out = self.edit()
        pos = 0
        for start, end, idiom in hits:
            if start >= pos:
                pos = _REWRITERS[idiom.kind](idiom, source, out, start, end)

    def skip_spans(self) -> None:
        """Record comments, literals and directives; handle the directives."""
        source = self.source
        search = _SKIP_OR_HASH.search
        starts, ends = self.skipped_starts, self.skipped_ends
        pos = 0
        while (m := search(source, pos)) is not None:
            start = m.start()
            if source[start] == 0x23:  # "#"
                pos = self.directive(start)
                if pos == start + 1:
                    continue
            else:
                pos = m.end()
            starts.append(start)
            ends.append(pos)

    def directive(self, hash_pos: int) -> int:
        """The end of the directive at ``hash_pos`` (its "#" alone if it is none)."""
        source = self.source
        line_start = source.rfind(b"\n", 0, hash_pos) + 1
        if source[line_start:hash_pos].strip(b" \t"):
            return hash_pos + 1  # a `#` inside a line: not a directive
        tail = _DIRECTIVE.match(source, hash_pos + 1)
        end = tail.end() if tail else hash_pos + 1
        word_match = _DIRECTIVE_WORD.match(source, hash_pos + 1, end)
        word = word_match.group(1) if word_match else b""
        if word in (b"if", b"ifdef", b"ifndef"):
            wanted = self.table.conditional is not None and bool(
                self.table.conditional.fullmatch(word)
            )
            zero = _IF_ZERO.match(source, hash_pos + 1, end) is not None
            self.groups.append(_Group(hash_pos, end, wanted and not zero))
        elif word in (b"else", b"elif", b"elifdef", b"elifndef"):
            if self.groups:
                self.groups[-1].blankable = False
        elif word == b"endif":
            if self.groups:
                opened = self.groups.pop()
                if opened.blankable:
                    out = self.edit()
                    _blank(source, out, opened.start, opened.end)
                    _blank(source, out, hash_pos, end)
        elif word == b"define" and self.table.attribute_word is not None:
            self.local_define(hash_pos + 1, end)
        return max(end, hash_pos + 1)

    def local_define(self, start: int, end: int) -> None:
        """Learn `#define NAME <attributes>` as one more attribute word.

        The body may hold WORD idioms, ``inline`` and WORD_ARGS idioms with their
        arguments (``#define __lockfunc __section(".spinlock.text")``).
        """
        assert self.table.attribute_word is not None
        m = _DEFINE.match(self.source, start, end)
        if m is None:
            return
        body = _COMMENT.sub(b" ", m.group(2))
        parts = _ATTRIBUTE_PART.findall(body)
        if not parts or _ATTRIBUTE_PART.sub(b"", body).strip():
            return  # empty, or something that is not an attribute
        word = self.table.attribute_word.fullmatch
        call = self.table.attribute_call
        for name, args in parts:
            if args:
                if call is None or not call.fullmatch(name):
                    return
            elif name not in _INLINE and not word(name):
                return
        self.local_words.add(m.group(1))


def _blank(source: bytes, out: bytearray, start: int, end: int) -> None:
    out[start:end] = source[start:end].translate(_BLANK)


@dataclass(frozen=True)
class _Args:
    open: int  # offset of "("
    close: int  # offset of the matching ")"
    commas: tuple[int, ...]  # the separators at depth one

    def spans(self) -> list[tuple[int, int]]:
        bounds = [self.open, *self.commas, self.close]
        return [(bounds[k] + 1, bounds[k + 1]) for k in range(len(bounds) - 1)]


def _arguments(source: bytes, after_name: int) -> _Args | None:
    """The balanced argument list right after a macro name, if there is one."""
    at = _HSPACE.match(source, after_name)
    start = at.end() if at else after_name
    if source[start : start + 1] != b"(":
        return None
    depth = 0
    commas: list[int] = []
    for m in _BRACKETS.finditer(source, start, min(len(source), start + _MAX_ARGS)):
        token = m.group()
        if len(token) != 1:
            continue  # comment or literal
        if token in b"([{":
            depth += 1
        elif token == b",":
            if depth == 1:
                commas.append(m.start())
        else:
            depth -= 1
            if depth == 0:
                return _Args(start, m.start(), tuple(commas)) if token == b")" else None
    return None


def _previous_token(source: bytes | bytearray, start: int) -> tuple[int, bool]:
    """Offset of the last byte of the token before ``start`` (-1: none), and whether a
    directive line lies in between. Comments are skipped."""
    i = start - 1
    while True:
        while i >= 0 and source[i] in _SPACE:
            i -= 1
        if i < 0:
            return -1, False
        if source[i] == 0x2F and i > 0 and source[i - 1] == 0x2A:  # "*/"
            opening = source.rfind(b"/*", 0, i - 1)
            if opening < 0:
                return -1, False  # a fragment that starts inside a comment
            i = opening - 1
            continue
        line_start = source.rfind(b"\n", 0, i) + 1
        line = source[line_start : i + 1]
        if line.lstrip(b" \t").startswith(b"#"):
            return i, True
        comment = line.find(b"//")
        if comment >= 0:
            i = line_start + comment - 1
            continue
        return i, False


def _statement_before(source: bytes, start: int) -> bool:
    """Whether ``start`` begins a statement: what precedes it ends one, or nothing does."""
    i, directive = _previous_token(source, start)
    if i < 0 or directive:
        return True
    c = source[i]
    if c in _STATEMENT_END:
        return True
    if c in _WORD_CHARS:
        j = i
        while j > 0 and source[j - 1] in _WORD_CHARS:
            j -= 1
        return source[j : i + 1] in (b"else", b"do")
    return False


def _next_token(source: bytes, pos: int) -> int:
    gap = _GAP.match(source, pos)
    return gap.end() if gap else pos


def _statement_after(source: bytes, pos: int) -> bool:
    """Whether a statement (a loop body) starts after ``pos``."""
    j = _next_token(source, pos)
    if j >= len(source):
        return False
    c = source[j]
    if c == 0x7B or c in _WORD_START:  # "{" or a word
        return True
    if c in _UNARY_START and b"\n" in source[pos:j]:
        return source[j : j + 2] not in _BINARY_PAIRS
    return False


def _rewrite_word(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    replacement = idiom.replacement.encode()
    if replacement and len(replacement) <= end - start:
        out[start:end] = replacement.ljust(end - start)
    else:
        _blank(source, out, start, end)
    return end


def _rewrite_word_args(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None:
        _blank(source, out, start, end)
        return end
    _blank(source, out, start, args.close + 1)
    return args.close + 1


def _rewrite_loop(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None or end - start < 5:
        return end
    if not (_statement_before(source, start) and _statement_after(source, args.close + 1)):
        return end  # a call used as an expression, or a definition of that name
    out[start:end] = b"while".ljust(end - start)
    inside = source[args.open + 1 : args.close]
    if not inside.strip():  # `for_each_thing()`: the condition cannot be empty
        if inside:
            out[args.open + 1] = 0x31  # "1"
        elif end - start >= 8:
            out[start : args.close + 1] = b"while(1)".ljust(args.close + 1 - start)
    return args.open + 1  # the arguments may hold idioms too


def _rewrite_type_args(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None:
        return end
    _rewrite_type_names(source, out, args)
    return args.open + 1


def _rewrite_type_names(source: bytes, out: bytearray, args: _Args) -> None:
    for left, right in args.spans():
        if right - left > _MAX_TYPE:
            continue
        text = source[left:right]
        stripped = text.strip()
        if stripped and _TYPE_ARG.fullmatch(stripped) is not None:
            offset = left + len(text) - len(text.lstrip())
            _rewrite_type_name(source, out, offset, offset + len(stripped))


def _rewrite_type_name(source: bytes, out: bytearray, start: int, end: int) -> None:
    """A type name as one identifier: qualifiers, tags and stars blanked, words joined."""
    kept = [
        (m.start(), m.end())
        for m in _WORD.finditer(source, start, end)
        if m.group() not in _TYPE_NOISE and not m.group().startswith(b"__")
    ]
    if not kept or (len(kept) == 1 and kept[0] == (start, end)):
        return
    _blank(source, out, start, end)
    for left, right in kept:
        out[left:right] = source[left:right]
    if b"\n" not in source[kept[0][0] : kept[-1][1]]:
        # `unsigned long` -> `unsigned_long`: one identifier over the same bytes.
        for (_, gap_start), (gap_end, _) in pairwise(kept):
            out[gap_start:gap_end] = b"_" * (gap_end - gap_start)


def _rewrite_definition(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None:
        return end
    if _statement_before(source, start):
        after = _next_token(source, args.close + 1)
        if after >= len(source) or source[after] in _WORD_START or source[after] == 0x23:
            # No `;` ends it: blank it, or it swallows the definition that follows.
            _blank(source, out, start, args.close + 1)
            return args.close + 1
    _rewrite_type_names(source, out, args)
    if args.commas or not _WORD.fullmatch(source[args.open + 1 : args.close].strip()):
        # Looked for in the output: attributes between (`static __read_mostly X(a, b)`)
        # are blanks there by now.
        i, directive = _previous_token(out, start)
        if (
            i >= 5
            and not directive
            and out[i - 5 : i + 1] == b"static"
            and (i == 5 or out[i - 6] not in _WORD_CHARS)
        ):
            _blank(source, out, i - 5, i + 1)  # `static X(a, b);` -> a call statement
    return args.open + 1


def _rewrite_syscall(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None or not args.commas:
        return end
    spans = args.spans()
    joins: list[int] = []  # the commas inside "type, name" pairs
    k = 1
    while k < len(spans):
        if _WHOLE_PARAMETER.fullmatch(source, *spans[k]):
            k += 1  # compat_arg_u64_dual(offset): a macro that is a whole parameter
        elif k + 1 < len(spans):
            joins.append(args.commas[k])
            k += 2
        else:
            return end  # a type without a name: not the shape we know
    out[start : args.open + 1] = b"long".ljust(args.open + 1 - start)
    out[args.commas[0]] = 0x28  # "(" opens the parameter list after the name
    for comma in joins:
        out[comma] = 0x20  # "type, name" -> "type  name"
    return args.open + 1


def _rewrite_variable(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None or len(args.commas) != 1:
        return _rewrite_definition(idiom, source, out, start, end)
    _blank(source, out, start, args.open + 1)
    out[args.commas[0]] = 0x20
    out[args.close] = 0x20
    return args.open + 1


def _rewrite_declare_array(
    idiom: Idiom, source: bytes, out: bytearray, start: int, end: int
) -> int:
    args = _arguments(source, end)
    if args is None or len(args.commas) != 1:
        return end
    out[start : args.open + 1] = b"long".ljust(args.open + 1 - start)
    out[args.commas[0]] = 0x5B  # "["
    out[args.close] = 0x5D  # "]"
    return args.open + 1


def _rewrite_typeof(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    args = _arguments(source, end)
    if args is None:
        return end
    after = _next_token(source, args.close + 1)
    if after >= len(source) or not (source[after] in _WORD_START or source[after] == 0x2A):
        return end  # not followed by a declarator: a cast or sizeof operand
    if not _statement_before(source, start):
        i, _ = _previous_token(source, start)
        j = i
        while j > 0 and source[j - 1] in _WORD_CHARS:
            j -= 1
        if source[j : i + 1] not in _DECLARATION_WORDS:
            return end
    _blank(source, out, args.open, args.close + 1)  # unevaluated: no call is lost
    return args.close + 1


def _rewrite_nothing(idiom: Idiom, source: bytes, out: bytearray, start: int, end: int) -> int:
    return end  # conditionals are handled with the directives


_REWRITERS: dict[Kind, Callable[[Idiom, bytes, bytearray, int, int], int]] = {
    Kind.WORD: _rewrite_word,
    Kind.WORD_ARGS: _rewrite_word_args,
    Kind.LOOP: _rewrite_loop,
    Kind.TYPE_ARGS: _rewrite_type_args,
    Kind.DEFINITION: _rewrite_definition,
    Kind.SYSCALL: _rewrite_syscall,
    Kind.VARIABLE: _rewrite_variable,
    Kind.DECLARE_ARRAY: _rewrite_declare_array,
    Kind.TYPEOF: _rewrite_typeof,
    Kind.CONDITIONAL: _rewrite_nothing,
}
