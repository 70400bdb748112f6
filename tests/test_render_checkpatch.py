"""checkpatch lines, read back the way ``b4 prep --check`` reads them."""

from __future__ import annotations

import email.message
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import reports

from reviewbot.findings import Severity
from reviewbot.report import RenderOptions, renderer

OPTIONS = RenderOptions(rules=reports.rules())
# checkpatch --terse --showfile --show-types: "FILE:LINE: LEVEL:TYPE: message"
LINE = re.compile(
    r"^(?:(?P<path>[^:\s]+):(?:(?P<line>\d+):)? )?"
    r"(?P<level>ERROR|WARNING):(?P<code>[A-Z]+\d+): (?P<msg>.+)$"
)


def _render(report: object, options: RenderOptions = OPTIONS) -> str:
    return renderer("checkpatch")(report, options)  # type: ignore[arg-type]


def test_one_line_per_finding_at_warning_or_above() -> None:
    out = _render(reports.full())
    lines = out.splitlines()
    assert out.endswith("\n") and "" not in lines
    parsed = [LINE.match(ln) for ln in lines]
    assert all(parsed), lines
    found = [(m["level"], m["code"], m["path"], m["line"]) for m in parsed if m]
    assert ("ERROR", "MM002", "mm/memory.c", str(reports.LINE_GET)) in found
    assert ("ERROR", "MM001", "mm/memory.c", str(reports.LINE_REMOVED_API)) in found
    assert ("WARNING", "MM003", "mm/memory.c", str(reports.LINE_RETURN)) in found
    assert ("WARNING", "SR001", None, None) in found
    assert ("WARNING", "MM009", None, None) in found  # the rule that crashed
    assert not any(code == "MM010" for _, code, _, _ in found)  # info is omitted
    mm002 = next(ln for ln in lines if ":MM002:" in ln)
    assert "ref-before-dup: get_page() now comes after" in mm002
    assert "(take the reference before the dup, and drop it on -EBUSY)" in mm002


def test_clean_report_writes_nothing_at_all() -> None:
    assert _render(reports.clean()) == ""
    info_only = replace(reports.single_patch(reports.full(), 2), errors=())
    opts = RenderOptions(min_severity=Severity.INFO, include_preview=False)
    assert _render(info_only, opts) == ""


def _b4_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> list[tuple[str, str]]:
    """Run the output through b4's own per-patch check reader (b4 prep --check)."""
    b4 = pytest.importorskip("b4")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    b4._setup_main_config()
    out = tmp_path / "reviewbot.out"
    out.write_text(output)
    msg = email.message.EmailMessage()
    msg["Subject"] = "[PATCH v2 1/3] mm/memory: take the page reference after the dup"
    msg["Message-ID"] = "<20250301120000.1000-2-jane@example.org>"
    msg.set_content("patch\n")
    # The command ignores the patch on stdin and prints what reviewbot would have printed.
    cmd = [
        sys.executable,
        "-c",
        f"import sys; sys.stdin.read(); print(open({str(out)!r}).read(), end='')",
    ]
    result: list[tuple[str, str]] = b4.LoreMessage.run_local_check(cmd, "x", msg, nocache=True)
    return result


def test_b4_prep_check_counts_our_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patch1 = reports.single_patch(reports.full(), 1)
    output = _render(patch1)
    flags = _b4_reads(tmp_path, monkeypatch, output)
    assert [flag for flag, _ in flags] == ["warning", "fail", "fail"]  # in line order
    assert all(text.split(": ", 1)[1] in output for _, text in flags)


def test_b4_prep_check_says_passed_when_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags = _b4_reads(tmp_path, monkeypatch, _render(reports.clean()))
    assert [flag for flag, _ in flags] == ["success"]
    assert flags[0][1].endswith("passed all checks")


# --- the real b4, running the real command line on a temporary repository ----------------

REVIEWBOT = Path(sys.executable).parent / "reviewbot"
B4 = Path(sys.executable).parent / "b4"
BEFORE = "static int copy_one(struct page *page)\n{\n\tget_page(page);\n\treturn 0;\n}\n"
AFTER = BEFORE.replace("\treturn 0;", "\tpage_dup_rmap(page, false);\n\treturn 0;")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def b4_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernel-like repository on a b4 prep branch with one patch that calls a removed API."""
    if not (REVIEWBOT.exists() and B4.exists()) or shutil.which("git") is None:
        pytest.skip("needs git and the reviewbot and b4 commands")
    home = tmp_path / "home"
    home.mkdir()
    for name in [n for n in os.environ if n.startswith("GIT_")]:
        monkeypatch.delenv(name)  # b4 checks that the committer is the configured user
    for name, value in {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{REVIEWBOT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }.items():
        monkeypatch.setenv(name, value)
    repo = tmp_path / "linux"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "master")
    _git(repo, "config", "user.name", "Jane Developer")
    _git(repo, "config", "user.email", "jane@example.org")
    (repo / "mm").mkdir()
    (repo / "mm" / "memory.c").write_text(BEFORE)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "initial")
    return repo


def _b4(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(B4), "--offline-mode", *args]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=60, check=False)


def _commit_the_patch(repo: Path) -> None:
    (repo / "mm" / "memory.c").write_text(AFTER)
    _git(repo, "commit", "-qam", "mm/memory: dup the rmap", "-m", "Signed-off-by: Jane <j@e.org>")


def test_real_b4_prep_check_shows_the_finding(b4_repo: Path) -> None:
    made = _b4(b4_repo, "prep", "-n", "rmap-fix")
    assert made.returncode == 0, made.stderr
    _commit_the_patch(b4_repo)
    cmd = "reviewbot check --kernel 6.1 --format checkpatch -"
    _git(b4_repo, "config", "b4.prep-perpatch-check-cmd", cmd)
    done = _b4(b4_repo, "prep", "--check")
    shown = done.stdout + done.stderr  # b4 logs to stderr
    assert "reviewbot: mm/memory.c:4: ERROR:MM001: removed-rmap-api: page_dup_rmap()" in shown
    assert "Success: 0, Warning: 0, Error: 1" in shown


def test_real_b4_review_check_reads_the_command_output(b4_repo: Path) -> None:
    from b4.review import checks

    _commit_the_patch(b4_repo)
    raw = _git(b4_repo, "format-patch", "-1", "--stdout").encode()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    cmd = "reviewbot check --kernel 6.1 --format b4 -"
    results = checks.run_perpatch_checks([("p@x", msg)], [cmd], str(b4_repo))  # type: ignore[list-item]
    (entry,) = results["p@x"]
    assert (entry["tool"], entry["status"], entry["summary"]) == ("reviewbot", "fail", "1 error")
    (detail,) = json.loads(entry["details"])
    assert detail["description"].startswith("mm/memory.c:4: MM001 removed-rmap-api: ")
