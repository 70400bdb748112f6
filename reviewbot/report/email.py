"""Plain-text review replies, one per patch that has findings, as reviewers write them.

Each message answers the patch (``Re:`` subject, ``In-Reply-To``/``References``), goes to
the patch's author with its recipients in Cc, quotes only the diff lines a finding is about
(with a little context, ``> [...]`` between pieces that are not adjacent), and writes the
finding under them: what and why, as a question, with links to the rule's documentation
and to the lore discussion behind it. Prose never carries line numbers: the quote shows
the place. Series-wide findings answer the cover letter (else the first patch).

By default only high-confidence, non-preview findings are written: a list reply that is
wrong costs everyone's time. ``options.extra``:

- ``email-all`` = ``1``: every finding the other options show;
- ``from``: our address (default ``reviewbot <reviewbot@localhost>``);
- ``to``, ``cc``: comma-separated recipients instead of the patch's author and recipients;
- ``date``: an RFC 2822 date instead of now (reproducible output);
- ``email-context``: lines quoted before a flagged line (default 2; one after).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import io
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage

from reviewbot import __version__
from reviewbot.errors import UsageError
from reviewbot.findings import Confidence, Finding, Report, Severity, Status
from reviewbot.parse.diff import FileDiff, Hunk
from reviewbot.parse.patch import Patch
from reviewbot.report import RenderOptions, doc_url
from reviewbot.report.levels import shown

DEFAULT_FROM = "reviewbot <reviewbot@localhost>"
WIDTH = 72
AFTER = 1  # context lines quoted after a flagged line
TRIM = "> [...]"
OPENING = (
    "reviewbot, an automated reviewer, has some questions about this {what}; "
    "it can be wrong, and a reply saying so helps."
)

# Messages that the lists see as 8-bit UTF-8 text, never base64 or quoted-printable.
POLICY = email.policy.SMTP.clone(cte_type="8bit")


@dataclass(frozen=True)
class _Span:
    """Lines ``start..end`` (indexes into one hunk's lines) to quote."""

    path: str
    hunk: int
    start: int
    end: int


def _selected(report: Report, options: RenderOptions) -> list[Finding]:
    findings = shown(report, options)
    if options.extra.get("email-all") != "1":
        findings = tuple(
            f
            for f in findings
            if f.confidence is Confidence.HIGH and f.status is not Status.PREVIEW
        )
    return sorted(findings, key=Finding.sort_key)


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


def _bare(address: str) -> str:
    return email.utils.parseaddr(address)[1].lower()


def _recipients(patch: Patch, options: RenderOptions, sender: str) -> tuple[list[str], list[str]]:
    """Reply to all, as on the list: the author in To, everyone else in Cc."""
    to = _addresses(options.extra.get("to", "")) or [patch.author]
    if "cc" in options.extra:
        cc = _addresses(options.extra["cc"])
    else:
        seen = {_bare(a) for a in to} | {_bare(sender)}
        cc = []
        for addr in (*patch.to, *patch.cc):
            if _bare(addr) and _bare(addr) not in seen:
                seen.add(_bare(addr))
                cc.append(addr)
    return to, cc


# --- quoting --------------------------------------------------------------------------


def _find_line(files: Sequence[FileDiff], path: str, line: int) -> tuple[int, int] | None:
    """(hunk index, line index) of post-image ``line`` of ``path``."""
    for diff in files:
        if diff.path != path:
            continue
        for h, hunk in enumerate(diff.hunks):
            for i, ln in enumerate(hunk.lines):
                if ln.new == line:
                    return h, i
    return None


def _hunk(files: Sequence[FileDiff], path: str, index: int) -> Hunk:
    diff = next(d for d in files if d.path == path)
    return diff.hunks[index]


def _spans(finding: Finding, patch: Patch | None, before: int) -> list[_Span]:
    if patch is None or finding.path is None:
        return []
    wanted: list[tuple[str, int, int, int]] = []  # path, line, before, after
    if finding.line is not None:
        wanted.append((finding.path, finding.line, before, AFTER))
    for rel in finding.related:
        if rel.line is not None and rel.patch in (None, finding.patch):
            wanted.append((rel.path or finding.path, rel.line, 0, 0))
    spans: list[_Span] = []
    for path, line, back, ahead in wanted:
        at = _find_line(patch.files, path, line)
        if at is None:
            continue
        h, i = at
        size = len(_hunk(patch.files, path, h).lines)
        spans.append(_Span(path, h, max(0, i - back), min(size - 1, i + ahead)))
    return _merge(spans)


def _merge(spans: Iterable[_Span]) -> list[_Span]:
    """Sort by place in the diff; join spans of one hunk that overlap or touch."""
    out: list[_Span] = []
    for s in sorted(spans, key=lambda s: (s.path, s.hunk, s.start)):
        last = out[-1] if out else None
        if last and (last.path, last.hunk) == (s.path, s.hunk) and s.start <= last.end + 1:
            out[-1] = _Span(s.path, s.hunk, last.start, max(last.end, s.end))
        else:
            out.append(s)
    return out


def _diff_line(patch: Patch, path: str) -> str:
    diff = next(d for d in patch.files if d.path == path)
    return f"> diff --git a/{diff.old_path or diff.path} b/{diff.path}"


def _quote(spans: Sequence[_Span], patch: Patch, path: str | None, seen: set[str]) -> list[str]:
    """The quoted lines, trimmed; a file's ``diff --git`` line comes before its first quote
    in the message (``seen`` holds the files already introduced)."""
    out: list[str] = []
    current: str | None = None
    last: _Span | None = None
    for span in spans:
        if span.path != current:
            if out:
                out.append(TRIM)
            if span.path not in seen:
                out += [_diff_line(patch, span.path), TRIM]
                seen.add(span.path)
            current, last = span.path, None
        elif last is not None and not (last.hunk == span.hunk and span.start == last.end + 1):
            out.append(TRIM)
        hunk = _hunk(patch.files, span.path, span.hunk)
        out += [f"> {ln.kind}{ln.text}".rstrip() for ln in hunk.lines[span.start : span.end + 1]]
        last = span
    if not spans and path is not None and any(d.path == path for d in patch.files):
        # A finding about a whole file: the file's header is the place to answer under.
        out.append(_diff_line(patch, path))
        seen.add(path)
    return out


# --- prose ----------------------------------------------------------------------------

_CAPITAL_WORD = re.compile(r"^[A-Z][a-z]+\b(?!\()")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _lower_first(text: str) -> str:
    # "The -EBUSY path ..." reads on after "If I read this right,"; identifiers stay as is.
    return text[0].lower() + text[1:] if _CAPITAL_WORD.match(text) else text


def _ask(finding: Finding) -> str:
    if finding.suggestion:
        s = finding.suggestion.strip().rstrip(".")
        if s[:1].islower():
            return f"Could you {s}?"
        return f"Would this work instead: {s}?"
    if finding.severity is Severity.INFO:
        return "Just a note, in case it helps."
    return "Is that intended, or am I missing something?"


def _prose(finding: Finding) -> list[str]:
    if finding.confidence is Confidence.HIGH:
        said = _sentence(finding.message)
    else:
        said = f"If I read this right, {_sentence(_lower_first(finding.message))}"
    paragraphs = [f"{said} {_ask(finding)}"]
    for rel in finding.related:
        elsewhere = rel.patch is not None and rel.patch != finding.patch
        if elsewhere or rel.line is None:
            where = f" (patch {rel.patch})" if elsewhere else ""
            paragraphs.append(f"See also{where}: {_sentence(rel.message)}")
    out: list[str] = []
    for para in paragraphs:
        out += textwrap.wrap(para, WIDTH, break_long_words=False, break_on_hyphens=False)
        out.append("")
    return out


def _links(finding: Finding, options: RenderOptions) -> list[str]:
    rule = options.rules.get(finding.code)
    refs = list(rule.references) if rule else []
    url = doc_url(options, finding.code)
    named = f"{finding.code} {finding.name}"
    out = [f"[{named}: {url}]" if url and url not in refs else f"[{named}]"]
    out += [f"[discussion: {ref}]" for ref in refs]
    return out


def _context(options: RenderOptions) -> int:
    text = options.extra.get("email-context", "2")
    if not text.isdigit():
        raise UsageError(f"email-context {text!r}: expected a number of lines, such as 2")
    return int(text)


def body(findings: Sequence[Finding], patch: Patch | None, options: RenderOptions) -> str:
    """The text of one reply: the opening line, then each quote and what we ask about it."""
    what = "patch" if patch is not None and patch.files else "series"
    out = [*textwrap.wrap(OPENING.format(what=what), WIDTH), ""]
    before = _context(options)
    seen: set[str] = set()
    # (what the quote covers, the quoted lines, the findings written under them)
    blocks: list[tuple[tuple[object, ...], list[str], list[Finding]]] = []
    for f in findings:
        spans = _spans(f, patch, before)
        covers = (f.path, *spans)
        if blocks and (spans or f.path) and blocks[-1][0] == covers:
            blocks[-1][2].append(f)  # same lines: one quote, the findings one after another
            continue
        quote = _quote(spans, patch, f.path, seen) if patch is not None else []
        blocks.append((covers, quote, [f]))
    for _, quote, group in blocks:
        if quote:
            out += [*quote, ""]
        for f in group:
            out += _prose(f)
            out += [*_links(f, options), ""]
    out += ["-- ", f"reviewbot {__version__}"]
    return "\n".join(out) + "\n"


# --- messages -------------------------------------------------------------------------


def _subject(patch: Patch) -> str:
    raw = patch.subject.raw.strip()
    return raw if raw.lower().startswith("re:") else f"Re: {raw}"


def _message_id(patch: Patch, findings: Sequence[Finding], sender: str) -> str:
    # Derived from what the message says, so the same reply keeps the same Message-ID.
    digest = hashlib.sha256(
        "\0".join([patch.msgid, *sorted(f.fingerprint for f in findings)]).encode()
    ).hexdigest()[:20]
    domain = _bare(sender).rpartition("@")[2] or "reviewbot.invalid"
    return f"<reviewbot.{digest}@{domain}>"


def message(
    patch: Patch, findings: Sequence[Finding], options: RenderOptions, quoted: Patch | None = None
) -> EmailMessage:
    """One reply to ``patch`` about ``findings``; ``quoted`` is the patch whose diff to quote
    (None for a series-wide reply to the cover letter)."""
    sender = options.extra.get("from", DEFAULT_FROM)
    to, cc = _recipients(patch, options, sender)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = _subject(patch)
    msg["Date"] = options.extra.get("date") or email.utils.formatdate(localtime=True)
    msg["Message-ID"] = _message_id(patch, findings, sender)
    msg["In-Reply-To"] = f"<{patch.msgid}>"
    refs = [r for r in patch.references if r != patch.msgid] + [patch.msgid]
    msg["References"] = " ".join(f"<{r}>" for r in refs)
    msg["X-Mailer"] = f"reviewbot {__version__}"
    text = body(findings, quoted, options)
    msg.set_content(text, cte="7bit" if text.isascii() else "8bit")
    return msg


def replies(report: Report, options: RenderOptions) -> list[tuple[EmailMessage, list[Finding]]]:
    """Each reply with the findings it carries (for publishers that record what they sent)."""
    findings = _selected(report, options)
    series = report.series
    by_index = {p.index: p for p in series.patches}
    wide = [f for f in findings if f.patch is None or f.patch not in by_index]
    out: list[tuple[EmailMessage, list[Finding]]] = []
    if wide and series.cover is not None:
        out.append((message(series.cover, wide, options, None), wide))
        wide = []
    for n, patch in enumerate(series.patches):
        # Without a cover letter, series-wide findings go with the first patch's.
        mine = (wide if n == 0 else []) + [f for f in findings if f.patch == patch.index]
        if mine:
            out.append((message(patch, mine, options, patch), mine))
    return out


def messages(report: Report, options: RenderOptions) -> list[EmailMessage]:
    """One reply per patch with findings to write, in series order; series-wide first."""
    return [msg for msg, _ in replies(report, options)]


def filename(msg: EmailMessage, number: int) -> str:
    """``0001-re-patch-v2-1-3-mm-memory-....eml``, for writing messages to a directory."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(msg["Subject"]).lower()).strip("-")[:60].rstrip("-")
    return f"{number:04d}-{slug}.eml"


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as a ``.eml`` file holds it (LF line ends, 8-bit body)."""
    return msg.as_bytes(policy=POLICY.clone(linesep="\n"))


def mbox(msgs: Iterable[EmailMessage]) -> bytes:
    buf = io.BytesIO()
    for msg in msgs:
        sender = _bare(str(msg["From"])) or "reviewbot"
        when = email.utils.parsedate_to_datetime(str(msg["Date"]))
        buf.write(f"From {sender} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
        # mangle_from_ quotes body lines starting with "From " as mbox readers expect.
        BytesGenerator(buf, mangle_from_=True, policy=POLICY.clone(linesep="\n")).flatten(msg)
        buf.write(b"\n")
    return buf.getvalue()


def render(report: Report, options: RenderOptions) -> str:
    return mbox(messages(report, options)).decode("utf-8")
