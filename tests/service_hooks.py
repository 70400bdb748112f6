"""Reviewers that the service tests hand to a review's child process.

The child imports this module by name to find them: it stays light (stdlib only), so
that the child is sleeping long before any time budget of a test runs out.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def slow_review(pid_file: str, series: Any, options: Any) -> Any:
    """A review that never ends by itself: it notes its process, then sleeps."""
    with Path(pid_file).open("a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")
    time.sleep(600)
    raise AssertionError("the review's process should have been killed")
