"""Publishers: post a Report where its readers are (patchwork, GitHub, email).

Each publisher does nothing unless asked; with ``dry_run`` it sends nothing (read-only
look-ups aside) and returns what it would have sent. Every publisher returns a list of
:class:`Delivery`, one per request or message, for the CLI to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeliveryState = Literal["sent", "dry-run", "already posted", "written"]


@dataclass(frozen=True)
class Delivery:
    """One request or message: sent, written, skipped as already posted, or (dry run) not."""

    target: str  # "patchwork", "github", "email"
    action: str  # e.g. "POST https://patchwork.example.org/api/1.3/patches/7/checks/"
    state: DeliveryState
    body: str = ""  # what was, or would be, sent: JSON text or the message
    note: str = ""  # e.g. "pending", "[PATCH v2 1/3]"

    def line(self) -> str:
        """One line for the terminal, such as ``patchwork: already posted: POST ...``."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.target}: {self.state}: {self.action}{note}"
