"""The subcommands, in the order --help lists them. Each module has add_parser(sub)."""

from __future__ import annotations

from types import ModuleType

from reviewbot.cli import review, rules_cmd

COMMANDS: tuple[ModuleType, ...] = (review, rules_cmd)
