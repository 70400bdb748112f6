"""The subcommands, in the order --help lists them, and the module that defines each.

Modules are imported only for the command being run (``serve`` pulls in huey, redis and
starlette; ``check`` in a git hook should not pay for them). ``reviewbot --help`` and an
unknown command import them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

# command word -> module whose add_parser(sub) registers it
COMMANDS: dict[str, str] = {
    "review": "reviewbot.cli.review",
    "check": "reviewbot.cli.check",
    "scan": "reviewbot.cli.scan",
    "install-hook": "reviewbot.cli.hook",
    "rules": "reviewbot.cli.rules_cmd",
    "config": "reviewbot.cli.config_cmd",
    "serve": "reviewbot.cli.serve",
    "worker": "reviewbot.cli.serve",
}


def modules_for(argv: Sequence[str]) -> list[ModuleType]:
    """The command modules to load for ``argv``: the named command's, else all of them."""
    word = next((a for a in argv if not a.startswith("-")), None)
    names = [COMMANDS[word]] if word in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(name) for name in names]
