"""b4 review CI check JSON, read back through b4's own external-command reader."""

from __future__ import annotations

import email.message
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import reports

from reviewbot.report import RenderOptions, renderer

OPTIONS = RenderOptions(rules=reports.rules())


def _entries(report: Any, options: RenderOptions = OPTIONS) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(renderer("b4")(report, options))
    return data


def test_findings_give_one_entry_with_the_worst_status() -> None:
    (entry,) = _entries(reports.full())
    assert set(entry) == {"tool", "status", "summary", "url", "details"}
    assert entry["tool"] == "reviewbot"
    assert entry["status"] == "fail"
    assert entry["summary"] == "2 errors, 3 warnings, 1 note, 1 rule error"
    assert entry["url"] == reports.LORE  # the first of the worst
    details = json.loads(entry["details"])
    statuses = [d["status"] for d in details]
    # SR001, MM003, MM002, MM001, MM010, MM011, then the rule error
    assert statuses == ["warn", "warn", "fail", "fail", "pass", "warn", "warn"]
    assert details[1]["description"].startswith(f"mm/memory.c:{reports.LINE_RETURN}: MM003 ")
    assert details[1]["url"] == reports.LORE
    assert details[-1]["description"].startswith("rule error: rule MM009")


def test_statuses_follow_the_worst_severity() -> None:
    full = reports.full()
    assert _entries(reports.single_patch(full, 1))[0]["status"] == "fail"
    warn_only = reports.single_patch(full, 2)
    assert _entries(warn_only)[0]["status"] == "warn"
    info_only = RenderOptions(include_preview=False)
    (entry,) = _entries(replace(warn_only, errors=()), info_only)
    assert (entry["status"], entry["summary"]) == ("pass", "1 note")


def test_clean_report_is_an_empty_array() -> None:
    assert renderer("b4")(reports.clean(), OPTIONS) == "[]\n"
    asked = RenderOptions(extra={"b4-pass": "1"})
    assert _entries(reports.clean(), asked) == [
        {"tool": "reviewbot", "status": "pass", "summary": "no findings"}
    ]


def _b4_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str) -> list[dict[str, str]]:
    """b4 review's per-patch runner on a command that prints ``output``."""
    pytest.importorskip("b4")
    import b4
    from b4.review import checks

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    b4._setup_main_config()
    out = tmp_path / "reviewbot.json"
    out.write_text(output)
    msg = email.message.EmailMessage()
    msg["Message-ID"] = "<20250301120000.1000-2-jane@example.org>"
    msg.set_content("patch\n")
    code = f"import sys; sys.stdin.read(); print(open({str(out)!r}).read(), end='')"
    cmd = f"{sys.executable} -c {json.dumps(code)}"
    results: dict[str, list[dict[str, str]]] = checks.run_perpatch_checks(
        [("m@x", msg)], [cmd], str(tmp_path)
    )
    return results["m@x"]


def test_b4_review_reads_our_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = renderer("b4")(reports.single_patch(reports.full(), 1), OPTIONS)
    (entry,) = _b4_reads(tmp_path, monkeypatch, output)
    assert entry["tool"] == "reviewbot"
    assert entry["status"] == "fail"
    assert entry["summary"] == "2 errors, 1 warning"
    assert [d["status"] for d in json.loads(entry["details"])] == ["warn", "fail", "fail"]
    assert entry["url"] == reports.LORE


def test_b4_review_has_nothing_to_show_when_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _b4_reads(tmp_path, monkeypatch, renderer("b4")(reports.clean(), OPTIONS)) == []
