"""Options shared by the commands that review (review, check, scan), and the pipeline they run."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from reviewbot import config as configuration
from reviewbot.cli.output import FAIL_ON
from reviewbot.engine.loader import RuleSet, load_rules
from reviewbot.findings import Report
from reviewbot.parse.patch import Series
from reviewbot.pipeline import ReviewOptions, review_series
from reviewbot.report import FORMATS
from reviewbot.tree import review_in_tree


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="read configuration from FILE (after ~/.config/reviewbot/config.toml)",
    )
    parser.add_argument(
        "-c",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a configuration key, e.g. -c review.fail-on=error",
    )


def add_review_options(parser: argparse.ArgumentParser, tree: bool = True) -> None:
    add_common(parser)
    if tree:
        parser.add_argument(
            "--tree",
            metavar="PATH",
            help="a kernel git checkout: apply the series (git am -3) in a scratch worktree "
            "on its base-commit, else HEAD, and report what it introduces, seeing whole "
            "functions; a patch that does not apply exits 2 after the report of those before it",
        )
    parser.add_argument("--format", choices=sorted(FORMATS), help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="PATH", help="write the output to PATH")
    parser.add_argument("--kernel", metavar="VERSION", help="target kernel, e.g. 6.1 or 6.12")
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="RULES",
        help="run only these rules (codes, prefixes or names; comma-separated; repeatable)",
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="RULES", help="do not run these rules"
    )
    parser.add_argument(
        "--rules", action="append", default=[], metavar="DIR", help="load a rule pack directory"
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        help="lowest severity that exits 1 (default warning; never for checkpatch and b4)",
    )
    parser.add_argument("--color", choices=("auto", "always", "never"), help="colour the text")


def load_config(args: argparse.Namespace) -> configuration.Config:
    return configuration.load(args.config, args.overrides)


def _split(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def review_options(args: argparse.Namespace, config: configuration.Config) -> ReviewOptions:
    return ReviewOptions(
        kernel=args.kernel or config.text("review.kernel") or None,
        select=_split(args.select) or config.words("rules.select"),
        ignore=_split(args.ignore) or config.words("rules.ignore"),
        rule_dirs=[*config.words("rules.dirs"), *args.rules],
    )


def ruleset(options: ReviewOptions) -> RuleSet:
    return load_rules(options.rule_dirs)


def review(
    args: argparse.Namespace,
    config: configuration.Config,
    series: Series,
    rules: RuleSet,
    tree_kernel: str | None = None,
) -> Report:
    """The pipeline for every command that reviews a series (review, check).

    ``tree_kernel`` is the version of the tree the author works in (check), which beats
    a guess from the patch but not --kernel.
    """
    opts = review_options(args, config)
    if getattr(args, "tree", None):
        return review_in_tree(series, opts, rules, Path(args.tree))
    return review_series(series, replace(opts, tree_kernel=tree_kernel), rules)
