import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from lore import LoreServer, lore_server

from reviewbot.errors import FetchError, InputError, UsageError
from reviewbot.sources import DEFAULT_LORE_URL, load_series, msgid_of
from reviewbot.sources.b4 import b4_executable, fetch_thread, lore_base
from reviewbot.sources.local import split_mbox

REPO = Path(__file__).resolve().parents[1]
THREADS = REPO / "fixtures" / "threads"
CORPUS = REPO.parent / "shared" / "corpus"
UNUSED = "http://127.0.0.1:9"  # never contacted by the local-input tests

A = "20240105120000.4242-{}-alice@example.org"
B2 = "20240208090000.200-{}-carol@example.com"

needs_b4 = pytest.mark.skipif(b4_executable() is None, reason="b4 is not installed")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


def test_default_lore_url() -> None:
    assert DEFAULT_LORE_URL == "https://lore.kernel.org"


# --- what a spec names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "msgid"),
    [
        ("20220315104741.63071-5-david@redhat.com", "20220315104741.63071-5-david@redhat.com"),
        ("<a.b@c.d>", "a.b@c.d"),
        ("id:a.b@c.d", "a.b@c.d"),
        ("id:<a.b@c.d>", "a.b@c.d"),
        ("id:a/b@c.d", "a/b@c.d"),
        ("<a/b@c.d>", "a/b@c.d"),
        ("https://lore.kernel.org/all/a.b@c.d/", "a.b@c.d"),
        ("https://lore.kernel.org/linux-mm/a.b@c.d/T/#u", "a.b@c.d"),
        ("https://lore.kernel.org/r/a.b@c.d", "a.b@c.d"),
        ("https://lore.kernel.org/all/a.b%40c.d/raw", "a.b@c.d"),
        ("http://127.0.0.1:8080/all/x@y/t.mbox.gz", "x@y"),
        ("a/b@c.d", None),  # a bare word with a slash is a path
        ("series.mbox", None),
        ("two words@x", None),
    ],
)
def test_msgid_of(spec: str, msgid: str | None) -> None:
    assert msgid_of(spec) == msgid


def test_url_without_message_id() -> None:
    with pytest.raises(InputError, match=r"^https://lore.kernel.org/linux-mm/: not a lore"):
        load_series("https://lore.kernel.org/linux-mm/", lore_url=UNUSED)


def test_missing_path_is_named() -> None:
    with pytest.raises(InputError, match=r"^no/such/series\.mbox: no such file or directory"):
        load_series("no/such/series.mbox", lore_url=UNUSED)


def test_empty_spec() -> None:
    with pytest.raises(InputError, match=r"^empty source"):
        load_series(" ", lore_url=UNUSED)


def test_lore_base() -> None:
    assert lore_base("https://lore.kernel.org/") == "https://lore.kernel.org"
    assert lore_base("https://lore.kernel.org/all") == "https://lore.kernel.org"
    assert lore_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    with pytest.raises(UsageError, match="not an http"):
        lore_base("ftp://x")


# --- local inputs -----------------------------------------------------------------------


def test_mbox_file() -> None:
    series = load_series(str(THREADS / "cover-3-replies.mbox"), lore_url=UNUSED)
    assert (series.version, series.total) == (3, 3)
    assert series.source.endswith("cover-3-replies.mbox")


def test_single_eml_and_format_patch_directory() -> None:
    lone = load_series(str(THREADS / "qp-crlf.eml"), lore_url=UNUSED)
    assert (lone.total, lone.patches[0].index) == (1, 1)
    directory = load_series(str(THREADS / "format-patch"), lore_url=UNUSED)
    assert [p.index for p in directory.patches] == [1, 2]


def test_maildir(tmp_path: Path) -> None:
    maildir = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    chunks = split_mbox((THREADS / "v1-v2.mbox").read_bytes())
    for i, chunk in enumerate(chunks):
        (maildir / ("cur" if i % 2 else "new") / f"{i}.host:2,S").write_bytes(chunk)
    series = load_series(str(maildir), lore_url=UNUSED)
    assert series.version == 2
    assert [p.msgid for p in series.patches] == [B2.format(2), B2.format(3)]


def test_stdin_mbox_and_single_message() -> None:
    data = (THREADS / "cover-3-replies.mbox").read_bytes()
    series = load_series("-", lore_url=UNUSED, stdin=io.BytesIO(data))
    assert (series.source, series.total) == ("-", 3)
    single = load_series(
        "-", lore_url=UNUSED, stdin=io.BytesIO((THREADS / "binary.eml").read_bytes())
    )
    assert single.patches[0].skipped


def test_empty_stdin() -> None:
    with pytest.raises(InputError, match=r"^-: empty input"):
        load_series("-", lore_url=UNUSED, stdin=io.BytesIO(b""))


def test_directory_without_patches(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing\n")
    with pytest.raises(InputError, match=r"no \.patch, \.eml or \.mbx files"):
        load_series(str(tmp_path), lore_url=UNUSED)


def test_mbox_without_patch(tmp_path: Path) -> None:
    mbox = tmp_path / "talk.mbox"
    mbox.write_bytes(
        b"From x@y Mon Jan  1 00:00:00 2024\nSubject: hello\nMessage-ID: <h@y>\n\nhi\n"
        b"From x@y Mon Jan  1 00:00:01 2024\nSubject: Re: hello\nMessage-ID: <i@y>\n\n> hi\n"
    )
    with pytest.raises(InputError, match=rf"^{mbox}: no patch in this mbox$"):
        load_series(str(mbox), lore_url=UNUSED)


def test_mboxrd_from_quoting_is_undone() -> None:
    data = (
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: [PATCH] x\nMessage-ID: <q@y>\n\n"
        b">From the start.\n>>From kept once.\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
        b"@@ -1 +1,2 @@\n a\n+b\n"
    )
    (chunk,) = split_mbox(data)
    assert b"\nFrom the start.\n>From kept once.\n" in chunk


@needs_corpus
def test_corpus_reply_alone_is_no_patch() -> None:
    reply = CORPUS / "re-v2-04-15-david-reply-get-page-ordering.eml"
    with pytest.raises(
        InputError, match=r"re-v2-04-15-david-reply-get-page-ordering\.eml: no patch"
    ):
        load_series(str(reply), lore_url=UNUSED)


def _corpus_mbox() -> bytes:
    names = [
        "v2-00-15-cover-cow-fixes-part-2.eml",
        "v2-02-15-mm-hugetlb-write-protect-seq-copy-hugetlb-page-range.eml",
        "v2-03-15-mm-memory-simplify-copy-present-pte.eml",
        "v2-04-15-mm-rmap-split-page-dup-rmap.eml",
        "re-v2-04-15-david-reply-get-page-ordering.eml",
    ]
    sep = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
    return b"".join(sep + (CORPUS / n).read_bytes().rstrip(b"\n") + b"\n\n" for n in names)


@needs_corpus
def test_corpus_cover_and_patches_as_one_mbox(tmp_path: Path) -> None:
    mbox = tmp_path / "cow.mbox"
    mbox.write_bytes(_corpus_mbox())
    series = load_series(str(mbox), lore_url=UNUSED)
    assert (series.version, series.total) == (2, 15)
    assert series.missing == (1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    assert [p.index for p in series.patches] == [2, 3, 4]


# --- through b4, against a local lore ---------------------------------------------------


@needs_b4
def test_b4_middle_patch_selects_the_whole_series(lore: LoreServer) -> None:
    series = load_series(A.format(3), lore_url=lore.url)
    assert (series.version, series.total, series.missing) == (3, 3, ())
    assert [p.index for p in series.patches] == [1, 2, 3]
    assert series.cover is not None and series.cover.msgid == A.format(1)
    assert series.source == A.format(3)
    assert lore.paths("GET") == [f"/all/{A.format(3).replace('@', '%40')}/t.mbox.gz"]
    assert series.patches[0].files[0].path == "include/linux/rmap.h"


@needs_b4
def test_b4_fetch_thread_names_messages_by_their_lore_address(lore: LoreServer) -> None:
    mails = fetch_thread(A.format(1), lore_url=lore.url + "/all/")
    assert len(mails) == 6  # cover, three patches, two replies
    first = next(m for m in mails if m.msgid == A.format(2))
    assert first.where == f"{lore.url}/all/{A.format(2)}/"
    assert first.raw  # kept for tree mode's git am


@needs_b4
def test_b4_lore_url_on_another_host_is_fetched_from_the_configured_lore(lore: LoreServer) -> None:
    spec = f"https://lore.kernel.org/linux-mm/{A.format(2)}/T/#u"
    series = load_series(spec, lore_url=lore.url)
    assert [p.index for p in series.patches] == [1, 2, 3]
    assert len(lore.paths("GET")) == 1


@needs_b4
def test_b4_thread_with_v1_and_v2_picks_v2(lore: LoreServer) -> None:
    series = load_series("id:20240201090000.100-2-carol@example.com", lore_url=lore.url)
    assert series.version == 2
    assert [p.msgid for p in series.patches] == [B2.format(2), B2.format(3)]
    assert "thread has v1, v2: reviewing v2" in series.notes


@needs_b4
def test_b4_unknown_message_id(lore: LoreServer) -> None:
    with pytest.raises(FetchError) as caught:
        load_series("<nosuch@example.com>", lore_url=lore.url)
    assert str(caught.value) == f"nosuch@example.com: no such message on {lore.url} (HTTP 404)"
    assert caught.value.exit_status == 3
    assert ("GET", "/all/nosuch%40example.com/t.mbox.gz") in lore.requests


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@needs_b4
def test_b4_unreachable_lore() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(FetchError, match=rf"^a@b: cannot reach {url}: connection refused$"):
        load_series("a@b", lore_url=url, timeout=20)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@needs_b4
def test_b4_timeout(silent_server: str) -> None:
    with pytest.raises(FetchError) as caught:
        load_series("a@b", lore_url=silent_server, timeout=1.5)
    assert str(caught.value).startswith("a@b: ")
    assert "timed out" in str(caught.value)
    assert silent_server in str(caught.value)


@needs_b4
def test_b4_ignores_the_users_configuration(
    lore: LoreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = f"http://127.0.0.1:{_closed_port()}"
    (tmp_path / ".gitconfig").write_text(
        f'[b4]\n\tmidmask = {elsewhere}/all/%s\n[liblore "{lore.url}"]\n\tfallback = {elsewhere}\n'
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'b4.midmask'='{elsewhere}/all/%s'")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "b4.midmask")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"{elsewhere}/all/%s")
    series = load_series(A.format(4), lore_url=lore.url)
    assert [p.index for p in series.patches] == [1, 2, 3]


@needs_b4
@needs_corpus
def test_b4_corpus_thread(lore: LoreServer) -> None:
    lore.add_thread(_corpus_mbox())
    series = load_series("20220315104741.63071-5-david@redhat.com", lore_url=lore.url)
    assert (series.version, series.total) == (2, 15)
    assert series.missing == (1, *range(5, 16))
    patch4 = series.patches[-1]
    assert patch4.index == 4
    assert (len(patch4.files), sum(len(f.hunks) for f in patch4.files)) == (6, 11)
    # Naming the reply selects the same series (its thread holds the patches).
    again = load_series("92caaf7b-92a6-8485-d53e-728c3aac30c3@redhat.com", lore_url=lore.url)
    assert [p.index for p in again.patches] == [2, 3, 4]


def test_lore_server_serves_any_message_of_a_thread() -> None:
    import gzip
    import urllib.error
    import urllib.request

    with lore_server([THREADS / "v1-v2.mbox"]) as srv:
        for msgid in (B2.format(1), "dan-ack-b1@example.org"):
            with urllib.request.urlopen(f"{srv.url}/all/{msgid}/t.mbox.gz") as resp:
                assert gzip.decompress(resp.read()) == (THREADS / "v1-v2.mbox").read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{srv.url}/all/none@x/t.mbox.gz")
        assert missing.value.code == 404
        request = urllib.request.Request(f"{srv.url}/all/?x=m&t=1&q=x", data=b"", method="POST")
        with pytest.raises(urllib.error.HTTPError) as search:
            urllib.request.urlopen(request)
        assert search.value.code == 404
        assert [m for m, _ in srv.requests] == ["GET", "GET", "GET", "POST"]
