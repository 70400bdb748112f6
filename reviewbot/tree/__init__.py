"""Tree mode and scan: whole files from a kernel checkout instead of a patch's hunks.

``review_in_tree`` applies a series in a scratch git worktree and reports what it
introduces (reviewbot.tree.differential); ``scan`` runs the rules over whole files
(reviewbot.tree.scan).
"""

from __future__ import annotations

from reviewbot.tree.differential import ApplyError, review_in_tree
from reviewbot.tree.scan import scan

__all__ = ["ApplyError", "review_in_tree", "scan"]
