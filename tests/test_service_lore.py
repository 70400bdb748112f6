"""The lore feed poller, and a lore series reviewed through b4 from a local lore."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from lore import LoreServer
from pytest_httpserver import HTTPServer
from service_env import base_values, open_runtime, wait_for, write_config

from reviewbot.service.pollers import LorePoller, parse_feed
from reviewbot.service.tasks import lore_job
from reviewbot.service.worker import Worker

BASE = "https://lore.kernel.org/linux-mm"


def entry(subject: str, msgid: str, updated: str, parent: str | None = None) -> str:
    href = f"{BASE}/{urllib.parse.quote(msgid, safe='@')}/"
    reply = f'<thr:in-reply-to ref="urn:uuid:{parent}" href="{BASE}/{parent}/"/>' if parent else ""
    return (
        f"<entry><author><name>A</name><email>a@example.org</email></author>"
        f"<title>{subject}</title><updated>{updated}</updated>"
        f'<link href="{href}"/><id>urn:uuid:{msgid}</id>{reply}'
        f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">...</div></content>'
        f"</entry>"
    )


def feed(*entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="us-ascii"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:thr="http://purl.org/syndication/thread/1.0">'
        f'<title>linux-mm</title><link rel="alternate" href="{BASE}/"/>'
        "<id>mailto:linux-mm@kvack.org</id><updated>2024-03-01T10:09:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    ).encode()


FIRST = feed(  # newest first, as public-inbox writes it
    entry("discussion of something", "talk@x", "2024-03-01T10:08:00Z"),
    entry("[PATCH 2/2] mm: two", "c2@x", "2024-03-01T10:07:00Z", parent="c1@x"),
    entry("[PATCH 1/2] mm: no cover letter", "c1@x", "2024-03-01T10:06:00Z"),
    entry("Re: [PATCH] mm: lone fix", "re@x", "2024-03-01T10:05:00Z", parent="b@x"),
    entry("[PATCH] mm: lone fix", "b@x", "2024-03-01T10:04:00Z"),
    entry("[PATCH v2 1/3] mm: one of three", "a1@x", "2024-03-01T10:03:00Z", parent="a0/1@x"),
    entry("[PATCH v2 0/3] mm: three", "a0/1@x", "2024-03-01T10:02:00Z"),
)


def test_feed_entries_and_what_starts_a_series() -> None:
    entries = parse_feed(FIRST, "feed")
    assert [e.msgid for e in entries][-1] == "a0/1@x"  # percent-decoded from the link
    assert [e.is_reply for e in entries] == [False, True, False, True, False, True, False]


def test_new_series_are_queued_once_after_their_settle_time(tmp_path: Path) -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{
                    "sources.lore.list": "linux-mm",
                    "sources.lore.settle": 600,
                    "lore.url": server.url_for("").rstrip("/"),
                },
            ),
        )
        runtime = open_runtime(config)
        poller = LorePoller(runtime)
        server.expect_request("/linux-mm/new.atom").respond_with_data(
            FIRST, content_type="application/atom+xml"
        )
        assert poller.poll_once() == 3
        assert runtime.queue.depth() + runtime.queue.scheduled() == 3
        assert runtime.queue.move_due() == 0  # they wait for the rest of their series
        assert poller.poll_once() == 0
        server.clear()
        server.expect_request("/linux-mm/new.atom").respond_with_data(
            feed(entry("[PATCH v3 0/3] mm: three", "d0@x", "2024-03-02T09:00:00Z")),
            content_type="application/atom+xml",
        )
        runtime.close()
        runtime = open_runtime(config)  # a restart keeps the cursor and the jobs
        assert LorePoller(runtime).poll_once() == 1
        jobs = {j.id for j in runtime.board.by_state("queued")}
        runtime.close()
    finally:
        server.clear()
        server.stop()
    assert jobs == {lore_job("linux-mm", m) for m in ("a0/1@x", "b@x", "c1@x", "d0@x")}


def test_a_lore_series_is_fetched_through_b4_and_stored(tmp_path: Path, lore: LoreServer) -> None:
    config = write_config(
        tmp_path / "service.toml",
        base_values(tmp_path / "state", **{"lore.url": lore.url, "sources.lore.list": "linux-mm"}),
    )
    runtime = open_runtime(config)
    msgid = "20240208090000.200-1-carol@example.com"
    job = lore_job("linux-mm", msgid)
    runtime.submit("lore", job, {"list": "linux-mm", "msgid": msgid})
    worker = Worker(runtime, 1, poll=0.05)
    worker.start()
    try:
        wait_for(lambda: (j := runtime.board.get(job)) and j.state in ("done", "failed"), 60)
    finally:
        worker.stop()
    found = runtime.board.get(job)
    assert found is not None and found.state == "done", found
    assert runtime.store is not None
    [review] = runtime.store.reviews()
    runtime.close()
    assert review["source"] == "lore" and review["version"] == 2
    assert review["revision"] == f"v2 <{msgid}>"
    assert any(msgid in urllib.parse.unquote(path) for path in lore.paths())
