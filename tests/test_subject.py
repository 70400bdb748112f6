import pytest

from reviewbot.parse.subject import parse_subject

# subject -> title, prefixes, version, counter, total, is_reply, is_patch
CASES = [
    ("[PATCH v3 04/15] mm/rmap: foo", "mm/rmap: foo", ("PATCH",), 3, 4, 15, False, True),
    ("[RFC PATCH 2/3] mm: bar", "mm: bar", ("RFC", "PATCH"), 1, 2, 3, False, True),
    ("[PATCH RESEND v2 1/2] mm: baz", "mm: baz", ("PATCH", "RESEND"), 2, 1, 2, False, True),
    (
        "[PATCH mm-unstable v2 0/5] mm: cover",
        "mm: cover",
        ("PATCH", "mm-unstable"),
        2,
        0,
        5,
        False,
        True,
    ),
    ("Re: [PATCH v2 04/15] mm/rmap: split", "mm/rmap: split", ("PATCH",), 2, 4, 15, True, True),
    ("[PATCH] mm: lone", "mm: lone", ("PATCH",), 1, 1, 1, False, True),
    ("[PATCH v2] mm: lone v2", "mm: lone v2", ("PATCH",), 2, 1, 1, False, True),
    ("[v2 PATCH 3/4] mm: odd order", "mm: odd order", ("PATCH",), 2, 3, 4, False, True),
    ("[PATCH net-next] net: tag", "net: tag", ("PATCH", "net-next"), 1, 1, 1, False, True),
    ("[PATCHv3 1/2] mm: glued", "mm: glued", ("PATCH",), 3, 1, 2, False, True),
    ("[RFCv2 0/3] mm: rfc glued", "mm: rfc glued", ("RFC",), 2, 0, 3, False, True),
    ("[rfc patch v4 2/9] mm: lower", "mm: lower", ("RFC", "PATCH"), 4, 2, 9, False, True),
    ("[PATCH v2,1/3] mm: comma", "mm: comma", ("PATCH",), 2, 1, 3, False, True),
    ("[RFC][PATCH 1/2] mm: two groups", "mm: two groups", ("RFC", "PATCH"), 1, 1, 2, False, True),
    ("RE: Re: [PATCH 1/2] mm: twice", "mm: twice", ("PATCH",), 1, 1, 2, True, True),
    ("Re[2]: [PATCH] mm: counted", "mm: counted", ("PATCH",), 1, 1, 1, True, True),
    ("AW: [PATCH] mm: german", "mm: german", ("PATCH",), 1, 1, 1, True, True),
    ("Fwd: [PATCH] mm: fwd", "mm: fwd", ("PATCH",), 1, 1, 1, True, True),
    (
        "[linux-mm] Re: [PATCH 2/2] mm: list tag",
        "mm: list tag",
        ("linux-mm", "PATCH"),
        1,
        2,
        2,
        True,
        True,
    ),
    ("mm: no brackets at all", "mm: no brackets at all", (), 1, 1, 1, False, False),
    ("[GIT PULL] mm: updates", "mm: updates", ("GIT", "PULL"), 1, 1, 1, False, False),
    ("[PATCH 0/2] *** SUBJECT HERE ***", "*** SUBJECT HERE ***", ("PATCH",), 1, 0, 2, False, True),
]


@pytest.mark.parametrize(
    ("raw", "title", "prefixes", "version", "counter", "total", "reply", "patch"), CASES
)
def test_parse_subject(
    raw: str,
    title: str,
    prefixes: tuple[str, ...],
    version: int,
    counter: int,
    total: int,
    reply: bool,
    patch: bool,
) -> None:
    subject = parse_subject(raw)
    assert subject.title == title
    assert subject.prefixes == prefixes
    assert (subject.version, subject.counter, subject.total) == (version, counter, total)
    assert subject.is_reply is reply
    assert subject.is_patch is patch
    assert subject.raw == raw


def test_folded_subject_is_unfolded() -> None:
    subject = parse_subject(
        "[PATCH v2 04/15] mm/rmap: split page_dup_rmap() into\n page_dup_file_rmap()"
    )
    assert subject.title == "mm/rmap: split page_dup_rmap() into page_dup_file_rmap()"
    assert (
        subject.raw == "[PATCH v2 04/15] mm/rmap: split page_dup_rmap() into page_dup_file_rmap()"
    )


def test_subsystem_prefix_is_not_a_reply_marker() -> None:
    # "mm:" and "net:" are subsystems; a short word is a marker only before a PATCH bracket.
    assert not parse_subject("mm: fix [thing] in foo").is_reply
    assert not parse_subject("net: [v2] no patch word").is_reply
    assert parse_subject("Odp: [PATCH] polish").is_reply
    assert parse_subject("Ynt: [PATCH] unknown language").is_reply


def test_rfc_property() -> None:
    assert parse_subject("[RFC PATCH 1/2] x").is_rfc
    assert not parse_subject("[PATCH 1/2] x").is_rfc


def test_empty_subject() -> None:
    subject = parse_subject("")
    assert (subject.title, subject.counter, subject.total, subject.is_patch) == ("", 1, 1, False)
