"""The parsed series and its patches: what every later layer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewbot.parse.diff import FileDiff


@dataclass(frozen=True)
class Trailer:
    name: str  # as written, e.g. "Signed-off-by"
    value: str


@dataclass(frozen=True)
class Subject:
    """A parsed ``[PATCH RFC v3 04/15] mm/rmap: ...`` subject line."""

    raw: str
    title: str  # the subject without prefixes or ``Re:``
    prefixes: tuple[str, ...] = ()  # the bracket words other than the version and N/M
    version: int = 1
    counter: int = 1  # N of N/M (0 for a cover letter)
    total: int = 1  # M of N/M
    is_reply: bool = False
    is_patch: bool = False  # has PATCH (or RFC) in its brackets

    @property
    def is_rfc(self) -> bool:
        return "RFC" in self.prefixes


@dataclass(frozen=True)
class Patch:
    """One patch email of a series."""

    index: int  # N of N/M; 1 for a lone patch
    msgid: str  # without angle brackets
    subject: Subject
    author: str  # "Name <email>"
    date: str
    message: str  # the commit message (body above ``---``), trailers included
    trailers: tuple[Trailer, ...]
    notes: str  # text between ``---`` and the diff (diffstat, changelog)
    files: tuple[FileDiff, ...]
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    base_commit: str | None = None
    commit: str | None = None  # the commit a local patch came from (format-patch ``From <sha>``)
    skipped: tuple[str, ...] = ()  # notes about parts not analysed (binary diffs ...)
    # The message as received (tree mode feeds it to ``git am``); b"" when the source
    # did not keep it, and tree mode then rebuilds a format-patch email from the fields.
    raw: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Series:
    """The newest complete revision of a series, as chosen from a thread or files."""

    subject: str  # the cover letter's title, else the first patch's
    version: int
    total: int
    patches: tuple[Patch, ...]
    msgid: str | None = None  # cover letter, else first patch
    cover: Patch | None = None
    missing: tuple[int, ...] = ()
    base_commit: str | None = None
    source: str = ""  # what the user named: a message-id, a path, a range
    notes: tuple[str, ...] = field(default=())  # e.g. "thread has v1 and v2: reviewing v2"
