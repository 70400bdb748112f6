"""The one adapter around b4: fetch the thread of a message-id from a lore-shaped server.

b4 has no stable library API, so it runs as a program (the ``b4`` beside the running
Python, else the one on PATH), pinned to 0.16 in pyproject.toml. What b4 0.16 does for
``b4 mbox -C <msgid>`` (through liblore 0.10): ``GET <base>/all/<msgid>/t.mbox.gz``; on a
404, ``HEAD <base>/<msgid>/`` to discover the list path; it then keeps the messages of
the thread that are linked to <msgid> and writes them out. Errors go to stderr as
"Could not retrieve thread: Server returned an error: 404" or "... All hosts failed for
<url>: <requests error>", with exit status 1.

Each call is isolated from the user's b4 and git configuration, which could otherwise
send the request elsewhere (``b4.midmask``, liblore ``fallback`` mirrors, a repository's
``.b4-config``): b4 runs in an empty temporary directory with HOME and the XDG
directories there, no system or global git config, no inherited ``GIT_*`` variables,
and its settings given through git's ``GIT_CONFIG_COUNT`` environment (b4 and liblore
read their settings with ``git config``, which honours it). The thread is saved as a
maildir (``-M``), which has none of the mbox ``From `` quoting ambiguities.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from reviewbot.errors import FetchError, UsageError
from reviewbot.parse.mail import Mail, parse_mail

_LOOPBACK = "127.0.0.1,localhost,::1"


def lore_base(url: str) -> str:
    """``https://lore.kernel.org`` from what a user may write (``.../``, ``.../all``)."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"lore URL {url!r}: not an http(s) address")
    path = parsed.path.rstrip("/")
    path = path.removesuffix("/all")
    return f"{parsed.scheme}://{parsed.netloc}{path}"


def b4_executable() -> str | None:
    """The b4 installed with reviewbot (beside sys.executable), else the one on PATH."""
    beside = Path(sys.executable).parent / "b4"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("b4")


def _environment(home: Path, base: str, timeout: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "B4_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    # A proxy configured for the outside world has no business with a loopback server.
    for name in ("no_proxy", "NO_PROXY"):
        env[name] = f"{env[name]},{_LOOPBACK}" if env.get(name) else _LOOPBACK
    parsed = urllib.parse.urlsplit(base)
    origin = f"{parsed.scheme}://{parsed.netloc}"
    settings = {
        "b4.midmask": f"{base}/all/%s",
        f"liblore.{origin}.requesttimeout": f"{min(timeout, 10.0):g},{timeout:g}",
        f"liblore.{origin}.autoprobe": "false",
    }
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for i, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _reason(stderr: str) -> str:
    """A few words on why a request failed, from the requests error b4 prints."""
    text = stderr.lower()
    if "connection refused" in text:
        return "connection refused"
    if "timed out" in text or "timeout" in text:
        return "timed out"
    if any(s in text for s in ("name or service not known", "nameresolution", "name resolution")):
        return "host not found"
    if "ssl" in text or "certificate" in text:
        return "TLS error"
    return "connection failed"


def _failure(msgid: str, base: str, stderr: str) -> FetchError:
    status = re.search(r"Server returned an error: (\d+)", stderr)
    if status and status.group(1) == "404":
        return FetchError(f"{msgid}: no such message on {base} (HTTP 404)")
    if status:
        return FetchError(f"{msgid}: {base} answered HTTP {status.group(1)}")
    if "All hosts failed" in stderr or "Request to" in stderr:
        return FetchError(f"{msgid}: cannot reach {base}: {_reason(stderr)}")
    if "No messages found" in stderr:
        return FetchError(f"{msgid}: no messages found on {base}")
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    return FetchError(f"{msgid}: b4 could not fetch the thread from {base}: {last}")


def fetch_thread(msgid: str, *, lore_url: str, timeout: float = 60) -> list[Mail]:
    """The messages of the thread of ``msgid`` (bare, no angle brackets), through b4.

    Raises FetchError (one line naming the message-id and the server) when the message is
    unknown, the server unreachable or slower than ``timeout`` seconds, or b4 missing.
    """
    base = lore_base(lore_url)
    b4 = b4_executable()
    if b4 is None:
        raise FetchError(f"{msgid}: cannot fetch from {base}: the b4 program is not installed")
    with tempfile.TemporaryDirectory(prefix="reviewbot-b4-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        out = work / "out"
        out.mkdir()
        # b4 -n: never prompt; --no-stdin: never read stdin. mbox -C: no cache; -M: save a
        # maildir; -n thread: its name.
        argv = [b4, "-n", "--no-stdin", "mbox", "-C", "-M", "-o", str(out), "-n", "thread"]
        try:
            done = subprocess.run(
                [*argv, "--", msgid],
                cwd=work,
                env=_environment(home, base, timeout),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise FetchError(
                f"{msgid}: timed out after {timeout:g} s fetching from {base}"
            ) from None
        except OSError as exc:
            raise FetchError(f"{msgid}: cannot run {b4}: {exc.strerror or exc}") from None
        stderr = done.stderr.decode("utf-8", "replace")
        thread = out / "thread"
        if done.returncode != 0 or not thread.is_dir():
            raise _failure(msgid, base, stderr)
        mails: list[Mail] = []
        for sub in ("new", "cur"):
            for entry in sorted((thread / sub).iterdir()):
                mail = parse_mail(entry.read_bytes(), base)
                mails.append(dataclasses.replace(mail, where=f"{base}/all/{mail.msgid}/"))
    if not mails:
        raise FetchError(f"{msgid}: no messages found on {base}")
    return mails
