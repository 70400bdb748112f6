"""The "already posted" record: what went where, so that a rerun never posts it twice.

A small SQLite file of ``(target, revision, key)`` rows. ``target`` names the destination
(``patchwork https://patchwork.kernel.org reviewbot``), ``revision`` one revision of a
series (:func:`revision_key`, or a head SHA), ``key`` what was posted there: a finding's
fingerprint, or a digest of a whole posted check (:func:`digest`). Publishers look up what
is missing, post it, then add it: a post that fails is tried again on the next run.
The service shares the file; SQLite's locking makes that safe across processes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

from reviewbot.errors import PublishError
from reviewbot.parse.patch import Series

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posted (
    target    TEXT NOT NULL,
    revision  TEXT NOT NULL,
    key       TEXT NOT NULL,
    posted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (target, revision, key)
)
"""


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/reviewbot/posted.sqlite`` (``~/.local/share`` when unset)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/share")
    return Path(base) / "reviewbot" / "posted.sqlite"


def digest(*parts: str) -> str:
    """A short stable digest of ``parts``, for keys that stand for a whole posted check."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def revision_key(series: Series) -> str:
    """What identifies one revision of a series: its cover letter's (or first patch's)
    message-id; for local patches without one, a digest of their subjects and changes."""
    if series.msgid:
        return f"msgid:{series.msgid}"
    parts = [f"v{series.version}"]
    for p in series.patches:
        parts.append(p.subject.raw)
        parts.extend(f"{d.path}\n" + "\n".join(d.added().values()) for d in p.files)
    return f"sha256:{digest(*parts)}"


class PostedRecord:
    """The record in the SQLite file at ``path`` (created with its folder when missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: every add is its own short transaction; others wait for the lock.
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise PublishError(f"posted record {self.path}: {exc}") from None

    def posted(self, target: str, revision: str, key: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM posted WHERE target = ? AND revision = ? AND key = ?",
            (target, revision, key),
        ).fetchone()
        return row is not None

    def missing(self, target: str, revision: str, keys: Iterable[str]) -> list[str]:
        """The ``keys`` not yet posted to ``target`` for ``revision``, in the order given."""
        return [k for k in dict.fromkeys(keys) if not self.posted(target, revision, k)]

    def add(self, target: str, revision: str, keys: Iterable[str]) -> None:
        try:
            self._db.executemany(
                "INSERT OR IGNORE INTO posted (target, revision, key) VALUES (?, ?, ?)",
                [(target, revision, k) for k in keys],
            )
        except sqlite3.Error as exc:
            raise PublishError(f"posted record {self.path}: {exc}") from None

    def keys(self, target: str, revision: str) -> list[str]:
        rows = self._db.execute(
            "SELECT key FROM posted WHERE target = ? AND revision = ? ORDER BY key",
            (target, revision),
        )
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PostedRecord:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
