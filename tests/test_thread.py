from pathlib import Path

import pytest

from reviewbot.errors import InputError
from reviewbot.parse.mail import Mail, parse_mail
from reviewbot.parse.thread import build_series
from reviewbot.sources.local import mails_from_bytes, read_patch_dir

REPO = Path(__file__).resolve().parents[1]
THREADS = REPO / "fixtures" / "threads"
CORPUS = REPO.parent / "shared" / "corpus"

A = "20240105120000.4242-{}-alice@example.org"
B1 = "20240201090000.100-{}-carol@example.com"
B2 = "20240208090000.200-{}-carol@example.com"

DIFF = """\
diff --git a/mm/x.c b/mm/x.c
--- a/mm/x.c
+++ b/mm/x.c
@@ -1,2 +1,3 @@
 a
+b
 c
"""


def thread(name: str) -> list[Mail]:
    return mails_from_bytes((THREADS / name).read_bytes(), name)


def mail(msgid: str, subject: str, body: str = DIFF, date: str = "", **headers: str) -> Mail:
    head = {"Message-ID": f"<{msgid}>", "Subject": subject, "From": "J <j@example.org>"}
    if date:
        head["Date"] = date
    head.update({k.replace("_", "-"): v for k, v in headers.items()})
    text = "".join(f"{k}: {v}\n" for k, v in head.items()) + "\n" + body
    return parse_mail(text.encode(), "t.mbox")


def test_cover_three_patches_two_replies() -> None:
    series = build_series(thread("cover-3-replies.mbox"), source="a.mbox", what="mbox")
    assert (series.version, series.total, series.missing) == (3, 3, ())
    assert [p.index for p in series.patches] == [1, 2, 3]  # ordered although the mbox is not
    assert [p.msgid for p in series.patches] == [A.format(2), A.format(3), A.format(4)]
    assert series.cover is not None and series.cover.msgid == A.format(1)
    assert series.msgid == A.format(1)
    assert series.subject == "mm/rmap: assert and document the dup_rmap contracts"
    assert series.base_commit == "79e15b36442cc80e3f2d35297da3eab9e58e6e6a"
    assert series.source == "a.mbox"
    assert series.notes == ()
    # The reply that quotes the diff of 2/3 did not replace or duplicate it.
    assert series.patches[1].subject.raw.startswith("[PATCH v3 2/3]")
    assert series.patches[0].notes.startswith("Changes in v3:")


def test_v1_and_v2_picks_v2() -> None:
    series = build_series(thread("v1-v2.mbox"), source="t", what="thread")
    assert series.version == 2
    assert [p.msgid for p in series.patches] == [B2.format(2), B2.format(3)]
    assert series.cover is not None and series.cover.msgid == B2.format(1)
    assert series.notes == ("thread has v1, v2: reviewing v2",)
    assert [t.name for t in series.patches[1].trailers] == ["Acked-by", "Signed-off-by"]


def test_v1_message_id_still_reviews_v2_and_says_so() -> None:
    series = build_series(thread("v1-v2.mbox"), source="t", msgid=B1.format(2))
    assert series.version == 2
    assert any(f"<{B1.format(2)}> is part of v1" in note for note in series.notes)


def test_message_id_of_a_reply_selects_its_series() -> None:
    series = build_series(
        thread("cover-3-replies.mbox"), source="t", msgid="b0b-reply-1@example.net"
    )
    assert [p.index for p in series.patches] == [1, 2, 3]


def test_unknown_message_id_in_local_mails() -> None:
    with pytest.raises(InputError, match=r"t: message <nope@x> is not in it"):
        build_series(thread("cover-3-replies.mbox"), source="t", msgid="nope@x")


def test_no_patch_is_an_input_error() -> None:
    mails = [mail("r@x", "Re: [PATCH 1/2] mm: x", "> " + DIFF.replace("\n", "\n> "))]
    with pytest.raises(InputError, match=r"^src: no patch in this thread$"):
        build_series(mails, source="src")


def test_reply_carrying_a_diff_is_ignored() -> None:
    mails = [
        mail("p1@x", "[PATCH] mm: x", date="Mon, 1 Jan 2024 10:00:00 +0000"),
        mail("r1@x", "Re: [PATCH] mm: x", "How about:\n\n" + DIFF, In_Reply_To="<p1@x>"),
    ]
    series = build_series(mails, source="t")
    assert [p.msgid for p in series.patches] == ["p1@x"]


def test_lone_patch_is_one_of_one() -> None:
    series = build_series([mail("p@x", "[PATCH] mm: lone")], source="t")
    assert (series.version, series.total, series.missing) == (1, 1, ())
    assert series.patches[0].index == 1
    assert series.msgid == "p@x"
    assert series.cover is None
    assert series.subject == "mm: lone"


def test_missing_patches_are_listed() -> None:
    mails = [mail("c@x", "[PATCH v4 0/6] mm: s", "cover")] + [
        mail(f"p{n}@x", f"[PATCH v4 {n}/6] mm: p{n}") for n in (2, 3, 6)
    ]
    series = build_series(mails, source="t")
    assert series.missing == (1, 4, 5)
    assert [p.index for p in series.patches] == [2, 3, 6]


def test_patch_sent_twice_takes_the_newest() -> None:
    mails = [
        mail("old@x", "[PATCH 1/1] mm: a", date="Mon, 1 Jan 2024 10:00:00 +0000"),
        mail("new@x", "[PATCH RESEND 1/1] mm: a", date="Tue, 2 Jan 2024 10:00:00 +0000"),
    ]
    series = build_series(mails[::-1], source="t")
    assert [p.msgid for p in series.patches] == ["new@x"]
    assert series.notes == ("patch 1 of v1 was sent 2 times: reviewing the newest, <new@x>",)


def test_duplicate_message_ids_are_read_once() -> None:
    one = mail("p@x", "[PATCH 1/2] mm: a")
    series = build_series([one, one], source="t")
    assert series.notes == ()
    assert series.missing == (2,)


def test_totals_disagree() -> None:
    mails = [mail("p1@x", "[PATCH 1/3] mm: a"), mail("p2@x", "[PATCH 2/2] mm: b")]
    series = build_series(mails, source="t")
    assert series.total in (2, 3)
    assert any("disagrees on the number of patches (2, 3)" in n for n in series.notes)


def test_unnumbered_cover_found_as_parent_with_diffstat() -> None:
    cover = mail("c@x", "mm: series", " mm/x.c | 1 +\n 1 file changed, 1 insertion(+)\n")
    patch = mail("p@x", "[PATCH 1/1] mm: a", In_Reply_To="<c@x>")
    series = build_series([cover, patch], source="t")
    assert series.cover is not None and series.cover.msgid == "c@x"


def test_lone_patch_inside_another_discussion_is_read_alone() -> None:
    # b4's "auto-noparent": a standalone patch posted as a reply in a discussion thread.
    mails = [
        mail("q@x", "[PATCH v3 1/2] other: series", date="Mon, 1 Jan 2024 10:00:00 +0000"),
        mail("d@x", "Re: [PATCH v3 1/2] other: series", "words\n", In_Reply_To="<q@x>"),
        mail("lone@x", "[PATCH] mm: fix it", In_Reply_To="<d@x>", References="<q@x> <d@x>"),
    ]
    series = build_series(mails, source="t", msgid="lone@x")
    assert [p.msgid for p in series.patches] == ["lone@x"]
    assert series.version == 1


def test_format_patch_directory_without_message_ids() -> None:
    series = build_series(read_patch_dir(THREADS / "format-patch"), source="d", what="directory")
    assert (series.version, series.total, series.missing) == (1, 2, ())
    assert series.msgid is None
    assert series.cover is not None and series.cover.subject.title == "mm/vmscan: two comments"
    assert [p.commit for p in series.patches] == [
        "2d76c9100bb68a70fe5016565d98fe92053062cc",
        "2efb7abdc9b5a3186234669a5cd6189cdb246264",
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_cover_and_patches_2_to_4() -> None:
    mails = [
        parse_mail(p.read_bytes(), p.name)
        for p in sorted(CORPUS.glob("*.eml"))  # the reply is in there too
    ]
    series = build_series(mails, source="corpus")
    assert (series.version, series.total) == (2, 15)
    assert series.missing == (1, *range(5, 16))
    assert [p.index for p in series.patches] == [2, 3, 4]
    assert series.cover is not None
    assert series.subject == "mm: COW fixes part 2: reliable GUP pins of anonymous pages"
    assert series.msgid == "20220315104741.63071-1-david@redhat.com"


def test_patches_keep_the_message_as_received() -> None:
    series = build_series(thread("cover-3-replies.mbox"), source="t")
    raw = series.patches[0].raw
    assert raw.startswith(b"From mboxrd@z ")
    assert f"Message-Id: <{A.format(2)}>".encode() in raw
    assert b"+\tVM_BUG_ON_PAGE(PageAnon(page), page);\n" in raw
