"""Recall and false positives of the rmap rule pack on planted defects in real kernel code.

Extracts the files the cases edit from Debian's linux-source-6.1 and linux-source-6.12
tarballs, builds three scratch git repositories (v6.1, v6.12, and v6.12 with the v6.15
dst_vma change of data/v6.15-dst-vma.patch), commits each case on its era and exports it
with git format-patch, then reviews every patch in-process as `reviewbot review PATCH`
does (patch mode: no --kernel, no --tree). Skips (exit 0) when a tarball is missing.

    python tests/bench/rmap_mutations.py [--show-misses] [--only REGEX] [--keep DIR]

What it measures: the cases of rmap_mutation_specs.py plant one defect each (a reference
taken after the rmap dup or dropped, an unchecked try-dup, an anon-only call on a file
page, a pinned-page check in the wrong place, an API from another era, a symbol an
earlier patch of the series removed) into the real fork/copy call sites, and export it
with 3 and 10 lines of context, whole-function context, and next to unrelated edits. A
planted defect counts as found when a finding with the defect's rule name, at warning or
above, is on the right patch and path within 3 lines of a line of the mutation (its added
lines and deletion points, or for some cases the line of the rmap call it pairs with).
"Incl. info" also counts info findings. The correct cases are real, harmless edits of the
same functions plus the real v6.15 dst_vma conversion: any warning+ finding on one of them
is a false positive.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common import TARBALL, extract
from rmap_mutation_specs import Case, Edit, all_cases

from reviewbot import sources
from reviewbot.engine.loader import load_rules
from reviewbot.findings import Severity
from reviewbot.pipeline import ReviewOptions, review_series

HERE = Path(__file__).resolve().parent
TARBALLS = {"6.1": Path("/usr/src/linux-source-6.1.tar.xz"), "6.12": TARBALL}
DST_PATCH = HERE / "data" / "v6.15-dst-vma.patch"
# era -> (the tarball's version, the patch that makes the era out of it)
ERAS: dict[str, tuple[str, Path | None]] = {
    "6.1": ("6.1", None),
    "6.12": ("6.12", None),
    "6.15": ("6.12", DST_PATCH),
}
REAL_COMMIT = "ok-real-dst-vma-conversion"
DST_SUBJECT = "mm/rmap: pass dst_vma to folio_dup_file_rmap_pte() and friends (as in v6.15)"
NEAR = 3  # lines between a finding and the mutation for the defect to count as found
IDENTITY = "Jane Developer", "jane@example.org"
DATE = "2026-03-02T10:15:00+0100"
FORMATS = {"U3": [], "U10": ["-U10"], "W": ["-W"]}
WORKERS = 2  # processes: the machine this is sized for has 2 cores


class SpecError(Exception):
    """A case whose edit does not find its line: the spec and the kernel text disagree."""


# --- line-level edits inside a function ---------------------------------------------


def _find(lines: list[str], start: int, regex: str) -> int:
    for i in range(start, len(lines)):
        if re.search(regex, lines[i]):
            return i
    raise SpecError(f"not found: {regex!r} from line {start + 1}")


def _func_end(lines: list[str], start: int) -> int:
    for i in range(start, len(lines)):
        if lines[i] == "}":
            return i
    return len(lines)


def apply(text: str, edit: Edit) -> str:
    """``text`` with ``edit`` applied (the operations are documented on Edit)."""
    lines = text.split("\n")
    f = 0
    for rx in edit.func.split(" >> "):
        f = _find(lines, f, rx)
    for op in edit.ops:
        kind = op[0]
        if kind == "del":
            del lines[_find(lines, f, op[1])]
        elif kind == "sub":
            i = _find(lines, f, op[1])
            new = re.sub(op[2], op[3], lines[i], count=1)
            if new == lines[i]:
                raise SpecError(f"substitution changes nothing: {op}")
            lines[i] = new
        elif kind == "mv":
            i = _find(lines, f, op[1])
            moved = lines.pop(i)
            lines.insert(_find(lines, i, op[2]) + 1, moved)
        elif kind == "ins":
            i = _find(lines, f, op[1])
            lines[i + 1 : i + 1] = op[2].split("\n")
        elif kind == "insb":
            i = _find(lines, f, op[1])
            lines[i:i] = op[2].split("\n")
        elif kind == "delblk":
            i = _find(lines, f, op[1])
            del lines[i : _find(lines, i, op[2]) + 1]
        elif kind == "repblk":
            i = _find(lines, f, op[1])
            lines[i : _find(lines, i, op[2]) + 1] = op[3].split("\n")
        elif kind == "func":
            for k in range(f, _func_end(lines, f) + 1):
                lines[k] = re.sub(op[1], op[2], lines[k])
        else:
            raise SpecError(f"unknown operation {op}")
    return "\n".join(lines)


def changed_lines(before: str, after: str) -> list[int]:
    """Post-image line numbers (1-based) of added lines and deletion points."""
    a, b = before.split("\n"), after.split("\n")
    # Only the changed middle goes to difflib, which is quadratic in the lines it gets:
    # the whole of mm/memory.c takes a quarter of a second, the middle a millisecond.
    # Like difflib, match the longer common end first: an insertion that starts or ends
    # with a line like its neighbour then gets the same line numbers as on the whole text.
    n = min(len(a), len(b))
    head = next((i for i in range(n) if a[i] != b[i]), n)
    tail = next((i for i in range(n) if a[-1 - i] != b[-1 - i]), n)
    if tail > head:
        head = min(head, n - tail)
    else:
        tail = min(tail, n - head)
    out: list[int] = []
    matcher = difflib.SequenceMatcher(
        a=a[head : len(a) - tail], b=b[head : len(b) - tail], autojunk=False
    )
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            out.extend(range(head + j1 + 1, head + j2 + 1))
        else:
            out.append(head + j1 + 1)  # the line now where the deleted ones were
    return out


# --- scratch repositories ------------------------------------------------------------


def git_env(home: Path) -> dict[str, str]:
    """No system or user configuration, a fixed identity and date: the same patches anywhere."""
    empty = home / "gitconfig"
    empty.touch()
    name, email = IDENTITY
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LC_ALL": "C",
        "TZ": "UTC",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(empty),
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": DATE,
        "GIT_COMMITTER_DATE": DATE,
    }


@dataclass
class Repo:
    path: Path
    env: dict[str, str]
    base: str = ""  # the era's commit every case starts from
    texts: dict[str, str] = field(default_factory=dict)  # path -> text at base

    def git(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def commit(self, message: str, paths: list[str]) -> None:
        # paths after "--": commit their working tree text, no separate "git add"
        self.git("commit", "-q", "-F", "-", "--", *paths, stdin=message)


def build_repo(era: str, tree: Path, into: Path, env: dict[str, str]) -> Repo:
    """A repository of the era's files, with the kernel's diff drivers (hunk headers, -W)."""
    version, patch = ERAS[era]
    repo = Repo(into, env)
    shutil.copytree(tree, into)
    (into / ".gitattributes").write_text("*.c\tdiff=cpp\n*.h\tdiff=cpp\n")
    repo.git("init", "-q", "-b", "master")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", f"v{version} base")
    if patch is not None:
        repo.git("apply", str(patch))
        repo.git("commit", "-q", "-a", "-m", DST_SUBJECT)
    repo.base = repo.git("rev-parse", "HEAD").strip()
    files = repo.git("ls-files").split("\n")
    repo.texts = {p: (into / p).read_text(encoding="utf-8") for p in files if p}
    return repo


@dataclass
class Expect:
    rule: str
    patch: int
    path: str
    lines: list[int]


@dataclass
class Exported:
    id: str
    kind: str
    base: str
    fmt: str
    file: str
    rule: str | None
    expects: list[Expect]


def export(case: Case, repo: Repo, out: Path) -> Exported:
    """Commit the case on the era's base, write it as format-patch does, and reset."""
    texts = dict(repo.texts)
    expects: list[Expect] = []
    try:
        for n, commit in enumerate(case.commits, 1):
            touched: list[str] = []
            # unrelated edits first, so the mutation's lines are those of the final text
            for edit in sorted(commit.edits, key=lambda e: e.mut):
                before = texts[edit.path]
                after = texts[edit.path] = apply(before, edit)
                (repo.path / edit.path).write_text(after, encoding="utf-8")
                touched.append(edit.path)
                if edit.mut and case.rule and n == len(case.commits):
                    lines = changed_lines(before, after)
                    if case.anchors:
                        post = after.split("\n")
                        start = _find(post, 0, edit.func.split(" >> ")[0])
                        lines += [_find(post, start, rx) + 1 for rx in case.anchors]
                    expects.append(Expect(case.rule, n, edit.path, sorted(set(lines))))
            message = (
                f"{commit.subject}\n\n{commit.body.strip()}\n\n"
                f"Signed-off-by: {IDENTITY[0]} <{IDENTITY[1]}>\n"
            )
            repo.commit(message, touched)
        count = len(case.commits)
        if count == 1:
            name = case.id + ".patch"
            text = repo.git("format-patch", "-1", "--stdout", *FORMATS[case.fmt])
        else:
            name = case.id + ".mbox"
            text = repo.git("format-patch", f"-{count}", "--stdout", "--thread", *FORMATS[case.fmt])
    finally:
        repo.git("reset", "-q", "--hard", repo.base)
    (out / name).write_text(text, encoding="utf-8")
    return Exported(case.id, case.kind, case.base, case.fmt, name, case.rule, expects)


def export_real_commit(repo: Repo, out: Path) -> list[Exported]:
    """The v6.15 dst_vma conversion itself, exported as it is: correct code."""
    done = []
    for fmt, options in FORMATS.items():
        name = f"{REAL_COMMIT}.{fmt}.patch"
        text = repo.git("format-patch", "-1", "--stdout", *options, repo.base)
        (out / name).write_text(text, encoding="utf-8")
        done.append(Exported(f"{REAL_COMMIT}.{fmt}", "ok:real-commit", "6.15", fmt, name, None, []))
    return done


def generate(
    cases: list[Case], trees: dict[str, Path], home: Path, out: Path, real: bool
) -> tuple[list[Exported], list[str]]:
    """The cases as patches or mboxes in ``out``, from repositories of their own under
    ``home`` (and the real dst_vma commit when ``real``); second, the skipped cases."""
    home.mkdir()
    env = git_env(home)
    repos = {era: build_repo(era, trees[ERAS[era][0]], home / f"k{era}", env) for era in ERAS}
    done: list[Exported] = []
    skipped: list[str] = []
    for case in cases:
        try:
            done.append(export(case, repos[case.base], out))
        except SpecError as exc:
            skipped.append(f"{case.id}: {exc}")
    if real:
        done += export_real_commit(repos["6.15"], out)
    return done, skipped


# --- review and score ----------------------------------------------------------------


@dataclass
class Seen:
    """A finding as scored: where it is and how severe."""

    name: str
    severity: Severity
    patch: int | None
    path: str | None
    line: int | None
    message: str


def review(files: list[Path]) -> dict[str, list[Seen]]:
    """The findings on each file, as `reviewbot review FILE` reports them (rule errors too)."""
    rules = load_rules()
    out: dict[str, list[Seen]] = {}
    for f in files:
        # a file source: the lore URL is never contacted
        series = sources.load_series(str(f), lore_url="http://127.0.0.1:9")
        report = review_series(series, ReviewOptions(), rules)
        seen = [
            Seen(x.name, x.severity, x.patch, x.path, x.line, x.message) for x in report.findings
        ]
        seen += [
            Seen("RULE-ERROR", Severity.ERROR, e.patch, e.path, None, e.message)
            for e in report.errors
        ]
        out[f.name] = seen
    return out


def found(expect: Expect, seen: list[Seen], level: Severity) -> bool:
    return any(
        s.name == expect.rule
        and s.severity >= level
        and s.patch == expect.patch
        and s.path == expect.path
        and s.line is not None
        and any(abs(s.line - ln) <= NEAR for ln in expect.lines)
        for s in seen
    )


def score(done: list[Exported], results: dict[str, list[Seen]], show_misses: bool) -> None:
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    n_defects = at_warning = at_info = 0
    misses: list[tuple[str, Expect, list[Seen]]] = []
    correct = 0
    false_positives: list[tuple[str, Seen]] = []
    errors = 0
    for case in done:
        seen = results[case.file]
        errors += sum(1 for s in seen if s.name == "RULE-ERROR")
        if case.rule is None:
            correct += 1
            false_positives += [(case.id, s) for s in seen if s.severity >= Severity.WARNING]
            continue
        for expect in case.expects:
            warn = found(expect, seen, Severity.WARNING)
            info = found(expect, seen, Severity.INFO)
            n_defects += 1
            at_warning += warn
            at_info += info
            row = kinds[f"{case.base}:{case.kind}"]
            row[0] += 1
            row[1] += warn
            row[2] += info
            if not warn:
                misses.append((case.id, expect, seen))
    mutated = sum(1 for c in done if c.rule)
    print(f"cases: {len(done)} ({mutated} mutated, {correct} correct)")
    print("\nby kind (defects, found at warning+, found incl. info):")

    def era_order(item: tuple[str, list[int]]) -> tuple[list[int], str]:
        era, _, kind = item[0].partition(":")
        return [int(x) for x in era.split(".")], kind

    for kind, (n, n_warning, n_info) in sorted(kinds.items(), key=era_order):
        flag = "" if n_warning == n else "  <--"
        print(f"  {kind:32} {n:3} {n_warning:3} {n_info:3}{flag}")
    print(f"\nplanted defects: {n_defects}")
    print(f"recall at warning+: {at_warning}/{n_defects} = {at_warning / max(n_defects, 1):.1%}")
    print(f"recall incl. info:  {at_info}/{n_defects} = {at_info / max(n_defects, 1):.1%}")
    cases_fp = len({cid for cid, _ in false_positives})
    print(
        f"false positives at warning+: {len(false_positives)} findings "
        f"in {cases_fp}/{correct} correct cases"
    )
    for cid, s in false_positives:
        print(f"  - {cid}: {s.severity} {s.name} @{s.patch} {s.path}:{s.line} {s.message[:160]}")
    print(f"rule errors: {errors}")
    if show_misses:
        print("\nmisses at warning+:")
        for cid, expect, seen in misses:
            print(f"- {cid}: want {expect.rule} @{expect.patch} {expect.path}:{expect.lines}")
            if not seen:
                print("    (no findings)")
            for s in seen:
                print(
                    f"    {s.severity!s:7} {s.name} @{s.patch} {s.path}:{s.line} {s.message[:150]}"
                )


# --- main ----------------------------------------------------------------------------


def needed_files(cases: list[Case]) -> list[str]:
    """Every file an edit touches or the dst patch changes: all the repositories hold."""
    paths = {e.path for c in cases for commit in c.commits for e in commit.edits}
    diff = DST_PATCH.read_text(encoding="utf-8")
    paths |= set(re.findall(r"^diff --git a/(\S+) ", diff, flags=re.MULTILINE))
    return sorted(paths)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show-misses", action="store_true", help="list the defects not found")
    ap.add_argument("--only", metavar="REGEX", help="only the cases whose id matches")
    ap.add_argument("--keep", metavar="DIR", type=Path, help="keep the generated cases here")
    args = ap.parse_args()
    missing = [str(t) for t in TARBALLS.values() if not t.is_file()]
    if missing:
        print(
            f"skipped: {', '.join(missing)} not installed (apt-get install linux-source-6.1 "
            "linux-source-6.12)"
        )
        return 0
    start = time.perf_counter()
    cases = all_cases()
    if args.only:
        cases = [c for c in cases if re.search(args.only, c.id)]
    with tempfile.TemporaryDirectory(prefix="rmap-mutations-") as tmp:
        work = Path(tmp)
        members = needed_files(all_cases())
        # one tarball per core: decompressing is most of the set-up time
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            jobs = {
                v: pool.submit(extract, members, work / f"linux-{v}", t)
                for v, t in TARBALLS.items()
            }
            trees = {v: job.result() for v, job in jobs.items()}
        extracted = time.perf_counter()
        out = args.keep if args.keep else work / "cases"
        out.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            shares = [
                pool.submit(generate, cases[k::WORKERS], trees, work / f"w{k}", out, k == 0)
                for k in range(WORKERS)
            ]
            parts = [share.result() for share in shares]
        order = {c.id: i for i, c in enumerate(cases)}
        done = sorted((e for p in parts for e in p[0]), key=lambda e: order.get(e.id, len(order)))
        if args.only:  # the real commit's three exports, which are not in ``cases``
            done = [e for e in done if re.search(args.only, e.id)]
        skipped = [s for p in parts for s in p[1]]
        generated = time.perf_counter()
        results = review([out / c.file for c in done])
        reviewed = time.perf_counter()
        if args.keep:
            meta = [asdict(c) for c in done]
            (out / "cases.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    for line in skipped:
        print(f"skipped case {line}", file=sys.stderr)
    score(done, results, args.show_misses)
    print(
        f"time: {reviewed - start:.1f} s (extract {extracted - start:.1f} s, "
        f"generate {generated - extracted:.1f} s, review {reviewed - generated:.1f} s)"
    )
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
