"""Pollers for the sources that do not push: patchwork events and lore list feeds.

**Patchwork.** ``GET <url>/api/<version>/events/?category=series-completed&since=<cursor>``
(newest first, paginated through ``Link: rel="next"``): every page is read, the events are
taken oldest first, a job is queued per series (job id = the series' id on that
instance), and only then the cursor moves to the newest event's ``date``, stored in the
store. Patchwork's ``since`` includes that instant, so the newest events come back on the
next poll and are recognised by their job id: no series is skipped (the cursor never
passes an event that was not queued) and none is queued twice. With no stored cursor the
poller starts at ``sources.patchwork.since`` or, when that is empty, now: a new service
does not review a project's whole history.

**Lore.** ``GET <lore>/<list>/new.atom``: the newest messages of a list. A new series is
an entry whose subject is a patch or a cover letter (``[PATCH 0/N]``, ``[PATCH 1/N]``,
``[PATCH]``) that replies to nothing: patch 1/N of a series with a cover letter replies
to it and is not a second series. Its message-id (from the entry's link) names the job;
the review waits ``sources.lore.settle`` seconds so that the rest of the series arrives.
The cursor (the newest entry's ``updated``) skips entries already seen.
"""

from __future__ import annotations

import datetime
import logging
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from reviewbot.errors import FetchError, InputError
from reviewbot.parse.subject import parse_subject
from reviewbot.service import fetch
from reviewbot.service.logs import event
from reviewbot.service.runtime import Runtime
from reviewbot.service.tasks import lore_job, patchwork_job

log = logging.getLogger(__name__)

MAX_PAGES = 1000  # a safety stop; a real backlog is a few pages


def _when(text: str) -> datetime.datetime:
    """Sortable time of an ISO date as patchwork and Atom write them (naive is UTC)."""
    stamp = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    return stamp


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Poller:
    """A poll loop in a thread; ``poll_once`` is the unit tests drive."""

    name = "poller"
    interval: float = 300.0

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> int:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                queued = self.poll_once()
                event(log, f"poll.{self.name}", queued=queued)
            except (FetchError, InputError) as exc:
                event(log, f"poll.{self.name}_failed", logging.WARNING, error=str(exc))
            except Exception as exc:  # keep polling; the next poll may work
                event(log, f"poll.{self.name}_error", logging.ERROR, error=repr(exc))
            self.stop_event.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"poll-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)


class PatchworkPoller(Poller):
    name = "patchwork"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.settings = runtime.settings.patchwork
        self.interval = float(self.settings.interval)
        project = self.settings.project or "*"
        self.cursor_name = f"patchwork {self.settings.url} {project} series-completed"

    @property
    def api(self) -> str:
        return f"{self.settings.url}/api/{self.settings.api_version}"

    def _store(self) -> Any:
        if self.runtime.store is None:
            raise RuntimeError("the patchwork poller runs where the store is")
        return self.runtime.store

    def cursor(self) -> str:
        store = self._store()
        found: str | None = store.cursor(self.cursor_name)
        if found is None:
            found = self.settings.since or _now_iso()
            store.set_cursor(self.cursor_name, found)
        return found

    def events(self, since: str) -> list[dict[str, Any]]:
        params = {"category": "series-completed", "since": since, "per_page": "100"}
        if self.settings.project:
            params["project"] = self.settings.project
        url: str | None = f"{self.api}/events/"
        query: dict[str, str] | None = params
        found: list[dict[str, Any]] = []
        pages = 0
        while url is not None:
            resp = fetch.get(url, params=query, headers={"Accept": "application/json"})
            try:
                data = resp.json()
            except ValueError:
                raise InputError(f"GET {url}: the answer is not JSON") from None
            if not isinstance(data, list):
                raise InputError(f"GET {url}: expected a list of events")
            found.extend(e for e in data if isinstance(e, dict))
            pages += 1
            nxt = resp.links.get("next", {}).get("url")
            url, query = (nxt, None) if nxt and pages < MAX_PAGES else (None, None)
        return found

    def poll_once(self) -> int:
        since = self.cursor()
        events = [e for e in self.events(since) if e.get("category") == "series-completed"]
        events.sort(key=lambda e: (_when(str(e["date"])), int(e.get("id") or 0)))
        queued = 0
        for ev in events:
            series = (ev.get("payload") or {}).get("series") or {}
            if not isinstance(series, dict) or "id" not in series or not series.get("mbox"):
                event(log, "poll.patchwork_skip", logging.WARNING, event_id=ev.get("id"))
                continue
            params = {
                "url": self.settings.url,
                "series": int(series["id"]),
                "mbox": str(series["mbox"]),
                "name": series.get("name"),
                "version": series.get("version"),
                "web_url": series.get("web_url"),
            }
            job = patchwork_job(self.settings.url, int(series["id"]))
            if self.runtime.submit("patchwork", job, params):
                queued += 1
        if events:
            newest = max((str(e["date"]) for e in events), key=_when)
            if _when(newest) >= _when(since):
                self._store().set_cursor(self.cursor_name, newest)
        return queued


ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class FeedEntry:
    msgid: str
    subject: str
    updated: str
    is_reply: bool


def parse_feed(data: bytes, where: str) -> list[FeedEntry]:
    """The entries of a public-inbox Atom feed, as they come (newest first)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"{where}: not an Atom feed: {exc}") from None
    out: list[FeedEntry] = []
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        href = link.get("href", "") if link is not None else ""
        segments = [s for s in urllib.parse.urlsplit(href).path.split("/") if s]
        if not segments:
            continue
        msgid = urllib.parse.unquote(segments[-1])
        title = entry.findtext(f"{ATOM}title", default="").strip()
        updated = entry.findtext(f"{ATOM}updated", default="").strip()
        replies = any(child.tag.endswith("}in-reply-to") for child in entry)
        out.append(FeedEntry(msgid, " ".join(title.split()), updated, replies))
    return out


def starts_series(entry: FeedEntry) -> bool:
    subject = parse_subject(entry.subject)
    if not subject.is_patch or subject.is_reply or entry.is_reply:
        return False
    return subject.counter <= 1


class LorePoller(Poller):
    name = "lore"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.settings = runtime.settings.lore
        self.interval = float(self.settings.interval)
        self.cursor_name = f"lore {self.settings.url} {self.settings.list} new.atom"

    @property
    def feed_url(self) -> str:
        return f"{self.settings.url}/{self.settings.list}/new.atom"

    def poll_once(self) -> int:
        store = self.runtime.store
        if store is None:
            raise RuntimeError("the lore poller runs where the store is")
        resp = fetch.get(self.feed_url, timeout=self.settings.timeout)
        entries = parse_feed(resp.content, self.feed_url)
        seen = store.cursor(self.cursor_name)
        fresh = [
            e for e in entries if e.updated and (seen is None or _when(e.updated) >= _when(seen))
        ]
        fresh.sort(key=lambda e: _when(e.updated))
        queued = 0
        for entry in fresh:
            if not starts_series(entry):
                continue
            params = {"list": self.settings.list, "msgid": entry.msgid, "subject": entry.subject}
            job = lore_job(self.settings.list, entry.msgid)
            if self.runtime.submit("lore", job, params, delay=float(self.settings.settle)):
                queued += 1
        if fresh:
            store.set_cursor(self.cursor_name, max((e.updated for e in fresh), key=_when))
        return queued
