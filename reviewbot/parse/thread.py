"""A thread (or an mbox, or a directory of format-patch files) into the Series to review.

Choices, as b4 makes them (``b4 am`` without ``-v``):

- Replies (``Re:``, ``Fwd:``...) are never patches, even when they carry a diff; other
  messages are patches when they hold a diff, cover letters when numbered 0/M.
- Patches are grouped by revision (the ``vN`` of their subject, v1 when absent) and the
  newest revision is reviewed, whichever message of the thread was named: b4 does the
  same and prints "Will use the latest revision". b4 orders revisions by the date of
  their patches; reviewbot by version number, which agrees on every ordinary thread and
  does not trust senders' clocks. The choice is written in ``Series.notes``.
- Within the revision, patches are ordered by N; a number sent twice (a RESEND in the
  same thread) is taken from the newest message; the numbers not received are listed
  in ``Series.missing``.
- Given a message-id, only the messages connected to it (In-Reply-To, References) are
  read; a lone patch posted inside another discussion is read with its replies only
  (b4's "auto-noparent").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from reviewbot.errors import InputError
from reviewbot.parse.mail import Mail, mail_to_patch
from reviewbot.parse.patch import Series

_DIFFSTAT = re.compile(r"^\s*\d+ files? changed", re.M)


def _parents(mail: Mail) -> list[str]:
    ids = list(mail.references)
    if mail.in_reply_to and mail.in_reply_to not in ids:
        ids.append(mail.in_reply_to)
    return [i for i in ids if i != mail.msgid]


def _is_patch(mail: Mail) -> bool:
    return mail.has_diff and not mail.subject.is_reply and mail.subject.counter > 0


def _is_cover(mail: Mail) -> bool:
    return not mail.subject.is_reply and mail.subject.counter == 0


def _descendants(mails: Sequence[Mail], root: str) -> list[Mail]:
    keep = {root}
    changed = True
    while changed:  # threads are small; a fixed point is simpler than an index
        changed = False
        for mail in mails:
            if mail.msgid not in keep and any(p in keep for p in _parents(mail)):
                keep.add(mail.msgid)
                changed = True
    return [m for m in mails if m.msgid in keep]


def _connected(mails: Sequence[Mail], start: str) -> list[Mail]:
    """The messages linked to ``start`` through In-Reply-To and References, either way."""
    links: dict[str, set[str]] = defaultdict(set)
    for mail in mails:
        for parent in _parents(mail):
            links[mail.msgid].add(parent)
            links[parent].add(mail.msgid)
    seen = {start}
    todo = [start]
    while todo:
        for other in links[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return [m for m in mails if m.msgid in seen]


def _thread_of(mails: Sequence[Mail], msgid: str, source: str) -> list[Mail]:
    named = next((m for m in mails if m.msgid == msgid), None)
    if named is None:
        raise InputError(f"{source}: message <{msgid}> is not in it")
    if _is_patch(named) and named.subject.total == 1 and _parents(named):
        parent = next((m for m in mails if m.msgid == named.in_reply_to), None)
        if parent is None or not _is_cover(parent):
            return _descendants(mails, msgid)
    return _connected(mails, msgid)


def _newest(mails: Iterable[Mail]) -> tuple[Mail, int]:
    """The newest of several messages (by date, then by position), and how many there were."""
    ranked = list(mails)
    best = max(
        enumerate(ranked),
        key=lambda im: (im[1].timestamp if im[1].timestamp is not None else float("-inf"), im[0]),
    )
    return best[1], len(ranked)


def _ranges(numbers: Sequence[int]) -> str:
    spans: list[str] = []
    start = prev = None
    for n in [*numbers, None]:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            spans.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    return ", ".join(spans)


def build_series(
    mails: Sequence[Mail], *, source: str, msgid: str | None = None, what: str = "thread"
) -> Series:
    """Choose and parse the series to review among ``mails``.

    ``source`` is what the user named (it starts every error message); ``msgid`` the
    message-id they named, if any; ``what`` says what ``mails`` came from ("thread",
    "mbox", "message", "directory"...) for the "no patch" error.
    """
    unique: dict[str, Mail] = {}
    anonymous: list[Mail] = []
    for mail in mails:
        if not mail.msgid:
            anonymous.append(mail)  # format-patch files written without --thread
        elif mail.msgid not in unique:
            unique[mail.msgid] = mail
    pool: list[Mail] = [*unique.values(), *anonymous]
    msgid = msgid.strip().strip("<>") if msgid else None
    if msgid:
        pool = _thread_of(pool, msgid, source)

    patches = [m for m in pool if _is_patch(m)]
    if not patches:
        raise InputError(f"{source}: no patch in this {what}")

    notes: list[str] = []
    versions = sorted({m.subject.version for m in patches})
    version = versions[-1]
    if len(versions) > 1:
        listed = ", ".join(f"v{v}" for v in versions)
        notes.append(f"{what} has {listed}: reviewing v{version}")
    named = unique.get(msgid) if msgid else None
    if (
        named is not None
        and named.subject.version != version
        and (_is_patch(named) or _is_cover(named))
    ):
        notes.append(
            f"<{msgid}> is part of v{named.subject.version}; "
            f"v{version} is the newest revision (as b4 picks by default)"
        )

    by_counter: dict[int, list[Mail]] = defaultdict(list)
    for mail in patches:
        if mail.subject.version == version:
            by_counter[mail.subject.counter].append(mail)
    chosen: dict[int, Mail] = {}
    for counter, sent in sorted(by_counter.items()):
        best, count = _newest(sent)
        chosen[counter] = best
        if count > 1:
            notes.append(
                f"patch {counter} of v{version} was sent {count} times: "
                f"reviewing the newest, <{best.msgid}>"
            )

    covers = [m for m in pool if _is_cover(m) and m.subject.version == version]
    cover = _newest(covers)[0] if covers else None
    if cover is None:
        # b4's fallback: the parent of the first patch, when it is a diffstat without a diff.
        first = chosen[min(chosen)]
        parent = next((m for m in pool if m.msgid and m.msgid == first.in_reply_to), None)
        if (
            parent is not None
            and not parent.has_diff
            and not parent.subject.is_reply
            and _DIFFSTAT.search(parent.body)
        ):
            cover = parent

    totals = Counter(m.subject.total for m in chosen.values())
    total = (
        cover.subject.total if cover and cover.subject.counter == 0 else totals.most_common(1)[0][0]
    )
    if len(totals) > 1 or (cover and cover.subject.counter == 0 and total not in totals):
        seen = sorted({*totals, total})
        notes.append(
            f"v{version} disagrees on the number of patches "
            f"({', '.join(map(str, seen))}): counting {total}"
        )
    beyond = [n for n in chosen if n > total]
    if beyond:
        notes.append(f"v{version} has patches numbered beyond {total}: {_ranges(beyond)}")
    missing = tuple(n for n in range(1, total + 1) if n not in chosen)

    parsed = tuple(mail_to_patch(chosen[n], n) for n in sorted(chosen))
    cover_patch = mail_to_patch(cover, 0) if cover is not None else None
    base = (cover_patch.base_commit if cover_patch else None) or next(
        (p.base_commit for p in parsed if p.base_commit), None
    )
    head = cover_patch or parsed[0]
    return Series(
        subject=head.subject.title,
        version=version,
        total=total,
        patches=parsed,
        msgid=head.msgid or None,
        cover=cover_patch,
        missing=missing,
        base_commit=base,
        source=source,
        notes=tuple(notes),
    )
