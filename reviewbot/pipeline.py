"""The one pipeline behind every way in: a series -> rules -> a Report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot.analyze.cmodel import FileView
from reviewbot.engine import runner, target
from reviewbot.engine.loader import RuleSet, load_rules
from reviewbot.findings import Report
from reviewbot.parse.patch import Series


@dataclass(frozen=True)
class ReviewOptions:
    kernel: str | None = None  # MAJOR.MINOR; None: from the tree, else the patch, else newest
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    rule_dirs: Sequence[str] = ()
    tree_kernel: str | None = None  # VERSION.PATCHLEVEL of a --tree checkout


def review_series(
    series: Series,
    options: ReviewOptions,
    rules: RuleSet | None = None,
    views: dict[int, tuple[FileView, ...]] | None = None,
    notes: Sequence[str] = (),
) -> Report:
    ruleset = rules if rules is not None else load_rules(options.rule_dirs)
    chosen = ruleset.select(options.select, options.ignore)
    goal = target.choose(options.kernel, series, ruleset.era_markers, options.tree_kernel)
    outcome = runner.run(series, chosen, goal.version, views, goal.source)
    return Report(
        series=series,
        findings=outcome.findings,
        errors=outcome.errors,
        kernel=str(goal.version),
        kernel_source=goal.source,
        rules_run=outcome.rules_run,
        notes=(*series.notes, *notes),
    )
