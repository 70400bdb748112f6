"""Patch subject lines: ``[PATCH RFC v3 04/15] mm/rmap: ...`` into a Subject.

The rules follow b4's LoreSubject, which is what kernel maintainers' tools agree on:
reply markers first (``Re:``, ``Aw:``, ``Fwd:``...), then every leading ``[...]`` group,
split into words: ``N/M`` is the counter, ``vN`` the version, ``PATCH``/``RFC``/``RESEND``
are normalised to upper case, and any other word (``net-next``, ``mm-unstable``) is kept
as written. ``[PATCHv3]`` and ``[RFCv2]`` are read as ``PATCH v3`` and ``RFC v2``.
"""

from __future__ import annotations

import re

from reviewbot.parse.patch import Subject

# Reply and forward markers in the languages mail clients use, including "Re[2]:" and
# "Re: Re:". A bare "xx:" is not one: "mm:" and "net:" are kernel subsystems.
_REPLY = re.compile(
    r"^\s*(?:(?:re|aw|fwd?|sv|vs|antw|wg|tr|odp|ref)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
# b4's catch-all for a marker in a language not listed: two or three letters and a colon
# directly before a bracket that holds PATCH or RFC.
_REPLY_OTHER = re.compile(r"^\s*[^\W\d_]{2,3}:\s*(?=\[[^\]]*\b(?:patch|rfc)\b)", re.IGNORECASE)
_BRACKET = re.compile(r"^\s*\[([^\]]*)\]\s*")
_COUNTER = re.compile(r"^(\d{1,4})/(\d{1,4})$")
_VERSION = re.compile(r"^v(\d{1,4})$", re.IGNORECASE)
_GLUED = re.compile(r"^(patch|rfc|resend)v(\d{1,4})$", re.IGNORECASE)
_KEYWORDS = {"patch": "PATCH", "rfc": "RFC", "resend": "RESEND"}


def _words(bracketed: str) -> list[str]:
    words: list[str] = []
    for chunk in re.split(r"[\s,;]+", bracketed):
        if not chunk:
            continue
        glued = _GLUED.match(chunk)
        if glued:
            words += [glued.group(1), f"v{glued.group(2)}"]
        else:
            words.append(chunk)
    return words


def parse_subject(raw: str) -> Subject:
    """Parse a decoded subject line (RFC 2047 already undone, folding allowed)."""
    text = " ".join(raw.split())
    rest = text
    is_reply = False
    prefixes: list[str] = []
    version: int | None = None
    counter: int | None = None
    total: int | None = None
    is_patch = False
    # Reply markers and bracket groups, in any order: "Re: [PATCH]", "[list] Re: [PATCH]".
    while True:
        marker = _REPLY.match(rest) or _REPLY_OTHER.match(rest)
        if marker and (not prefixes or rest[marker.end() :].startswith("[")):
            is_reply = True
            rest = rest[marker.end() :]
            continue
        group = _BRACKET.match(rest)
        if not group:
            break
        rest = rest[group.end() :]
        for word in _words(group.group(1)):
            numbers = _COUNTER.match(word)
            if numbers and counter is None:
                counter, total = int(numbers.group(1)), int(numbers.group(2))
                continue
            ver = _VERSION.match(word)
            if ver and version is None:
                version = int(ver.group(1))
                continue
            keyword = _KEYWORDS.get(word.lower())
            if keyword in ("PATCH", "RFC"):
                is_patch = True
            prefixes.append(keyword or word)
    return Subject(
        raw=text,
        title=rest.strip(),
        prefixes=tuple(prefixes),
        version=version if version else 1,
        counter=counter if counter is not None else 1,
        total=total if total else 1,
        is_reply=is_reply,
        is_patch=is_patch,
    )
