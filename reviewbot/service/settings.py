"""The service's configuration: one TOML file, secrets from the environment only.

The file holds the service's own tables (``serve``, ``queue``, ``store``, ``sources``,
``publish.github``, ``publish.patchwork``; :data:`SERVICE_KEYS`) and any key of the common
configuration (:data:`reviewbot.config.DEFAULTS`), so that one file describes a deployment.
The service reads the common keys where they mean the same thing: ``rules.*``,
``review.kernel``, ``lore.url``, ``lore.timeout``, the patchwork instance (``patchwork.url``
is polled when set; ``.project``, ``.api-version``, ``.context``, ``.target-url``) and the
GitHub API (``github.api-url``, ``github.name``, ``github.details-url``). The per-run keys
(``github.repo``, ``github.head-sha``) come from each job instead, and the posted record
lives in the service's store (``publish.record`` is not used).

An unknown key is an error naming the key and the file. The user's
``~/.config/reviewbot/config.toml`` is not read: a service is configured by the files it
is given, not by whoever's home directory it runs in.

Secrets are never keys: each comes from its variable of
:data:`reviewbot.config.SECRET_ENV` (the webhook's shared secret here, the tokens in the
publishers). A secret that the configuration needs and the environment lacks is an error
at start-up, not at the first webhook.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot import config as configuration
from reviewbot.config import SECRET_ENV, Value
from reviewbot.errors import ConfigError
from reviewbot.pipeline import ReviewOptions

BACKENDS = ("sqlite", "redis")
LOG_FORMATS = ("json", "logfmt")

# key -> (default, why it exists)
SERVICE_KEYS: dict[str, tuple[Value, str]] = {
    "serve.bind": ("127.0.0.1:8080", "HOST:PORT the HTTP app listens on (--bind)"),
    "serve.state-dir": ("", "queue, store and cursors; empty: ~/.local/share/reviewbot"),
    "serve.workers": (
        1,
        "worker threads inside `serve`; 0 when separate `reviewbot worker` processes work",
    ),
    "serve.max-body": (1048576, "largest webhook body accepted, in bytes (larger: 413)"),
    "serve.max-patch-bytes": (
        8388608,
        "largest pull request patch or series mbox downloaded, in bytes (larger: the job fails)",
    ),
    "serve.log-format": ("json", "json or logfmt: one line per event on stderr"),
    "serve.public-url": ("", "the app's public address, for links in checks; empty: none"),
    "queue.backend": ("sqlite", "sqlite (embedded, one machine) or redis (several machines)"),
    "queue.redis-url": ("redis://127.0.0.1:6379/0", "the Redis server when backend is redis"),
    "queue.name": ("reviewbot", "queue name; also prefixes every Redis key"),
    "queue.retries": (3, "retries of a failed review before it lands in the failed list"),
    "queue.retry-delay": (30, "seconds before the first retry"),
    "queue.retry-backoff": (2, "each further retry waits this many times longer"),
    "queue.lease": (60, "seconds a worker holds a job without a heartbeat before it is rerun"),
    "queue.job-timeout": (
        600,
        "seconds a job (fetch, review, post) may take; then it is stopped, retried or failed",
    ),
    "store.path": ("", "the SQLite results store; empty: STATE-DIR/reviewbot.db"),
    "sources.github.webhook": (
        True,
        f"accept POST /webhooks/github (needs {SECRET_ENV['github-secret']})",
    ),
    "sources.github.repositories": ([], "OWNER/NAME accepted from the webhook; empty: any"),
    "sources.github.timeout": (60, "seconds before a GitHub API request gives up"),
    "sources.patchwork.interval": (300, "seconds between two polls of patchwork.url's events"),
    "sources.patchwork.since": (
        "",
        "first cursor (ISO date) when none is stored; empty: start from now",
    ),
    "sources.lore.list": ("", "lore list to follow through its Atom feed, e.g. linux-mm"),
    "sources.lore.interval": (300, "seconds between two reads of the feed"),
    "sources.lore.settle": (600, "seconds to wait after a new series before reviewing it"),
    "publish.github.post": (False, f"post check runs (needs {SECRET_ENV['github-token']})"),
    "publish.patchwork.post": (
        False,
        f"post patchwork checks on polled series (needs {SECRET_ENV['patchwork-token']})",
    ),
}


class Secret:
    """A value that never shows itself in a repr, a log line or a traceback."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def default_state_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reviewbot"


@dataclass(frozen=True)
class QueueSettings:
    backend: str
    redis_url: str
    name: str
    retries: int
    retry_delay: int
    retry_backoff: int
    lease: int
    job_timeout: int  # seconds


@dataclass(frozen=True)
class GitHubSettings:
    webhook: bool
    secret: Secret | None
    api_url: str
    repositories: tuple[str, ...]
    timeout: int
    post: bool
    check_name: str
    details_url: str  # empty: a link to the review when serve.public-url is set


@dataclass(frozen=True)
class PatchworkSettings:
    url: str  # empty: no poller
    project: str
    api_version: str
    interval: int
    since: str
    post: bool
    context: str
    target_url: str  # empty: a link to the review when serve.public-url is set


@dataclass(frozen=True)
class LoreSettings:
    url: str  # lore base address (the common key lore.url)
    list: str  # empty: no poller
    interval: int
    settle: int
    timeout: int


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    host: str
    port: int
    workers: int
    max_body: int
    max_patch_bytes: int
    log_format: str
    public_url: str
    store_path: Path
    queue: QueueSettings
    github: GitHubSettings
    patchwork: PatchworkSettings
    lore: LoreSettings
    review: ReviewOptions
    origins: dict[str, str] = field(default_factory=dict)  # key -> where it was set

    @property
    def queue_path(self) -> Path:
        return self.state_dir / "queue.db"

    def review_url(self, review: int | str) -> str | None:
        """The address of a review on this service (GET /reviews/{id}), by its number or
        its job's id (what a posted check links to: the number is not known yet when the
        check is posted); None without serve.public-url."""
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/reviews/{urllib.parse.quote(str(review), safe='')}"


_ALL_KEYS = {*SERVICE_KEYS, *configuration.DEFAULTS}


class _Layers:
    """The common configuration and the service keys, filled in order from each source."""

    def __init__(self) -> None:
        self.common = configuration.Config()
        self.values: dict[str, Value] = {k: v for k, (v, _) in SERVICE_KEYS.items()}
        self.origins: dict[str, str] = {}

    def set(self, key: str, raw: Any, origin: str) -> None:
        if key in SERVICE_KEYS:
            self.values[key] = configuration.coerce(key, raw, origin, SERVICE_KEYS)
            self.origins[key] = origin
        elif key in configuration.DEFAULTS:
            self.common.set(key, raw, origin)
        else:
            raise ConfigError(f"{origin}: unknown configuration key {key!r}")

    def read(self, path: Path) -> None:
        table = configuration.read_toml(path)
        for key, value in configuration.flatten(table, keys=_ALL_KEYS):
            self.set(key, value, str(path))

    def text(self, key: str) -> str:
        value = self.values[key]
        return value if isinstance(value, str) else str(value)

    def number(self, key: str, minimum: int = 0) -> int:
        value = self.values[key]
        assert isinstance(value, int)
        if value < minimum:
            where = self.origins.get(key, "default")
            raise ConfigError(f"{where}: {key} = {value}: must be at least {minimum}")
        return value

    def flag(self, key: str) -> bool:
        return bool(self.values[key])

    def words(self, key: str) -> tuple[str, ...]:
        value = self.values[key]
        return tuple(value) if isinstance(value, list) else (str(value),)


def _bind(text: str, origin: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) < 65536:
        raise ConfigError(f"{origin}: bind address {text!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def _choice(layers: _Layers, key: str, allowed: Sequence[str]) -> str:
    value = layers.text(key)
    if value not in allowed:
        where = layers.origins.get(key, "default")
        raise ConfigError(f"{where}: {key} = {value!r}: expected one of {', '.join(allowed)}")
    return value


def load(
    files: Sequence[Path] = (),
    overrides: Sequence[str] = (),
    *,
    bind: str | None = None,
    state_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults < each ``--config`` file < the environment < ``-c key=value`` < options."""
    environ = os.environ if env is None else env
    layers = _Layers()
    for path in files:
        layers.read(Path(path))
    for var, key in configuration.ENVIRONMENT.items():
        if environ.get(var):
            layers.common.set(key, environ[var], f"${var}")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"-c {item}: expected key=value")
        layers.set(key.strip(), value.strip(), f"-c {key.strip()}")
    if bind:
        layers.set("serve.bind", bind, "--bind")
    if state_dir is not None:
        layers.set("serve.state-dir", str(state_dir), "--state-dir")

    state = layers.text("serve.state-dir")
    state_path = Path(state).expanduser() if state else default_state_dir(environ)
    store = layers.text("store.path")
    host, port = _bind(layers.text("serve.bind"), layers.origins.get("serve.bind", "default"))
    secret = environ.get(SECRET_ENV["github-secret"], "")
    common = layers.common
    return Settings(
        state_dir=state_path,
        host=host,
        port=port,
        workers=layers.number("serve.workers"),
        max_body=layers.number("serve.max-body", 1),
        max_patch_bytes=layers.number("serve.max-patch-bytes", 1),
        log_format=_choice(layers, "serve.log-format", LOG_FORMATS),
        public_url=layers.text("serve.public-url"),
        store_path=Path(store).expanduser() if store else state_path / "reviewbot.db",
        queue=QueueSettings(
            backend=_choice(layers, "queue.backend", BACKENDS),
            redis_url=layers.text("queue.redis-url"),
            name=layers.text("queue.name"),
            retries=layers.number("queue.retries"),
            retry_delay=layers.number("queue.retry-delay"),
            retry_backoff=layers.number("queue.retry-backoff", 1),
            lease=layers.number("queue.lease", 1),
            job_timeout=layers.number("queue.job-timeout", 1),
        ),
        github=GitHubSettings(
            webhook=layers.flag("sources.github.webhook"),
            secret=Secret(secret) if secret else None,
            api_url=common.text("github.api-url").rstrip("/"),
            repositories=layers.words("sources.github.repositories"),
            timeout=layers.number("sources.github.timeout", 1),
            post=layers.flag("publish.github.post"),
            check_name=common.text("github.name"),
            details_url=common.text("github.details-url"),
        ),
        patchwork=PatchworkSettings(
            url=common.text("patchwork.url").rstrip("/"),
            project=common.text("patchwork.project"),
            api_version=common.text("patchwork.api-version"),
            interval=layers.number("sources.patchwork.interval", 1),
            since=layers.text("sources.patchwork.since"),
            post=layers.flag("publish.patchwork.post"),
            context=common.text("patchwork.context"),
            target_url=common.text("patchwork.target-url"),
        ),
        lore=LoreSettings(
            url=common.text("lore.url").rstrip("/"),
            list=layers.text("sources.lore.list").strip("/"),
            interval=layers.number("sources.lore.interval", 1),
            settle=layers.number("sources.lore.settle"),
            timeout=common.number("lore.timeout"),
        ),
        review=ReviewOptions(
            kernel=common.text("review.kernel") or None,
            select=tuple(common.words("rules.select")),
            ignore=tuple(common.words("rules.ignore")),
            rule_dirs=tuple(common.words("rules.dirs")),
        ),
        origins={**common.origins, **layers.origins},
    )


def check_secrets(
    settings: Settings, *, webhook: bool, publish: bool, env: Mapping[str, str] | None = None
) -> None:
    """Fail at start-up, naming the variable, when a secret that is needed is missing.

    ``webhook``: this process serves the webhook; ``publish``: it runs reviews (and posts).
    """
    environ = os.environ if env is None else env
    if webhook and settings.github.webhook and settings.github.secret is None:
        raise ConfigError(
            f"sources.github.webhook is on: set {SECRET_ENV['github-secret']} to the webhook's "
            "secret (or set sources.github.webhook = false)"
        )
    token = SECRET_ENV["github-token"]
    if publish and settings.github.post and not environ.get(token):
        raise ConfigError(f"publish.github.post is on: set {token}")
    if publish and settings.patchwork.post:
        token = SECRET_ENV["patchwork-token"]
        if not environ.get(token):
            raise ConfigError(f"publish.patchwork.post is on: set {token}")
        if not settings.patchwork.url:
            raise ConfigError("publish.patchwork.post is on: set patchwork.url")
    if settings.patchwork.url and not settings.patchwork.url.startswith(("http://", "https://")):
        raise ConfigError(f"patchwork.url = {settings.patchwork.url!r}: expected http(s)://HOST")
