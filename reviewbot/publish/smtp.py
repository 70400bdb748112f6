"""Email replies: sent over SMTP when asked and a sender is configured, else written as files.

The messages are :mod:`reviewbot.report.email`'s. Sending needs ``post`` and a configured
sender and host (as ``git send-email`` users set them: :meth:`SmtpConfig.from_git` reads
``sendemail.*``); the password comes from the environment. Without them the messages are
written as ``.eml`` files to a folder. Findings already mailed for this revision are left
out, and a reply with nothing new is not sent again.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from reviewbot.config import SECRET_ENV
from reviewbot.errors import ConfigError, InputError, PublishError, UsageError
from reviewbot.findings import Finding, Report
from reviewbot.publish import Delivery
from reviewbot.publish.record import PostedRecord, revision_key
from reviewbot.report import RenderOptions
from reviewbot.report import email as render_email

TARGET = "email"
Encryption = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None = None
    port: int | None = None  # default: 465 for ssl, else 587
    encryption: Encryption = "starttls"
    user: str | None = None
    sender: str | None = None  # our From address; sending needs it
    password_env: str = SECRET_ENV["smtp-password"]
    timeout: float = 30.0
    cafile: str | None = None  # a CA bundle for a server with a private CA (else the system's)

    def __post_init__(self) -> None:
        if self.encryption not in ("starttls", "ssl", "none"):
            raise ConfigError(f"smtp encryption {self.encryption!r}: one of starttls, ssl, none")

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.encryption == "ssl" else 587)

    @classmethod
    def from_git(cls, repo: Path | None = None, **overrides: object) -> SmtpConfig:
        """From ``git config sendemail.*`` (smtpServer, smtpServerPort, smtpEncryption,
        smtpUser, smtpSslCertPath, from), as ``git send-email`` reads them; ``overrides``
        win. (A directory in smtpSslCertPath is not supported: give a bundle file.)"""

        def get(key: str) -> str | None:
            try:
                done = subprocess.run(
                    ["git", "config", "--get", f"sendemail.{key}"],
                    cwd=repo,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            except OSError:
                return None
            return (done.stdout.strip() or None) if done.returncode == 0 else None

        port = get("smtpServerPort")
        # git send-email says "tls" for STARTTLS and "ssl" for SMTPS.
        enc = {"tls": "starttls", "ssl": "ssl"}.get((get("smtpEncryption") or "").lower(), "none")
        values: dict[str, object] = {
            "host": get("smtpServer"),
            "port": int(port) if port and port.isdigit() else None,
            "encryption": enc if get("smtpServer") else "starttls",
            "user": get("smtpUser"),
            "sender": get("from"),
            "cafile": get("smtpSslCertPath"),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def write_eml(messages: Iterable[EmailMessage], directory: Path) -> list[Path]:
    """Write one ``.eml`` per message into ``directory`` (created when missing)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, msg in enumerate(messages, start=1):
            path = directory / render_email.filename(msg, n)
            path.write_bytes(render_email.as_bytes(msg))
            paths.append(path)
    except OSError as exc:
        # a local folder the user named: unusable output (exit 2), not an unreachable far end
        raise InputError(f"email: cannot write to {directory}: {exc.strerror}") from None
    return paths


SmtpFactory = Callable[[SmtpConfig], smtplib.SMTP]


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    host, port = config.host or "", config.effective_port
    context = ssl.create_default_context(cafile=config.cafile)
    if config.encryption == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=config.timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=config.timeout)
    if config.encryption == "starttls":
        try:
            smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
    return smtp


class SmtpPublisher:
    def __init__(
        self,
        config: SmtpConfig,
        *,
        record: PostedRecord | None = None,
        dry_run: bool = False,
        env: Mapping[str, str] | None = None,
        connect: SmtpFactory = _connect,
    ) -> None:
        self.config = config
        self.record = record
        self.dry_run = dry_run
        self.env = os.environ if env is None else env
        self.connect = connect

    @property
    def can_send(self) -> bool:
        return bool(self.config.sender and self.config.host)

    def _options(self, options: RenderOptions) -> RenderOptions:
        if not self.config.sender:
            return options
        return replace(options, extra={**options.extra, "from": self.config.sender})

    def publish(
        self,
        report: Report,
        options: RenderOptions | None = None,
        *,
        post: bool = False,
        outdir: Path | None = None,
    ) -> list[Delivery]:
        """Send the replies (``post`` and a sender and host configured), else write them
        to ``outdir``. Findings already mailed for this revision are left out."""
        options = self._options(options or RenderOptions())
        sending = post and self.can_send
        if not sending and outdir is None:
            raise UsageError(
                "email: nothing to send with (set the SMTP host and sender), "
                "and no folder to write the messages to (-o DIR)"
            )
        record_target = f"email {self.config.sender}"
        revision = revision_key(report.series)
        out: list[Delivery] = []
        replies = render_email.replies(report, options)
        if sending and self.record:
            sent = {f.fingerprint for _, fs in replies for f in fs}
            sent -= set(self.record.missing(record_target, revision, sorted(sent)))
            for msg, fs in replies:
                if all(f.fingerprint in sent for f in fs):
                    what = f"reply to {msg['In-Reply-To']}"
                    out.append(Delivery(TARGET, what, "already posted", "", str(msg["Subject"])))
            if sent:
                # Mail only what is new: a reply keeps the findings not yet sent, if any.
                kept = tuple(f for f in report.findings if f.fingerprint not in sent)
                replies = render_email.replies(replace(report, findings=kept), options)
        if sending:
            return out + self._send(replies, record_target, revision)
        assert outdir is not None
        if self.dry_run:
            return [
                Delivery(
                    TARGET,
                    f"write {outdir / render_email.filename(msg, n)}",
                    "dry-run",
                    render_email.as_bytes(msg).decode("utf-8"),
                )
                for n, (msg, _) in enumerate(replies, start=1)
            ]
        paths = write_eml((msg for msg, _ in replies), outdir)
        return [Delivery(TARGET, f"write {p}", "written") for p in paths]

    def _send(
        self,
        replies: list[tuple[EmailMessage, list[Finding]]],
        record_target: str,
        revision: str,
    ) -> list[Delivery]:
        out: list[Delivery] = []
        where = f"smtp {self.config.host}:{self.config.effective_port}"
        if self.dry_run or not replies:
            return [
                Delivery(
                    TARGET,
                    f"{where} to {msg['To']}",
                    "dry-run",
                    render_email.as_bytes(msg).decode("utf-8"),
                    str(msg["Subject"]),
                )
                for msg, _ in replies
            ]
        password = self.env.get(self.config.password_env, "")
        if self.config.user and not password:
            raise PublishError(f"email {where}: no password: set {self.config.password_env}")
        try:
            smtp = self.connect(self.config)
            try:
                if self.config.user:
                    smtp.login(self.config.user, password)
                for msg, findings in replies:
                    smtp.send_message(msg)
                    if self.record:
                        self.record.add(record_target, revision, [f.fingerprint for f in findings])
                    what = f"{where} to {msg['To']}"
                    out.append(Delivery(TARGET, what, "sent", "", str(msg["Subject"])))
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):  # already gone: nothing to say
                    smtp.close()
        except smtplib.SMTPAuthenticationError:
            raise PublishError(f"email {where}: login as {self.config.user} refused") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise PublishError(f"email {where}: {type(exc).__name__}: {exc}") from None
        return out
