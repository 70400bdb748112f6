"""SARIF 2.1.0: validates against the OASIS schema, carries rule metadata and fingerprints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import reports

from reviewbot.report import RenderOptions, renderer, sarif

SCHEMA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
)
OPTIONS = RenderOptions(rules=reports.rules())


def _log(report: Any, options: RenderOptions = OPTIONS) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(renderer("sarif")(report, options))
    return data


@pytest.mark.parametrize("report", [reports.full(), reports.clean()], ids=["findings", "clean"])
def test_validates_against_the_schema(report: Any) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} absent")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(_log(report)))
    assert errors == []


def test_driver_rules_come_from_rule_metadata() -> None:
    driver = _log(reports.full())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "reviewbot"
    assert driver["version"] and "informationUri" not in driver  # none unless configured
    by_id = {r["id"]: r for r in driver["rules"]}
    mm002 = by_id["MM002"]
    rule = reports.rules()["MM002"]
    assert mm002["name"] == "ref-before-dup"
    assert mm002["shortDescription"]["text"] == rule.summary
    assert mm002["fullDescription"]["text"] == rule.doc.strip()
    assert mm002["helpUri"] == reports.LORE
    assert mm002["defaultConfiguration"]["level"] == "error"
    assert by_id["MM010"]["defaultConfiguration"]["level"] == "note"


def test_results_point_at_their_rule_and_post_image_line() -> None:
    run = _log(reports.full())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(run["results"]) == 6
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    mm002 = results["MM002"]
    assert mm002["level"] == "error"
    assert mm002["partialFingerprints"] == {sarif.FINGERPRINT_KEY: "a1" * 16}
    loc = mm002["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "mm/memory.c"
    assert loc["region"] == {"startLine": reports.LINE_GET}
    assert mm002["locations"][0]["logicalLocations"][0]["name"] == "copy_present_pte"
    assert mm002["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == (
        reports.LINE_DUP
    )
    props = mm002["properties"]
    assert props["patch"] == 1
    assert props["msgid"] == "20250301120000.1000-2-jane@example.org"
    assert props["confidence"] == "high"
    assert "commit" in props
    assert results["MM003"]["level"] == "warning"
    assert results["MM010"]["level"] == "note"
    # no line: a location without a region; series-wide: no location at all
    assert "region" not in results["MM010"]["locations"][0]["physicalLocation"]
    assert "locations" not in results["SR001"]
    assert results["SR001"]["properties"]["patch"] is None


def test_rule_errors_are_tool_notifications() -> None:
    inv = _log(reports.full())["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    notes = inv["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [reports.ERRORS[0].message]
    assert notes[0]["associatedRule"] == {"id": "MM009"}
    assert notes[0]["level"] == "error"


def test_clean_report_has_rules_and_no_results() -> None:
    run = _log(reports.clean())["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(reports.rules())
    assert run["invocations"][0]["executionSuccessful"] is True


def test_rule_ids_are_stable_across_runs_and_without_metadata() -> None:
    bare = _log(reports.full(), RenderOptions())["runs"][0]
    assert {r["ruleId"] for r in bare["results"]} == {f.code for f in reports.findings()}
    ids = [r["id"] for r in bare["tool"]["driver"]["rules"]]
    assert ids == sorted(ids)
    assert _log(reports.full()) == _log(reports.full())


def test_configured_rule_docs_are_linked() -> None:
    options = RenderOptions(rules=reports.rules(), rule_doc_url="https://docs.example.org/{code}")
    log = json.loads(renderer("sarif")(reports.full(), options))
    by_id = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert by_id["MM002"]["helpUri"] == "https://docs.example.org/MM002"
