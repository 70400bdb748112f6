"""GitHub check runs: the check-run body and its annotations, 50 per request.

GitHub takes at most 50 annotations per request: the create request
(``POST /repos/{owner}/{repo}/check-runs``) carries the first 50, and each further batch
goes in an update (``PATCH .../check-runs/{id}``), which appends. Every request that sends
``output`` repeats its ``title`` and ``summary`` (both required).

An annotation needs a path and a line: a finding on a whole file is annotated on line 1;
series-wide findings, which have no file, are listed in the output text instead.

``options.extra``: ``name`` (check name, default ``reviewbot``), ``head-sha``,
``details-url``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from reviewbot.findings import Finding, Report
from reviewbot.report import RenderOptions, doc_url
from reviewbot.report.levels import count_text, level, outcome, shown

BATCH = 50  # annotations per request, GitHub's limit
TITLE_MAX = 255
TEXT_MAX = 65535  # summary and text
DETAILS_MAX = 64 * 1024  # message and raw_details

Json = dict[str, Any]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 4].decode("utf-8", "ignore") + "…"


def _raw_details(finding: Finding, options: RenderOptions) -> str:
    parts: list[str] = []
    if finding.suggestion:
        parts.append(f"Suggestion: {finding.suggestion}")
    for rel in finding.related:
        where = ":".join(str(x) for x in (rel.path, rel.line) if x is not None)
        patch = f" (patch {rel.patch})" if rel.patch is not None else ""
        parts.append(f"Related{patch}: {where + ': ' if where else ''}{rel.message}")
    if finding.patch is not None:
        parts.append(f"Patch {finding.patch}: {finding.msgid or ''}".rstrip(": "))
    url = doc_url(options, finding.code)
    if url:
        parts.append(f"Rule documentation: {url}")
    return "\n".join(parts)


def annotation(finding: Finding, options: RenderOptions) -> Json | None:
    """The annotation of one finding; None when it has no file to sit on."""
    if finding.path is None:
        return None
    line = finding.line if finding.line is not None and finding.line >= 1 else 1
    return {
        "path": finding.path,
        "start_line": line,
        "end_line": line,
        "annotation_level": level(finding.severity).github,
        "title": _clip(f"{finding.code} {finding.name}", TITLE_MAX),
        "message": _clip_bytes(finding.message, DETAILS_MAX),
        "raw_details": _clip_bytes(_raw_details(finding, options), DETAILS_MAX),
    }


def annotation_list(report: Report, options: RenderOptions) -> list[Json]:
    return [a for f in shown(report, options) if (a := annotation(f, options)) is not None]


def batches(items: Sequence[Json], size: int = BATCH) -> Iterator[list[Json]]:
    """``items`` in lists of at most ``size``; one empty list when there are none."""
    if not items:
        yield []
        return
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def conclusion(report: Report, options: RenderOptions) -> str:
    return outcome(shown(report, options), report.errors).conclusion


def output(report: Report, options: RenderOptions) -> Json:
    """``output`` without annotations: title, summary (markdown) and text."""
    findings = shown(report, options)
    series = report.series
    counts = count_text(findings, report.errors)
    summary = [
        f"**{series.subject}** (v{series.version}, {len(series.patches)} of {series.total} "
        f"patches): {counts}.",
    ]
    if report.kernel:
        summary.append(f"Target kernel: v{report.kernel}.")
    text: list[str] = []
    wide = [f for f in findings if f.path is None]
    if wide:
        text.append("### Series-wide findings\n")
        text += [
            f"- **{level(f.severity).github}** {f.code} {f.name}: {f.message}"
            + (f" ([doc]({doc_url(options, f.code)}))" if doc_url(options, f.code) else "")
            for f in wide
        ]
    if report.errors:
        text.append("\n### Rule errors\n")
        text += [f"- {e.message}" for e in report.errors]
    out: Json = {
        "title": _clip(f"reviewbot: {counts}", TITLE_MAX),
        "summary": _clip(" ".join(summary), TEXT_MAX),
    }
    if text:
        out["text"] = _clip("\n".join(text), TEXT_MAX)
    return out


def create_body(report: Report, options: RenderOptions, head_sha: str) -> Json:
    """The body of ``POST /repos/{owner}/{repo}/check-runs``, without annotations."""
    body: Json = {
        "name": options.extra.get("name", "reviewbot"),
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": conclusion(report, options),
        "output": output(report, options),
    }
    if options.extra.get("details-url"):
        body["details_url"] = options.extra["details-url"]
    return body


def request_bodies(report: Report, options: RenderOptions, head_sha: str) -> list[Json]:
    """Every request body in order: the create body with the first 50 annotations, then one
    update body (``PATCH .../check-runs/{id}``) per further batch of 50."""
    create = create_body(report, options, head_sha)
    bodies: list[Json] = []
    for n, batch in enumerate(batches(annotation_list(report, options))):
        if n == 0:
            create["output"]["annotations"] = batch
            bodies.append(create)
        else:
            out = {k: create["output"][k] for k in ("title", "summary")}
            bodies.append({"output": {**out, "annotations": batch}})
    return bodies


def render(report: Report, options: RenderOptions) -> str:
    """The check run as one document: the create body with every annotation (a publisher
    sends them 50 at a time, see :func:`request_bodies`)."""
    body = create_body(report, options, options.extra.get("head-sha", ""))
    if not body["head_sha"]:
        del body["head_sha"]
    body["output"]["annotations"] = annotation_list(report, options)
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
