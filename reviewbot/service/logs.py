"""Structured logs: one line per event on stderr, JSON or logfmt, never a secret.

Every module logs through the standard :mod:`logging` API; events carry their fields in
``extra={"fields": {...}}`` (see :func:`event`). The formatter writes ``ts``, ``level``,
``logger``, ``event`` and the fields on one line; uvicorn's and huey's own records go
through the same formatter. As a last line of defence, the value of every secret
variable of the environment is replaced by ``[redacted]`` wherever it would appear.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from reviewbot.config import SECRET_ENV

REDACTED = "[redacted]"


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` (``job.queued``, ``poll.patchwork``...) with its fields."""
    logger.log(level, name, extra={"fields": fields})


class _Formatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is redacted whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def record_fields(self, record: logging.LogRecord) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            for key, value in extra.items():
                out[str(key)] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["error"] = f"{type(exc).__name__}: {exc}"
            out["traceback"] = self.formatException(record.exc_info)
        return out


class JsonFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return self.redact(json.dumps(self.record_fields(record), default=str, ensure_ascii=False))


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c in text for c in ' "=\\\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = self.record_fields(record)
        return self.redact(" ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items()))


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The values of the secret variables, and of any REVIEWBOT_* variable that looks like one."""
    environ = os.environ if env is None else env
    names = set(SECRET_ENV.values())
    names.update(
        n
        for n in environ
        if n.startswith("REVIEWBOT_") and any(w in n for w in ("SECRET", "TOKEN", "PASSWORD"))
    )
    return [environ[n] for n in names if environ.get(n)]


def configure(
    fmt: str = "json",
    level: int = logging.INFO,
    stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr), one line each; returns the handler."""
    formatter: logging.Formatter = (
        LogfmtFormatter(secret_values(env))
        if fmt == "logfmt"
        else JsonFormatter(secret_values(env))
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_reviewbot", False):
            root.removeHandler(old)
    handler._reviewbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # huey logs every task start and end at INFO; our own job events say more.
    logging.getLogger("huey").setLevel(logging.WARNING)
    return handler
