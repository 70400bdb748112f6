"""The one severity table, and the counts every destination writes."""

from __future__ import annotations

import reports

from reviewbot.findings import RuleError, Severity
from reviewbot.report import RenderOptions
from reviewbot.report.levels import CLEAN, LEVELS, count_text, outcome, shown, worst


def test_table_has_every_severity_in_every_vocabulary() -> None:
    assert set(LEVELS) == set(Severity)
    assert [LEVELS[s].sarif for s in Severity] == ["note", "warning", "error"]
    assert [LEVELS[s].checkpatch for s in Severity] == [None, "WARNING", "ERROR"]
    assert [LEVELS[s].b4 for s in Severity] == ["pass", "warn", "fail"]
    assert [LEVELS[s].github for s in Severity] == ["notice", "warning", "failure"]
    assert [LEVELS[s].patchwork for s in Severity] == ["success", "warning", "fail"]


def test_counts_read_like_a_sentence() -> None:
    found = reports.findings()
    assert count_text(found) == "2 errors, 3 warnings, 1 note"
    assert count_text(found[:1]) == "1 warning"
    assert count_text(()) == "no findings"
    assert count_text((), reports.ERRORS) == "1 rule error"


def test_a_crashed_rule_is_never_a_clean_result() -> None:
    assert outcome(()) is CLEAN
    assert worst((), (RuleError("boom"),)) is Severity.WARNING
    assert outcome((), (RuleError("boom"),)).patchwork == "warning"
    assert outcome(reports.findings()).conclusion == "failure"


def test_shown_honours_threshold_and_previews() -> None:
    report = reports.full()
    assert len(shown(report, RenderOptions())) == 6
    above = shown(report, RenderOptions(min_severity=Severity.WARNING, include_preview=False))
    assert sorted(f.code for f in above) == ["MM001", "MM002", "MM003", "SR001"]
