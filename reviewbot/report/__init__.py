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


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    rules: Mapping[str, Rule] = field(default_factory=dict)  # code -> rule, for metadata
    min_severity: Severity = Severity.INFO
    include_preview: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)  # format-specific settings
    # Where an operator publishes the rule docs (`reviewbot rules show`), with {code};
    # empty: a finding links to the lore discussion its rule cites instead.
    rule_doc_url: str = ""


def doc_url(options: RenderOptions, code: str) -> str | None:
    """The page that explains rule ``code``: the configured rule docs, else its first
    reference (the discussion that settled it), else None."""
    if options.rule_doc_url:
        return options.rule_doc_url.format(code=code)
    rule = options.rules.get(code)
    return rule.references[0] if rule is not None and rule.references else None


Render = Callable[[Report, RenderOptions], str]


def renderer(name: str) -> Render:
    module = FORMATS.get(name)
    if module is None:
        raise UsageError(f"--format {name}: unknown format (one of {', '.join(FORMATS)})")
    mod = importlib.import_module(f"reviewbot.report.{module}")
    render: Render = mod.render
    return render
