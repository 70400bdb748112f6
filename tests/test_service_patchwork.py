"""The patchwork poller against a local patchwork, and what the store keeps of revisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_env import (
    FIXTURES,
    PW_TOKEN,
    base_values,
    open_runtime,
    patchwork_fake,
    wait_for,
    write_config,
)

from reviewbot.service.pollers import PatchworkPoller
from reviewbot.service.runtime import Runtime
from reviewbot.service.worker import Worker


def drain(runtime: Runtime, expected_done: int) -> None:
    """Run a worker until ``expected_done`` jobs are done."""
    worker = Worker(runtime, 2, poll=0.05)
    worker.start()
    try:
        wait_for(lambda: runtime.board.counts()["done"] >= expected_done, 30, "the reviews")
    finally:
        worker.stop()


def test_each_series_is_reviewed_once_and_the_cursor_survives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_PATCHWORK_TOKEN", PW_TOKEN)
    with patchwork_fake() as pw:
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{
                    "patchwork.url": pw.url,
                    "patchwork.project": "linux-mm",
                    "sources.patchwork.since": "2024-01-01T00:00:00",
                    "publish.patchwork.post": True,
                },
            ),
        )
        pw.add_series(1, "2024-01-02T10:00:00.000001")
        pw.add_series(2, "2024-01-02T10:00:00.000002")
        pw.add_series(3, "2024-01-02T11:30:00")  # three events: two pages of two
        pw.add_series(9, "2023-12-31T23:59:59")  # before the configured start

        runtime = open_runtime(config)
        poller = PatchworkPoller(runtime)
        assert poller.poll_once() == 3
        assert poller.poll_once() == 0  # the newest event comes back (since is inclusive)
        first = pw.event_queries[0]
        assert first["category"] == "series-completed" and first["project"] == "linux-mm"
        assert first["since"] == "2024-01-01T00:00:00"
        assert any(q.get("page") == "2" for q in pw.event_queries)  # followed Link: next
        drain(runtime, 3)
        assert runtime.store is not None and runtime.store.count() == 3
        runtime.close()

        # a restart: a new process reads the stored cursor
        pw.add_series(4, "2024-01-03T08:00:00")
        runtime = open_runtime(config)
        poller = PatchworkPoller(runtime)
        assert poller.cursor() == "2024-01-02T11:30:00"
        assert poller.poll_once() == 1
        assert pw.event_queries[-1]["since"] == "2024-01-02T11:30:00"
        drain(runtime, 4)
        assert runtime.store is not None
        reviews = runtime.store.reviews()
        assert poller.cursor() == "2024-01-03T08:00:00"
        runtime.close()

    assert sorted(pw.mbox_requests) == [1, 2, 3, 4]  # each series fetched, reviewed once
    assert sorted(r["job"] for r in reviews) == [f"patchwork:{pw.url}#{n}" for n in (1, 2, 3, 4)]
    # every patch of every series got exactly one result check, with the token
    results = pw.results()
    patch_ids = sorted(pid for pid, _ in results)
    assert patch_ids == sorted(p for p in pw.patch_ids.values() if p % 100 and p // 100 != 9)
    assert len(patch_ids) == len(set(patch_ids)) == 12
    assert all(body["context"] == "reviewbot" for _, body in results)
    assert {body["state"] for _, body in results} <= {"success", "warning", "fail"}
    assert all(auth == f"Token {PW_TOKEN}" for _, _, auth in pw.checks)


def test_v2_reports_what_is_new_and_what_was_fixed_since_v1(tmp_path: Path) -> None:
    with patchwork_fake() as pw:
        config = write_config(
            tmp_path / "service.toml",
            base_values(
                tmp_path / "state",
                **{"patchwork.url": pw.url, "sources.patchwork.since": "2024-01-01"},
            ),
        )
        pw.add_series(21, "2024-01-02T00:00:00", (FIXTURES / "series-v1.mbox").read_bytes())
        pw.add_series(42, "2024-01-09T00:00:00", (FIXTURES / "series-v2.mbox").read_bytes())
        runtime = open_runtime(config)
        assert PatchworkPoller(runtime).poll_once() == 2
        drain(runtime, 2)
        store = runtime.store
        assert store is not None
        v1, v2 = sorted(store.reviews(), key=lambda r: r["version"])
        assert v1["series_key"] == v2["series_key"]
        assert v1["series_key"] == "mail:jane@example.org:mm: rmap duplication clean-ups for fork()"
        first = store.review(v1["id"])
        second = store.review(v2["id"])
        assert first is not None and second is not None
        by_code = {f["code"]: f["fingerprint"] for f in first["report"]["findings"]}
        assert set(by_code) == {"MM001", "MM002"}
        since = second["since_previous"]
        assert since["previous"] == v1["id"]
        assert since["previous_revision"] == "v1 <20221201090000.1111-1-jane@example.org>"
        assert since["new"] == []
        assert [f["code"] for f in since["fixed"]] == ["MM001"]
        assert since["unchanged"] == [by_code["MM002"]]
        # queryable by fingerprint and by revision
        having = store.reviews(fingerprint=by_code["MM002"])
        assert {r["id"] for r in having} == {v1["id"], v2["id"]}
        assert [r["id"] for r in store.reviews(fingerprint=by_code["MM001"])] == [v1["id"]]
        assert [r["id"] for r in store.reviews(revision=v2["revision"])] == [v2["id"]]
        assert len(store.reviews(series=v1["series_key"])) == 2
        runtime.close()
