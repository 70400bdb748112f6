"""The "already posted" record: a small SQLite file shared by publishers and the service."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import reports

from reviewbot.errors import PublishError
from reviewbot.publish.record import PostedRecord, default_path, digest, revision_key


def test_remembers_what_went_where(tmp_path: Path) -> None:
    path = tmp_path / "state" / "posted.sqlite"
    with PostedRecord(path) as record:
        assert record.missing("patchwork", "rev1", ["a", "b", "a"]) == ["a", "b"]
        record.add("patchwork", "rev1", ["a"])
        record.add("patchwork", "rev1", ["a"])  # twice is once
        assert record.posted("patchwork", "rev1", "a")
        assert not record.posted("patchwork", "rev2", "a")  # another revision
        assert not record.posted("github", "rev1", "a")  # another target
        assert record.missing("patchwork", "rev1", ["a", "b"]) == ["b"]
    with PostedRecord(path) as again:  # a rerun reads the same file
        assert again.keys("patchwork", "rev1") == ["a"]


def test_revision_key_is_the_series_message_id_or_a_digest() -> None:
    series = reports.series()
    assert revision_key(series) == f"msgid:{reports.COVER_MSGID}"
    local = replace(series, msgid=None, cover=None)
    key = revision_key(local)
    assert key.startswith("sha256:") and key == revision_key(local)
    changed = replace(local, patches=local.patches[:2])
    assert revision_key(changed) != key
    assert digest("a", "b") != digest("ab")


def test_unusable_path_is_a_publish_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(PublishError, match="posted record"):
        PostedRecord(blocker / "posted.sqlite")


def test_default_path_follows_xdg() -> None:
    assert default_path({"XDG_DATA_HOME": "/d"}) == Path("/d/reviewbot/posted.sqlite")
    assert default_path({"HOME": "/h"}) == Path("/h/.local/share/reviewbot/posted.sqlite")
