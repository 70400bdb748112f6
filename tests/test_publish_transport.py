"""The HTTP client of every publisher: retries, backoff, Retry-After, no secrets in logs."""

from __future__ import annotations

import email.utils
import logging
import socket

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from reviewbot.errors import PublishError
from reviewbot.publish.transport import RetryPolicy, Transport, retry_after

SECRET = "s3cr3t-token-value"
NOW = 1_700_000_000.0


class Sleeps(list[float]):
    """An injected sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleeps: Sleeps, **kw: object) -> Transport:
    return Transport(
        "test",
        headers={"Authorization": f"Token {SECRET}"},
        sleep=sleeps,
        clock=lambda: NOW,
        timeout=5,
        **kw,  # type: ignore[arg-type]
    )


def test_retries_a_502_with_backoff(server: HTTPServer) -> None:
    server.expect_oneshot_request("/x", method="POST").respond_with_data("bad gateway", 502)
    server.expect_oneshot_request("/x", method="POST").respond_with_data("bad gateway", 502)
    server.expect_request("/x", method="POST").respond_with_json({"ok": True}, status=201)
    sleeps = Sleeps()
    answer = client(sleeps).json("POST", server.url_for("/x"), json={"a": 1})
    assert answer == {"ok": True}
    assert sleeps == [1.0, 2.0]
    assert len(server.log) == 3
    assert all(req.headers["Authorization"] == f"Token {SECRET}" for req, _ in server.log)


@pytest.mark.parametrize(
    ("header", "waited"),
    [
        ("7", 7.0),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),  # an HTTP date
        ("86400", 120.0),  # capped
        ("soon", 1.0),  # unusable: plain backoff
    ],
)
def test_honours_retry_after_on_429(server: HTTPServer, header: str, waited: float) -> None:
    limited = Response("slow down", status=429, headers={"Retry-After": header})
    server.expect_oneshot_request("/x").respond_with_response(limited)
    server.expect_request("/x").respond_with_json([])
    sleeps = Sleeps()
    assert client(sleeps).json("GET", server.url_for("/x")) == []
    assert sleeps == [waited]


def test_gives_up_after_the_last_attempt(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("oops", 503)
    sleeps = Sleeps()
    with pytest.raises(PublishError) as err:
        client(sleeps, retry=RetryPolicy(attempts=3)).request("GET", server.url_for("/x"))
    assert sleeps == [1.0, 2.0]
    message = str(err.value)
    assert message.startswith(f"test: GET {server.url_for('/x')}: HTTP 503")
    assert "after 3 attempts" in message and "\n" not in message


def test_client_errors_are_not_retried(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_json({"detail": "Invalid token."}, status=401)
    sleeps = Sleeps()
    with pytest.raises(PublishError, match=r"HTTP 401 UNAUTHORIZED: Invalid token\.$"):
        client(sleeps).request("GET", server.url_for("/x"))
    assert sleeps == []


def test_connection_errors_are_retried_then_reported() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(PublishError, match="ConnectionError after 4 attempts"):
        client(sleeps).request("GET", f"http://127.0.0.1:{port}/x")
    assert sleeps == [1.0, 2.0, 4.0]


def test_auth_headers_are_never_logged(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.expect_oneshot_request("/x").respond_with_data("", 500)
    server.expect_request("/x").respond_with_json({"detail": "no"}, status=403)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PublishError) as err:
        client(Sleeps()).request("GET", server.url_for("/x"))
    assert caplog.records  # it did log the attempts
    assert SECRET not in caplog.text and SECRET not in str(err.value)


def test_retry_after_parsing() -> None:
    assert retry_after("12", NOW) == 12.0
    assert retry_after(email.utils.formatdate(NOW - 5, usegmt=True), NOW) == 0.0
    assert retry_after(None, NOW) is None
    assert retry_after("Wed, 99 Foo", NOW) is None
