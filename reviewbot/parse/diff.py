"""Unified diffs through unidiff, as immutable files, hunks and numbered lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from unidiff.errors import UnidiffParseError
from unidiff.patch import Line as UnidiffLine
from unidiff.patch import PatchedFile, PatchSet

from reviewbot.errors import InputError

LineKind = Literal["+", "-", " "]
FileStatus = Literal["modified", "added", "removed", "renamed"]


@dataclass(frozen=True)
class Line:
    kind: LineKind
    text: str  # without the leading marker or the newline
    old: int | None  # pre-image line number (None for added lines)
    new: int | None  # post-image line number (None for removed lines)


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str  # the text after the second ``@@``: usually the enclosing function
    lines: tuple[Line, ...]

    def post_lines(self) -> Iterator[Line]:
        """Context and added lines: the post-image the hunk shows."""
        return (ln for ln in self.lines if ln.kind != "-")

    def pre_lines(self) -> Iterator[Line]:
        """Context and removed lines: the pre-image the hunk shows."""
        return (ln for ln in self.lines if ln.kind != "+")


@dataclass(frozen=True)
class FileDiff:
    path: str  # post-image path; the old path for a deleted file
    old_path: str | None  # pre-image path; None for a new file
    status: FileStatus
    hunks: tuple[Hunk, ...]
    binary: bool = False

    def added(self) -> dict[int, str]:
        """Post-image line number -> text of every added line."""
        return {ln.new: ln.text for h in self.hunks for ln in h.lines if ln.kind == "+" and ln.new}

    def post_line_map(self) -> dict[int, Line]:
        """Post-image line number -> the added or context line that shows it."""
        return {ln.new: ln for h in self.hunks for ln in h.lines if ln.new is not None}


def _strip_prefix(path: str | None) -> str | None:
    if path is None or path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def _status(pf: PatchedFile) -> FileStatus:
    if pf.is_added_file:
        return "added"
    if pf.is_removed_file:
        return "removed"
    if pf.is_rename:
        return "renamed"
    return "modified"


def _line(ln: UnidiffLine) -> Line:
    kind: LineKind = "+" if ln.is_added else "-" if ln.is_removed else " "
    text = ln.value.rstrip("\n").removesuffix("\r")
    old = ln.source_line_no if kind != "+" else None
    new = ln.target_line_no if kind != "-" else None
    return Line(kind, text, old, new)


def parse_diff(text: str, where: str = "diff") -> tuple[FileDiff, ...]:
    """Parse the diff part of a patch. ``where`` names the input in error messages."""
    if not text.strip():
        return ()
    try:
        patchset = PatchSet(text)
    except UnidiffParseError as exc:
        raise InputError(f"{where}: malformed diff: {exc}") from None
    files: list[FileDiff] = []
    for pf in patchset:
        source = _strip_prefix(pf.source_file)
        target = _strip_prefix(pf.target_file)
        path = target or source or pf.path
        hunks = tuple(
            Hunk(
                h.source_start,
                h.source_length,
                h.target_start,
                h.target_length,
                h.section_header.strip(),
                tuple(_line(ln) for ln in h if ln.line_type in ("+", "-", " ")),
            )
            for h in pf
        )
        files.append(
            FileDiff(
                path=path,
                old_path=source,
                status=_status(pf),
                hunks=hunks,
                binary=bool(pf.is_binary_file),
            )
        )
    return tuple(files)
