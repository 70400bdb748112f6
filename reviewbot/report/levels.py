"""The one severity table: how our error/warning/info reads in every format we write.

Every renderer and publisher takes its words from :data:`LEVELS`, so that a finding is a
``fail`` in b4, a ``failure`` annotation on GitHub and an ``ERROR:`` line for checkpatch
without each module keeping its own idea of what an error is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reviewbot.findings import Finding, Report, RuleError, Severity, Status
from reviewbot.report import RenderOptions


@dataclass(frozen=True)
class Level:
    """The words one severity (or a clean result) takes in each destination."""

    sarif: str  # result.level / defaultConfiguration.level
    checkpatch: str | None  # the ``ERROR:``/``WARNING:`` word; None: the line is omitted
    b4: str  # b4 review check status
    github: str  # check-run annotation_level
    patchwork: str  # patchwork check state
    conclusion: str  # check-run conclusion when this is the worst in the run


LEVELS: dict[Severity, Level] = {
    Severity.ERROR: Level("error", "ERROR", "fail", "failure", "fail", "failure"),
    # GitHub has no "warning" conclusion; neutral shows it without blocking a merge.
    Severity.WARNING: Level("warning", "WARNING", "warn", "warning", "warning", "neutral"),
    Severity.INFO: Level("note", None, "pass", "notice", "success", "success"),
}

# The result of a run with nothing at all to report.
CLEAN = Level("none", None, "pass", "notice", "success", "success")

# What each severity is called when counted ("1 error, 2 warnings, 1 note").
_NOUNS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def level(severity: Severity) -> Level:
    return LEVELS[severity]


def worst(findings: Iterable[Finding], errors: Iterable[RuleError] = ()) -> Severity | None:
    """The highest severity among ``findings``; a rule error counts as at least a warning,
    because a rule that crashed checked nothing, and a clean result would hide that."""
    top = max((f.severity for f in findings), default=None)
    if any(True for _ in errors) and (top is None or top < Severity.WARNING):
        top = Severity.WARNING
    return top


def outcome(findings: Iterable[Finding], errors: Iterable[RuleError] = ()) -> Level:
    """The level of a whole run (or patch): its worst severity, else :data:`CLEAN`."""
    top = worst(findings, errors)
    return CLEAN if top is None else LEVELS[top]


def count_text(findings: Iterable[Finding], errors: Iterable[RuleError] = ()) -> str:
    """One line such as ``1 error, 2 warnings`` (``no findings`` when there are none)."""
    counts = dict.fromkeys(Severity, 0)
    for f in findings:
        counts[f.severity] += 1
    parts = [
        f"{n} {_NOUNS[sev]}{'' if n == 1 else 's'}"
        for sev in sorted(Severity, reverse=True)
        if (n := counts[sev])
    ]
    n_errors = sum(1 for _ in errors)
    if n_errors:
        parts.append(f"{n_errors} rule error{'' if n_errors == 1 else 's'}")
    return ", ".join(parts) or "no findings"


def shown(report: Report, options: RenderOptions) -> tuple[Finding, ...]:
    """The findings a renderer writes: at or above the options' threshold, previews if asked."""
    return tuple(
        f
        for f in report.findings
        if f.severity >= options.min_severity
        and (options.include_preview or f.status is not Status.PREVIEW)
    )
