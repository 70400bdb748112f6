"""Local inputs as Mail objects: mbox files, maildirs, single messages, format-patch
directories, stdin. Reading only; choosing the series is reviewbot.parse.thread's job.

A file is read as an mbox when it starts with an mbox ``From `` line (a format-patch
file does too: its ``From <sha> Mon Sep 17 00:00:00 2001`` line), else as one message.
Splitting follows git's mailsplit and public-inbox's mboxrd: a ``From `` line with a
time and a year separates messages, and one ``>`` is taken off ``>From `` body lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

from reviewbot.errors import InputError
from reviewbot.parse.mail import Mail, parse_mail

_FROM_LINE = re.compile(rb"^From \S+.*\d\d:\d\d(?::\d\d)?.*\d{4}", re.M)
_GT_FROM = re.compile(rb"^>(>*From )", re.M)
# git format-patch names its output NNNN-slug.patch; b4 and others write .eml/.mbx.
_DIR_PATTERNS = ("*.patch", "*.eml", "*.mbx", "*.mbox")


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox (mboxo or mboxrd), each with its ``From `` line."""
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    if not starts or (starts[0] != 0 and data[: starts[0]].strip()):
        starts = [0, *starts]
    chunks = [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]
    return [_GT_FROM.sub(rb"\1", c) for c in chunks if c.strip()]


def mails_from_bytes(data: bytes, where: str) -> list[Mail]:
    """The messages of ``data``: an mbox, a format-patch file or a single message."""
    if not data.strip():
        raise InputError(f"{where}: empty input")
    if data.startswith(b"From ") and _FROM_LINE.match(data):
        return [parse_mail(chunk, where) for chunk in split_mbox(data)]
    return [parse_mail(data, where)]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def read_maildir(path: Path) -> list[Mail]:
    mails: list[Mail] = []
    for sub in ("cur", "new"):
        for entry in sorted((path / sub).iterdir()):
            if entry.is_file() and not entry.name.startswith("."):
                mails.append(parse_mail(_read(entry), str(entry)))
    return mails


def read_patch_dir(path: Path) -> list[Mail]:
    """A directory of ``git format-patch`` output (``*.patch``; else ``*.eml``/``*.mbx``)."""
    for pattern in _DIR_PATTERNS:
        files = sorted(p for p in path.glob(pattern) if p.is_file())
        if files:
            return [m for f in files for m in mails_from_bytes(_read(f), str(f))]
    raise InputError(f"{path}: no .patch, .eml or .mbx files in this directory")


def read_path(path: Path) -> tuple[list[Mail], str]:
    """The messages at ``path`` and what it is ("mbox", "maildir", "directory", "message")."""
    if path.is_dir():
        if is_maildir(path):
            return read_maildir(path), "maildir"
        return read_patch_dir(path), "directory"
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    mails = mails_from_bytes(_read(path), str(path))
    return mails, "mbox" if len(mails) > 1 else "message"


def read_stdin(stream: BinaryIO) -> tuple[list[Mail], str]:
    try:
        data = stream.read()
    except OSError as exc:
        raise InputError(f"-: cannot read standard input: {exc}") from None
    mails = mails_from_bytes(data, "-")
    return mails, "mbox" if len(mails) > 1 else "message"
