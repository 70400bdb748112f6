"""One RFC 2822 message into a Mail, and a Mail into a Patch. Pure: bytes in, objects out.

Headers are parsed with the stdlib ``compat32`` policy and decoded here (RFC 2047 words,
8-bit bytes as UTF-8): it is several times faster than ``policy.default`` on the long
Cc lists of kernel mail and never raises on a malformed address header.

A message is a patch when its text holds a diff at the start of a line, as in b4:
``diff --git``, ``--- x`` followed by ``+++ y``, or ``GIT binary patch``. A reply that
quotes a diff (``> diff --git``) does not, so it is not a patch.
"""

from __future__ import annotations

import contextlib
import email.header
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC
from email import policy
from email.errors import MessageError
from email.message import Message
from email.parser import BytesParser

from reviewbot.parse.diff import parse_diff
from reviewbot.parse.patch import Patch, Subject, Trailer
from reviewbot.parse.subject import parse_subject

# git format-patch's first line: "From <sha> Mon Sep 17 00:00:00 2001" (a fixed date).
_FORMAT_PATCH_FROM = re.compile(rb"^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001\r?$")
_DIFF = re.compile(r"^(?:diff --git \S|--- \S.*\n\+\+\+ \S|GIT binary patch$)", re.M)
# Where the diff text begins (a "GIT binary patch" never comes without its diff --git).
_DIFF_START = re.compile(r"^(?:diff --git \S|Index: \S.*\n=+\n|--- \S.*\n\+\+\+ \S)", re.M)
# git mailinfo's patch break: "---" alone (trailing spaces allowed) ends the message.
_SEPARATOR = re.compile(r"^---[ \t]*$", re.M)
_SIGNATURE = re.compile(r"^-- $", re.M)
_SCISSORS = re.compile(r"^[ \t]*-{2,}[ \t]*(?:>8|8<)[ \t]*-{2,}.*$", re.M)
_INBODY_HEADER = re.compile(r"^(From|Subject|Date):[ \t]*(.*)$", re.I)
_BASE_COMMIT = re.compile(r"^base-commit:[ \t]*([0-9a-f]{7,40})[ \t]*$", re.M)
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):[ \t]+(\S.*?)[ \t]*$")
# Trailers git and the kernel's process documents: a paragraph holding one of these is
# a trailer block even when some lines in it are not trailers (git's 25% rule).
_KNOWN_TRAILERS = {
    "signed-off-by",
    "acked-by",
    "reviewed-by",
    "tested-by",
    "reported-by",
    "suggested-by",
    "co-developed-by",
    "cc",
    "link",
    "closes",
    "fixes",
}
_MSGID = re.compile(r"<([^<>\s]+)>")
_PATCH_TYPES = {"text/plain", "text/x-patch", "text/x-diff", "text/patch", "text/diff"}
_ADDRESS_ITEM = re.compile(r'(?:"[^"]*"|[^,"])+')
_ANGLE_ADDR = re.compile(r"<([^<>]*)>\s*$")
_PARSER = BytesParser(policy=policy.compat32)


@dataclass(frozen=True)
class Mail:
    """One message, headers decoded, the text that may hold a patch extracted."""

    msgid: str  # without angle brackets; "" when the message has none (format-patch files)
    subject: Subject
    author: str  # "Name <email>", or the bare address
    date: str  # as written
    timestamp: float | None  # seconds since the epoch, None when the date does not parse
    in_reply_to: str | None
    references: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    body: str  # decoded text of the part holding the patch, LF line ends
    has_diff: bool
    commit: str | None = None  # from a format-patch ``From <sha> Mon Sep 17 ...`` line
    where: str = "message"  # names the message in error messages
    raw: bytes = field(default=b"", repr=False, compare=False)  # the bytes parsed, as received


def _raw(value: object) -> str:
    """A header value as str; compat32 wraps one holding 8-bit bytes: read those as UTF-8."""
    if isinstance(value, email.header.Header):
        return "".join(
            _decode(chunk, None if charset in (None, "unknown-8bit") else charset)
            if isinstance(chunk, bytes)
            else chunk
            for chunk, charset in email.header.decode_header(value)
        )
    return str(value)


def _text(value: object) -> str:
    """A header value as text: 8-bit bytes read as UTF-8, RFC 2047 words decoded, unfolded."""
    raw = _raw(value)
    if "=?" in raw:
        # On a malformed word, keep the header as sent rather than lose it.
        with contextlib.suppress(MessageError, LookupError, UnicodeError, ValueError):
            raw = str(email.header.make_header(email.header.decode_header(raw)))
    return " ".join(raw.split())


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    return "" if value is None else _text(value)


def _address_list(raw: str) -> list[tuple[str, str]]:
    """(name, address) pairs. The common ``Name <a@b>, "Last, First" <c@d>`` form is split
    here, several times faster than email.utils on the long Cc lists of kernel mail;
    comments and groups go to email.utils."""
    if "(" in raw or ";" in raw or "\\" in raw:
        return email.utils.getaddresses([raw])
    pairs: list[tuple[str, str]] = []
    for item in _ADDRESS_ITEM.findall(raw):
        item = item.strip()
        if not item:
            continue
        angle = _ANGLE_ADDR.search(item)
        if angle:
            name = item[: angle.start()].strip()
            if len(name) >= 2 and name[0] == name[-1] == '"':
                name = name[1:-1]
            pairs.append((name, angle.group(1).strip()))
        else:
            pairs.append(("", item))
    return pairs


def _addresses(msg: Message, *names: str) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        for value in msg.get_all(name) or []:
            for display, addr in _address_list(_raw(value)):
                display, addr = _text(display), _text(addr)
                if addr or display:
                    out.append(f"{display} <{addr}>" if display and addr else addr or display)
    return tuple(out)


def _msgids(value: str) -> list[str]:
    return _MSGID.findall(value)


def _timestamp(date: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # no zone given: read it as UTC, as git does
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _decode(payload: bytes, charset: str | None) -> str:
    # A part labelled us-ascii (or not labelled) is often UTF-8 in practice: try UTF-8 too.
    declared = charset if charset and charset not in ("us-ascii", "ascii") else None
    for name in (declared, "utf-8"):
        if name is None:
            continue
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return payload.decode(declared or "utf-8", "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


def _parts(msg: Message) -> list[str]:
    """The decoded text of every part that can hold a patch, in message order."""
    texts: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() not in _PATCH_TYPES:
            continue
        try:
            payload = part.get_payload(decode=True)
        except (MessageError, ValueError):
            continue
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or msg.get_content_charset()
        text = _decode(payload, charset)
        texts.append(text.replace("\r\n", "\n"))
    return texts


def _body(texts: list[str]) -> str:
    if not texts:
        return ""
    with_diff = next((t for t in texts if _DIFF.search(t)), None)
    if with_diff is None or with_diff is texts[0]:
        return texts[0]
    # The commit message in the first part, the patch attached: read them as one.
    return texts[0].rstrip("\n") + "\n\n" + with_diff


def parse_mail(data: bytes, where: str = "message") -> Mail:
    """Parse one message. ``data`` may start with an mbox or format-patch ``From `` line."""
    commit: str | None = None
    message = data
    if data.startswith(b"From "):
        first, _, message = data.partition(b"\n")
        found = _FORMAT_PATCH_FROM.match(first)
        commit = found.group(1).decode("ascii") if found else None
    msg = _PARSER.parsebytes(message)

    ids = _msgids(_header(msg, "Message-ID"))
    msgid = ids[0] if ids else _header(msg, "Message-ID").strip("<> ")
    irt = _msgids(_header(msg, "In-Reply-To"))
    refs = tuple(r for value in (msg.get_all("References") or []) for r in _msgids(_raw(value)))
    date = _header(msg, "Date")
    authors = _addresses(msg, "From")
    body = _body(_parts(msg))
    return Mail(
        msgid=msgid,
        subject=parse_subject(_header(msg, "Subject")),
        author=authors[0] if authors else "",
        date=date,
        timestamp=_timestamp(date) if date else None,
        in_reply_to=irt[0] if irt else (refs[-1] if refs else None),
        references=refs,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        body=body,
        has_diff=bool(_DIFF.search(body)),
        commit=commit,
        where=f"{where}: <{msgid}>" if msgid and msgid not in where else where,
        raw=data,
    )


def _trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of the last paragraph of a commit message, as git interpret-trailers."""
    paragraphs = re.split(r"\n[ \t]*\n", message.strip())
    lines = paragraphs[-1].splitlines() if paragraphs and paragraphs[-1] else []
    found: list[Trailer] = []
    others = 0
    for line in lines:
        match = _TRAILER.match(line)
        if match:
            found.append(Trailer(match.group(1), match.group(2)))
        elif line[:1] in (" ", "\t") and found:  # a folded value continues
            last = found[-1]
            found[-1] = Trailer(last.name, f"{last.value} {line.strip()}")
        elif not (line.startswith("[") and line.rstrip().endswith("]")):
            others += 1  # "[ akpm: ... ]" notes are allowed among trailers
    if not found:
        return ()
    known = any(t.name.lower() in _KNOWN_TRAILERS for t in found)
    if others and not (known and len(found) * 3 >= others):
        return ()
    return tuple(found)


def _inbody_headers(message: str) -> tuple[dict[str, str], str]:
    """``From:``/``Subject:``/``Date:`` lines opening the body override the mail's (git am)."""
    lines = message.lstrip("\n").split("\n")
    headers: dict[str, str] = {}
    for i, line in enumerate(lines):
        match = _INBODY_HEADER.match(line)
        if match and match.group(1).lower() not in headers:
            headers[match.group(1).lower()] = match.group(2).strip()
            continue
        if headers and not line.strip():
            return headers, "\n".join(lines[i + 1 :])
        break
    return {}, message


def mail_to_patch(mail: Mail, index: int | None = None) -> Patch:
    """Split a mail into commit message, ``---`` notes and diff, and parse the diff.

    ``index`` defaults to the N of the subject's N/M (1 for a lone patch). A mail without a
    diff (a cover letter) gives a Patch without files. A malformed diff raises InputError
    naming the mail.
    """
    body = mail.body
    scissors = _SCISSORS.search(body)
    start = _DIFF_START.search(body)
    if scissors and (start is None or scissors.start() < start.start()):
        body = body[scissors.end() + 1 :]
        start = _DIFF_START.search(body)
    diff_at = start.start() if start else len(body)
    head, diff = body[:diff_at], body[diff_at:]

    separator = _SEPARATOR.search(head)
    message, notes = head, ""
    if separator:
        message, notes = head[: separator.start()], head[separator.end() :]
    signature = _SIGNATURE.search(message)
    if signature:
        message = message[: signature.start()]
    if not start:
        signature = _SIGNATURE.search(notes)
        notes = notes[: signature.start()] if signature else notes
    inbody, message = _inbody_headers(message)
    author = mail.author
    if "from" in inbody:
        people = email.utils.getaddresses([inbody["from"]])
        if people and people[0][1]:
            name, addr = _text(people[0][0]), people[0][1]
            author = f"{name} <{addr}>" if name else addr

    base = _BASE_COMMIT.search(body)
    skipped: list[str] = []
    files = []
    for f in parse_diff(diff, mail.where) if start else ():
        if f.binary:
            skipped.append(f"{f.path}: binary diff, not analysed")
        else:
            files.append(f)
    return Patch(
        index=mail.subject.counter if index is None else index,
        msgid=mail.msgid,
        subject=mail.subject,
        author=author,
        date=inbody.get("date", mail.date),
        message=message.strip("\n").rstrip() + "\n" if message.strip() else "",
        trailers=_trailers(message),
        notes=notes.strip("\n").rstrip() + "\n" if notes.strip() else "",
        files=tuple(files),
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        to=mail.to,
        cc=mail.cc,
        base_commit=base.group(1) if base else None,
        commit=mail.commit,
        skipped=tuple(skipped),
        raw=mail.raw,
    )
