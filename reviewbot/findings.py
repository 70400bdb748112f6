"""Findings and the report that carries them: the one thing every renderer reads."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from reviewbot.parse.patch import Series


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (info, warning, error)") from None


class Confidence(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()


class Status(enum.Enum):
    PREVIEW = "preview"
    STABLE = "stable"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the call it pairs with, the removing patch)."""

    message: str
    path: str | None = None
    line: int | None = None
    patch: int | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    confidence: Confidence
    message: str
    patch: int | None  # 1-based index in the series; None for series-wide
    msgid: str | None
    path: str | None
    line: int | None  # post-image line (None when there is no line)
    fingerprint: str
    suggestion: str | None = None
    related: tuple[Related, ...] = ()
    function: str | None = None  # the enclosing function, when known
    status: Status = Status.STABLE
    commit: str | None = None  # for local patches: the commit's short SHA

    def sort_key(self) -> tuple[int, str, int, str, str]:
        return (
            self.patch if self.patch is not None else 0,
            self.path or "",
            self.line or 0,
            self.code,
            self.message,
        )


@dataclass(frozen=True)
class RuleError:
    """A rule that crashed, or a part of the input that could not be read."""

    message: str
    code: str | None = None  # the rule, when a rule crashed
    patch: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Report:
    series: Series
    findings: tuple[Finding, ...]
    errors: tuple[RuleError, ...] = ()
    kernel: str = ""  # the target kernel version the rules ran for
    kernel_source: str = ""  # where that came from: option, tree, patch, default
    rules_run: tuple[str, ...] = ()  # codes
    notes: tuple[str, ...] = field(default=())  # e.g. tree mode: base used, pre-existing count

    def at_least(self, level: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= level)

    def counts(self) -> dict[Severity, int]:
        out = dict.fromkeys(Severity, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out
