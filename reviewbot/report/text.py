"""Plain text for the terminal: grouped by patch, one line per finding, a summary."""

from __future__ import annotations

from reviewbot.findings import Finding, Report, Severity
from reviewbot.parse.patch import Series
from reviewbot.report import RenderOptions

_COLOURS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"


def _ranges(numbers: tuple[int, ...]) -> str:
    parts: list[str] = []
    for n in sorted(numbers):
        if parts and parts[-1].split("-")[-1] == str(n - 1):
            parts[-1] = parts[-1].split("-")[0] + f"-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


def patch_label(series: Series, index: int | None) -> str:
    if index is None:
        return "[series]"
    version = f" v{series.version}" if series.version > 1 else ""
    return f"[PATCH{version} {index}/{series.total}]"


def finding_line(f: Finding, series: Series, color: bool) -> str:
    where = f"{f.path}:{f.line}" if f.path and f.line else f.path or "(series)"
    sev = str(f.severity)
    if color:
        sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
    commit = f" {f.commit}" if f.commit else ""
    return f"{patch_label(series, f.patch)}{commit} {where}: {sev}: {f.code} {f.name}: {f.message}"


def render(report: Report, options: RenderOptions) -> str:
    series = report.series
    out: list[str] = []
    shown = [f for f in report.findings if f.severity >= options.min_severity]
    groups: dict[int | None, list[Finding]] = {}
    for f in shown:
        groups.setdefault(f.patch, []).append(f)
    titles = {p.index: p.subject.title for p in series.patches}
    for index in sorted(groups, key=lambda i: -1 if i is None else i):
        title = titles.get(index, series.subject) if index is not None else series.subject
        out.append(f"{patch_label(series, index)} {title}")
        for f in groups[index]:
            out.append("  " + finding_line(f, series, options.color))
            if f.suggestion:
                out.append(f"      suggestion: {f.suggestion}")
            for r in f.related:
                where = f"{r.path}:{r.line}: " if r.path and r.line else ""
                out.append(f"      note: {where}{r.message}")
        out.append("")
    for e in report.errors:
        out.append(f"error: {e.message}")
    counts = report.counts()
    summary = ", ".join(
        f"{counts[s]} {s}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
        for s in sorted(Severity, reverse=True)
    )
    line = f"{summary} in {len(series.patches)} patch{'es' if len(series.patches) != 1 else ''}"
    line += f" of {_series_name(series)}; kernel {report.kernel} ({report.kernel_source})"
    if series.missing:
        line += f"; missing patches: {_ranges(series.missing)}"
    if report.errors:
        line += f"; {len(report.errors)} rule error{'s' if len(report.errors) != 1 else ''}"
    out.append(line)
    for note in report.notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


def _series_name(series: Series) -> str:
    version = f"v{series.version} " if series.version > 1 else ""
    return f'{version}"{series.subject}"'
