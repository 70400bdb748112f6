"""``reviewbot config``: every configuration key, its value, where it came from and why."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reviewbot import config as configuration
from reviewbot.cli import options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "config",
        help="show every configuration key with its value and origin",
        description=(
            "Show the configuration as a reviewing command would use it: built-in defaults < "
            "~/.config/reviewbot/config.toml < --config FILE < environment < -c KEY=VALUE."
        ),
    )
    options.add_common(parser)
    parser.set_defaults(run=run)


def _value(value: configuration.Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


def run(args: argparse.Namespace) -> int:
    config = options.load_config(args)
    section = ""
    for key, (_, why) in configuration.DEFAULTS.items():
        table, _, name = key.rpartition(".")
        if table != section:
            sys.stdout.write(f"{'' if not section else chr(10)}[{table}]\n")
            section = table
        origin = config.origins.get(key, "default")
        sys.stdout.write(f"{name} = {_value(config.get(key))}  # {why} ({origin})\n")
    return 0
