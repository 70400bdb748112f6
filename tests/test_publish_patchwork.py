"""Patchwork checks against a local patchwork-shaped server that records every request."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import reports
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reviewbot.errors import ConfigError, PublishError
from reviewbot.publish.patchwork import PatchworkConfig, PatchworkPublisher, checks
from reviewbot.publish.record import PostedRecord
from reviewbot.publish.transport import Transport
from reviewbot.report import RenderOptions

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "schemas" / "patchwork-api.yaml"
TOKEN = "pw-token-123"
ENV = {"REVIEWBOT_PATCHWORK_TOKEN": TOKEN}
IDS = {p.msgid: 100 + p.index for p in reports.series().patches}


def _lookup(request: Request) -> Response:
    msgid = request.args.get("msgid", "")
    found = [{"id": IDS[msgid], "msgid": f"<{msgid}>"}] if msgid in IDS else []
    return Response(json.dumps(found), 200, content_type="application/json")


def _created(request: Request) -> Response:
    body = dict(request.get_json(), id=len(request.data))
    return Response(json.dumps(body), 201, content_type="application/json")


def patchwork(server: HTTPServer) -> None:
    server.expect_request("/api/1.3/patches/", method="GET").respond_with_handler(_lookup)
    for pid in IDS.values():
        uri = f"/api/1.3/patches/{pid}/checks/"
        server.expect_request(uri, method="POST").respond_with_handler(_created)


def publisher(
    server: HTTPServer, sleeps: list[float] | None = None, **kw: Any
) -> PatchworkPublisher:
    config_kw = {k: kw.pop(k) for k in list(kw) if k in PatchworkConfig.__dataclass_fields__}
    config = PatchworkConfig(
        url=server.url_for("/").rstrip("/"),
        target_url="https://ci.example.org/reviewbot/{msgid}",
        **config_kw,
    )
    transport = Transport("patchwork", sleep=(sleeps if sleeps is not None else []).append)
    return PatchworkPublisher(config, env=kw.pop("env", ENV), transport=transport, **kw)


def posts(server: HTTPServer) -> list[tuple[str, dict[str, Any]]]:
    return [(req.path, req.get_json()) for req, _ in server.log if req.method == "POST"]


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/")
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def check_create_schema() -> dict[str, Any]:
    """The request body schema of POST /api/patches/{patch_id}/checks, from the spec."""
    if not SPEC.exists():
        pytest.skip(f"{SPEC} absent")
    yaml = pytest.importorskip("yaml")
    spec = yaml.safe_load(SPEC.read_text())
    op = spec["paths"]["/api/patches/{patch_id}/checks"]["post"]
    body = _resolve(spec, op["requestBody"])
    schema: dict[str, Any] = _resolve(spec, body["content"]["application/json"]["schema"])
    assert schema.get("title") == "Check" and "state" in schema["required"]
    return schema


def test_posts_pending_then_result_on_every_patch(server: HTTPServer) -> None:
    patchwork(server)
    out = publisher(server).publish(reports.full(), RenderOptions(rules=reports.rules()))
    sent = posts(server)
    assert [p for p, _ in sent] == [
        f"/api/1.3/patches/{pid}/checks/" for pid in (101, 102, 103)
    ] * 2
    states = [b["state"] for _, b in sent]
    assert states == ["pending", "pending", "pending", "fail", "warning", "warning"]
    final = dict(sent[3:])
    assert final["/api/1.3/patches/101/checks/"]["description"] == "2 errors, 2 warnings"
    # patch 3 has no findings of its own: the series-wide warning goes on every patch
    assert final["/api/1.3/patches/103/checks/"]["description"] == "1 warning"
    assert all(b["context"] == "reviewbot" for _, b in sent)
    assert final["/api/1.3/patches/102/checks/"]["target_url"] == (
        "https://ci.example.org/reviewbot/20250301120000.1000-3-jane@example.org"
    )
    # ids came from patchwork, looked up by message-id without angle brackets
    lookups = [req.args["msgid"] for req, _ in server.log if req.method == "GET"]
    assert sorted(lookups) == sorted(IDS)
    for req, _ in server.log:
        if req.method == "POST":
            assert req.headers["Authorization"] == f"Token {TOKEN}"
            assert req.headers["Content-Type"] == "application/json"
    assert [d.state for d in out] == ["sent"] * 6


def test_bodies_validate_against_the_patchwork_schema(server: HTTPServer) -> None:
    schema = check_create_schema()
    jsonschema = pytest.importorskip("jsonschema")
    patchwork(server)
    publisher(server).publish(reports.full())
    publisher(server, context="reviewbot-mm").publish(reports.clean())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    bodies = [b for _, b in posts(server)]
    assert len(bodies) == 12
    for body in bodies:
        assert list(validator.iter_errors(body)) == []
    # and the schema does catch a wrong body
    assert list(validator.iter_errors({"state": "warn", "context": "a b"}))


def test_clean_series_is_success_with_no_findings(server: HTTPServer) -> None:
    patchwork(server)
    publisher(server, pending=False).publish(reports.clean())
    assert [(b["state"], b["description"]) for _, b in posts(server)] == [
        ("success", "no findings")
    ] * 3


def test_rerun_posts_nothing_and_says_already_posted(server: HTTPServer, tmp_path: Path) -> None:
    patchwork(server)
    with PostedRecord(tmp_path / "posted.sqlite") as record:
        publisher(server, record=record).publish(reports.full())
        first = len(posts(server))
        again = publisher(server, record=record).publish(reports.full())
        assert len(posts(server)) == first == 6
        assert [d.state for d in again] == ["already posted"] * 3
        assert "already posted" in again[0].line()
        # a changed result on one patch is posted (pending, then the result), only there
        full = reports.full()
        fewer = replace(full, findings=tuple(f for f in full.findings if f.code != "MM003"))
        third = publisher(server, record=record).publish(fewer)
        assert [d.state for d in third] == ["already posted", "already posted", "sent", "sent"]
        assert [p for p, _ in posts(server)[6:]] == ["/api/1.3/patches/101/checks/"] * 2


def test_dry_run_sends_nothing_and_records_nothing(server: HTTPServer, tmp_path: Path) -> None:
    patchwork(server)
    with PostedRecord(tmp_path / "posted.sqlite") as record:
        out = publisher(server, record=record, dry_run=True, env={}).publish(reports.full())
        assert posts(server) == []
        assert [d.state for d in out] == ["dry-run"] * 6
        assert json.loads(out[-1].body)["state"] == "warning"
        assert out[0].action.startswith("POST http://127.0.0.1:")
        assert record.keys(publisher(server).record_target, f"msgid:{reports.COVER_MSGID}") == []


def test_retries_a_502_on_post(server: HTTPServer) -> None:
    server.expect_oneshot_request("/api/1.3/patches/101/checks/", method="POST").respond_with_data(
        "bad gateway", 502
    )
    patchwork(server)
    sleeps: list[float] = []
    publisher(server, sleeps, pending=False).publish(reports.full())
    assert len(posts(server)) == 4 and sleeps == [1.0]


def test_honours_retry_after_on_429(server: HTTPServer) -> None:
    slow = Response("", 429, headers={"Retry-After": "9"})
    server.expect_oneshot_request("/api/1.3/patches/", method="GET").respond_with_response(slow)
    patchwork(server)
    sleeps: list[float] = []
    publisher(server, sleeps, pending=False).publish(reports.full())
    assert sleeps == [9.0]


def test_errors_name_the_target_and_what_failed(server: HTTPServer) -> None:
    server.expect_request("/api/1.3/patches/", method="GET").respond_with_json([])
    with pytest.raises(PublishError, match=r"^patchwork http://127\.0\.0\.1:\d+: no patch <"):
        publisher(server).publish(reports.full())
    with pytest.raises(PublishError, match="set REVIEWBOT_PATCHWORK_TOKEN"):
        publisher(server, env={})
    with pytest.raises(ConfigError, match="context"):
        PatchworkConfig(url="https://pw.example.org", context="review bot")


def test_project_narrows_the_lookup(server: HTTPServer) -> None:
    patchwork(server)
    publisher(server, project="linux-mm", pending=False).publish(reports.clean())
    assert {req.args.get("project") for req, _ in server.log if req.method == "GET"} == {"linux-mm"}


def test_checks_per_patch_without_a_server() -> None:
    by_patch = {c.patch.index: (c.state, c.description) for c in checks(reports.full())}
    assert by_patch == {
        1: ("fail", "2 errors, 2 warnings"),
        2: ("warning", "2 warnings, 1 note, 1 rule error"),
        3: ("warning", "1 warning"),
    }
