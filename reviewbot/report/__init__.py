"""Renderers: each module turns one Report into one format.

Every renderer module has ``render(report: Report, options: RenderOptions) -> str``;
:func:`renderer` finds it by format name, so the CLI knows no format in particular.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reviewbot.engine.rule import Rule
from reviewbot.errors import UsageError
from reviewbot.findings import Report, Severity

# format name -> module (under reviewbot.report) that renders it
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "checkpatch": "checkpatch",
    "b4": "b4",
    "email": "email",
    "github": "github",
}

# Where `reviewbot rules show` docs are published; renderers link findings here.
RULE_DOC_URL = "https://reviewbot.readthedocs.io/en/latest/rules/{code}.html"


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    rules: Mapping[str, Rule] = field(default_factory=dict)  # code -> rule, for metadata
    min_severity: Severity = Severity.INFO
    include_preview: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)  # format-specific settings


Render = Callable[[Report, RenderOptions], str]


def renderer(name: str) -> Render:
    module = FORMATS.get(name)
    if module is None:
        raise UsageError(f"--format {name}: unknown format (one of {', '.join(FORMATS)})")
    mod = importlib.import_module(f"reviewbot.report.{module}")
    render: Render = mod.render
    return render
