"""The CLI end to end on local files: formats, exit statuses, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import CORPUS, THREADS
from lore import LoreServer, thread_msgids

from reviewbot.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo" / "series.mbox"
SCHEMA = json.loads((ROOT / "reviewbot" / "report" / "report.schema.json").read_text())


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_review_demo_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "review", str(DEMO), "--color", "never")
    assert status == 1
    assert "[PATCH v2 2/3] mm/migrate: use the generic rmap dup" in out
    assert "mm/migrate.c:248: error: MM001 removed-rmap-api:" in out
    assert "\033[" not in out
    assert out.rstrip().splitlines()[-1].startswith("note:") or "error" in out.splitlines()[-1]


def test_review_demo_json_validates(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "review", str(DEMO), "--format", "json")
    assert status == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["series"]["version"] == 2 and doc["series"]["total"] == 3
    assert doc["series"]["missing"] == []
    mm001 = [f for f in doc["findings"] if f["code"] == "MM001"]
    assert mm001 and mm001[0]["patch"] == 2 and mm001[0]["path"] == "mm/migrate.c"
    assert mm001[0]["severity"] == "error" and mm001[0]["line"] == 248


def test_fail_on_and_select(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "review", str(DEMO), "--fail-on", "never")[0] == 0
    status, out, _ = run(capsys, "review", str(DEMO), "--select", "MM001", "--format", "json")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"MM001"}
    status, _, err = run(capsys, "review", str(DEMO), "--select", "XX999")
    assert status == 2 and err.count("\n") == 1 and "XX999" in err


def test_output_file_is_written_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    status, out, _ = run(capsys, "review", str(DEMO), "--format", "json", "-o", str(target))
    assert status == 1 and out == ""
    assert json.loads(target.read_text())["schema"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_missing_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "review", "no/such/series.mbox")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "no/such/series.mbox" in err and "Traceback" not in err


def test_mbox_without_patch_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mbox = tmp_path / "chat.mbox"
    mbox.write_text(
        "From x@y Thu Jan  1 00:00:00 1970\nFrom: a@b\nSubject: hello\nMessage-Id: <1@b>\n\nhi\n"
    )
    status, _, err = run(capsys, "review", str(mbox))
    assert status == 2 and "no patch" in err and str(mbox) in err


def test_bad_config_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "review", str(DEMO), "-c", "review.colour=never")
    assert status == 2 and "review.colour" in err


def test_rules_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules", "list")
    assert status == 0 and "MM001  removed-rmap-api" in out
    status, out, _ = run(capsys, "rules", "show", "MM001")
    assert status == 0 and "What it checks" in out and "severity:   error" in out
    status, _, err = run(capsys, "rules", "show", "MM999")
    assert status == 2 and "MM999" in err


def test_console_script_errors_have_no_traceback_unless_debug(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "reviewbot"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    plain = subprocess.run(
        [str(exe), "review", str(tmp_path / "absent.mbox")], capture_output=True, text=True, env=env
    )
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.count("\n") == 1
    debug = subprocess.run(
        [str(exe), "review", "--debug", str(tmp_path / "absent.mbox")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_review_by_message_id_through_b4(
    lore: LoreServer, capsys: pytest.CaptureFixture[str]
) -> None:
    middle = "20240105120000.4242-3-alice@example.org"  # patch 2/3 of the thread
    assert middle in thread_msgids((THREADS / "cover-3-replies.mbox").read_bytes())
    status, out, err = run(
        capsys, "review", f"<{middle}>", "--lore-url", lore.url, "--format", "json"
    )
    assert status in (0, 1), err
    doc = json.loads(out)
    assert doc["series"]["total"] == 3 and len(doc["series"]["patches"]) == 3
    assert any(path.endswith("/t.mbox.gz") for _, path in lore.requests)


def test_unknown_message_id_exits_3(
    lore: LoreServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REVIEWBOT_LORE_URL", lore.url)
    status, out, err = run(capsys, "review", "id:no-such-message@example.org")
    assert status == 3 and out == ""
    assert err.count("\n") == 1 and "no-such-message@example.org" in err and lore.url in err


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_seed_patch_has_nothing_at_warning(capsys: pytest.CaptureFixture[str]) -> None:
    seed = CORPUS / "v2-04-15-mm-rmap-split-page-dup-rmap.eml"
    status, out, _ = run(capsys, "review", str(seed), "--format", "json")
    doc = json.loads(out)
    assert status == 0
    assert doc["series"]["version"] == 2 and doc["series"]["total"] == 15
    assert [f for f in doc["findings"] if f["severity"] != "info"] == []
    status, _, err = run(
        capsys, "review", str(CORPUS / "re-v2-04-15-david-reply-get-page-ordering.eml")
    )
    assert status == 2 and "no patch" in err


def test_email_format_to_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import email

    status, out, _ = run(
        capsys, "review", str(DEMO), "--format", "email", "-o", str(tmp_path / "out")
    )
    assert status == 1 and out == ""
    files = sorted((tmp_path / "out").iterdir())
    assert files and all(f.suffix == ".eml" for f in files)
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["Subject"].startswith("Re: [PATCH v2 1/3]")
    assert msg["In-Reply-To"] == "<20221205101500.4242-2-jane@example.org>"


def test_publish_is_a_dry_run_without_post(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # Nothing listens on port 1: a real send would fail with exit 3.
    smtp = ["-c", "smtp.host=127.0.0.1", "-c", "smtp.port=1", "-c", "email.from=bot@example.org"]
    status, out, err = run(
        capsys, "review", str(DEMO), "--publish", "email", *smtp, "--format", "json"
    )
    assert status == 1 and json.loads(out)["schema"] == 1
    assert "email: dry-run: smtp 127.0.0.1:1 to Jane Developer <jane@example.org>" in err
    assert "Subject: Re: [PATCH v2 2/3]" in err
    status, _, err = run(capsys, "review", str(DEMO), "--publish", "email", *smtp, "--post")
    assert status == 3 and "127.0.0.1:1" in err


def test_publish_needs_its_settings(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "review", str(DEMO), "--publish", "github")
    assert status == 2 and "github.repo" in err and err.count("\n") == 1


def test_output_to_a_pipe_writes_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o /dev/stdout or a FIFO: written to, never renamed over (that would replace it)."""
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    status, _, _ = run(capsys, "review", str(DEMO), "--format", "json", "-o", str(fifo))
    reader.join(timeout=10)
    assert status == 1 and json.loads(received[0])["schema"] == 1
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["fifo"]
    status, _, err = run(capsys, "review", str(DEMO), "-o", str(tmp_path))
    assert status == 2 and "is a directory" in err


def test_output_settings_are_checked_before_the_review(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fetch(*args: object, **kwargs: object) -> None:
        raise AssertionError("the source was read before the settings were checked")

    monkeypatch.setattr("reviewbot.sources.load_series", no_fetch)
    status, _, err = run(capsys, "review", "x@example.org", "-c", "review.format=bogus")
    assert status == 2 and "-c review.format: review.format = 'bogus'" in err
    status, _, err = run(capsys, "review", "x@example.org", "--post")
    assert status == 2 and "--post and --dry-run go with --publish" in err


def test_checkpatch_format_exits_0_with_findings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "review", str(DEMO), "--format", "checkpatch")
    assert status == 0 and "ERROR:MM001" in out and err == ""
    assert run(capsys, "review", str(DEMO), "--format", "checkpatch", "--fail-on", "error")[0] == 1


def test_a_crashed_rule_never_passes_as_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "crashing.py").write_text(
        "from reviewbot.engine import Rule\n"
        "from reviewbot.findings import Confidence, Severity\n"
        "def check(ctx):\n    raise RuntimeError('boom')\n"
        "RULE = Rule(code='TST002', name='crashes', summary='crashes', severity=Severity.INFO,\n"
        "            confidence=Confidence.LOW, check=check)\n"
    )
    status, _, err = run(capsys, "review", str(DEMO), "--rules", str(pack), "--select", "TST002")
    assert status == 4 and "rule TST002 crashes crashed on patch 1: RuntimeError: boom" in err
    assert run(capsys, "review", str(DEMO), "--rules", str(pack), "--fail-on", "never")[0] == 0


def test_output_file_mode_follows_the_umask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0o022)
    try:
        run(capsys, "review", str(DEMO), "--format", "json", "-o", str(tmp_path / "r.json"))
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_colour_only_when_asked_or_on_a_tty(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\033[" in run(capsys, "review", str(DEMO), "--color", "always")[1]
    assert "\033[" not in run(capsys, "review", str(DEMO))[1]  # auto, and stdout is no tty
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run(capsys, "review", str(DEMO))[1]


def test_config_lists_every_key_as_toml(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    from reviewbot.config import DEFAULTS

    status, out, _ = run(capsys, "config", "-c", "review.fail-on=error")
    assert status == 0
    parsed = tomllib.loads(out)  # the listing can be pasted into config.toml
    flat = {f"{t}.{k}": v for t, keys in parsed.items() for k, v in keys.items()}
    assert set(flat) == set(DEFAULTS)
    assert flat["review.fail-on"] == "error" and "(-c review.fail-on)" in out


def test_email_folder_that_cannot_be_written_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    status, _, err = run(capsys, "review", str(DEMO), "--format", "email", "-o", str(blocker / "x"))
    assert status == 2 and "email: cannot write to" in err and err.count("\n") == 1
