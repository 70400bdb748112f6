"""Run the selected rules over a series: isolate crashes, fingerprint, dedupe, sort."""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from reviewbot.analyze.cmodel import FileView
from reviewbot.engine.rule import Hit, PatchContext, Rule, SeriesContext
from reviewbot.findings import Finding, RuleError
from reviewbot.kernel import KernelVersion
from reviewbot.parse.patch import Patch, Series

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    errors: tuple[RuleError, ...]
    rules_run: tuple[str, ...]


def fingerprint(code: str, path: str | None, function: str | None, key: str) -> str:
    """Stable across revisions: no line numbers, whitespace folded."""
    text = "\0".join((code, path or "", function or "", _SPACES.sub(" ", key).strip()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _line_text(patch: Patch | None, path: str | None, line: int | None) -> str:
    if patch is None or path is None or line is None:
        return ""
    for diff in patch.files:
        if diff.path == path:
            shown = diff.post_line_map().get(line)
            return shown.text if shown else ""
    return ""


def _finding(rule: Rule, hit: Hit, series: Series, patch: Patch | None) -> Finding:
    if patch is None and hit.patch is not None:
        patch = next((p for p in series.patches if p.index == hit.patch), None)
    key = hit.key if hit.key is not None else _line_text(patch, hit.path, hit.line) or hit.message
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=hit.severity or rule.severity,
        confidence=hit.confidence or rule.confidence,
        message=hit.message,
        patch=patch.index if patch else None,
        msgid=patch.msgid if patch else series.msgid,
        path=hit.path,
        line=hit.line,
        fingerprint=fingerprint(rule.code, hit.path, hit.function, key),
        suggestion=hit.suggestion,
        related=hit.related,
        function=hit.function,
        status=rule.status,
        commit=patch.commit[:12] if patch and patch.commit else None,
    )


def _crash(rule: Rule, exc: BaseException, patch: Patch | None) -> RuleError:
    where = f"patch {patch.index}" if patch else "the series"
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return RuleError(
        f"rule {rule.code} {rule.name} crashed on {where}: {type(exc).__name__}: {exc}{at}",
        code=rule.code,
        patch=patch.index if patch else None,
    )


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Drop exact repeats; number repeated fingerprints so each stays unique."""
    seen: set[tuple[object, ...]] = set()
    counts: dict[str, int] = {}
    out: list[Finding] = []
    for f in sorted(findings, key=Finding.sort_key):
        ident = (f.code, f.patch, f.path, f.line, f.message)
        if ident in seen:
            continue
        seen.add(ident)
        n = counts.get(f.fingerprint, 0) + 1
        counts[f.fingerprint] = n
        if n > 1:
            f = replace(f, fingerprint=f"{f.fingerprint}-{n}")
        out.append(f)
    return out


def run(
    series: Series,
    rules: Sequence[Rule],
    kernel: KernelVersion,
    views: dict[int, tuple[FileView, ...]] | None = None,
    kernel_source: str = "",
) -> Outcome:
    """Run ``rules`` that apply to ``kernel``; ``views`` (tree mode) maps patch index to files."""
    active = [r for r in rules if r.applies_to(kernel)]
    contexts = tuple(
        PatchContext(series, p, kernel, kernel_source, views.get(p.index) if views else None)
        for p in series.patches
    )
    findings: list[Finding] = []
    errors: list[RuleError] = []
    for rule in active:
        if rule.scope == "series":
            sctx = SeriesContext(series, kernel, contexts, kernel_source)
            try:
                hits = list(rule.check(sctx))  # type: ignore[arg-type]
            except Exception as exc:  # isolate: a crashing rule never stops the others
                errors.append(_crash(rule, exc, None))
                continue
            findings.extend(_finding(rule, h, series, None) for h in hits)
            continue
        for ctx in contexts:
            try:
                hits = list(rule.check(ctx))  # type: ignore[arg-type]
            except Exception as exc:
                errors.append(_crash(rule, exc, ctx.patch))
                continue
            findings.extend(_finding(rule, h, series, ctx.patch) for h in hits)
    return Outcome(tuple(_dedupe(findings)), tuple(errors), tuple(r.code for r in active))
