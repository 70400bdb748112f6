"""Configuration: built-in defaults < user file < ``--config FILE`` < environment < ``-c``.

Every key is declared in :data:`DEFAULTS` with a comment; an unknown key is an error
naming it and where it came from. Secrets never live here: they come from the
environment only, read where they are used.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
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
}

# Environment variables that set keys (secrets are not keys: see the publishers).
ENVIRONMENT: dict[str, str] = {"REVIEWBOT_LORE_URL": "lore.url"}

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
        self.values[key] = _coerce(key, raw, origin)
        self.origins[key] = origin


def _coerce(key: str, raw: Any, origin: str) -> Value:
    default = DEFAULTS[key][0]
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return raw.lower() in ("1", "true", "yes", "on")
    elif isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            return int(raw)
    elif isinstance(default, list):
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        if isinstance(raw, str):
            return [x.strip() for x in raw.split(",") if x.strip()]
    elif isinstance(raw, str):
        return raw
    raise ConfigError(f"{origin}: {key} = {raw!r}: expected {type(default).__name__}")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not any(k == key for k in DEFAULTS):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def read_file(config: Config, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for key, value in _flatten(data):
        config.set(key, value, str(path))


def load(
    files: Iterable[Path] = (),
    overrides: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    user_file: Path | None = USER_FILE,
) -> Config:
    """Layer the sources; ``overrides`` are ``key=value`` strings from ``-c``."""
    config = Config()
    if user_file is not None and user_file.is_file():
        read_file(config, user_file)
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
