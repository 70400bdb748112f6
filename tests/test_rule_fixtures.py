"""The annotated-fixture harness (DESIGN.md, "Fixtures and tests").

``fixtures/rules/<CODE>/*.patch`` are git format-patch emails (one patch or several in
an mbox). Markers sit as trailing C comments on ``+`` lines:

- ``/* ruleid: CODE */``: a finding of CODE must be reported on this line;
- ``/* info: CODE */``: likewise, and it must be at info severity ("needs --tree");
- ``/* ok: CODE */``: no finding of CODE may be reported on this line.

Several codes may be given, comma-separated. A message-level finding (no line) is
expected with ``reviewbot: ruleid: CODE`` on a line of the notes area (below ``---``).
A header ``X-Reviewbot-Kernel: 6.1`` sets the target kernel; otherwise it is inferred.
Series cases are ``*.mbox`` files with a sidecar ``*.expect``: one expected finding a
line, ``PATCH PATH LINE CODE`` (``-`` for no path or line).

The markers are stripped before parsing, every rule runs on every fixture, and the
findings must be exactly the expected ones: cross-rule false positives fail here too.
Every rule needs at least three positive and three negative fixture files (counted
by :func:`fixture_kinds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewbot import sources
from reviewbot.engine.loader import load_rules
from reviewbot.findings import Report, Severity
from reviewbot.pipeline import ReviewOptions, review_series

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "rules"
MARKER = re.compile(r"\s*/\*\s*(ruleid|info|ok):\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)\s*\*/")
NOTES_MARKER = re.compile(r"^reviewbot:\s*ruleid:\s*([A-Z]+\d+)\s*$")
KERNEL = re.compile(r"^X-Reviewbot-Kernel:\s*(\S+)\s*$", re.M)

Key = tuple[int | None, str | None, int | None, str]  # patch, path, line, code


@dataclass
class Expectation:
    must: set[Key]
    info_only: set[Key]
    forbidden: set[Key]


def strip_markers(text: str) -> str:
    return "\n".join(
        MARKER.sub("", ln) if ln.startswith("+") and not ln.startswith("+++") else ln
        for ln in text.split("\n")
    )


def expectations(marked: Report) -> Expectation:
    """Read the markers back from a parse of the unstripped fixture."""
    exp = Expectation(set(), set(), set())
    for patch in marked.series.patches:
        for line in patch.notes.splitlines():
            m = NOTES_MARKER.match(line.strip())
            if m:
                exp.must.add((patch.index, None, None, m.group(1)))
        for diff in patch.files:
            for number, text in diff.added().items():
                for kind, codes in MARKER.findall(text):
                    for code in (c.strip() for c in codes.split(",")):
                        key = (patch.index, diff.path, number, code)
                        {"ruleid": exp.must, "info": exp.info_only, "ok": exp.forbidden}[kind].add(
                            key
                        )
    exp.must |= exp.info_only
    return exp


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".patch", ".mbox", ".eml"))


def review(path: Path, kernel: str | None) -> Report:
    series = sources.load_series(str(path), lore_url="http://127.0.0.1:9", stdin=None)
    return review_series(series, ReviewOptions(kernel=kernel), RULES)


RULES = load_rules()


def sidecar(path: Path) -> set[Key]:
    out: set[Key] = set()
    for line in path.with_suffix(".expect").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        patch, fpath, fline, code = line.split()
        out.add(
            (
                None if patch == "-" else int(patch),
                None if fpath == "-" else fpath,
                None if fline == "-" else int(fline),
                code,
            )
        )
    return out


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path, tmp_path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    kernel = m.group(1) if (m := KERNEL.search(raw)) else None
    stripped = tmp_path / path.name
    stripped.write_text(strip_markers(raw), encoding="utf-8")
    report = review(stripped, kernel)
    assert not report.errors, [e.message for e in report.errors]
    got = {(f.patch, f.path, f.line, f.code) for f in report.findings}
    if path.with_suffix(".expect").is_file():
        exp = Expectation(sidecar(path), set(), set())
    else:
        exp = expectations(review(path, kernel))
    missing = exp.must - got
    unexpected = got - exp.must
    assert not missing, f"expected findings not reported: {sorted(missing, key=str)}"
    assert not unexpected, "unexpected findings: " + "; ".join(
        f"{f.code} {f.path}:{f.line} {f.message}"
        for f in report.findings
        if (f.patch, f.path, f.line, f.code) in unexpected
    )
    for f in report.findings:
        if (f.patch, f.path, f.line, f.code) in exp.info_only:
            assert f.severity is Severity.INFO, f"{f.code} at {f.path}:{f.line} should be info"


MIN_FIXTURES = 3  # issue 3: at least three positive and three negative fixtures per rule


def fixture_kinds(path: Path) -> tuple[set[str], set[str]]:
    """The rules a fixture file is a positive and a negative case of.

    Positive for CODE: a ``ruleid:``/``info:`` marker or a sidecar line names CODE.
    Negative for CODE: an ``ok:`` marker names it, or the file sits in
    ``fixtures/rules/CODE/`` and expects no CODE finding at all.
    """
    positive: set[str] = set()
    negative: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for kind, codes in MARKER.findall(text):
        for code in (c.strip() for c in codes.split(",")):
            (negative if kind == "ok" else positive).add(code)
    positive |= {m.group(1) for ln in text.splitlines() if (m := NOTES_MARKER.match(ln.strip()))}
    if path.with_suffix(".expect").is_file():
        positive |= {key[3] for key in sidecar(path)}
    home = path.parent.name
    if home not in positive:
        negative.add(home)
    return positive, negative


def test_every_rule_has_positive_and_negative_fixtures() -> None:
    positives: dict[str, int] = {}
    negatives: dict[str, int] = {}
    for path in fixture_files():
        positive, negative = fixture_kinds(path)
        for code in positive:
            positives[code] = positives.get(code, 0) + 1
        for code in negative:
            negatives[code] = negatives.get(code, 0) + 1
    lacking = {
        code: (positives.get(code, 0), negatives.get(code, 0))
        for code in RULES.rules
        if positives.get(code, 0) < MIN_FIXTURES or negatives.get(code, 0) < MIN_FIXTURES
    }
    assert not lacking, (
        f"rules with fewer than {MIN_FIXTURES} positive or negative fixture files "
        f"(positive, negative): {lacking}"
    )


def test_fixture_kinds_count_files_not_markers(tmp_path: Path) -> None:
    rule_dir = tmp_path / "MM009"
    rule_dir.mkdir()
    marked = rule_dir / "two-markers.patch"
    marked.write_text(
        "+\tfoo(); /* ruleid: MM009 */\n+\tbar(); /* ruleid: MM009, MM008 */\n"
        "+\tbaz(); /* ok: MM007 */\n"
    )
    assert fixture_kinds(marked) == ({"MM009", "MM008"}, {"MM007"})
    clean = rule_dir / "clean.patch"
    clean.write_text("+\tfoo();\n")
    assert fixture_kinds(clean) == (set(), {"MM009"})
    series = rule_dir / "series.mbox"
    series.write_text("+\tfoo();\n")
    series.with_suffix(".expect").write_text("# nothing\n2 mm/x.c 12 SER009\n")
    assert fixture_kinds(series) == ({"SER009"}, {"MM009"})
    series.with_suffix(".expect").write_text("# a negative series case\n")
    assert fixture_kinds(series) == (set(), {"MM009"})
