"""Configuration: built-in defaults < user file < ``--config FILE`` < environment < ``-c``.

Inside a git work tree (``reviewbot check``), two more layers, as b4 reads ``.b4-config``
and ``git config b4.*``: defaults < the repository file ``.reviewbot.toml`` at the top of
the work tree (the project's settings, shared with everyone who clones it; it may set only
the keys of :data:`REPO_FILE_KEYS`) < user file <
``git config reviewbot.*`` (system < global < local, as git layers them) < ``--config``...
A git config name is ``reviewbot.`` and the TOML key: ``review.fail-on`` is
``git config reviewbot.review.fail-on error`` (git reads the middle as a subsection, so
the file says ``[reviewbot "review"] fail-on = error``); list keys may be given several
times (``git config --add``) or comma-separated.

Every key is declared in :data:`DEFAULTS` with a comment; an unknown key is an error
naming it and where it came from. Secrets never live here: they come from the
environment only, read where they are used.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError

Value = str | int | bool | list[str]

# key -> (default, why it exists). Later subsystems add their keys here.
DEFAULTS: dict[str, tuple[Value, str]] = {
    "lore.url": (
        "https://lore.kernel.org",
        "lore base address; threads come from URL/all/<msgid>/",
    ),
    "lore.timeout": (60, "seconds before a fetch from lore gives up"),
    "review.format": ("text", "output format when --format is not given"),
    "review.fail-on": ("warning", "lowest severity that makes the exit status 1"),
    "review.kernel": ("", "target kernel (MAJOR.MINOR); empty: infer from the patch"),
    "rules.select": ([], "rule codes, code prefixes or names to run; empty: all"),
    "rules.ignore": ([], "rule codes, code prefixes or names never to run"),
    "rules.dirs": ([], "extra rule pack directories, as --rules DIR"),
    "output.color": ("auto", "auto (on a tty), always or never"),
    "output.rule-doc-url": ("", "where rule docs are published, with {code}; empty: link lore"),
    # Publishers (--publish NAME; nothing is sent without --post). Tokens and passwords
    # come from the environment only: see SECRET_ENV.
    "publish.record": ("", "file recording what was posted; empty: the user data folder"),
    "patchwork.url": ("", "patchwork instance, e.g. https://patchwork.kernel.org"),
    "patchwork.project": ("", "project linkname, narrows the message-id look-up"),
    "patchwork.api-version": ("1.3", "patchwork REST API version"),
    "patchwork.context": ("reviewbot", "the check's context name"),
    "patchwork.target-url": ("", "link to the full report; may use {msgid}, {index}, {patch_id}"),
    "github.repo": ("", "OWNER/NAME of the repository to post a check run on"),
    "github.head-sha": ("", "the commit the check run is for (a pull request's head)"),
    "github.api-url": ("https://api.github.com", "GitHub API base (Enterprise: HOST/api/v3)"),
    "github.name": ("reviewbot", "the check run's name"),
    "github.details-url": ("", "link from the check run to the full report"),
    "email.from": ("", "our From address; sending needs it (else git's sendemail.from)"),
    "email.to": ([], "recipients instead of the patch's author"),
    "email.cc": ([], "Cc instead of the patch's recipients"),
    "email.all": (False, "write every finding, not only high-confidence stable ones"),
    "smtp.host": ("", "SMTP server; empty: git's sendemail.smtpServer"),
    "smtp.port": (0, "SMTP port; 0: 465 for ssl, else 587"),
    "smtp.encryption": ("", "starttls, ssl or none; empty: git's sendemail.smtpEncryption"),
    "smtp.user": ("", "SMTP user; empty: git's sendemail.smtpUser"),
}

# Environment variables that set keys (secrets are not keys: see SECRET_ENV).
ENVIRONMENT: dict[str, str] = {"REVIEWBOT_LORE_URL": "lore.url"}

# The secrets, each read from its environment variable only, where it is used: the one
# place their names are written (publishers, the service and its logs' redaction use it).
SECRET_ENV: dict[str, str] = {
    "github-secret": "REVIEWBOT_GITHUB_SECRET",  # the GitHub webhook's shared secret (serve)
    "github-token": "REVIEWBOT_GITHUB_TOKEN",  # posting check runs
    "patchwork-token": "REVIEWBOT_PATCHWORK_TOKEN",  # posting patchwork checks
    "smtp-password": "REVIEWBOT_SMTP_PASSWORD",  # sending email
}

USER_FILE = (
    Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "reviewbot" / "config.toml"
)


@dataclass
class Config:
    values: dict[str, Value] = field(
        default_factory=lambda: {k: v for k, (v, _) in DEFAULTS.items()}
    )
    origins: dict[str, str] = field(default_factory=dict)  # key -> where its value came from

    def get(self, key: str) -> Value:
        return self.values[key]

    def text(self, key: str) -> str:
        value = self.values[key]
        return value if isinstance(value, str) else str(value)

    def words(self, key: str) -> list[str]:
        value = self.values[key]
        return list(value) if isinstance(value, list) else [str(value)]

    def number(self, key: str) -> int:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return value

    def set(self, key: str, raw: Any, origin: str) -> None:
        if key not in DEFAULTS:
            raise ConfigError(f"{origin}: unknown configuration key {key!r}")
        self.values[key] = coerce(key, raw, origin)
        self.origins[key] = origin


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def coerce(
    key: str, raw: Any, origin: str, defaults: Mapping[str, tuple[Value, str]] = DEFAULTS
) -> Value:
    """``raw`` (from TOML, git config or ``-c``) as the type of ``key``'s default in
    ``defaults``; a ConfigError naming the key, the value and ``origin`` otherwise."""
    default = defaults[key][0]
    want = type(default).__name__
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in (*_TRUE, *_FALSE):
            return raw.lower() in _TRUE
    elif isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        digits = raw.strip().removeprefix("-") if isinstance(raw, str) else ""
        # isdigit() alone takes "²" and other Unicode digits that int() refuses
        if digits.isascii() and digits.isdigit():
            return int(raw)
    elif isinstance(default, list):
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        if isinstance(raw, str):
            return [x.strip() for x in raw.split(",") if x.strip()]
        want = "list of strings"
    elif isinstance(raw, str):
        return raw
    raise ConfigError(f"{origin}: {key} = {raw!r}: expected {want}")


def flatten(
    table: Mapping[str, Any], prefix: str = "", keys: Container[str] = DEFAULTS
) -> Iterable[tuple[str, Any]]:
    """``(dotted key, value)`` of a TOML table; a table at a name in ``keys`` is a value
    (that coerce refuses, naming the key), not more keys."""
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in keys:
            yield from flatten(value, key + ".", keys)
        else:
            yield key, value


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table; a missing or broken file is a ConfigError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def read_file(config: Config, path: Path, only: tuple[str, ...] | None = None) -> None:
    """Read a TOML file; with ``only``, keys outside it (names, or prefixes ending in ``.``)
    are refused."""
    for key, value in flatten(read_toml(path)):
        if only is not None and key in DEFAULTS and not _listed(key, only):
            raise ConfigError(
                f"{path}: {key} cannot be set in a repository file, which comes with a clone: "
                f"only {', '.join(k + '*' if k.endswith('.') else k for k in only)} can; "
                f"set it in {USER_FILE} or with git config {GIT_SECTION}.{key}"
            )
        config.set(key, value, str(path))


REPO_FILE = ".reviewbot.toml"
# What a repository file may set. It comes with a clone, so it chooses how the review is
# done, never which code runs (rules.dirs) nor where data or credentials go (publishers,
# SMTP, record files): like b4's .b4-config, an allowlist, so that new keys start refused.
REPO_FILE_KEYS: tuple[str, ...] = ("review.", "rules.select", "rules.ignore", "output.", "lore.")
GIT_SECTION = "reviewbot"


def _listed(key: str, names: tuple[str, ...]) -> bool:
    return any(key == n or (n.endswith(".") and key.startswith(n)) for n in names)


def read_git_config(config: Config, entries: Iterable[tuple[str, str, str]]) -> None:
    """``(name, value, origin)`` entries of ``git config reviewbot.*``, in git's order."""
    lists: dict[str, list[str]] = {}
    for name, value, origin in entries:
        key = name.removeprefix(GIT_SECTION + ".")
        where = f"{origin} (git config {name})"
        default = DEFAULTS.get(key, (None, ""))[0]
        if isinstance(default, list):  # multi-valued in git: every value counts
            values = coerce(key, value, where)
            assert isinstance(values, list)
            lists.setdefault(key, []).extend(values)
            config.set(key, lists[key], where)
        else:
            config.set(key, value, where)


def load(
    files: Iterable[Path] = (),
    overrides: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    user_file: Path | None = USER_FILE,
    *,
    repo_file: Path | None = None,
    git_config: Iterable[tuple[str, str, str]] = (),
) -> Config:
    """Layer the sources; ``overrides`` are ``key=value`` strings from ``-c``.

    ``repo_file`` is a work tree's ``.reviewbot.toml`` (read when it exists), ``git_config``
    the ``git config reviewbot.*`` entries (see :func:`read_git_config`)."""
    config = Config()
    if repo_file is not None and repo_file.is_file():
        read_file(config, repo_file, only=REPO_FILE_KEYS)
    if user_file is not None and user_file.is_file():
        read_file(config, user_file)
    read_git_config(config, git_config)
    for path in files:
        read_file(config, path)
    environ = os.environ if env is None else env
    for var, key in ENVIRONMENT.items():
        if environ.get(var):
            config.set(key, environ[var], f"${var}")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"-c {item}: expected key=value")
        config.set(key.strip(), value.strip(), f"-c {key.strip()}")
    return config
