"""``reviewbot scan``: the rules over whole files, no diff: every line counts as added.

The files become one synthetic patch (``[PATCH 1/1] scan of PATH``) so that every
renderer and the JSON contract work unchanged: ``patch`` is 1, ``path`` and ``line``
point into the file. Each file is read, normalised and parsed once, every patch rule
runs on it, and its parse is dropped before the next file (memory stays at one file's
worth). Series rules do not run (there is no series), and findings without a place in
the code (about a commit message) are dropped.

Paths are shown relative to the kernel tree's root when the files are inside one (so
that ``mm/memory.c`` reads as in a patch), else as given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.analyze.cmodel import C_SUFFIXES, FileView
from reviewbot.engine import runner
from reviewbot.engine.loader import RuleSet
from reviewbot.engine.rule import Rule
from reviewbot.engine.target import Target
from reviewbot.errors import InputError
from reviewbot.findings import Finding, Report, RuleError
from reviewbot.kernel import MAKEFILE_HEAD_BYTES, NEWEST_KNOWN, KernelVersion, version_in
from reviewbot.parse.diff import FileDiff
from reviewbot.parse.patch import Patch, Series, Subject
from reviewbot.pipeline import ReviewOptions
from reviewbot.tree.wholefile import WholeFile, whole_file


@dataclass(frozen=True)
class ScanFile:
    path: Path  # on disk
    shown: str  # in findings: relative to the kernel root, else as given


def _read_head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as stream:
            return stream.read(MAKEFILE_HEAD_BYTES)
    except OSError:
        return None


def kernel_root(path: Path) -> Path | None:
    """The top of the kernel tree holding ``path`` (a file or directory), None outside one:
    the nearest directory whose Makefile sets both VERSION and PATCHLEVEL."""
    start = path.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        head = _read_head(directory / "Makefile")
        if head is not None and version_in(head) is not None:
            return directory
    return None


def tree_version(root: Path) -> KernelVersion | None:
    """The version of the kernel tree at ``root``, None when it has no versioned Makefile."""
    head = _read_head(root / "Makefile")
    return version_in(head) if head is not None else None


def _walk(directory: Path) -> Iterator[Path]:
    for top, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(C_SUFFIXES):
                yield Path(top) / name


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def collect(paths: Sequence[str], root: Path | None) -> list[ScanFile]:
    """The files to scan: each file named, and the *.c and *.h files under each directory."""
    if not paths:
        raise InputError("scan: name at least one file or directory")
    out: dict[str, ScanFile] = {}
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = list(_walk(path))
        elif path.is_file():
            found = [path]
        else:
            raise InputError(f"scan {name}: no such file or directory")
        if not found:
            raise InputError(f"scan {name}: no .c or .h files in this directory")
        for file in found:
            shown = _shown(file, root)
            out.setdefault(shown, ScanFile(file, shown))
    return list(out.values())


def scan_target(option: str | None, root: Path | None) -> Target:
    """``--kernel``, else the tree's Makefile, else the newest known kernel."""
    if option:
        return Target(KernelVersion.parse(option), "option")
    if root is not None:
        version = tree_version(root)
        if version is not None:
            return Target(version, f"tree ({root / 'Makefile'})")
    return Target(NEWEST_KNOWN, "default")


def _subject(paths: Sequence[str], count: int) -> str:
    named = " ".join(paths)
    return f"scan of {named} ({count} {'file' if count == 1 else 'files'})"


def _patch(title: str, files: tuple[FileDiff, ...]) -> Patch:
    return Patch(
        index=1,
        msgid="",
        subject=Subject(raw=title, title=title),
        author="",
        date="",
        message="",
        trailers=(),
        notes="",
        files=files,
    )


def file_view(shown: str, source: bytes) -> tuple[FileView, WholeFile]:
    """A whole file as an added file: every line changed, the fragment complete.

    The diff has no hunks: rules read the fragment, and a hunk of every line would only
    make patch-shaped helpers (which rebuild fragments from hunks) parse the file again.
    """
    rows = source.count(b"\n") + 1
    fragment = whole_file(shown, source, range(1, rows + 1))
    return FileView(FileDiff(shown, None, "added", ()), (fragment,), ()), fragment


def _line_texts(source: bytes) -> list[str]:
    return source.decode("utf-8", "replace").split("\n")


def keyed_by_line(findings: Sequence[Finding], source: bytes) -> list[Finding]:
    """Fingerprints on the flagged line's text, as the runner makes them from a diff.

    With no hunk to read the line from, the runner keyed a hit without its own ``key``
    on its message; those are re-keyed on the source line (a rule's own key stays), and
    repeats numbered again as the runner does.
    """
    lines: list[str] | None = None
    out: list[Finding] = []
    counts: dict[str, int] = {}
    for f in findings:
        fp = f.fingerprint.split("-", 1)[0]
        if f.line is not None and fp == runner.fingerprint(f.code, f.path, f.function, f.message):
            lines = lines if lines is not None else _line_texts(source)
            if 0 < f.line <= len(lines) and lines[f.line - 1].strip():
                fp = runner.fingerprint(f.code, f.path, f.function, lines[f.line - 1])
        n = counts[fp] = counts.get(fp, 0) + 1
        out.append(replace(f, fingerprint=fp if n == 1 else f"{fp}-{n}"))
    return out


def _collapsed(errors: Sequence[RuleError]) -> list[RuleError]:
    """A rule that crashes on every file is one error naming the first file and a count."""
    groups: dict[tuple[str | None, str], list[RuleError]] = {}
    for e in errors:
        shape = e.message.replace(f" on {e.path}:", " on FILE:") if e.path else e.message
        groups.setdefault((e.code, shape), []).append(e)
    out: list[RuleError] = []
    for same in groups.values():
        first = same[0]
        if len(same) > 1:
            first = replace(first, message=f"{first.message} (and {len(same) - 1} more files)")
        out.append(first)
    return out


def scan(paths: Sequence[str], options: ReviewOptions, rules: RuleSet) -> Report:
    """Run the patch rules over the files ``paths`` name (see the module docstring)."""
    first = Path(paths[0]) if paths else Path(".")
    root = kernel_root(first) if first.exists() else None
    files = collect(paths, root)
    goal = scan_target(options.kernel, root)
    patch_rules: list[Rule] = [
        r for r in rules.select(options.select, options.ignore) if r.scope == "patch"
    ]
    title = _subject(paths, len(files))
    series = Series(
        subject=title, version=1, total=1, patches=(_patch(title, ()),), source=" ".join(paths)
    )
    findings: list[Finding] = []
    errors: list[RuleError] = []
    rules_run: tuple[str, ...] = tuple(r.code for r in patch_rules if r.applies_to(goal.version))
    for file in files:
        try:
            source = file.path.read_bytes()
        except OSError as exc:
            errors.append(RuleError(f"{file.shown}: cannot read: {exc.strerror}", path=file.shown))
            continue
        view, fragment = file_view(file.shown, source)
        one = Series(title, 1, 1, (_patch(title, (view.diff,)),))
        outcome = runner.run(one, patch_rules, goal.version, {1: (view,)})
        fragment.release()
        findings.extend(keyed_by_line([f for f in outcome.findings if f.path], source))
        errors.extend(
            replace(
                e,
                message=e.message.replace(" on patch 1:", f" on {file.shown}:"),
                patch=None,
                path=file.shown,
            )
            for e in outcome.errors
        )
    count = f"{len(files)} {'file' if len(files) == 1 else 'files'}"
    notes = [f"scan: {count}, every line taken as added"]
    if root is not None:
        notes.append(f"scan: kernel tree at {root}")
    return Report(
        series=series,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        errors=tuple(_collapsed(errors)),
        kernel=str(goal.version),
        kernel_source=goal.source,
        rules_run=rules_run,
        notes=tuple(notes),
    )
