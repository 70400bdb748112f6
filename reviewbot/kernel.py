"""Kernel versions and version ranges that rules declare (``>=5.19,<6.8``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from reviewbot.errors import UsageError

_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


@total_ordering
@dataclass(frozen=True)
class KernelVersion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> KernelVersion:
        m = _VERSION.match(text.strip())
        if not m:
            raise UsageError(f"kernel version {text!r}: expected MAJOR.MINOR, such as 6.12")
        return cls(int(m.group(1)), int(m.group(2)))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, KernelVersion):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


# The newest kernel whose rmap API this release knows; the default target.
NEWEST_KNOWN = KernelVersion(6, 18)

_CLAUSE = re.compile(r"^\s*(>=|<=|==|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True)
class VersionRange:
    """A conjunction of comparisons, e.g. ``>=5.19,<6.8``; empty text admits every version."""

    text: str

    def __post_init__(self) -> None:
        for clause in self._clauses():
            if not _CLAUSE.match(clause):
                raise ValueError(f"version range {self.text!r}: bad clause {clause!r}")

    def _clauses(self) -> list[str]:
        return [c for c in self.text.split(",") if c.strip()]

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, KernelVersion):
            return False
        for clause in self._clauses():
            m = _CLAUSE.match(clause)
            assert m is not None  # checked in __post_init__
            op, bound = m.group(1), KernelVersion.parse(m.group(2))
            ok = {
                ">=": version >= bound,
                "<=": version <= bound,
                "==": version == bound,
                ">": version > bound,
                "<": version < bound,
            }[op]
            if not ok:
                return False
        return True

    def __str__(self) -> str:
        return self.text or "any"


# A tree says which kernel it is in its top-level Makefile: VERSION = 6, PATCHLEVEL = 12
# in the first lines (the Makefiles of subdirectories never set both).
_MAKEFILE_VERSION = re.compile(rb"^VERSION\s*=\s*(\d+)\s*$", re.M)
_PATCHLEVEL = re.compile(rb"^PATCHLEVEL\s*=\s*(\d+)\s*$", re.M)
# The variables sit in the first lines; reading a little is enough and stays fast.
MAKEFILE_HEAD_BYTES = 4096


def version_in(makefile: bytes) -> KernelVersion | None:
    """VERSION.PATCHLEVEL of a top-level kernel Makefile's text, None when it has neither."""
    head = makefile[:MAKEFILE_HEAD_BYTES]
    version, patchlevel = _MAKEFILE_VERSION.search(head), _PATCHLEVEL.search(head)
    if version is None or patchlevel is None:
        return None
    return KernelVersion(int(version.group(1)), int(patchlevel.group(1)))
