"""The publishers' "already posted" record, shared by every worker of a deployment.

Embedded mode: :class:`reviewbot.publish.record.PostedRecord` on the store's SQLite file
(one machine; SQLite's locking serialises the processes). Redis mode: the same record in
Redis (:class:`RedisPostedRecord`, one set per target and revision), because workers on
several machines must see each other's posts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reviewbot.errors import PublishError
from reviewbot.publish.record import PostedRecord


class RedisPostedRecord(PostedRecord):
    """PostedRecord's interface over Redis sets: ``PREFIX:posted:<target>|<revision>``."""

    def __init__(self, client: Any, prefix: str) -> None:
        # Deliberately not PostedRecord.__init__: there is no SQLite file here.
        self.r = client
        self.prefix = prefix
        self.path = None  # type: ignore[assignment]

    def _key(self, target: str, revision: str) -> str:
        return f"{self.prefix}:posted:{target}|{revision}"

    def posted(self, target: str, revision: str, key: str) -> bool:
        try:
            return bool(self.r.sismember(self._key(target, revision), key))
        except Exception as exc:  # redis.RedisError and its connection errors
            raise PublishError(f"posted record (redis): {type(exc).__name__}: {exc}") from None

    def add(self, target: str, revision: str, keys: Iterable[str]) -> None:
        items = list(keys)
        if not items:
            return
        try:
            self.r.sadd(self._key(target, revision), *items)
        except Exception as exc:
            raise PublishError(f"posted record (redis): {type(exc).__name__}: {exc}") from None

    def keys(self, target: str, revision: str) -> list[str]:
        raw = self.r.smembers(self._key(target, revision))
        return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in raw)

    def close(self) -> None:
        pass  # the client belongs to the runtime
