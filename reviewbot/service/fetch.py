"""HTTP GETs of the service's sources (GitHub, patchwork, lore feeds): one error type.

A failure is a :class:`reviewbot.errors.FetchError` naming the URL and the reason (never
a header: tokens travel in them). Retries are the job's (the queue retries a failed
review with backoff) and the poller's (the next poll), not this module's.

What a job downloads (a pull request's patch, a series mbox) comes from whoever opened the
pull request or sent the series, so :func:`download` reads it in chunks and stops past a
size limit (``serve.max-patch-bytes``) and when the job's time budget is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import requests

from reviewbot import __version__
from reviewbot.errors import FetchError, InputError

if TYPE_CHECKING:
    from reviewbot.service.budget import Budget

USER_AGENT = f"reviewbot/{__version__} (service)"
CHUNK = 64 * 1024


def _checked(url: str, resp: requests.Response) -> requests.Response:
    if not 200 <= resp.status_code < 300:
        raise FetchError(f"GET {url}: HTTP {resp.status_code} {resp.reason}")
    return resp


def get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    session: requests.Session | None = None,
) -> requests.Response:
    """GET ``url``; a 2xx answer, else FetchError."""
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        resp = (session or requests).get(url, headers=sent, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}") from None
    return _checked(url, resp)


def too_large(url: str, limit: int) -> InputError:
    # InputError: the same series is as large next time, so the job fails at once
    return InputError(f"GET {url}: larger than serve.max-patch-bytes ({limit} bytes)")


def download(
    url: str,
    *,
    limit: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    budget: Budget | None = None,
) -> bytes:
    """The body of ``url``, at most ``limit`` bytes (decoded): InputError past it, FetchError
    when it cannot be fetched, JobTimeout once ``budget`` is spent."""
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if budget is not None:
        budget.check()
        # requests' timeout bounds each wait for data, not the whole download: the budget
        # is checked between chunks too
        timeout = max(min(timeout, budget.remaining()), 0.001)
    chunks: list[bytes] = []
    size = 0
    try:
        with requests.get(url, headers=sent, timeout=timeout, stream=True) as resp:
            _checked(url, resp)
            declared = resp.headers.get("Content-Length", "")
            encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
            if not encoded and declared.isascii() and declared.isdigit() and int(declared) > limit:
                raise too_large(url, limit)
            for chunk in resp.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(url, limit)
                if budget is not None:
                    budget.check()
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}") from None
    return b"".join(chunks)
