"""HTTP GETs of the service's sources (GitHub, patchwork, lore feeds): one error type.

A failure is a :class:`reviewbot.errors.FetchError` naming the URL and the reason (never
a header: tokens travel in them). Retries are the job's (the queue retries a failed
review with backoff) and the poller's (the next poll), not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from reviewbot import __version__
from reviewbot.errors import FetchError

USER_AGENT = f"reviewbot/{__version__} (service)"


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
    if not 200 <= resp.status_code < 300:
        raise FetchError(f"GET {url}: HTTP {resp.status_code} {resp.reason}")
    return resp
