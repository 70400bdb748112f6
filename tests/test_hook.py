"""``reviewbot install-hook`` and the hook under Debian's real ``git send-email``.

git send-email runs with --dry-run, --confirm=never and --smtp-server=/bin/true: nothing
leaves the machine, and the hook runs exactly as it would before a real sending.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from checkrepo import BIN, CLEAN, KernelRepo

HOOK = Path(".git") / "hooks" / "sendemail-validate"


def _has_mail_address() -> bool:
    done = subprocess.run(["perl", "-MMail::Address", "-e1"], capture_output=True, check=False)
    return done.returncode == 0


def _has_send_email() -> bool:
    found = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False)
    return (Path(found.stdout.strip()) / "git-send-email").is_file()


# Debian's git-email only recommends libmailtools-perl, without which send-email stops
# when it reads the addresses (after the hook ran); .ci/run installs both.
needs_send_email = pytest.mark.skipif(
    not (_has_send_email() and _has_mail_address()),
    reason="git send-email is not usable (Debian: git-email, libmailtools-perl)",
)


@pytest.fixture
def repo(tmp_path: Path) -> KernelRepo:
    kr = KernelRepo(tmp_path)
    kr.series()  # topic: a clean commit, then a bad one
    return kr


def test_install_writes_an_executable_hook_once(repo: KernelRepo) -> None:
    first = repo.reviewbot("install-hook")
    assert first.returncode == 0, first.stderr
    hook = repo.path / HOOK
    assert first.stdout == f"reviewbot: {hook}: installed\n"
    assert os.access(hook, os.X_OK)
    text = hook.read_text()
    assert text.startswith("#!/bin/sh\n")
    # The reviewbot that installed it, by absolute path: works without an activated venv.
    assert f'exec {BIN / "reviewbot"} check --format checkpatch --fail-on error "$1"' in text

    again = repo.reviewbot("install-hook")
    assert again.returncode == 0
    assert again.stdout == f"reviewbot: {hook}: already installed, unchanged\n"
    assert hook.read_text() == text


def test_core_hooks_path_is_respected(repo: KernelRepo) -> None:
    repo.git("config", "core.hooksPath", "tools/hooks")
    done = repo.reviewbot("install-hook", cwd=repo.path / "mm")  # from a subdirectory
    assert done.returncode == 0, done.stderr
    assert (repo.path / "tools" / "hooks" / "sendemail-validate").is_file()
    assert not (repo.path / HOOK).exists()


def test_a_foreign_hook_is_kept_unless_forced(repo: KernelRepo) -> None:
    hook = repo.path / HOOK
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text('#!/bin/sh\nexec my-own-checks "$1"\n')
    refused = repo.reviewbot("install-hook")
    assert refused.returncode == 2
    assert "not reviewbot's is already there" in refused.stderr and "--force" in refused.stderr
    assert "my-own-checks" in hook.read_text()

    forced = repo.reviewbot("install-hook", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "reviewbot sendemail-validate hook" in hook.read_text()
    assert "my-own-checks" in (hook.parent / "sendemail-validate.orig").read_text()


def test_an_older_hook_of_ours_is_updated(repo: KernelRepo) -> None:
    repo.reviewbot("install-hook")
    hook = repo.path / HOOK
    hook.write_text(hook.read_text().replace(str(BIN), "/old/venv/bin"))
    done = repo.reviewbot("install-hook")
    assert done.stdout.endswith(": updated\n")
    assert "/old/venv/bin" not in hook.read_text()


def _send(repo: KernelRepo, *revs: str) -> subprocess.CompletedProcess[str]:
    return repo.run(
        [
            "git",
            "send-email",
            "--dry-run",
            "--confirm=never",
            "--to=maintainer@example.org",
            "--from=Jane Developer <jane@example.org>",
            "--smtp-server=/bin/true",
            "--no-chain-reply-to",
            *revs,
        ]
    )


@needs_send_email
def test_send_email_is_stopped_by_an_error(repo: KernelRepo) -> None:
    assert repo.reviewbot("install-hook").returncode == 0
    done = _send(repo, "--cover-letter", "master..HEAD")
    assert done.returncode != 0
    assert "ERROR:MM001: removed-rmap-api: page_dup_rmap() does not exist" in done.stderr
    assert "rejected by sendemail-validate hook" in done.stderr
    assert "no patches were sent" in done.stderr
    assert "Result: OK" not in done.stdout


@needs_send_email
def test_send_email_lets_a_clean_series_through(tmp_path: Path) -> None:
    repo = KernelRepo(tmp_path)
    repo.topic()
    repo.commit("mm/memory: explain the file rmap dup", CLEAN)
    assert repo.reviewbot("install-hook").returncode == 0
    out = tmp_path / "outgoing"
    repo.git("format-patch", "-q", "--cover-letter", "-o", str(out), "master..HEAD")
    cover = out / "0000-cover-letter.patch"
    cover.write_text(cover.read_text().replace("*** SUBJECT HERE ***", "mm/memory: comments"))
    done = _send(repo, *sorted(str(p) for p in out.iterdir()))
    assert done.returncode == 0, done.stderr
    assert "Subject: [PATCH 0/1] mm/memory: comments" in done.stdout  # no diff: not checked
    assert "Subject: [PATCH 1/1] mm/memory: explain the file rmap dup" in done.stdout
    assert done.stdout.count("Result: OK") == 2


@needs_send_email
def test_the_hook_reads_the_repository_configuration(repo: KernelRepo) -> None:
    """git runs the hook with GIT_DIR set, in the work tree: its config is the one read."""
    assert repo.reviewbot("install-hook").returncode == 0
    repo.git("config", "reviewbot.rules.ignore", "MM001")
    done = _send(repo, "master..HEAD")
    assert done.returncode == 0, done.stderr
    assert "Subject: [PATCH 2/2] mm/memory: use page_dup_rmap() for file pages" in done.stdout
