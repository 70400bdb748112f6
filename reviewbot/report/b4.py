"""JSON for ``b4 review`` CI checks (``b4.review-perpatch-check-cmd``).

b4 0.16 (``b4.review.checks._run_external_cmd``) runs the command once per patch with the
patch on stdin, and reads stdout as a JSON array (a lone object is taken as a one-item
array) of ``{"tool", "status", "summary", "url", "details"}``: ``status`` must be
``pass``/``warn``/``fail`` (anything else becomes ``fail``); empty stdout with exit status 0
means "nothing to say". ``details`` is a string; when it holds a JSON list of
``{"status", "description", "url"}`` objects the b4 TUI shows one line per entry (as it
does for its built-in checkpatch), otherwise it prints the text as is.

We write one entry for the whole report (b4 shows one cell per tool and patch), or ``[]``
when there is nothing to say. ``options.extra``: ``url`` (link to the full report, else
the first finding's rule documentation), ``b4-pass`` = ``1`` to write a ``pass`` entry for a
clean patch instead of ``[]``.
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot.findings import Finding, Report
from reviewbot.report import RenderOptions, doc_url
from reviewbot.report.levels import CLEAN, count_text, level, outcome, shown

TOOL = "reviewbot"


def _where(finding: Finding) -> str:
    if finding.path is None:
        return ""
    return f"{finding.path}:{finding.line}: " if finding.line is not None else f"{finding.path}: "


def _detail(finding: Finding, options: RenderOptions) -> dict[str, str]:
    text = f"{_where(finding)}{finding.code} {finding.name}: {finding.message}"
    if finding.suggestion:
        text += f" ({finding.suggestion})"
    out = {"status": level(finding.severity).b4, "description": text}
    url = doc_url(options, finding.code)
    if url:
        out["url"] = url
    return out


def entries(report: Report, options: RenderOptions) -> list[dict[str, str]]:
    findings = shown(report, options)
    if not findings and not report.errors:
        if options.extra.get("b4-pass") == "1":
            return [{"tool": TOOL, "status": CLEAN.b4, "summary": "no findings"}]
        return []
    details: list[dict[str, Any]] = [_detail(f, options) for f in findings]
    details += [
        {"status": "warn", "description": f"rule error: {err.message}"} for err in report.errors
    ]
    top = max(findings, key=lambda f: f.severity, default=None)  # the first of the worst
    url = options.extra.get("url") or (doc_url(options, top.code) if top else "") or ""
    return [
        {
            "tool": TOOL,
            "status": outcome(findings, report.errors).b4,
            "summary": count_text(findings, report.errors),
            "url": url,
            "details": json.dumps(details, ensure_ascii=False),
        }
    ]


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(entries(report, options), indent=2, ensure_ascii=False) + "\n"
