"""GitHub check-run bodies: the fields and limits of github-check-runs.md, batches of 50."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import reports

from reviewbot.findings import Finding, Report
from reviewbot.report import RenderOptions, renderer
from reviewbot.report import github as render_github

OPTIONS = RenderOptions(rules=reports.rules())
SHA = "ce587453ced02b1526dfb4cb910479d431683101"
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped"}


def check_create_body(body: dict[str, Any]) -> None:
    """The contract-test checklist of github-check-runs.md, for a create body."""
    assert body["name"] and body["head_sha"]
    if body.get("status") == "completed" or "completed_at" in body:
        assert body["conclusion"] in CONCLUSIONS
    check_output(body["output"])


def check_output(output: dict[str, Any]) -> None:
    assert output["title"] and isinstance(output["summary"], str)
    assert len(output["summary"]) <= 65535 and len(output.get("text", "")) <= 65535
    annotations = output.get("annotations", [])
    assert len(annotations) <= 50
    for a in annotations:
        assert {"path", "start_line", "end_line", "annotation_level", "message"} <= set(a)
        assert a["annotation_level"] in {"notice", "warning", "failure"}
        assert isinstance(a["start_line"], int) and a["start_line"] >= 1
        assert a["end_line"] >= a["start_line"]
        assert len(a["message"].encode()) <= 64 * 1024
        assert len(a.get("title", "")) <= 255
        assert len(a.get("raw_details", "").encode()) <= 64 * 1024
        if a["start_line"] != a["end_line"]:
            assert "start_column" not in a and "end_column" not in a


def test_annotations_for_every_finding_with_a_file() -> None:
    doc = json.loads(renderer("github")(reports.full(), OPTIONS))
    assert doc["conclusion"] == "failure"
    anns = {a["title"].split()[0]: a for a in doc["output"]["annotations"]}
    assert set(anns) == {"MM001", "MM002", "MM003", "MM010", "MM011"}  # SR001 has no file
    mm002 = anns["MM002"]
    assert mm002["path"] == "mm/memory.c"
    assert mm002["start_line"] == mm002["end_line"] == reports.LINE_GET
    assert mm002["annotation_level"] == "failure"
    assert mm002["title"] == "MM002 ref-before-dup"
    assert mm002["message"].startswith("get_page() now comes after")
    assert reports.LORE in mm002["raw_details"]
    assert "Suggestion: take the reference before the dup" in mm002["raw_details"]
    assert anns["MM003"]["annotation_level"] == "warning"
    assert anns["MM010"]["annotation_level"] == "notice"
    assert anns["MM010"]["start_line"] == 1  # a finding on a whole file
    # series-wide findings and rule errors are in the text
    assert "SR001 missing-patches" in doc["output"]["text"]
    assert "rule MM009 crashy crashed" in doc["output"]["text"]
    assert doc["output"]["title"] == "reviewbot: 2 errors, 3 warnings, 1 note, 1 rule error"


def test_request_bodies_meet_the_contract() -> None:
    (body,) = render_github.request_bodies(reports.full(), OPTIONS, SHA)
    check_create_body(body)
    assert body["head_sha"] == SHA and body["status"] == "completed"


def test_clean_report_is_a_success_without_annotations() -> None:
    (body,) = render_github.request_bodies(reports.clean(), OPTIONS, SHA)
    check_create_body(body)
    assert body["conclusion"] == "success"
    assert body["output"]["annotations"] == []
    assert body["output"]["title"] == "reviewbot: no findings"
    doc = json.loads(renderer("github")(reports.clean(), OPTIONS))
    assert "head_sha" not in doc  # not known to the renderer unless given


def many(n: int) -> Report:
    """``n`` warnings on patch 1, to cross the 50-annotation limit."""
    base = next(f for f in reports.findings() if f.code == "MM003")
    found: list[Finding] = [
        replace(base, line=900 + i, fingerprint=f"{i:032x}", message=f"warning {i}")
        for i in range(n)
    ]
    return replace(reports.clean(), findings=tuple(found))


def test_annotations_go_50_per_request() -> None:
    bodies = render_github.request_bodies(many(120), OPTIONS, SHA)
    assert [len(b["output"]["annotations"]) for b in bodies] == [50, 50, 20]
    check_create_body(bodies[0])
    for update in bodies[1:]:
        assert set(update) == {"output"}
        check_output(update["output"])
    sent = [a["message"] for b in bodies for a in b["output"]["annotations"]]
    assert sent == [f"warning {i}" for i in range(120)]
    assert bodies[0]["conclusion"] == "neutral"
    assert [len(b) for b in render_github.batches([{}] * 100)] == [50, 50]
