"""The command line: the only place that prints, reads sys.argv and picks exit codes.

Exit status for every command that reviews: 0 nothing at the --fail-on level, 1 findings
at or above it, 2 bad usage or unreadable input, 3 a source could not be fetched or a
destination reached, 4 an internal error (a bug: please report it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from reviewbot import __version__
from reviewbot.cli import commands
from reviewbot.errors import ReviewbotError

EXIT_INTERNAL = 4


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reviewbot",
        description="Review Linux mm patch series: findings from rules that mm reviewers know.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in commands.modules_for(argv):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    debug = bool(getattr(args, "debug", False))
    try:
        status: int = args.run(args)
        return status
    except ReviewbotError as exc:
        if debug:
            traceback.print_exc()
        print(f"reviewbot: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("reviewbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(
            f"reviewbot: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
