"""Helpers of the service tests: configs, local fake GitHub and patchwork servers, the app
over real HTTP, worker processes, a private redis-server. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reviewbot.service import settings as service_settings
from reviewbot.service.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCHEMAS = SHARED / "schemas"
FIXTURES = ROOT / "fixtures" / "service"
SECRET = "It's a Secret to Everybody"
TOKEN = "ghs_test_token_never_logged_0123456789"
PW_TOKEN = "pw-test-token-never-logged-0123456789"
PULL_HEAD = "0f4c5b8e3a9d2c1b7e6f5a4d3c2b1a0918273645"  # last commit of pull-2.patch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, values: Mapping[str, Any]) -> Path:
    """A TOML file of dotted keys, grouped by their table."""
    tables: dict[str, list[str]] = {}
    for key, value in values.items():
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{name} = {toml_value(value)}")
    text = "\n".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())
    path.write_text(text, encoding="utf-8")
    return path


def base_values(state: Path, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "serve.state-dir": str(state),
        "serve.log-format": "json",
        "queue.lease": 30,  # long: only the tests about expiry set a short one
        "queue.retries": 2,
        "queue.retry-delay": 1,
        "queue.retry-backoff": 2,
        "sources.lore.settle": 0,
    }
    values.update(extra)
    return values


def service_env(**extra: str) -> dict[str, str]:
    env = {
        "REVIEWBOT_GITHUB_SECRET": SECRET,
        "REVIEWBOT_GITHUB_TOKEN": TOKEN,
        "REVIEWBOT_PATCHWORK_TOKEN": PW_TOKEN,
    }
    env.update(extra)
    return env


def load_settings(config: Path, env: Mapping[str, str] | None = None) -> service_settings.Settings:
    return service_settings.load([config], env=env if env is not None else service_env())


def open_runtime(config: Path, **kw: Any) -> Runtime:
    return Runtime(load_settings(config), **kw)


# --- a fake GitHub ------------------------------------------------------------------------


@dataclass
class GitHubFake:
    """The GitHub API bits the service uses, recording what it is sent."""

    server: HTTPServer
    patch: bytes
    gate: threading.Event | None = None  # when set up, the first patch download waits for it
    patch_requests: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    create_headers: list[dict[str, str]] = field(default_factory=list)
    download_started: threading.Event = field(default_factory=threading.Event)
    fail_patch: int = 0  # answer 500 to the patch download this many times
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        s = self.server
        s.expect_request(
            re.compile(r"^/repos/[^/]+/[^/]+/pulls/\d+$"), method="GET"
        ).respond_with_handler(self._pull)
        s.expect_request(
            re.compile(r"^/repos/[^/]+/[^/]+/commits/[0-9a-f]+/check-runs$"), method="GET"
        ).respond_with_handler(self._runs_for)
        s.expect_request(
            re.compile(r"^/repos/[^/]+/[^/]+/check-runs$"), method="POST"
        ).respond_with_handler(self._create)
        s.expect_request(
            re.compile(r"^/repos/[^/]+/[^/]+/check-runs/\d+$"), method="PATCH"
        ).respond_with_handler(self._update)

    def _pull(self, request: Request) -> Response:
        with self.lock:
            first = not self.patch_requests
            self.patch_requests.append(dict(request.headers))
            failing = self.fail_patch > 0
            if failing:
                self.fail_patch -= 1
        if failing:
            return Response("boom", status=500)
        if first and self.gate is not None:
            self.download_started.set()
            self.gate.wait(60)
        if request.headers.get("Accept") != "application/vnd.github.v3.patch":
            return Response(json.dumps({"message": "wrong media type"}), status=415)
        return Response(self.patch, content_type="text/x-patch")

    def _runs_for(self, request: Request) -> Response:
        sha = request.path.split("/")[-2]
        with self.lock:
            runs = [
                {"id": n + 1, "name": b["name"], "head_sha": b["head_sha"], "status": "completed"}
                for n, b in enumerate(self.created)
                if b["head_sha"] == sha
            ]
        return Response(
            json.dumps({"total_count": len(runs), "check_runs": runs}),
            content_type="application/json",
        )

    def _create(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        with self.lock:
            self.created.append(body)
            self.create_headers.append(dict(request.headers))
            run_id = len(self.created)
        return Response(json.dumps({"id": run_id}), status=201, content_type="application/json")

    def _update(self, request: Request) -> Response:
        with self.lock:
            self.updated.append(json.loads(request.get_data()))
        return Response(json.dumps({"id": 1}), content_type="application/json")


@contextmanager
def github_fake(
    patch: bytes | None = None, gate: threading.Event | None = None
) -> Iterator[GitHubFake]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    fake = GitHubFake(
        server, patch if patch is not None else (FIXTURES / "pull-2.patch").read_bytes(), gate
    )
    fake.install()
    try:
        yield fake
    finally:
        if gate is not None:
            gate.set()
        server.clear()
        server.stop()


# --- a fake patchwork -----------------------------------------------------------------


def series_mbox(n: int) -> bytes:
    """Series number ``n``: the v1 fixture with its own message-ids and subject."""
    text = (FIXTURES / "series-v1.mbox").read_text(encoding="utf-8")
    text = text.replace(".1111-", f".{n:04d}-")
    text = text.replace("clean-ups for fork()", f"clean-ups for fork() (series {n})")
    return text.encode("utf-8")


@dataclass
class PatchworkFake:
    """Events, series mboxes, patch look-ups and checks, as patchwork's API serves them."""

    server: HTTPServer
    page_size: int = 2
    events: list[dict[str, Any]] = field(default_factory=list)
    mboxes: dict[int, bytes] = field(default_factory=dict)
    patch_ids: dict[str, int] = field(default_factory=dict)
    mbox_requests: list[int] = field(default_factory=list)
    event_queries: list[dict[str, str]] = field(default_factory=list)
    checks: list[tuple[int, dict[str, Any], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def add_series(self, series_id: int, date: str, mbox: bytes | None = None) -> None:
        data = mbox if mbox is not None else series_mbox(series_id)
        self.mboxes[series_id] = data
        for index, msgid in enumerate(re.findall(rb"(?mi)^Message-Id: <([^>]+)>", data)):
            self.patch_ids[msgid.decode()] = series_id * 100 + index
        self.events.append(
            {
                "id": len(self.events) + 1,
                "category": "series-completed",
                "project": {"id": 1, "link_name": "linux-mm"},
                "date": date,
                "actor": None,
                "payload": {
                    "series": {
                        "id": series_id,
                        "url": f"{self.url}/api/1.3/series/{series_id}/",
                        "web_url": f"{self.url}/project/linux-mm/list/?series={series_id}",
                        "name": f"series {series_id}",
                        "version": 1,
                        "mbox": f"{self.url}/series/{series_id}/mbox/",
                    }
                },
            }
        )

    def install(self) -> None:
        s = self.server
        s.expect_request("/api/1.3/events/", method="GET").respond_with_handler(self._events)
        s.expect_request(re.compile(r"^/series/\d+/mbox/$"), method="GET").respond_with_handler(
            self._mbox
        )
        s.expect_request("/api/1.3/patches/", method="GET").respond_with_handler(self._lookup)
        s.expect_request(
            re.compile(r"^/api/1.3/patches/\d+/checks/$"), method="POST"
        ).respond_with_handler(self._check)

    def _events(self, request: Request) -> Response:
        query = dict(request.args)
        with self.lock:
            self.event_queries.append(query)
        since = query.get("since", "")
        found = [e for e in self.events if not since or e["date"] >= since]
        if query.get("category"):
            found = [e for e in found if e["category"] == query["category"]]
        found.sort(key=lambda e: (e["date"], e["id"]), reverse=True)  # patchwork: newest first
        page = int(query.get("page", "1"))
        chunk = found[(page - 1) * self.page_size : page * self.page_size]
        headers = {}
        if page * self.page_size < len(found):
            nxt = dict(query, page=str(page + 1))
            headers["Link"] = (
                f'<{self.url}/api/1.3/events/?{urllib.parse.urlencode(nxt)}>; rel="next"'
            )
        return Response(json.dumps(chunk), content_type="application/json", headers=headers)

    def _mbox(self, request: Request) -> Response:
        series_id = int(request.path.split("/")[2])
        with self.lock:
            self.mbox_requests.append(series_id)
        return Response(self.mboxes[series_id], content_type="application/mbox")

    def _lookup(self, request: Request) -> Response:
        msgid = request.args.get("msgid", "")
        found = (
            [{"id": self.patch_ids[msgid], "msgid": f"<{msgid}>"}]
            if msgid in self.patch_ids
            else []
        )
        return Response(json.dumps(found), content_type="application/json")

    def _check(self, request: Request) -> Response:
        patch_id = int(request.path.split("/")[4])
        body = json.loads(request.get_data())
        with self.lock:
            self.checks.append((patch_id, body, request.headers.get("Authorization", "")))
        return Response(
            json.dumps({"id": len(self.checks), **body}),
            status=201,
            content_type="application/json",
        )

    def results(self) -> list[tuple[int, dict[str, Any]]]:
        """The checks other than ``pending``: one per patch and revision when all is well."""
        return [(pid, body) for pid, body, _ in self.checks if body["state"] != "pending"]


@contextmanager
def patchwork_fake() -> Iterator[PatchworkFake]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    fake = PatchworkFake(server)
    fake.install()
    try:
        yield fake
    finally:
        server.clear()
        server.stop()


# --- the app over HTTP ------------------------------------------------------------------


class AppServer:
    """A Starlette app served by uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        self.thread.start()
        wait_for(lambda: self.server.started, 15, "uvicorn to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# --- worker processes -----------------------------------------------------------------


def start_process(
    args: list[str], log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``reviewbot ARGS`` in a process of its own, with the test secrets only."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    environ.update(env if env is not None else service_env())
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "reviewbot", *args],
            env=environ,
            stdout=out,
            stderr=out,
            cwd=ROOT,
        )


def start_worker(
    config: Path, log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return start_process(["worker", "--config", str(config)], log, env)


def stop_worker(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


# --- redis-server ---------------------------------------------------------------------


# .ci/run starts one redis-server on 127.0.0.1 and names it here; each use takes a
# database of its own, emptied before and after. Without it, each use starts its own.
SHARED_REDIS_ENV = "REVIEWBOT_TEST_REDIS_URL"
_shared_db = iter(range(1, 16))


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A redis-server to use (no persistence); yields its URL."""
    shared = os.environ.get(SHARED_REDIS_ENV)
    if shared:
        import redis

        url = f"{shared.rstrip('/')}/{next(_shared_db)}"
        client = redis.Redis.from_url(url)
        client.flushdb()
        try:
            yield url
        finally:
            client.flushdb()
            client.close()
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(up, 15, "redis-server")
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
