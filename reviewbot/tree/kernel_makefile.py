"""The kernel version a tree says it is: ``VERSION``/``PATCHLEVEL`` of its top-level Makefile.

Only the top-level Makefile of a kernel tree sets both (``VERSION = 6`` and
``PATCHLEVEL = 12`` in its first lines); the Makefiles of subdirectories never do, which
is how the root of a tree is recognised from any path inside it.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewbot.kernel import KernelVersion

_VERSION = re.compile(rb"^VERSION\s*=\s*(\d+)\s*$", re.M)
_PATCHLEVEL = re.compile(rb"^PATCHLEVEL\s*=\s*(\d+)\s*$", re.M)
# The variables sit in the first lines; reading a little is enough and stays fast.
_HEAD_BYTES = 4096


def version_in(makefile: bytes) -> KernelVersion | None:
    """VERSION.PATCHLEVEL of a top-level kernel Makefile's text, None when it has neither."""
    head = makefile[:_HEAD_BYTES]
    version, patchlevel = _VERSION.search(head), _PATCHLEVEL.search(head)
    if version is None or patchlevel is None:
        return None
    return KernelVersion(int(version.group(1)), int(patchlevel.group(1)))


def _read_head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as stream:
            return stream.read(_HEAD_BYTES)
    except OSError:
        return None


def kernel_root(path: Path) -> Path | None:
    """The top of the kernel tree holding ``path`` (a file or directory), None outside one."""
    start = path.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        head = _read_head(directory / "Makefile")
        if head is not None and version_in(head) is not None:
            return directory
    return None


def tree_version(root: Path) -> KernelVersion | None:
    """The version of the kernel tree at ``root``, None when it has no versioned Makefile."""
    head = _read_head(root / "Makefile")
    return version_in(head) if head is not None else None
