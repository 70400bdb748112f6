"""What a rule is, what it sees, and what it yields.

A rule module (``rules/<topic>/<name>.py``) has a docstring in the fixed sections
(what it checks, why it matters, example, known false positives, references) and a
module-level ``RULE = Rule(...)``. Its ``check`` receives a context and yields
:class:`Hit` objects; the engine turns them into findings (code, severity, patch,
message-id, fingerprint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from reviewbot.analyze.cmodel import FileView, file_view, is_c_file
from reviewbot.findings import Confidence, Related, Severity, Status
from reviewbot.kernel import KernelVersion, VersionRange
from reviewbot.parse.patch import Patch, Series

Scope = Literal["patch", "series"]
ANY_KERNEL = VersionRange("")


@dataclass(frozen=True)
class Hit:
    """One problem a rule found. Location is post-image ``path``:``line``."""

    message: str
    path: str | None = None
    line: int | None = None
    suggestion: str | None = None
    related: tuple[Related, ...] = ()
    function: str | None = None
    # What identifies this problem apart from the rule, path and function, for the
    # fingerprint (which never holds line numbers); defaults to the flagged line's text.
    key: str | None = None
    severity: Severity | None = None  # overrides the rule's default (e.g. an info variant)
    confidence: Confidence | None = None
    patch: int | None = None  # series rules say which patch; patch rules leave it


@dataclass
class PatchContext:
    """What a patch-scoped rule sees: one patch, its C files parsed, the target kernel."""

    series: Series
    patch: Patch
    kernel: KernelVersion
    kernel_source: str = ""  # "option", "tree", "patch (...)", "default": how sure the target is
    # Tree mode supplies whole-file views; patch mode builds hunk views lazily.
    views: tuple[FileView, ...] | None = None

    @cached_property
    def c_files(self) -> tuple[FileView, ...]:
        if self.views is not None:
            return self.views
        return tuple(
            file_view(f)
            for f in self.patch.files
            if is_c_file(f.path) and not f.binary and f.status != "removed"
        )

    @property
    def whole_functions(self) -> bool:
        """True in tree mode: evidence missing from a function is really missing."""
        return self.views is not None


@dataclass
class SeriesContext:
    """What a series-scoped rule sees: every patch of the series, in order."""

    series: Series
    kernel: KernelVersion
    patches: tuple[PatchContext, ...] = field(default=())
    kernel_source: str = ""


Check = Callable[[PatchContext], Iterable[Hit]]
SeriesCheck = Callable[[SeriesContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str  # stable, never reused: MM001
    name: str  # kebab-case: removed-rmap-api
    summary: str  # one line, for listings and SARIF shortDescription
    severity: Severity
    confidence: Confidence
    check: Check | SeriesCheck
    scope: Scope = "patch"
    status: Status = Status.STABLE
    kernels: VersionRange = ANY_KERNEL
    references: tuple[str, ...] = ()
    doc: str = ""  # the module docstring; filled by the loader
    query: str | None = None  # a .scm file beside the module; filled by the loader
    pack: str = ""  # e.g. "mm"; filled by the loader

    def applies_to(self, kernel: KernelVersion) -> bool:
        return kernel in self.kernels
