"""SARIF 2.1.0, for GitHub code scanning and IDEs.

One run; ``tool.driver.rules`` carries the rule metadata (id = code), each result points at
its rule by ``ruleId`` and ``ruleIndex``, its location is the post-image line, and
``partialFingerprints`` holds our fingerprint so that a finding keeps its identity across
revisions. Rule crashes and unreadable parts go to the invocation's notifications.

``options.extra``: ``information-uri`` (the tool's home page).
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot import __version__
from reviewbot.engine.rule import Rule
from reviewbot.findings import Finding, Related, Report, Severity
from reviewbot.report import RenderOptions, doc_url
from reviewbot.report.levels import level, shown

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "reviewbot/v1"  # bump the suffix if the fingerprint recipe ever changes
SRCROOT = "%SRCROOT%"  # paths are relative to the tree the series applies to

Json = dict[str, Any]


def _text(text: str) -> Json:
    return {"text": text}


def _descriptor(
    code: str, rule: Rule | None, finding: Finding | None, options: RenderOptions
) -> Json:
    """The reportingDescriptor of one rule; from a finding alone when its rule is unknown."""
    out: Json = {"id": code}
    url = doc_url(options, code)
    if url:
        out["helpUri"] = url
    if rule is not None:
        out["name"] = rule.name
        out["shortDescription"] = _text(rule.summary)
        if rule.doc.strip():
            out["fullDescription"] = _text(rule.doc.strip())
            out["help"] = _text(rule.doc.strip())
        out["defaultConfiguration"] = {"level": level(rule.severity).sarif}
        props: Json = {
            "precision": str(rule.confidence),
            "status": str(rule.status),
            "scope": rule.scope,
            "kernels": str(rule.kernels),
        }
        if rule.pack:
            props["tags"] = [rule.pack]
        if rule.references:
            props["references"] = list(rule.references)
        out["properties"] = props
    elif finding is not None:
        out["name"] = finding.name
        out["shortDescription"] = _text(finding.name)
        out["defaultConfiguration"] = {"level": level(finding.severity).sarif}
    return out


def _physical(path: str, line: int | None) -> Json:
    loc: Json = {"artifactLocation": {"uri": path, "uriBaseId": SRCROOT}}
    if line is not None and line >= 1:
        loc["region"] = {"startLine": line}
    return loc


def _location(finding: Finding) -> Json | None:
    if finding.path is None:
        return None
    loc: Json = {"physicalLocation": _physical(finding.path, finding.line)}
    if finding.function:
        loc["logicalLocations"] = [{"name": finding.function, "kind": "function"}]
    return loc


def _related(items: tuple[Related, ...], finding: Finding) -> list[Json]:
    out: list[Json] = []
    for n, rel in enumerate(items, start=1):
        loc: Json = {"id": n, "message": _text(rel.message)}
        path = rel.path or finding.path
        if path is not None and (rel.patch is None or rel.patch == finding.patch):
            loc["physicalLocation"] = _physical(path, rel.line)
        elif rel.patch is not None:
            loc["properties"] = {"patch": rel.patch}
        out.append(loc)
    return out


def _result(finding: Finding, index: int) -> Json:
    message = finding.message
    if finding.suggestion:
        message = f"{message}. Suggestion: {finding.suggestion}"
    out: Json = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": level(finding.severity).sarif,
        "message": _text(message),
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    loc = _location(finding)
    if loc is not None:
        out["locations"] = [loc]
    if finding.related:
        out["relatedLocations"] = _related(finding.related, finding)
    out["properties"] = {
        "patch": finding.patch,
        "msgid": finding.msgid,
        "confidence": str(finding.confidence),
        "commit": finding.commit,
        "name": finding.name,
        "status": str(finding.status),
    }
    return out


def document(report: Report, options: RenderOptions) -> Json:
    """The SARIF log as a JSON-ready dict."""
    findings = shown(report, options)
    codes = sorted(set(options.rules) | {f.code for f in findings})
    first = {f.code: f for f in reversed(findings)}
    descriptors = [_descriptor(c, options.rules.get(c), first.get(c), options) for c in codes]
    index = {c: n for n, c in enumerate(codes)}
    notifications = [
        {
            "level": level(Severity.ERROR).sarif,
            "message": _text(err.message),
            **({"associatedRule": {"id": err.code}} if err.code else {}),
            "properties": {"patch": err.patch, "path": err.path},
        }
        for err in report.errors
    ]
    series = report.series
    run: Json = {
        "tool": {
            "driver": {
                "name": "reviewbot",
                "version": __version__,
                "semanticVersion": __version__,
                **(
                    {"informationUri": options.extra["information-uri"]}
                    if options.extra.get("information-uri")
                    else {}
                ),
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                # A crashed rule checked nothing: the run is not a complete review.
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": notifications,
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.code]) for f in findings],
        "properties": {
            "series": {
                "subject": series.subject,
                "version": series.version,
                "total": series.total,
                "msgid": series.msgid,
                "missing": list(series.missing),
            },
            "kernel": report.kernel,
            "kernelSource": report.kernel_source,
            "rulesRun": list(report.rules_run),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(document(report, options), indent=2, ensure_ascii=False) + "\n"
