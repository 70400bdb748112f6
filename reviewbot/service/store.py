"""The results store: reviews and their findings in SQLite, and the pollers' cursors.

One review per job (a series revision); its findings are rows keyed by fingerprint, so the
store answers "which reviews had this finding" and "what is new and what was fixed since
the previous revision" (:meth:`Store.compare`). Revisions of one series share a
``series_key``: ``github:OWNER/NAME#N`` for a pull request (revisions are head SHAs), and
``mail:<author address>:<subject>`` for a mailed series (revisions are ``vN <msgid>``), so
that v2 from lore and v1 from patchwork meet. The file is shared by the processes of one
machine (WAL mode; each thread has its own connection).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.errors import ReviewbotError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    series_key  TEXT NOT NULL,
    revision    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    subject     TEXT NOT NULL,
    msgid       TEXT,
    queued_at   REAL NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL NOT NULL,
    report      TEXT NOT NULL,
    published   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_series ON reviews (series_key, version, queued_at);
CREATE INDEX IF NOT EXISTS reviews_revision ON reviews (revision);
CREATE TABLE IF NOT EXISTS findings (
    review      INTEGER NOT NULL REFERENCES reviews (id),
    fingerprint TEXT NOT NULL,
    code        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    patch       INTEGER,
    path        TEXT,
    line        INTEGER,
    message     TEXT NOT NULL,
    PRIMARY KEY (review, fingerprint)
);
CREATE INDEX IF NOT EXISTS findings_fingerprint ON findings (fingerprint);
CREATE TABLE IF NOT EXISTS cursors (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""

# Review latency buckets (seconds from queued to stored), for /metrics.
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


class StoreError(ReviewbotError):
    """The store file cannot be opened or written."""


@dataclass(frozen=True)
class ReviewResult:
    """What a worker hands to the store: one reviewed revision (JSON-serialisable)."""

    job: str
    source: str  # github, patchwork, lore
    series_key: str
    revision: str
    version: int
    subject: str
    msgid: str | None
    queued_at: float
    started_at: float
    finished_at: float
    report: dict[str, Any]  # reviewbot.report.json_format.report_dict
    published: list[str] = field(default_factory=list)  # Delivery lines

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ReviewResult:
        data = json.loads(text)
        return cls(**data)


@dataclass(frozen=True)
class Latency:
    buckets: tuple[tuple[float, int], ...]  # (upper bound, cumulative count)
    count: int
    total: float


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode with WAL and a generous busy timeout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 30000")
    # Another process may be switching it at the same moment: it will be WAL either way.
    with contextlib.suppress(sqlite3.OperationalError):
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock first, so read-then-write is atomic."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"store {self.path}: {exc}") from None

    @property
    def db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "db", None)
        if conn is None:
            try:
                conn = connect(self.path)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"store {self.path}: {exc}") from None
            self._local.db = conn
        return conn

    def ping(self) -> None:
        self.db.execute("SELECT 1").fetchone()

    # --- reviews ---------------------------------------------------------------------

    def add(self, result: ReviewResult) -> int:
        """Store a review once per job (a rerun of a stored job keeps the first); its id."""
        findings = result.report.get("findings", [])
        with transaction(self.db) as db:
            row = db.execute("SELECT id FROM reviews WHERE job = ?", (result.job,)).fetchone()
            if row is not None:
                return int(row["id"])
            cur = db.execute(
                "INSERT INTO reviews (job, source, series_key, revision, version, subject, msgid,"
                " queued_at, started_at, finished_at, report, published)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.job,
                    result.source,
                    result.series_key,
                    result.revision,
                    result.version,
                    result.subject,
                    result.msgid,
                    result.queued_at,
                    result.started_at,
                    result.finished_at,
                    json.dumps(result.report, ensure_ascii=False),
                    json.dumps(result.published, ensure_ascii=False),
                ),
            )
            review_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO findings"
                " (review, fingerprint, code, severity, patch, path, line, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        review_id,
                        f["fingerprint"],
                        f["code"],
                        f["severity"],
                        f.get("patch"),
                        f.get("path"),
                        f.get("line"),
                        f["message"],
                    )
                    for f in findings
                ],
            )
        return review_id

    def _summary(self, row: sqlite3.Row) -> dict[str, Any]:
        report = json.loads(row["report"])
        return {
            "id": row["id"],
            "job": row["job"],
            "source": row["source"],
            "series_key": row["series_key"],
            "revision": row["revision"],
            "version": row["version"],
            "subject": row["subject"],
            "msgid": row["msgid"],
            "queued_at": row["queued_at"],
            "finished_at": row["finished_at"],
            "summary": report.get("summary", {}),
        }

    def reviews(
        self,
        *,
        series: str | None = None,
        revision: str | None = None,
        fingerprint: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Review summaries, newest first, narrowed by series key, revision or fingerprint."""
        where: list[str] = []
        args: list[Any] = []
        if series is not None:
            where.append("series_key = ?")
            args.append(series)
        if revision is not None:
            where.append("revision = ?")
            args.append(revision)
        if fingerprint is not None:
            where.append("id IN (SELECT review FROM findings WHERE fingerprint = ?)")
            args.append(fingerprint)
        sql = "SELECT * FROM reviews"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        rows = self.db.execute(sql, [*args, limit, offset]).fetchall()
        return [self._summary(r) for r in rows]

    def review_for_job(self, job: str) -> int | None:
        row = self.db.execute("SELECT id FROM reviews WHERE job = ?", (job,)).fetchone()
        return None if row is None else int(row["id"])

    def review_ids_for_jobs(self, jobs: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(jobs), 500):
            chunk = list(jobs[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT job, id FROM reviews WHERE job IN ({marks})", chunk
            ):
                out[str(row["job"])] = int(row["id"])
        return out

    def review(self, review_id: int) -> dict[str, Any] | None:
        """One review: its summary, the JSON report, what was posted and the comparison."""
        row = self.db.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
        if row is None:
            return None
        out = self._summary(row)
        out["started_at"] = row["started_at"]
        out["report"] = json.loads(row["report"])
        out["published"] = json.loads(row["published"])
        out["since_previous"] = self.compare(review_id)
        return out

    def compare(self, review_id: int) -> dict[str, Any]:
        """What is new, what was fixed and what stayed since the previous revision."""
        row = self.db.execute(
            "SELECT series_key, revision, version, queued_at, id FROM reviews WHERE id = ?",
            (review_id,),
        ).fetchone()
        if row is None:
            return {"previous": None, "new": [], "fixed": [], "unchanged": []}
        prev = self.db.execute(
            "SELECT id, revision FROM reviews WHERE series_key = ? AND revision != ?"
            " AND (version < ? OR (version = ? AND (queued_at < ?"
            "      OR (queued_at = ? AND id < ?))))"
            " ORDER BY version DESC, queued_at DESC, id DESC LIMIT 1",
            (
                row["series_key"],
                row["revision"],
                row["version"],
                row["version"],
                row["queued_at"],
                row["queued_at"],
                row["id"],
            ),
        ).fetchone()
        mine = self._findings(review_id)
        if prev is None:
            return {
                "previous": None,
                "previous_revision": None,
                "new": sorted(mine),
                "fixed": [],
                "unchanged": [],
            }
        theirs = self._findings(int(prev["id"]))
        return {
            "previous": int(prev["id"]),
            "previous_revision": prev["revision"],
            "new": sorted(set(mine) - set(theirs)),
            "fixed": [theirs[fp] for fp in sorted(set(theirs) - set(mine))],
            "unchanged": sorted(set(mine) & set(theirs)),
        }

    def _findings(self, review_id: int) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT fingerprint, code, severity, patch, path, line, message FROM findings"
            " WHERE review = ?",
            (review_id,),
        )
        return {str(r["fingerprint"]): dict(r) for r in rows}

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM reviews").fetchone()[0])

    def latency(self, buckets: Sequence[float] = LATENCY_BUCKETS) -> Latency:
        """Cumulative counts of reviews by time from queued to stored (a histogram)."""
        parts = ", ".join("sum(finished_at - queued_at <= ?)" for _ in buckets)
        row = self.db.execute(
            f"SELECT count(*), coalesce(sum(finished_at - queued_at), 0)"
            f"{', ' + parts if parts else ''} FROM reviews",
            list(buckets),
        ).fetchone()
        counts = [int(v or 0) for v in tuple(row)[2:]]
        return Latency(tuple(zip(buckets, counts, strict=True)), int(row[0]), float(row[1]))

    # --- cursors ---------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row["value"])

    def set_cursor(self, name: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (name, value, time.time()),
        )

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None
