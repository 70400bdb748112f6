"""Shared pytest fixtures. Keep this small and general: helpers of one test file stay there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lore import LoreServer
from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
THREADS = FIXTURES / "threads"
# Real public messages, outside the repository; tests that use them skip when absent.
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture
def lore() -> Iterator[LoreServer]:
    """A lore-shaped server on 127.0.0.1 serving every ``fixtures/threads/*.mbox``.

    Pass ``lore.url`` as the lore address; ``lore.add_thread(mbox)`` serves more threads;
    ``lore.requests`` lists the ``(method, path)`` asked.
    """
    server = LoreServer(sorted(THREADS.glob("*.mbox"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def local_server() -> Iterator[HTTPServer]:
    """One recording HTTP server on 127.0.0.1 per test module (the publishers' far end)."""
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(local_server: HTTPServer) -> Iterator[HTTPServer]:
    """The module's server, with no handlers and an empty request log."""
    local_server.clear()
    yield local_server
    local_server.clear()
