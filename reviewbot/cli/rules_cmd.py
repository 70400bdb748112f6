"""``reviewbot rules list`` and ``reviewbot rules show CODE``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reviewbot.cli import options
from reviewbot.engine.loader import load_rules


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "rules", help="list the rules or show one rule's documentation"
    )
    inner = parser.add_subparsers(dest="rules_command", metavar="ACTION")
    inner.required = True
    listing = inner.add_parser("list", help="one line per rule")
    options.add_common(listing)
    listing.add_argument("--rules", action="append", default=[], metavar="DIR")
    listing.set_defaults(run=run_list)
    show = inner.add_parser("show", help="a rule's metadata and documentation")
    options.add_common(show)
    show.add_argument("rule", metavar="CODE", help="code or name, e.g. MM001")
    show.add_argument("--rules", action="append", default=[], metavar="DIR")
    show.set_defaults(run=run_show)


def run_list(args: argparse.Namespace) -> int:
    config = options.load_config(args)
    rules = load_rules([*config.words("rules.dirs"), *args.rules])
    for rule in sorted(rules.rules.values(), key=lambda r: r.code):
        kernels = f" [{rule.kernels}]" if rule.kernels.text else ""
        sys.stdout.write(
            f"{rule.code}  {rule.name:<24} {rule.severity!s:<7} {rule.status!s:<7} "
            f"{rule.summary}{kernels}\n"
        )
    return 0


def run_show(args: argparse.Namespace) -> int:
    config = options.load_config(args)
    rule = load_rules([*config.words("rules.dirs"), *args.rules]).get(args.rule)
    lines = [
        f"{rule.code} {rule.name}",
        f"  summary:    {rule.summary}",
        f"  severity:   {rule.severity}",
        f"  confidence: {rule.confidence}",
        f"  status:     {rule.status}",
        f"  kernels:    {rule.kernels}",
        f"  scope:      {rule.scope}",
        f"  pack:       {rule.pack}",
    ]
    lines += [f"  reference:  {ref}" for ref in rule.references]
    sys.stdout.write("\n".join(lines) + "\n\n" + rule.doc.strip() + "\n")
    return 0
