"""A lore-shaped HTTP server on 127.0.0.1, built from fixture threads, for b4 to fetch from.

It answers what b4 0.16 (through liblore) asks a public-inbox server when it fetches a thread:

- ``GET /<list>/<msgid>/t.mbox.gz``: the gzip of the whole thread mbox, for ANY message-id of
  that thread and any list name (``all``, ``linux-mm``...); an unknown message-id is a 404;
- ``HEAD /<msgid>/``: liblore's redirect discovery after a 404, answered 404;
- ``POST /all/?x=m...``: b4's search for follow-ups, answered 404 ("nothing found").

Every request is recorded as ``(method, path)`` so that tests can assert what was asked.
"""

from __future__ import annotations

import gzip
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_FROM_LINE = re.compile(rb"^From \S+.*\d\d:\d\d:\d\d.*\d{4}", re.M)
_MSGID = re.compile(rb"^Message-ID:[ \t]*\r?\n?[ \t]*<([^>]+)>", re.M | re.I)


def thread_msgids(mbox: bytes) -> list[str]:
    """The message-ids of every message of an mbox (headers only, no parsing beyond that)."""
    starts = [m.start() for m in _FROM_LINE.finditer(mbox)] or [0]
    ids: list[str] = []
    for begin, end in zip(starts, [*starts[1:], len(mbox)], strict=True):
        chunk = mbox[begin:end]
        head = re.split(rb"\r?\n\r?\n", chunk, maxsplit=1)[0]
        found = _MSGID.search(head)
        if found:
            ids.append(found.group(1).decode("ascii", "replace"))
    return ids


class LoreServer:
    """Serves fixture threads the way lore.kernel.org serves ``t.mbox.gz``."""

    def __init__(self, threads: Iterable[bytes | Path] = ()) -> None:
        self._by_msgid: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        for thread in threads:
            self.add_thread(thread)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base address, as ``--lore-url`` takes it: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add_thread(self, thread: bytes | Path) -> None:
        mbox = thread.read_bytes() if isinstance(thread, Path) else thread
        gz = gzip.compress(mbox, mtime=0)
        for msgid in thread_msgids(mbox):
            self._by_msgid[msgid] = gz

    def paths(self, method: str = "GET") -> list[str]:
        with self._lock:
            return [p for m, p in self.requests if m == method]

    def start(self) -> LoreServer:
        # A short poll keeps stop() quick: shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def _lookup(self, path: str) -> bytes | None:
        parts = [p for p in urllib.parse.urlsplit(path).path.split("/") if p]
        if len(parts) == 3 and parts[2] == "t.mbox.gz":
            return self._by_msgid.get(urllib.parse.unquote_plus(parts[1]))
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: bytes = b"", ctype: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                server._record("GET", self.path)
                gz = server._lookup(self.path)
                if gz is None:
                    self._answer(404, b"404 Not Found\n")
                else:
                    self._answer(200, gz, "application/gzip")

            def do_HEAD(self) -> None:
                server._record("HEAD", self.path)
                self._answer(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server._record("POST", self.path)
                self._answer(404, b"404 Not Found\n")

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest output clean; requests are recorded instead

        return Handler


@contextmanager
def lore_server(threads: Iterable[bytes | Path] = ()) -> Iterator[LoreServer]:
    server = LoreServer(threads).start()
    try:
        yield server
    finally:
        server.stop()
