"""``reviewbot serve`` (the HTTP app, the pollers, embedded workers) and ``reviewbot worker``.

Both read one TOML file (``--config``; deploy/reviewbot.example.toml is a start) and take
secrets from the environment only. ``serve`` alone is a whole service on one machine
(SQLite files in ``--state-dir``); with ``queue.backend = "redis"``, ``worker`` processes
on any machine that reaches Redis share the work.

The service needs the ``serve`` extra (huey, starlette, uvicorn, redis). This module is
imported to build the parser whenever ``--help`` or an unknown command lists every
command, so at module level it imports only what argparse needs; the service is imported
when ``serve`` or ``worker`` runs, and its missing dependencies are a one-line usage error.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from reviewbot.config import SECRET_ENV
from reviewbot.errors import UsageError

if TYPE_CHECKING:
    from reviewbot.service.settings import Settings

log = logging.getLogger("reviewbot.serve")

STOP_TIMEOUT = 30.0  # seconds a stopping worker waits for the reviews in hand

# The packages of the serve extra (pyproject.toml): an ImportError of one of them means
# that extra is not installed.
SERVE_DEPENDENCIES = ("huey", "starlette", "uvicorn", "redis")
MISSING = "serve needs the service dependencies: pip install 'reviewbot[serve]'"


@contextmanager
def _service_dependencies() -> Iterator[None]:
    try:
        yield
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] in SERVE_DEPENDENCIES:
            raise UsageError(MISSING) from None
        raise


def add_parser(sub: Any) -> None:
    serve: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the webhook and poller service",
        description=(
            "Serve the GitHub webhook, poll patchwork and lore as configured, and review "
            "every new series once. Secrets come from the environment: "
            f"{SECRET_ENV['github-secret']} (webhook), {SECRET_ENV['github-token']}, "
            f"{SECRET_ENV['patchwork-token']} (posting)."
        ),
    )
    _common(serve)
    serve.add_argument(
        "--bind", metavar="HOST:PORT", help="listen address (serve.bind, default 127.0.0.1:8080)"
    )
    _state_dir(serve)
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker threads inside serve (serve.workers, default 1; 0: none)",
    )
    serve.set_defaults(run=run_serve)

    worker: argparse.ArgumentParser = sub.add_parser(
        "worker",
        help="run a worker for the service's queue",
        description=(
            "Take review jobs from the service's queue. With queue.backend = redis, run as "
            "many as needed, on any machine that reaches Redis."
        ),
    )
    _common(worker)
    _state_dir(worker)
    worker.add_argument(
        "--threads", type=int, default=1, metavar="N", help="reviews at once (default 1)"
    )
    worker.set_defaults(run=run_worker)


def _common(parser: argparse.ArgumentParser) -> None:
    # Not options.add_common: a service reads only the files it is given, not the
    # user's ~/.config/reviewbot/config.toml.
    parser.add_argument("--debug", action="store_true", help="log at debug level, show tracebacks")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="the service configuration (repeatable; later files win)",
    )
    parser.add_argument(
        "-c",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a configuration key, e.g. -c queue.backend=redis",
    )


def _state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="queue, store and cursors (serve.state-dir, default ~/.local/share/reviewbot)",
    )


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    from reviewbot.service import settings

    overrides = list(args.overrides)
    if getattr(args, "workers", None) is not None:
        overrides.append(f"serve.workers={args.workers}")
    return settings.load(args.config, overrides, state_dir=args.state_dir, **extra)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--bind {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _stopping(signum: int, frame: FrameType | None) -> None:
    from reviewbot.service.logs import event

    event(log, "serve.stopping", signal=signal.Signals(signum).name)


def run_serve(args: argparse.Namespace) -> int:
    # Redis is imported only in Redis mode, when the runtime connects: the whole run is
    # inside, not only the imports below.
    with _service_dependencies():
        return _serve(args)


def run_worker(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise UsageError(f"--threads {args.threads}: expected at least 1")
    with _service_dependencies():
        return _work(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from reviewbot.service import logs, settings
    from reviewbot.service.app import create_app
    from reviewbot.service.logs import event
    from reviewbot.service.pollers import LorePoller, PatchworkPoller, Poller
    from reviewbot.service.results import Collector
    from reviewbot.service.runtime import Runtime
    from reviewbot.service.tasks import Tasks
    from reviewbot.service.worker import Worker

    cfg = _settings(args, bind=args.bind)
    logs.configure(cfg.log_format, logging.DEBUG if args.debug else logging.INFO)
    settings.check_secrets(cfg, webhook=True, publish=cfg.workers > 0)
    sock = _listen(cfg.host, cfg.port)
    runtime = Runtime(cfg)
    tasks = Tasks(cfg, runtime.open_record, clock=runtime.clock)
    tasks.validate()
    worker = Worker(runtime, cfg.workers, tasks=tasks) if cfg.workers > 0 else None
    pollers: list[Poller] = []
    if cfg.patchwork.url:
        pollers.append(PatchworkPoller(runtime))
    if cfg.lore.list:
        pollers.append(LorePoller(runtime))
    collector = (
        Collector(runtime.outbox, runtime.store)
        if runtime.outbox is not None and runtime.store is not None
        else None
    )
    collector_thread = (
        threading.Thread(target=collector.run, name="collector", daemon=True) if collector else None
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime),
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
        )
    )
    host, port = sock.getsockname()[:2]
    try:
        if worker is not None:
            worker.start()
        for poller in pollers:
            poller.start()
        if collector_thread is not None:
            collector_thread.start()
        event(
            log,
            "serve.started",
            bind=f"{host}:{port}",
            state_dir=str(cfg.state_dir),
            queue=cfg.queue.backend,
            workers=cfg.workers,
            pollers=[p.name for p in pollers],
            webhook=cfg.github.webhook,
        )
        # uvicorn handles SIGTERM/SIGINT while it runs, then raises the signal again for
        # the handler it found: this one, so that the finally below still stops the
        # workers and pollers cleanly and the exit status is 0.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _stopping)
        server.run(sockets=[sock])
    finally:
        for poller in pollers:
            poller.stop()
        if collector is not None:
            collector.stop.set()
        if collector_thread is not None and collector_thread.is_alive():
            collector_thread.join(5)  # it waits at most a second on Redis
        if worker is not None:
            worker.stop(STOP_TIMEOUT)
        sock.close()
        runtime.close()
        event(log, "serve.stopped")
    return 0


def _work(args: argparse.Namespace) -> int:
    from reviewbot.service import logs, settings
    from reviewbot.service.logs import event
    from reviewbot.service.runtime import Runtime
    from reviewbot.service.tasks import Tasks
    from reviewbot.service.worker import Worker

    cfg = _settings(args)
    logs.configure(cfg.log_format, logging.DEBUG if args.debug else logging.INFO)
    settings.check_secrets(cfg, webhook=False, publish=True)
    runtime = Runtime(cfg, with_store=cfg.queue.backend == "sqlite")
    tasks = Tasks(cfg, runtime.open_record, clock=runtime.clock)
    tasks.validate()
    worker = Worker(runtime, args.threads, tasks=tasks)

    def stop(signum: int, frame: FrameType | None) -> None:
        event(log, "worker.stopping", signal=signal.Signals(signum).name)
        worker.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        worker.start()
        while not worker.stop_event.wait(0.5):
            pass
    finally:
        worker.stop(STOP_TIMEOUT)
        runtime.close()
    return 0
