"""Email replies over SMTP (aiosmtpd on 127.0.0.1), or as .eml files when not sending."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reports

from reviewbot.errors import PublishError, UsageError
from reviewbot.publish.record import PostedRecord
from reviewbot.publish.smtp import SmtpConfig, SmtpPublisher, write_eml
from reviewbot.report import RenderOptions
from reviewbot.report import email as render_email

controller_mod = pytest.importorskip("aiosmtpd.controller")
smtp_mod = pytest.importorskip("aiosmtpd.smtp")

SENDER = "Review Bot <bot@example.net>"
OPTIONS = RenderOptions(rules=reports.rules(), extra={"date": "Sun, 02 Mar 2025 10:00:00 +0000"})


class Inbox:
    """An aiosmtpd handler that keeps every envelope, and whether it came over TLS."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.tls.append(session.ssl is not None)
        return "250 OK"


class Logins:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        self.seen.append((auth.login.decode(), auth.password.decode()))
        return smtp_mod.AuthResult(success=auth.password == b"hunter2", handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtpd() -> Iterator[tuple[Inbox, Logins, int]]:
    inbox, logins, port = Inbox(), Logins(), _free_port()
    ctl = controller_mod.Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=logins,
        auth_require_tls=False,
    )
    ctl.start()
    yield inbox, logins, port
    ctl.stop()


def config(port: int, **kw: Any) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, encryption="none", sender=SENDER, **kw)


def test_sends_one_reply_per_patch_with_findings(smtpd: tuple[Inbox, Logins, int]) -> None:
    inbox, _, port = smtpd
    out = SmtpPublisher(config(port)).publish(reports.full(), OPTIONS, post=True)
    assert [d.state for d in out] == ["sent", "sent"]
    assert len(inbox.envelopes) == 2
    env = inbox.envelopes[1]
    assert env.mail_from == "bot@example.net"
    assert set(env.rcpt_tos) == {
        "jane@example.org",
        "akpm@linux-foundation.org",
        "linux-mm@kvack.org",
        "linux-kernel@vger.kernel.org",
        "david@redhat.com",
    }
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["From"] == SENDER
    assert msg["Subject"] == "Re: [PATCH v2 1/3] mm/memory: take the page reference after the dup"
    assert msg["In-Reply-To"] == "<20250301120000.1000-2-jane@example.org>"
    assert "> +\t\tget_page(page);" in msg.get_content()


def test_login_with_the_password_from_the_environment(smtpd: tuple[Inbox, Logins, int]) -> None:
    inbox, logins, port = smtpd
    env = {"REVIEWBOT_SMTP_PASSWORD": "hunter2"}
    SmtpPublisher(config(port, user="bot"), env=env).publish(reports.full(), OPTIONS, post=True)
    assert logins.seen == [("bot", "hunter2")] and len(inbox.envelopes) == 2
    with pytest.raises(PublishError, match="set REVIEWBOT_SMTP_PASSWORD"):
        SmtpPublisher(config(port, user="bot"), env={}).publish(reports.full(), OPTIONS, post=True)
    bad = {"REVIEWBOT_SMTP_PASSWORD": "wrong"}
    with pytest.raises(PublishError, match=r"^email smtp 127\.0\.0\.1:\d+: login as bot refused"):
        SmtpPublisher(config(port, user="bot"), env=bad).publish(reports.full(), OPTIONS, post=True)


def test_rerun_sends_nothing_twice(smtpd: tuple[Inbox, Logins, int], tmp_path: Path) -> None:
    inbox, _, port = smtpd
    with PostedRecord(tmp_path / "posted.sqlite") as record:
        SmtpPublisher(config(port), record=record).publish(reports.full(), OPTIONS, post=True)
        again = SmtpPublisher(config(port), record=record).publish(
            reports.full(), OPTIONS, post=True
        )
        assert len(inbox.envelopes) == 2
        assert [d.state for d in again] == ["already posted", "already posted"]


def test_dry_run_sends_nothing(smtpd: tuple[Inbox, Logins, int]) -> None:
    inbox, _, port = smtpd
    out = SmtpPublisher(config(port), dry_run=True).publish(reports.full(), OPTIONS, post=True)
    assert inbox.envelopes == []
    assert [d.state for d in out] == ["dry-run", "dry-run"]
    assert "Subject: Re: [PATCH v2 0/3]" in out[0].body


def test_without_a_sender_writes_eml_files(tmp_path: Path) -> None:
    publisher = SmtpPublisher(SmtpConfig(host="127.0.0.1", port=1))  # no sender: never sends
    out = publisher.publish(reports.full(), OPTIONS, post=True, outdir=tmp_path / "mail")
    files = sorted((tmp_path / "mail").iterdir())
    assert [d.state for d in out] == ["written", "written"]
    assert [f.name[:5] for f in files] == ["0001-", "0002-"]
    back = email.message_from_bytes(files[1].read_bytes(), policy=email.policy.default)
    assert back["In-Reply-To"] == "<20250301120000.1000-2-jane@example.org>"
    with pytest.raises(UsageError, match="-o DIR"):
        publisher.publish(reports.full(), OPTIONS, post=True)


def test_write_eml(tmp_path: Path) -> None:
    msgs = render_email.messages(reports.full(), OPTIONS)
    paths = write_eml(msgs, tmp_path)
    assert [p.read_bytes() for p in paths] == [render_email.as_bytes(m) for m in msgs]
    assert write_eml([], tmp_path / "empty") == []


def test_smtp_config_from_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text(
        "[sendemail]\n\tsmtpServer = smtp.example.org\n\tsmtpServerPort = 2525\n"
        "\tsmtpEncryption = tls\n\tsmtpUser = jane\n\tfrom = Jane <jane@example.org>\n"
    )
    cfg = SmtpConfig.from_git(tmp_path)
    assert (cfg.host, cfg.port, cfg.encryption, cfg.user, cfg.sender) == (
        "smtp.example.org",
        2525,
        "starttls",
        "jane",
        "Jane <jane@example.org>",
    )
    assert SmtpConfig.from_git(tmp_path, port=465, encryption="ssl").effective_port == 465


def test_starttls_before_login(tmp_path: Path) -> None:
    """A server that requires STARTTLS, with a certificate made for this test."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True,
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, logins, port = Inbox(), Logins(), _free_port()
    ctl = controller_mod.Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=logins,
    )
    ctl.start()
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=port, user="bot", sender=SENDER, cafile=str(cert))
        env = {"REVIEWBOT_SMTP_PASSWORD": "hunter2"}
        SmtpPublisher(cfg, env=env).publish(reports.full(), OPTIONS, post=True)
        assert inbox.tls == [True, True] and logins.seen == [("bot", "hunter2")]
        # without the CA the certificate is refused: one line naming the server
        plain = SmtpConfig(host="127.0.0.1", port=port, sender=SENDER)
        with pytest.raises(PublishError, match=r"^email smtp 127\.0\.0\.1:\d+: SSL"):
            SmtpPublisher(plain).publish(reports.full(), OPTIONS, post=True)
    finally:
        ctl.stop()
