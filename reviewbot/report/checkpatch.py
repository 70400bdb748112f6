"""checkpatch-style lines, for ``b4 prep --check`` (``b4.prep-perpatch-check-cmd``).

b4 0.16 (``LoreMessage.run_local_check``) feeds one patch on stdin and reads the output so:
every non-empty stdout line is one finding, ``fail`` when it contains ``ERROR:`` and
``warning`` otherwise, with a leading ``-:`` removed; every stderr line is a ``fail``; no
output at all is "passed all checks" when the exit status is 0 and a failure otherwise.
Hence: one line per finding at warning or above, never a blank or header line, nothing at
all when clean. The shape is checkpatch's own ``--terse --showfile --show-types`` line::

    mm/memory.c:970: ERROR:MM002: ref-before-dup: get_page() now comes after ...

Info findings are omitted (b4 would count them as warnings). Rule errors are written as
``WARNING:`` lines so that a rule that crashed is not mistaken for a clean pass.
"""

from __future__ import annotations

import re

from reviewbot.findings import Finding, Report
from reviewbot.report import RenderOptions
from reviewbot.report.levels import level, shown

_SPACES = re.compile(r"\s+")


def _one_line(text: str) -> str:
    # b4 splits on newlines: a message over two lines would count as two findings.
    return _SPACES.sub(" ", text).strip()


def _where(path: str | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{path}:{line}: " if line is not None else f"{path}: "


def line(finding: Finding) -> str | None:
    """The checkpatch line of one finding; None for findings checkpatch has no word for."""
    word = level(finding.severity).checkpatch
    if word is None:
        return None
    text = finding.message
    if finding.suggestion:
        text = f"{text} ({finding.suggestion})"
    return _one_line(
        f"{_where(finding.path, finding.line)}{word}:{finding.code}: {finding.name}: {text}"
    )


def lines(report: Report, options: RenderOptions) -> list[str]:
    out = [ln for f in shown(report, options) if (ln := line(f)) is not None]
    for err in report.errors:
        code = err.code or "reviewbot"
        out.append(_one_line(f"{_where(err.path, None)}WARNING:{code}: rule error: {err.message}"))
    return out


def render(report: Report, options: RenderOptions) -> str:
    out = lines(report, options)
    return "".join(f"{ln}\n" for ln in out)
