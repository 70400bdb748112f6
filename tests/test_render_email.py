"""Email replies, parsed back with the standard library: headers, quoting, tone."""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
import re
from email.message import EmailMessage
from pathlib import Path

import reports

from reviewbot.report import RenderOptions, renderer
from reviewbot.report import email as render_email

EXTRA = {"date": "Sun, 02 Mar 2025 10:00:00 +0000", "from": "Review Bot <bot@example.net>"}
OPTIONS = RenderOptions(rules=reports.rules(), extra=EXTRA)


def _parsed(report: object, options: RenderOptions = OPTIONS) -> list[EmailMessage]:
    """Render as an mbox, write it, and read it back with the standard library."""
    text = renderer("email")(report, options)  # type: ignore[arg-type]
    return [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for m in _mbox(text)
    ]


def _mbox(text: str) -> list[mailbox.mboxMessage]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.mbox"
        path.write_text(text)
        box = mailbox.mbox(path)
        try:
            return list(box)
        finally:
            box.close()


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_one_reply_per_patch_with_findings_series_wide_to_the_cover() -> None:
    msgs = _parsed(reports.full())
    subjects = [str(m["Subject"]) for m in msgs]
    assert subjects == [
        "Re: [PATCH v2 0/3] mm: take the page reference after the rmap dup",
        "Re: [PATCH v2 1/3] mm/memory: take the page reference after the dup",
    ]  # patch 2 has only low-confidence and preview findings, patch 3 none


def test_headers_thread_the_reply() -> None:
    cover, reply = _parsed(reports.full())
    patch = reports.series().patches[0]
    assert reply["In-Reply-To"] == f"<{patch.msgid}>"
    assert reply["References"].split() == [f"<{reports.COVER_MSGID}>", f"<{patch.msgid}>"]
    assert cover["In-Reply-To"] == f"<{reports.COVER_MSGID}>"
    assert reply["From"] == "Review Bot <bot@example.net>"
    assert [a for _, a in email.utils.getaddresses([reply["To"]])] == ["jane@example.org"]
    cc = [a for _, a in email.utils.getaddresses([reply["Cc"]])]
    assert cc == [
        "akpm@linux-foundation.org",
        "linux-mm@kvack.org",
        "linux-kernel@vger.kernel.org",
        "david@redhat.com",
    ]
    assert reply["Date"] == EXTRA["date"]
    assert re.fullmatch(r"<reviewbot\.[0-9a-f]+@example\.net>", reply["Message-ID"])
    assert reply["Message-ID"] != cover["Message-ID"]
    assert reply.get_content_type() == "text/plain"


def test_recipients_can_be_overridden() -> None:
    extra = {**EXTRA, "to": "maint@example.org", "cc": "list@example.org, b@example.org"}
    msg = _parsed(reports.full(), RenderOptions(rules=reports.rules(), extra=extra))[1]
    assert msg["To"] == "maint@example.org"
    assert msg["Cc"] == "list@example.org, b@example.org"


def test_quotes_only_the_lines_concerned_and_trims_between() -> None:
    body = _body(_parsed(reports.full())[1])
    quoted = [ln for ln in body.splitlines() if ln.startswith(">")]
    assert quoted[0] == "> diff --git a/mm/memory.c b/mm/memory.c"
    assert body.count("> diff --git") == 1  # one header per file in a message
    assert "> +\t\tget_page(page);" in quoted
    assert "> +\t\tpage_dup_rmap(page, false);" in quoted
    assert "> -\t\tpage_dup_file_rmap(page, false);" in quoted
    # the dup that ref-before-dup relates to is quoted, with [...] over the lines between
    block = body[body.index(">  \t\tif (unlikely(page_try_dup") :]
    block = block[: block.index("\n\n")].splitlines()
    assert block[1] == "> [...]"
    assert block[-2:] == ["> +\t\tget_page(page);", ">  \t\trss[mm_counter(page)]++;"]
    # nothing from far away: the comment above the hunk's first change is not quoted
    assert "guarantee the pinned page" not in body
    # every quoted line is a line of the diff (or the trim marker)
    diff_lines = {f"> {ln}".rstrip() for ln in reports.DIFF_1.splitlines()}
    assert all(ln in diff_lines or ln == "> [...]" for ln in quoted)


def test_findings_read_as_questions_with_links_and_no_line_numbers() -> None:
    body = _body(_parsed(reports.full())[1])
    prose = "\n".join(ln for ln in body.splitlines() if not ln.startswith(">"))
    assert "Could you take the reference before the dup, and drop it on -EBUSY?" in " ".join(
        prose.split()
    )
    assert "Is that intended, or am I missing something?" in " ".join(prose.split())
    assert "[MM002 ref-before-dup]" in prose  # no rule docs configured: the discussion only
    assert f"[discussion: {reports.LORE}]" in prose
    for number in (reports.LINE_GET, reports.LINE_RETURN, reports.LINE_REMOVED_API, 962):
        assert str(number) not in prose
    assert not re.search(r"\bline \d", prose)
    # each finding is written under the quote of its own lines
    assert body.index("> +\t\tget_page(page);") < body.index("get_page() now comes after")
    assert body.index("get_page() now comes after") < body.index("> +\t\tpage_dup_rmap(")
    assert body.index("> +\t\tpage_dup_rmap(") < body.index("page_dup_rmap() does not exist")
    assert all(len(ln) <= 100 for ln in prose.splitlines())


def test_everything_on_request_and_nothing_for_clean_patches() -> None:
    extra = {**EXTRA, "email-all": "1"}
    msgs = _parsed(reports.full(), RenderOptions(rules=reports.rules(), extra=extra))
    assert [m["Subject"].split("]")[0] for m in msgs] == [
        "Re: [PATCH v2 0/3",
        "Re: [PATCH v2 1/3",
        "Re: [PATCH v2 2/3",
    ]
    body = _body(msgs[2])
    assert "> diff --git a/include/linux/rmap.h b/include/linux/rmap.h" in body
    assert "If I read this right, rmap.h gains a comment" in " ".join(body.split())


def test_clean_report_has_no_messages() -> None:
    assert render_email.messages(reports.clean(), OPTIONS) == []
    assert renderer("email")(reports.clean(), OPTIONS) == ""


def test_eml_bytes_and_names() -> None:
    msgs = render_email.messages(reports.full(), OPTIONS)
    names = [render_email.filename(m, n) for n, m in enumerate(msgs, start=1)]
    assert names[1].startswith("0002-re-patch-v2-1-3-mm-memory-take")
    assert all(n.endswith(".eml") for n in names)
    data = render_email.as_bytes(msgs[1])
    back = email.message_from_bytes(data, policy=email.policy.default)
    assert back["Subject"] == msgs[1]["Subject"]
    assert b"\r\n" not in data
