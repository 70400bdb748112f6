"""Sources: from what a user names to the Series to review.

``load_series(spec)`` decides what ``spec`` is, in this order:

1. ``-``: standard input (an mbox or a single message);
2. an ``http(s)://`` URL: a lore message URL (``/all/<msgid>/``, ``/linux-mm/<msgid>/T/#u``,
   ``/r/<msgid>``, on any host): the message-id is taken from the path and the thread is
   fetched from the configured lore address (``lore_url``), so that mirrors and test
   servers answer for lore.kernel.org links;
3. an existing path: an mbox or single message file (``.eml``, ``.patch``, ``.mbox``), a
   maildir (``cur/new/tmp``), or a directory of ``git format-patch`` output;
4. a message-id: ``id:a@b``, ``<a@b>``, or a bare ``a@b`` without ``/`` (a bare word with
   ``/`` is taken as a path: use ``id:`` or ``<...>`` for such message-ids), fetched with
   its whole thread through b4 (reviewbot.sources.b4).

Anything else is an InputError naming it.
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from reviewbot.errors import InputError
from reviewbot.parse.patch import Series
from reviewbot.parse.thread import build_series
from reviewbot.sources import local
from reviewbot.sources.b4 import fetch_thread

DEFAULT_LORE_URL = "https://lore.kernel.org"

__all__ = ["DEFAULT_LORE_URL", "load_series", "msgid_of"]

_MSGID = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")


def _msgid_from_url(spec: str) -> str:
    parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(spec).path.split("/")]
    found = [p for p in parts if "@" in p]
    if not found or not _MSGID.match(found[-1].strip("<>")):
        raise InputError(f"{spec}: not a lore message URL (no message-id in its path)")
    return found[-1].strip("<>")


def msgid_of(spec: str) -> str | None:
    """The message-id that ``spec`` names (``id:``, ``<>``, bare, or a URL), else None.

    Existing paths are not checked here: load_series tries them first.
    """
    text = spec.strip()
    if text.startswith(("http://", "https://")):
        return _msgid_from_url(text)
    explicit = False
    for prefix in ("id:", "rfc822msgid:"):
        if text.startswith(prefix):
            text, explicit = text[len(prefix) :].strip(), True
    if text.startswith("<") and text.endswith(">"):
        text, explicit = text[1:-1].strip(), True
    if not _MSGID.match(text):
        return None
    if "/" in text and not explicit:
        return None
    return text


def load_series(
    spec: str, *, lore_url: str, stdin: BinaryIO | None = None, timeout: float = 60
) -> Series:
    """Read or fetch what ``spec`` names and choose the series to review in it.

    Raises InputError (exit 2) for unreadable input or input without a patch, FetchError
    (exit 3) when a thread cannot be fetched, UsageError for a malformed ``lore_url``.
    """
    if not spec.strip():
        raise InputError("empty source: name a message-id, a lore URL, a file or - for stdin")
    if spec == "-":
        mails, what = local.read_stdin(stdin if stdin is not None else sys.stdin.buffer)
        return build_series(mails, source="-", what=what)
    is_url = spec.startswith(("http://", "https://"))
    path = Path(spec)
    if not is_url and spec and path.exists():
        mails, what = local.read_path(path)
        return build_series(mails, source=spec, what=what)
    msgid = msgid_of(spec)
    if msgid is None:
        raise InputError(f"{spec}: no such file or directory, and not a message-id")
    mails = fetch_thread(msgid, lore_url=lore_url, timeout=timeout)
    return build_series(mails, source=spec, msgid=msgid, what="thread")
