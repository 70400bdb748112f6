"""``reviewbot scan PATH...``: the rules over whole files or directories, no diff."""

from __future__ import annotations

import argparse
from typing import Any

from reviewbot.cli import options, output
from reviewbot.tree import scan


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "scan",
        help="run the rules over C files or directories (no diff)",
        description=(
            "Run the rules over whole C files: each PATH is a file or a directory (its *.c "
            "and *.h files, recursively). Every line counts as added, so rules report what "
            "they would report if the code were new: a tool for rule authors. The target "
            "kernel is --kernel, else the VERSION/PATCHLEVEL of the kernel tree the first "
            "PATH is in, else the newest known. Output and exit status as for review."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    options.add_review_options(parser, tree=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = options.load_config(args)
    output.settings(args, config)
    opts = options.review_options(args, config)
    rules = options.ruleset(opts)
    report = scan(args.paths, opts, rules)
    return output.emit(args, config, report, rules)
