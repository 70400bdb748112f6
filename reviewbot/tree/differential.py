"""Tree mode: apply the series in a scratch worktree and report what it introduces.

For each patch that applies, the rules see whole files twice: the file after the patch
and the file before it. In both runs the *touched functions* (every function holding a
changed line, or where lines were removed, matched by name between the two images)
count as changed, whole: a rule that only reports changed code then sees the same
function in both states, so a defect that was already there gives the same finding
(same fingerprint: rule, path, function, flagged line text) before and after, and
only the difference is reported. A defect a patch causes without touching the flagged
line (removing a ``folio_get()`` forty lines above an untouched dup call) is a new
finding in the after run, so it is reported too.

Findings of patch rules that point into a C file of an applied patch are the ones
compared; those outside its touched functions are dropped (untouched code says
nothing). Findings without a place in C code (commit message, series-wide rules) come
from the after run unchanged: the before run does not exist for them.

A patch that does not apply stops the application: it is reported as an
:class:`ApplyError` naming the patch and git's reason, the patches before it are
reviewed in tree mode, and it and those after it from their diffs alone (patch mode),
which ``Report.notes`` says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import tree_sitter

from reviewbot.analyze.cmodel import FileView, function_definition_name, is_c_file
from reviewbot.engine import runner, target
from reviewbot.engine.loader import RuleSet
from reviewbot.engine.rule import Rule
from reviewbot.errors import InputError
from reviewbot.findings import Finding, Report, RuleError
from reviewbot.kernel import version_in
from reviewbot.parse.diff import FileDiff, Hunk, Line, parse_diff
from reviewbot.parse.patch import Patch, Series
from reviewbot.pipeline import ReviewOptions
from reviewbot.tree.mbox import patch_mbox
from reviewbot.tree.wholefile import whole_file
from reviewbot.tree.worktree import Worktree, repository_of, resolve_commit


@dataclass(frozen=True)
class ApplyError(RuleError):
    """A patch of the series that ``git am -3`` could not apply in the tree."""


@dataclass(frozen=True)
class Base:
    commit: str
    note: str  # which base was used and why, for Report.notes


@dataclass
class Applied:
    """What the worktree made of the series: each applied patch as a whole-file diff."""

    base: Base
    kernel: str | None  # VERSION.PATCHLEVEL of the base's Makefile
    diffs: dict[int, tuple[FileDiff, ...]] = field(default_factory=dict)
    failed: ApplyError | None = None
    unapplied: tuple[int, ...] = ()


def short(sha: str) -> str:
    return sha[:12]


def choose_base(repo: Path, series: Series) -> Base:
    """The series' ``base-commit:`` when the tree has it, else HEAD (the note says which)."""
    wanted = series.base_commit
    if wanted:
        sha = resolve_commit(repo, wanted)
        if sha:
            return Base(sha, f"tree mode: applied on the series' base-commit {short(sha)}")
    head = resolve_commit(repo, "HEAD")
    if head is None:
        raise InputError(f"--tree {repo}: the repository has no commit at HEAD")
    if wanted:
        why = f"the tree does not have the series' base-commit {short(wanted)}"
    else:
        why = "the series names no base-commit"
    return Base(head, f"tree mode: {why}: applied on HEAD ({short(head)})")


def _label(series: Series, patch: Patch) -> str:
    version = f" v{series.version}" if series.version > 1 else ""
    return f"[PATCH{version} {patch.index}/{series.total}] {patch.subject.title}"


def _series_paths(patches: Iterable[Patch]) -> set[str]:
    return {p for patch in patches for d in patch.files for p in (d.path, d.old_path) if p}


def _c_paths(patch: Patch) -> list[str]:
    paths = []
    for diff in patch.files:
        if is_c_file(diff.path) and not diff.binary:
            paths.append(diff.path)
            if diff.old_path and diff.old_path != diff.path:
                paths.append(diff.old_path)
    return paths


def apply_series(repo: Path, series: Series) -> Applied:
    """Apply ``series`` patch by patch in a scratch worktree; read back what each did."""
    base = choose_base(repo, series)
    with_diffs = [p for p in series.patches if p.files]
    applied = Applied(base, None)
    with Worktree(repo, base.commit, _series_paths(with_diffs)) as tree:
        makefile = tree.blob(base.commit, "Makefile")
        found = version_in(makefile) if makefile else None
        applied.kernel = str(found) if found else None
        parent = base.commit
        commits: dict[int, tuple[str, str]] = {}
        for n, patch in enumerate(with_diffs):
            reason = tree.apply(patch_mbox(patch))
            if reason is not None:
                applied.failed = ApplyError(
                    f"{_label(series, patch)}: does not apply on {short(base.commit)}: {reason}",
                    patch=patch.index,
                )
                applied.unapplied = tuple(p.index for p in with_diffs[n:])
                break
            commit = tree.head()
            commits[patch.index] = (parent, commit)
            parent = commit
        for patch in with_diffs:
            if patch.index not in commits:
                continue
            paths = _c_paths(patch)
            if not paths:
                applied.diffs[patch.index] = ()
                continue
            before, after = commits[patch.index]
            text = tree.whole_diff(before, after, paths)
            applied.diffs[patch.index] = parse_diff(text, f"{_label(series, patch)} (git diff)")
    return applied


# --- touched functions ------------------------------------------------------------

_CONTAINERS = frozenset(
    {
        "translation_unit",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
        "linkage_specification",
        "declaration_list",
        "ERROR",
    }
)


def function_spans(root: tree_sitter.Node) -> Iterator[tuple[str | None, int, int]]:
    """(name, first line, last line) of each function definition, lines 1-based."""
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.type == "function_definition":
                name = function_definition_name(child)
                yield name, child.start_point.row + 1, child.end_point.row + 1
            elif child.type in _CONTAINERS:
                stack.append(child)


def _anchors(hunks: Sequence[Hunk]) -> tuple[set[int], set[int], set[int], set[int]]:
    """Added and removed lines, and where each side's changes sit in the other image."""
    added: set[int] = set()
    removed: set[int] = set()
    after_points: set[int] = set()  # post-image lines next to removed lines
    before_points: set[int] = set()  # pre-image lines next to added lines
    for hunk in hunks:
        last_new = last_old = 0
        pending_new = pending_old = False
        for line in hunk.lines:
            if line.kind == "+" and line.new is not None:
                added.add(line.new)
                before_points.add(max(last_old, 1))
                pending_old = True
            elif line.kind == "-" and line.old is not None:
                removed.add(line.old)
                after_points.add(max(last_new, 1))
                pending_new = True
            if line.new is not None:
                if pending_new and line.kind != "+":
                    after_points.add(line.new)
                    pending_new = False
                last_new = line.new
            if line.old is not None:
                if pending_old and line.kind != "-":
                    before_points.add(line.old)
                    pending_old = False
                last_old = line.old
    return added, removed, after_points, before_points


def _lines_of(spans: list[tuple[str | None, int, int]], names: set[str]) -> set[int]:
    out: set[int] = set()
    for name, first, last in spans:
        if name in names:
            out.update(range(first, last + 1))
    return out


def _names_at(spans: list[tuple[str | None, int, int]], points: Iterable[int]) -> set[str]:
    wanted = sorted(points)
    return {name for name, first, last in spans if name and any(first <= p <= last for p in wanted)}


# --- whole-file views -------------------------------------------------------------


@dataclass
class FileStates:
    """One C file of one applied patch, before and after, with its touched lines."""

    after: FileView  # for the after run: post = file after, pre = file before
    before: FileView | None  # for the before run: post = file before (None: new file)
    after_changed: frozenset[int]
    before_changed: frozenset[int]
    # The patch as the runs' Patch.files show it: the touched functions whole (as
    # ``git diff --function-context``), so that a finding's line text (its fingerprint
    # key) is there, without making patch-shaped helpers parse whole files again.
    after_diff: FileDiff
    before_diff: FileDiff


def _image(diff: FileDiff, side: str) -> bytes:
    lines = diff.hunks[0].lines if diff.hunks else ()
    keep = "-" if side == "post" else "+"
    return "".join(ln.text + "\n" for ln in lines if ln.kind != keep).encode("utf-8", "replace")


def _reversed(diff: FileDiff) -> FileDiff:
    """The diff from the after image back to the before one, under the after path."""
    flip = {"+": "-", "-": "+", " ": " "}
    hunks = tuple(
        Hunk(
            h.new_start,
            h.new_len,
            h.old_start,
            h.old_len,
            h.section,
            tuple(Line(flip[ln.kind], ln.text, ln.new, ln.old) for ln in h.lines),  # type: ignore[arg-type]
        )
        for h in diff.hunks
    )
    return FileDiff(diff.path, diff.path, "modified", hunks)


def file_states(diff: FileDiff) -> FileStates | None:
    """The before and after views of one whole-file diff (None for a removed file)."""
    if diff.status == "removed" or diff.binary or not diff.hunks:
        return None
    added, removed, after_points, before_points = _anchors(diff.hunks)
    after_frag = whole_file(diff.path, _image(diff, "post"))
    has_before = diff.status != "added"
    before_frag = whole_file(diff.path, _image(diff, "pre"), removed, "pre") if has_before else None
    after_spans = list(function_spans(after_frag.root))
    before_spans = list(function_spans(before_frag.root)) if before_frag else []
    names = _names_at(after_spans, added | after_points) | _names_at(
        before_spans, removed | before_points
    )
    after_changed = frozenset(_lines_of(after_spans, names) | added)
    before_changed = frozenset(_lines_of(before_spans, names) | removed)
    after_frag.changed = after_changed
    after_view = FileView(diff, (after_frag,), (before_frag,) if before_frag else ())
    before_view = None
    if before_frag is not None:
        # The same parse, seen as the "post" image of the before run (no re-parse).
        as_post = before_frag.seen_as("post", before_changed)
        before_view = FileView(_reversed(diff), (as_post,), ())
    return FileStates(
        after_view,
        before_view,
        after_changed,
        before_changed,
        function_context(diff, after_changed, before_changed),
        function_context(_reversed(diff), before_changed, after_changed),
    )


def function_context(
    diff: FileDiff, post_keep: frozenset[int], pre_keep: frozenset[int]
) -> FileDiff:
    """``diff`` cut down to its changed lines and the lines to keep on either side."""
    hunks: list[Hunk] = []
    for hunk in diff.hunks:
        run: list[Line] = []
        last_old = last_new = 0
        start = (0, 0)
        for line in (*hunk.lines, None):
            keep = line is not None and (
                line.kind != " " or line.new in post_keep or line.old in pre_keep
            )
            if keep and line is not None:
                if not run:
                    start = (last_old, last_new)
                run.append(line)
            elif run:
                hunks.append(_hunk_of(run, start))
                run = []
            if line is not None:
                last_old = line.old or last_old
                last_new = line.new or last_new
    return replace(diff, hunks=tuple(hunks))


def _hunk_of(lines: list[Line], before: tuple[int, int]) -> Hunk:
    """A hunk of ``lines``; ``before`` is the (old, new) line just above it."""
    olds = [ln.old for ln in lines if ln.old is not None]
    news = [ln.new for ln in lines if ln.new is not None]
    return Hunk(
        olds[0] if olds else before[0],
        len(olds),
        news[0] if news else before[1],
        len(news),
        "",
        tuple(lines),
    )


# --- the two runs and their difference --------------------------------------------


def _base_fingerprint(f: Finding) -> str:
    return f.fingerprint.split("-", 1)[0]  # the runner numbers repeats as "<fp>-2"


def _state_of(f: Finding, states: dict[int, dict[str, FileStates]]) -> FileStates | None:
    """The file a patch-rule finding points into, when it is a C file of an applied patch."""
    if f.patch is None or f.path is None:
        return None
    return states.get(f.patch, {}).get(f.path)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def review_in_tree(series: Series, options: ReviewOptions, rules: RuleSet, tree: Path) -> Report:
    """The tree-mode review of ``series`` against the git checkout ``tree``."""
    repo = repository_of(tree)
    applied = apply_series(repo, series)
    options = replace(options, tree_kernel=applied.kernel)
    chosen = rules.select(options.select, options.ignore)
    goal = target.choose(options.kernel, series, rules.era_markers, options.tree_kernel)
    return differential_report(series, chosen, goal, applied)


def differential_report(
    series: Series, chosen: Sequence[Rule], goal: target.Target, applied: Applied
) -> Report:
    """Run the rules after and before each applied patch; keep what the series introduced."""
    states: dict[int, dict[str, FileStates]] = {}
    for index, diffs in applied.diffs.items():
        per_file = {}
        for diff in diffs:
            state = file_states(diff)
            if state is not None:
                per_file[diff.path] = state
        states[index] = per_file

    def with_files(patch: Patch, use_before: bool) -> Patch:
        files = states.get(patch.index, {})
        if use_before:
            return replace(patch, files=tuple(s.before_diff for s in files.values() if s.before))
        changed = tuple(files[d.path].after_diff if d.path in files else d for d in patch.files)
        return replace(patch, files=changed)

    after_series = replace(
        series,
        patches=tuple(
            with_files(p, False) if p.index in applied.diffs else p for p in series.patches
        ),
    )
    after_views = {i: tuple(s.after for s in per_file.values()) for i, per_file in states.items()}
    after = runner.run(after_series, chosen, goal.version, after_views)

    patch_rules = [r for r in chosen if r.scope == "patch"]
    before_series = replace(
        series,
        patches=tuple(with_files(p, True) for p in series.patches if p.index in states),
    )
    before_views = {
        i: tuple(s.before for s in per_file.values() if s.before is not None)
        for i, per_file in states.items()
    }
    before = runner.run(before_series, patch_rules, goal.version, before_views)

    series_codes = {r.code for r in chosen if r.scope == "series"}
    earlier: Counter[tuple[int | None, str]] = Counter()
    for f in before.findings:
        state = _state_of(f, states)
        if state is not None and (f.line is None or f.line in state.before_changed):
            earlier[(f.patch, _base_fingerprint(f))] += 1
    kept: list[Finding] = []
    introduced: set[str] = set()
    pre_existing: set[str] = set()
    for f in after.findings:
        state = _state_of(f, states)
        if f.code in series_codes or state is None:
            kept.append(f)
            continue
        if f.line is not None and f.line not in state.after_changed:
            continue  # untouched code elsewhere in the file
        key = (f.patch, _base_fingerprint(f))
        if earlier[key] > 0:
            earlier[key] -= 1
            if key[1] not in introduced:
                pre_existing.add(key[1])
            continue
        introduced.add(key[1])
        kept.append(f)

    notes = [applied.base.note]
    if pre_existing:
        n = len(pre_existing)
        notes.append(
            f"{n} {_plural(n, 'finding', 'findings')} in touched code "
            f"{_plural(n, 'was', 'were')} there before the series: not reported"
        )
    errors: list[RuleError] = list(after.errors)
    errors += [e for e in before.errors if e.message not in {x.message for x in errors}]
    if applied.failed is not None:
        errors.insert(0, applied.failed)
        notes.append(
            f"patch {applied.failed.patch} does not apply: "
            f"{_plural(len(applied.unapplied), 'patch', 'patches')} "
            f"{', '.join(map(str, applied.unapplied))} reviewed from the diff alone (patch mode)"
        )
    return Report(
        series=series,
        findings=tuple(kept),
        errors=tuple(errors),
        kernel=str(goal.version),
        kernel_source=goal.source,
        rules_run=after.rules_run,
        notes=(*series.notes, *notes),
    )
