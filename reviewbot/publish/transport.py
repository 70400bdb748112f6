"""The one HTTP client every publisher uses: timeouts, retries with backoff, Retry-After.

Retries: connection errors, timeouts and 5xx answers are retried with exponential backoff;
429 (and 403/503 carrying ``Retry-After``, as GitHub's secondary rate limit does) waits as
long as ``Retry-After`` says, in seconds or as an HTTP date, capped. Auth headers are never
logged, nor put in error messages. ``sleep`` and ``clock`` are injected so that tests do not
wait for real.
"""

from __future__ import annotations

import email.utils
import logging
import os
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from reviewbot import __version__
from reviewbot.errors import PublishError

log = logging.getLogger(__name__)

USER_AGENT = f"reviewbot/{__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is cut to this


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _detail(resp: requests.Response) -> str:
    """The server's own words on an error, briefly and on one line."""
    text = ""
    try:
        data = resp.json()
        if isinstance(data, dict):
            text = str(data.get("detail") or data.get("message") or data)
        else:
            text = str(data)
    except ValueError:
        text = resp.text
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "")


class Transport:
    """A requests session for one target (``patchwork``, ``github``) with its headers."""

    def __init__(
        self,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(headers or {})

    def _wait(self, attempt: int, resp: requests.Response | None) -> float:
        backoff = min(self.retry.backoff * 2.0**attempt, self.retry.max_backoff)
        if resp is None or resp.status_code not in (403, 429, 503):
            return backoff
        after = retry_after(resp.headers.get("Retry-After"), self.clock())
        if after is None:
            return backoff
        return min(after, self.retry.max_retry_after)

    @staticmethod
    def _retryable(resp: requests.Response) -> bool:
        if resp.status_code >= 500 or resp.status_code == 429:
            return True
        return resp.status_code == 403 and "Retry-After" in resp.headers

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        expect: Collection[int] = (200, 201),
    ) -> requests.Response:
        """Send, retrying what may succeed later; raise PublishError naming what failed."""
        what = f"{self.target}: {method} {url}"
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                resp = self.session.request(
                    method, url, json=json, params=params, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                log.debug("%s: %s (attempt %d)", what, type(exc).__name__, attempt + 1)
                if last:
                    raise PublishError(
                        f"{what}: {type(exc).__name__} after {attempt + 1} attempts"
                    ) from None
                self.sleep(self._wait(attempt, None))
                continue
            except requests.RequestException as exc:
                raise PublishError(f"{what}: {type(exc).__name__}: {exc}") from None
            log.debug("%s: HTTP %d (attempt %d)", what, resp.status_code, attempt + 1)
            if resp.status_code in expect:
                return resp
            if self._retryable(resp) and not last:
                self.sleep(self._wait(attempt, resp))
                continue
            tries = f" after {attempt + 1} attempts" if attempt else ""
            raise PublishError(
                f"{what}: HTTP {resp.status_code} {resp.reason}{tries}: {_detail(resp)}"
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def json(self, method: str, url: str, **kw: Any) -> Any:
        resp = self.request(method, url, **kw)
        try:
            return resp.json()
        except ValueError:
            raise PublishError(f"{self.target}: {method} {url}: the answer is not JSON") from None

    def close(self) -> None:
        self.session.close()


def authorized(
    what: str,
    headers: dict[str, str],
    *,
    token_env: str,
    scheme: str,
    env: Mapping[str, str] | None,
    dry_run: bool,
    transport: Transport | None,
) -> Transport:
    """A publisher's transport with its token from the environment (never from config).

    A dry run may go without a token (it only reads); ``transport`` is a test's own.
    """
    token = (os.environ if env is None else env).get(token_env, "")
    if not token and not dry_run:
        raise PublishError(f"{what}: no token: set {token_env}")
    if token:
        headers = {**headers, "Authorization": f"{scheme} {token}"}
    if transport is None:
        return Transport(what.split(" ", 1)[0], headers=headers)
    transport.session.headers.update(headers)
    return transport
