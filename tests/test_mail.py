from pathlib import Path

import pytest

from reviewbot.errors import InputError
from reviewbot.parse.mail import Mail, mail_to_patch, parse_mail
from reviewbot.parse.patch import Trailer

REPO = Path(__file__).resolve().parents[1]
THREADS = REPO / "fixtures" / "threads"
CORPUS = REPO.parent / "shared" / "corpus"
V2_04 = CORPUS / "v2-04-15-mm-rmap-split-page-dup-rmap.eml"
REPLY = CORPUS / "re-v2-04-15-david-reply-get-page-ordering.eml"

needs_corpus = pytest.mark.skipif(not V2_04.exists(), reason="../shared/corpus is absent")

DIFF = """\
diff --git a/mm/x.c b/mm/x.c
index 1111111..2222222 100644
--- a/mm/x.c
+++ b/mm/x.c
@@ -10,3 +10,4 @@ int f(void)
 \ta();
+\tb();
 \tc();
 \treturn 0;
"""


def eml(body: str, subject: str = "[PATCH] mm: x", **headers: str) -> bytes:
    head = {
        "From": "Jane Dev <jane@example.org>",
        "Subject": subject,
        "Date": "Mon, 1 Jan 2024 10:00:00 +0000",
        "Message-ID": "<m1@example.org>",
    }
    head.update({k.replace("_", "-"): v for k, v in headers.items()})
    text = "".join(f"{k}: {v}\n" for k, v in head.items()) + "\n" + body
    return text.encode("utf-8")


def parse(data: bytes) -> Mail:
    return parse_mail(data, "test.eml")


# --- the real corpus ------------------------------------------------------------------


@needs_corpus
def test_corpus_v2_04_files_hunks_and_post_image_lines() -> None:
    mail = parse(V2_04.read_bytes())
    assert mail.msgid == "20220315104741.63071-5-david@redhat.com"
    assert mail.in_reply_to == "20220315104741.63071-1-david@redhat.com"
    assert mail.has_diff
    patch = mail_to_patch(mail)
    assert (patch.index, patch.subject.version, patch.subject.total) == (4, 2, 15)
    assert [f.path for f in patch.files] == [
        "include/linux/mm.h",
        "include/linux/rmap.h",
        "mm/huge_memory.c",
        "mm/hugetlb.c",
        "mm/memory.c",
        "mm/migrate.c",
    ]
    assert sum(len(f.hunks) for f in patch.files) == 11
    files = {f.path: f for f in patch.files}
    # Post-image numbers, counted by hand from the hunk headers of the message.
    rmap = files["include/linux/rmap.h"].added()
    assert rmap[183] == "static inline void __page_dup_rmap(struct page *page, bool compound)"
    assert rmap[188] == "static inline void page_dup_file_rmap(struct page *page, bool compound)"
    huge = files["mm/huge_memory.c"].added()
    assert huge[1100] == "\tget_page(src_page);"
    assert huge[1101] == "\tif (unlikely(page_try_dup_anon_rmap(src_page, true, src_vma))) {"
    assert files["mm/migrate.c"].added() == {243: "\t\t\t\tpage_dup_file_rmap(new, true);"}
    memory = files["mm/memory.c"].post_line_map()
    assert memory[945].text == "\t\tpage_dup_file_rmap(page, false);"
    assert memory[945].kind == "+"
    assert files["mm/hugetlb.c"].hunks[1].new_start == 4839


@needs_corpus
def test_corpus_v2_04_message_notes_trailers() -> None:
    patch = mail_to_patch(parse(V2_04.read_bytes()))
    assert patch.author == "David Hildenbrand <david@redhat.com>"
    assert patch.message.startswith("... and move the special check for pinned pages into")
    assert "RFC notes:" in patch.message
    assert patch.trailers == (Trailer("Signed-off-by", "David Hildenbrand <david@redhat.com>"),)
    assert patch.notes.startswith(" include/linux/mm.h   |  5 +----")
    assert "6 files changed, 78 insertions(+), 37 deletions(-)" in patch.notes
    assert "diff --git" not in patch.notes
    assert patch.to == ("linux-kernel@vger.kernel.org",)
    assert "Hugh Dickins <hughd@google.com>" in patch.cc
    assert '"' not in "".join(patch.cc)  # quoted display names are unquoted
    assert "Kirill A . Shutemov <kirill.shutemov@linux.intel.com>" in patch.cc


@needs_corpus
def test_corpus_reply_quoting_the_diff_is_not_a_patch() -> None:
    mail = parse(REPLY.read_bytes())
    assert mail.subject.is_reply
    assert "> diff --git" in mail.body or ">> diff --git" in mail.body
    assert not mail.has_diff


# --- encodings --------------------------------------------------------------------------


def test_quoted_printable_and_crlf() -> None:
    mail = parse((THREADS / "qp-crlf.eml").read_bytes())
    assert "\r" not in mail.body
    patch = mail_to_patch(mail)
    assert patch.author == "José Pérez <jose@example.es>"
    assert patch.subject.title == (
        "mm/page_alloc: warn when freeing a still-mapped page in __free_pages_ok()"
    )
    assert (patch.index, patch.subject.total, patch.subject.version) == (1, 1, 1)
    (f,) = patch.files
    # The soft line break (=\r\n) inside the hunk header is undone.
    assert (
        f.hunks[0].section == "static void __free_pages_ok(struct page *page, unsigned int order,"
    )
    assert f.added() == {
        1746: "\t/* The buddy allocator must never see a page that is still mapped"
        " (mapcount >= 0). */",
        1747: "\tVM_WARN_ON_ONCE_PAGE(page_mapcount(page) != 0, page);",
        1748: "",
    }
    assert patch.trailers == (
        Trailer("Cc", "stable@vger.kernel.org # 6.1+"),
        Trailer("Signed-off-by", "José Pérez <jose@example.es>"),
    )
    assert "(page_mapcount() == 0)" in patch.message


def test_base64_multipart_with_rfc2047_headers() -> None:
    mail = parse((THREADS / "base64-mime.eml").read_bytes())
    assert mail.subject.raw == "[PATCH v2] mm/vmscan: fix a typo in may_enter_fs()"
    assert mail.author == "Zoë Ünal <zoe@example.de>"
    patch = mail_to_patch(mail)
    assert (patch.subject.version, patch.index, patch.subject.total) == (2, 1, 1)
    assert "Spotted by Zoë's spell checker." in patch.message
    assert [t.name for t in patch.trailers] == ["Link", "Signed-off-by"]
    assert patch.notes.strip().startswith("mm/vmscan.c | 2 +-")
    (f,) = patch.files
    assert f.path == "mm/vmscan.c"
    assert [ln.text for ln in f.hunks[0].lines if ln.kind == "+"] == [
        "\t * ->flags can be updated non-atomically (scan_swap_map_slots),"
    ]


def test_eight_bit_headers_are_read_as_utf8() -> None:
    raw = eml(DIFF, subject="[PATCH] mm: café", From="Zoë <z@example.org>")
    mail = parse(raw)
    assert mail.subject.title == "mm: café"
    assert mail.author == "Zoë <z@example.org>"


def test_latin1_body() -> None:
    body = "Grüße.\n\nSigned-off-by: Jörg <j@example.org>\n---\n" + DIFF
    raw = eml("", Content_Type="text/plain; charset=iso-8859-1")[:-1] + body.encode("latin-1")
    patch = mail_to_patch(parse(raw))
    assert patch.message.startswith("Grüße.")
    assert patch.trailers == (Trailer("Signed-off-by", "Jörg <j@example.org>"),)


# --- what is a patch --------------------------------------------------------------------


def test_quoted_diff_is_not_a_patch() -> None:
    quoted = "".join(f"> {line}\n" for line in DIFF.splitlines())
    mail = parse(eml("On Monday Jane wrote:\n" + quoted + "\nLooks fine.\n", "Re: [PATCH] mm: x"))
    assert not mail.has_diff


def test_diff_without_git_header_is_a_patch() -> None:
    plain = DIFF.split("\n", 2)[2]  # from "--- a/mm/x.c"
    mail = parse(eml("Fix it.\n---\n" + plain))
    assert mail.has_diff
    (f,) = mail_to_patch(mail).files
    assert f.added() == {11: "\tb();"}


def test_cover_letter_has_no_files() -> None:
    body = (
        "Why.\n\nJane Dev (1):\n  mm: x\n\n mm/x.c | 1 +\n 1 file changed\n\n"
        "base-commit: 0123456789abcdef0123456789abcdef01234567\n-- \n2.43.0\n"
    )
    patch = mail_to_patch(parse(eml(body, "[PATCH v2 0/1] mm: cover")))
    assert patch.files == ()
    assert patch.index == 0
    assert patch.base_commit == "0123456789abcdef0123456789abcdef01234567"
    assert "2.43.0" not in patch.message


def test_binary_diff_is_skipped_with_a_note() -> None:
    patch = mail_to_patch(parse((THREADS / "binary.eml").read_bytes()))
    assert patch.subject.prefixes == ("PATCH", "mm-unstable")
    assert [f.path for f in patch.files] == ["include/linux/rmap.h"]
    assert patch.skipped == (
        "tools/testing/selftests/mm/cow-pattern.bin: binary diff, not analysed",
    )
    assert (
        patch.files[0].added()[233]
        == " * tools/testing/selftests/mm/cow-pattern.bin holds the pattern the COW"
    )


def test_format_patch_file_fills_commit() -> None:
    path = next((THREADS / "format-patch").glob("0001-*.patch"))
    mail = parse(path.read_bytes())
    assert mail.commit == "2d76c9100bb68a70fe5016565d98fe92053062cc"
    assert mail.msgid == ""  # git format-patch without --thread writes no Message-Id
    patch = mail_to_patch(mail)
    assert patch.commit == mail.commit
    assert patch.author == "Erin Dev <erin@example.com>"
    assert patch.files[0].added() == {
        2719: "\t/* Folios of one node are reclaimed together, in list order. */"
    }


def test_base_commit_after_the_diff() -> None:
    body = "Fix.\n---\n" + DIFF + "\nbase-commit: abcdef0123456\n-- \n2.43.0\n"
    patch = mail_to_patch(parse(eml(body)))
    assert patch.base_commit == "abcdef0123456"
    assert len(patch.files) == 1


def test_malformed_diff_names_the_message() -> None:
    broken = DIFF.replace("@@ -10,3 +10,4 @@", "@@ -10,9 +10,9 @@") + "diff --git a/y b/y\n"
    with pytest.raises(InputError, match=r"test\.eml: <m1@example\.org>: malformed diff"):
        mail_to_patch(parse(eml("Fix.\n---\n" + broken)))


# --- trailers, notes, in-body headers ---------------------------------------------------


def test_trailers_only_from_the_last_paragraph() -> None:
    body = (
        "Subject line body.\n\nNote: this is prose, not a trailer.\n\n"
        'Fixes: 0123456789ab ("mm: break things")\n'
        "Reported-by: Rae <rae@example.org>\n"
        "Closes: https://lore.kernel.org/all/x@y/\n"
        "[ akpm: tidy the changelog ]\n"
        "Co-developed-by: Cy <cy@example.org>\n"
        "Signed-off-by: Cy <cy@example.org>\n"
        "Tested-by: Tee\n <tee@example.org>\n"
        "---\n" + DIFF
    )
    patch = mail_to_patch(parse(eml(body)))
    assert [t.name for t in patch.trailers] == [
        "Fixes",
        "Reported-by",
        "Closes",
        "Co-developed-by",
        "Signed-off-by",
        "Tested-by",
    ]
    assert patch.trailers[0].value == '0123456789ab ("mm: break things")'
    assert patch.trailers[-1].value == "Tee <tee@example.org>"
    assert "Note: this is prose" in patch.message


def test_prose_paragraph_is_not_trailers() -> None:
    body = "Explain.\n\nThis is why: it breaks.\nAnd more words here.\nStill prose.\n---\n" + DIFF
    assert mail_to_patch(parse(eml(body))).trailers == ()


def test_notes_area_between_separator_and_diff() -> None:
    body = "Fix.\n\nSigned-off-by: J <j@example.org>\n---\nv2: reworded\n\n mm/x.c | 1 +\n\n" + DIFF
    patch = mail_to_patch(parse(eml(body)))
    assert patch.message == "Fix.\n\nSigned-off-by: J <j@example.org>\n"
    assert patch.notes == "v2: reworded\n\n mm/x.c | 1 +\n"


def test_inbody_from_overrides_author() -> None:
    body = (
        "From: Real Author <real@example.org>\n\nFix.\n\n"
        "Signed-off-by: Real Author <real@example.org>\n---\n" + DIFF
    )
    patch = mail_to_patch(parse(eml(body)))
    assert patch.author == "Real Author <real@example.org>"
    assert patch.message.startswith("Fix.")


def test_scissors_start_the_patch() -> None:
    body = (
        "Something like this?\n\n-- >8 --\nmm: better\n\nSigned-off-by: J <j@example.org>\n---\n"
        + DIFF
    )
    patch = mail_to_patch(parse(eml(body)))
    assert patch.message.startswith("mm: better")
    assert "Something like this" not in patch.message


def test_headers_and_threading() -> None:
    raw = eml(
        DIFF,
        To="A <a@example.org>, b@example.org",
        Cc='"Last, First" <lf@example.org>',
        In_Reply_To="<cover@example.org>",
        References="<root@example.org>\n <cover@example.org>",
    )
    mail = parse(raw)
    assert mail.to == ("A <a@example.org>", "b@example.org")
    assert mail.cc == ("Last, First <lf@example.org>",)
    assert mail.in_reply_to == "cover@example.org"
    assert mail.references == ("root@example.org", "cover@example.org")
    assert mail.timestamp == 1704103200.0
    assert mail.where == "test.eml: <m1@example.org>"


def test_missing_headers_do_not_crash() -> None:
    mail = parse(b"\n" + DIFF.encode())
    assert mail.msgid == ""
    assert mail.subject.title == ""
    assert mail.timestamp is None
    assert mail.has_diff
