"""The JSON contract (DESIGN.md); report.schema.json beside this module describes it."""

from __future__ import annotations

import json
from typing import Any

from reviewbot import __version__
from reviewbot.findings import Finding, Report, RuleError, Severity
from reviewbot.report import RenderOptions

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "severity": str(f.severity),
        "confidence": str(f.confidence),
        "status": str(f.status),
        "message": f.message,
        "patch": f.patch,
        "msgid": f.msgid,
        "commit": f.commit,
        "path": f.path,
        "line": f.line,
        "function": f.function,
        "related": [
            {"message": r.message, "path": r.path, "line": r.line, "patch": r.patch}
            for r in f.related
        ],
        "suggestion": f.suggestion,
        "fingerprint": f.fingerprint,
    }


def _error_dict(e: RuleError) -> dict[str, Any]:
    return {"message": e.message, "code": e.code, "patch": e.patch, "path": e.path}


def report_dict(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    s = report.series
    level = options.min_severity if options else Severity.INFO
    counts = report.counts()
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "reviewbot", "version": __version__},
        "series": {
            "subject": s.subject,
            "version": s.version,
            "total": s.total,
            "msgid": s.msgid,
            "missing": list(s.missing),
            "base_commit": s.base_commit,
            "source": s.source,
            "patches": [
                {
                    "index": p.index,
                    "msgid": p.msgid,
                    "subject": p.subject.title,
                    "commit": p.commit,
                }
                for p in s.patches
            ],
        },
        "kernel": {"version": report.kernel, "source": report.kernel_source},
        "rules": list(report.rules_run),
        "findings": [finding_dict(f) for f in report.findings if f.severity >= level],
        "errors": [_error_dict(e) for e in report.errors],
        "summary": {str(sev): counts[sev] for sev in sorted(Severity, reverse=True)},
        "notes": list(report.notes),
    }


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(report_dict(report, options), indent=2) + "\n"
