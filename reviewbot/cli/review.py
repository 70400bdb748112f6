"""``reviewbot review SOURCE``: a thread from lore (message-id, URL) or local files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reviewbot import sources
from reviewbot.cli import options, output, publishing


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "review",
        help="review a series from lore or from files",
        description=(
            "Review a patch series. SOURCE is a message-id of any message of the thread "
            "(bare, <...> or id:...), a lore URL, an mbox, a maildir, an .eml or .patch "
            "file, a directory of git format-patch output, or - for stdin."
        ),
    )
    parser.add_argument("source", metavar="SOURCE")
    parser.add_argument(
        "--lore-url", metavar="URL", help="lore base address (default https://lore.kernel.org)"
    )
    options.add_review_options(parser)
    publishing.add_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = options.load_config(args)
    output.settings(args, config)  # a typo must not cost a fetch and a review
    opts = options.review_options(args, config)
    rules = options.ruleset(opts)
    series = sources.load_series(
        args.source,
        lore_url=args.lore_url or config.text("lore.url"),
        stdin=sys.stdin.buffer,
        timeout=config.number("lore.timeout"),
    )
    report = options.review(args, config, series, rules)
    return output.emit(args, config, report, rules)
