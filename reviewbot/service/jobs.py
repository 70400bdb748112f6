"""The job board: every review job, its state, its lease and the failed list.

huey carries messages ("run job X"); the board says what each job is and who runs it:

- ``queued``: waiting (``not_before`` delays it: a retry's backoff, lore's settle time);
- ``running``: a worker holds a *lease* (``lease_owner`` = host:pid:token, until
  ``lease_expires``) and renews it by heartbeats while it works;
- ``done``: reviewed (and posted); ``failed``: out of retries, with the reason.

A job id names a series revision (``github:o/r#12@<sha>``, ``patchwork:<url>#<id>``,
``lore:<list>:<msgid>``), so :meth:`add` of a job seen before is a no-op: a webhook
delivered twice or an event polled twice queues nothing new.

A claim is atomic (one SQL transaction, one Lua script), so two messages for one job,
or two workers, never run it twice at once. A job whose worker died keeps ``running``
with a lease that stops being renewed; :meth:`JobBoard.stale` finds it (lease expired, or
its owner's process gone on this host) and the sweep (:mod:`reviewbot.service.worker`)
puts it back in the queue. The board lives in the store's SQLite file (embedded mode)
or in Redis (shared by workers on several machines).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reviewbot.service.store import connect, transaction

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    id: str
    kind: str  # github, patchwork, lore
    params: dict[str, Any]
    state: str
    attempts: int = 0  # claims so far, the killed ones included
    error: str | None = None  # the last failure's reason
    note: str | None = None  # e.g. "superseded by a newer push"
    created: float = 0.0
    updated: float = 0.0
    not_before: float = 0.0
    started_at: float | None = None
    lease_owner: str | None = None
    lease_expires: float | None = None

    def public(self) -> dict[str, Any]:
        """The fields shown by GET /reviews (no lease internals)."""
        return {
            "job": self.id,
            "kind": self.kind,
            "state": self.state,
            "attempts": self.attempts,
            "error": self.error,
            "note": self.note,
            "created": self.created,
            "updated": self.updated,
            "params": self.params,
        }


def new_owner() -> str:
    """A lease owner name: host, process and a token unique to the claiming thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_gone(owner: str | None) -> bool:
    """True when ``owner`` was a process of this host that no longer runs.

    A worker killed on this machine is recognised at once instead of after its lease
    expires; an owner on another host is judged by its lease alone.
    """
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not (pid_text.isascii() and pid_text.isdigit()):
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Stale:
    """A job the sweep must put back in the queue."""

    job: str
    kind: str
    state: str  # running (lease lost) or queued (its message may be lost)
    owner: str | None


class JobBoard(Protocol):
    def add(
        self, job: str, kind: str, params: Mapping[str, Any], now: float, not_before: float = 0.0
    ) -> bool: ...
    def claim(self, job: str, owner: str, ttl: float, now: float) -> Job | None: ...
    def heartbeat(self, job: str, owner: str, ttl: float, now: float) -> bool: ...
    def finish(self, job: str, owner: str, now: float, note: str | None = None) -> bool: ...
    def release(self, job: str, owner: str, error: str, not_before: float, now: float) -> bool: ...
    def fail(self, job: str, owner: str, error: str, now: float) -> bool: ...
    def requeue(
        self, job: str, owner: str | None, error: str, now: float, max_attempts: int
    ) -> str | None: ...
    def touch(self, job: str, now: float) -> None: ...
    def stale(self, now: float, grace: float) -> list[Stale]: ...
    def get(self, job: str) -> Job | None: ...
    def by_state(self, state: str, limit: int = 50, offset: int = 0) -> list[Job]: ...
    def counts(self) -> dict[str, int]: ...
    def ping(self) -> None: ...


# --- SQLite ------------------------------------------------------------------------------

_SQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    params        TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    note          TEXT,
    created       REAL NOT NULL,
    updated       REAL NOT NULL,
    not_before    REAL NOT NULL DEFAULT 0,
    started_at    REAL,
    lease_owner   TEXT,
    lease_expires REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created);
"""


def _job_from(row: Mapping[str, Any]) -> Job:
    def num(name: str) -> float | None:
        value = row.get(name)
        return None if value in (None, "") else float(value)

    return Job(
        id=str(row["id"]),
        kind=str(row["kind"]),
        params=json.loads(row["params"]),
        state=str(row["state"]),
        attempts=int(row.get("attempts") or 0),
        error=row.get("error") or None,
        note=row.get("note") or None,
        created=num("created") or 0.0,
        updated=num("updated") or 0.0,
        not_before=num("not_before") or 0.0,
        started_at=num("started_at"),
        lease_owner=row.get("lease_owner") or None,
        lease_expires=num("lease_expires"),
    )


class SqliteJobs:
    """The board as a table of the store's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.db.executescript(_SQL_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "db", None)
        if conn is None:
            conn = connect(self.path)
            self._local.db = conn
        return conn

    def ping(self) -> None:
        self.db.execute("SELECT 1").fetchone()

    def add(
        self,
        job: str,
        kind: str,
        params: Mapping[str, Any],
        now: float,
        not_before: float = 0.0,
    ) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO jobs (id, kind, params, state, created, updated, not_before)"
            " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
            (job, kind, json.dumps(dict(params), sort_keys=True), now, now, not_before),
        )
        return cur.rowcount == 1

    def _row(self, db: sqlite3.Connection, job: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute("SELECT * FROM jobs WHERE id = ?", (job,)).fetchone()
        return row

    def claim(self, job: str, owner: str, ttl: float, now: float) -> Job | None:
        with transaction(self.db) as db:
            cur = db.execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,"
                " lease_expires = ?, started_at = ?, updated = ?"
                " WHERE id = ? AND ((state = 'queued' AND not_before <= ?)"
                " OR (state = 'running' AND lease_expires < ?))",
                (owner, now + ttl, now, now, job, now, now),
            )
            if cur.rowcount != 1:
                return None
            row = self._row(db, job)
        return None if row is None else _job_from(dict(row))

    def heartbeat(self, job: str, owner: str, ttl: float, now: float) -> bool:
        cur = self.db.execute(
            "UPDATE jobs SET lease_expires = ? WHERE id = ? AND state = 'running'"
            " AND lease_owner = ?",
            (now + ttl, job, owner),
        )
        return cur.rowcount == 1

    def _leave(self, job: str, owner: str, sets: str, args: Sequence[Any]) -> bool:
        cur = self.db.execute(
            f"UPDATE jobs SET {sets}, lease_owner = NULL, lease_expires = NULL"
            " WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (*args, job, owner),
        )
        return cur.rowcount == 1

    def finish(self, job: str, owner: str, now: float, note: str | None = None) -> bool:
        return self._leave(
            job, owner, "state = 'done', updated = ?, note = ?, error = NULL", (now, note)
        )

    def release(self, job: str, owner: str, error: str, not_before: float, now: float) -> bool:
        return self._leave(
            job,
            owner,
            "state = 'queued', updated = ?, error = ?, not_before = ?",
            (now, error, not_before),
        )

    def fail(self, job: str, owner: str, error: str, now: float) -> bool:
        return self._leave(job, owner, "state = 'failed', updated = ?, error = ?", (now, error))

    def requeue(
        self, job: str, owner: str | None, error: str, now: float, max_attempts: int
    ) -> str | None:
        """Put a stale job back: ``queued`` (or ``failed`` when out of attempts); the state
        it went to, or None when it changed meanwhile."""
        with transaction(self.db) as db:
            row = self._row(db, job)
            if row is None:
                return None
            if owner is not None and (row["state"] != "running" or row["lease_owner"] != owner):
                return None
            if owner is None and row["state"] != "queued":
                return None
            state = "failed" if int(row["attempts"]) >= max_attempts else "queued"
            db.execute(
                "UPDATE jobs SET state = ?, error = coalesce(?, error), updated = ?,"
                " lease_owner = NULL, lease_expires = NULL WHERE id = ?",
                (state, error or None, now, job),
            )
        return state

    def touch(self, job: str, now: float) -> None:
        self.db.execute("UPDATE jobs SET updated = ? WHERE id = ?", (now, job))

    def stale(self, now: float, grace: float) -> list[Stale]:
        out: list[Stale] = []
        for row in self.db.execute(
            "SELECT id, kind, lease_owner, lease_expires FROM jobs WHERE state = 'running'"
        ):
            owner = row["lease_owner"]
            if (row["lease_expires"] or 0) < now or owner_gone(owner):
                out.append(Stale(str(row["id"]), str(row["kind"]), "running", owner))
        for row in self.db.execute(
            "SELECT id, kind FROM jobs WHERE state = 'queued' AND not_before <= ? AND updated < ?",
            (now, now - grace),
        ):
            out.append(Stale(str(row["id"]), str(row["kind"]), "queued", None))
        return out

    def get(self, job: str) -> Job | None:
        row = self._row(self.db, job)
        return None if row is None else _job_from(dict(row))

    def by_state(self, state: str, limit: int = 50, offset: int = 0) -> list[Job]:
        rows = self.db.execute(
            "SELECT * FROM jobs WHERE state = ? ORDER BY updated DESC, id LIMIT ? OFFSET ?",
            (state, limit, offset),
        )
        return [_job_from(dict(r)) for r in rows]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for row in self.db.execute("SELECT state, count(*) AS n FROM jobs GROUP BY state"):
            out[str(row["state"])] = int(row["n"])
        return out


# --- Redis -------------------------------------------------------------------------------

# KEYS: job hash, queued set, running set. ARGV: owner, now, ttl, id.
_CLAIM = """
local state = redis.call('HGET', KEYS[1], 'state')
local now = tonumber(ARGV[2])
if state == 'queued' then
  if tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0') > now then return 0 end
elseif state == 'running' then
  if tonumber(redis.call('HGET', KEYS[1], 'lease_expires') or '0') >= now then return 0 end
else
  return 0
end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'state', 'running', 'lease_owner', ARGV[1],
  'lease_expires', tostring(now + tonumber(ARGV[3])), 'started_at', ARGV[2], 'updated', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[4])
return 1
"""

# KEYS: job hash, running set, target set. ARGV: owner, id, now, field, value, ...
# Leaves 'running' for the target state, only for the lease's owner.
_LEAVE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_expires')
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return 1
"""

# KEYS: job hash. ARGV: owner, expires.
_HEARTBEAT = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease_expires', ARGV[2])
return 1
"""

# KEYS: job hash, all set, queued set. ARGV: id, now, kind, params, not_before.
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'kind', ARGV[3], 'params', ARGV[4],
  'state', 'queued', 'attempts', '0', 'created', ARGV[2], 'updated', ARGV[2],
  'not_before', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""

# KEYS: job hash, running set, queued set, failed set.
# ARGV: expected owner ('' for a queued job), id, now, error, max attempts.
_REQUEUE = """
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] == '' then
  if state ~= 'queued' then return '' end
else
  if state ~= 'running' or redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then
    return ''
  end
end
local target = 'queued'
local dest = KEYS[3]
if tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') >= tonumber(ARGV[5]) then
  target = 'failed'
  dest = KEYS[4]
end
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_expires')
redis.call('HSET', KEYS[1], 'state', target, 'updated', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZADD', dest, ARGV[3], ARGV[2])
return target
"""


class RedisJobs:
    """The board in Redis: one hash per job, one sorted set per state (scored by time)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.r = client
        self.prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._leave_script = client.register_script(_LEAVE)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._add = client.register_script(_ADD)
        self._requeue = client.register_script(_REQUEUE)

    def _key(self, job: str) -> str:
        return f"{self.prefix}:job:{job}"

    def _set(self, state: str) -> str:
        return f"{self.prefix}:jobs:{state}"

    def ping(self) -> None:
        self.r.ping()

    def add(
        self,
        job: str,
        kind: str,
        params: Mapping[str, Any],
        now: float,
        not_before: float = 0.0,
    ) -> bool:
        args = [job, repr(now), kind, json.dumps(dict(params), sort_keys=True), repr(not_before)]
        keys = [self._key(job), self._set("all"), self._set("queued")]
        return bool(self._add(keys=keys, args=args))

    def claim(self, job: str, owner: str, ttl: float, now: float) -> Job | None:
        keys = [self._key(job), self._set("queued"), self._set("running")]
        if not self._claim(keys=keys, args=[owner, repr(now), repr(ttl), job]):
            return None
        return self.get(job)

    def heartbeat(self, job: str, owner: str, ttl: float, now: float) -> bool:
        return bool(self._heartbeat(keys=[self._key(job)], args=[owner, repr(now + ttl)]))

    def _leave(self, job: str, owner: str, state: str, now: float, **fields: str) -> bool:
        args: list[str] = [owner, job, repr(now), "state", state, "updated", repr(now)]
        for name, value in fields.items():
            args += [name, value]
        keys = [self._key(job), self._set("running"), self._set(state)]
        return bool(self._leave_script(keys=keys, args=args))

    def finish(self, job: str, owner: str, now: float, note: str | None = None) -> bool:
        return self._leave(job, owner, "done", now, note=note or "", error="")

    def release(self, job: str, owner: str, error: str, not_before: float, now: float) -> bool:
        return self._leave(job, owner, "queued", now, error=error, not_before=repr(not_before))

    def fail(self, job: str, owner: str, error: str, now: float) -> bool:
        return self._leave(job, owner, "failed", now, error=error)

    def requeue(
        self, job: str, owner: str | None, error: str, now: float, max_attempts: int
    ) -> str | None:
        keys = [self._key(job), self._set("running"), self._set("queued"), self._set("failed")]
        args = [owner or "", job, repr(now), error, str(max_attempts)]
        out = self._requeue(keys=keys, args=args)
        text = out.decode() if isinstance(out, bytes) else str(out or "")
        return text or None

    def touch(self, job: str, now: float) -> None:
        self.r.hset(self._key(job), "updated", repr(now))

    def _hashes(self, ids: Sequence[str]) -> list[dict[str, str]]:
        pipe = self.r.pipeline(transaction=False)
        for job in ids:
            pipe.hgetall(self._key(job))
        out: list[dict[str, str]] = []
        for raw in pipe.execute():
            if raw:
                out.append({_text(k): _text(v) for k, v in raw.items()})
        return out

    def stale(self, now: float, grace: float) -> list[Stale]:
        out: list[Stale] = []
        running = [_text(x) for x in self.r.zrange(self._set("running"), 0, -1)]
        for h in self._hashes(running):
            owner = h.get("lease_owner")
            if h.get("state") != "running":
                continue
            if float(h.get("lease_expires") or 0) < now or owner_gone(owner):
                out.append(Stale(h["id"], h["kind"], "running", owner))
        queued = [_text(x) for x in self.r.zrange(self._set("queued"), 0, -1)]
        for h in self._hashes(queued):
            if (
                h.get("state") == "queued"
                and float(h.get("not_before") or 0) <= now
                and float(h.get("updated") or 0) < now - grace
            ):
                out.append(Stale(h["id"], h["kind"], "queued", None))
        return out

    def get(self, job: str) -> Job | None:
        found = self._hashes([job])
        return _job_from(found[0]) if found else None

    def by_state(self, state: str, limit: int = 50, offset: int = 0) -> list[Job]:
        ids = [_text(x) for x in self.r.zrevrange(self._set(state), offset, offset + limit - 1)]
        return [_job_from(h) for h in self._hashes(ids)]

    def counts(self) -> dict[str, int]:
        pipe = self.r.pipeline(transaction=False)
        for state in STATES:
            pipe.zcard(self._set(state))
        return {s: int(n) for s, n in zip(STATES, pipe.execute(), strict=True)}


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
