"""What one check found, and the gate that turns it into a verdict and an exit code.

The verdict fails (exit 1) when any of these holds:
- fewer spans than ``min_spans`` (default 1: a run that sent nothing is not a pass);
- a quality finding group at or above ``fail_on`` that is new (not in the baseline);
- an assertion failed; a rule failed;
- the command under ``live-check`` exited non-zero.
Instrumentation Score results are information: reported everywhere, never gating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from weavergen.analyzers.base import Finding, Level

from .assertion_sql import AssertionResult

FAIL_ON_CHOICES = ("violation", "improvement", "information", "none")
PASS, FAIL = 0, 1


@dataclass(frozen=True)
class Gate:
    fail_on: Level | None = Level.violation  # None: findings never fail the run ("none")
    min_spans: int = 1

    @classmethod
    def of(cls, fail_on: str, min_spans: int) -> Gate:
        return cls(None if fail_on == "none" else Level(fail_on), min_spans)

    def blocks(self, finding: FindingGroup) -> bool:
        return self.fail_on is not None and finding.new and finding.level.rank >= self.fail_on.rank


@dataclass(frozen=True)
class FindingGroup(Finding):
    """A quality finding aggregated over the run: one (id, span name, attribute, service)."""

    new: bool = True  # False when the baseline lists it

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The stable identity a baseline stores."""
        return (self.id, self.span_name, self.attribute, self.service)

    @property
    def title(self) -> str:
        on = f" on '{self.span_name}'" if self.span_name else ""
        return f"{self.id} {self.attribute}{on}".replace("  ", " ")


@dataclass(frozen=True)
class ServiceScore:
    """The Instrumentation Score of one service (information only)."""

    service: str
    score: float
    band: str
    failed_rules: tuple[tuple[str, str, str], ...] = ()  # (rule id, level, message)
    notice: str = ""


@dataclass(frozen=True)
class Coverage:
    """Registry attributes seen on each span name (weaver's registry_coverage over span attributes)."""

    registry_size: int
    by_span_name: dict[str, tuple[str, ...]]  # span name → registry attributes (or templates) seen
    unknown_by_span_name: dict[str, tuple[str, ...]]  # span name → keys the registry does not cover

    @property
    def seen(self) -> frozenset[str]:
        return frozenset(a for names in self.by_span_name.values() for a in names)

    @property
    def fraction(self) -> float:
        return len(self.seen) / self.registry_size if self.registry_size else 0.0


@dataclass(frozen=True)
class RuleResult:
    name: str
    passed: bool
    message: str = ""


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int


@dataclass
class Report:
    gate: Gate
    mode: str  # "check" or "live-check"
    spans: int = 0
    traces: int = 0
    rejected_spans: int = 0
    services: tuple[str, ...] = ()
    registry: Path | None = None
    findings: list[FindingGroup] = field(default_factory=list)
    scores: list[ServiceScore] = field(default_factory=list)
    coverage: Coverage | None = None
    assertions: list[AssertionResult] = field(default_factory=list)
    rules: list[RuleResult] = field(default_factory=list)
    command: CommandResult | None = None
    started_ns: int = 0
    finished_ns: int = 0

    def blocking(self) -> list[FindingGroup]:
        return [f for f in self.findings if self.gate.blocks(f)]

    def level_counts(self) -> dict[Level, int]:
        counts = dict.fromkeys(Level, 0)
        for finding in self.findings:
            counts[finding.level] += 1
        return counts

    @property
    def enough_spans(self) -> bool:
        return self.spans >= self.gate.min_spans

    def failures(self) -> list[str]:
        """Why the run fails, one line per reason; empty when it passes."""
        reasons = []
        if self.command is not None and self.command.exit_code != 0:
            reasons.append(f"the command exited with status {self.command.exit_code}")
        if not self.enough_spans:
            reasons.append(f"{self.spans} span(s) received, at least {self.gate.min_spans} required")
        if blocking := self.blocking():
            assert self.gate.fail_on is not None
            new = " new" if any(not f.new for f in self.findings) else ""
            reasons.append(f"{len(blocking)}{new} finding group(s) at or above '{self.gate.fail_on.value}'")
        if failed := [a for a in self.assertions if not a.passed]:
            reasons.append(f"{len(failed)} of {len(self.assertions)} assertion(s) failed")
        if failed_rules := [r for r in self.rules if not r.passed]:
            reasons.append(f"{len(failed_rules)} rule(s) failed")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.failures()

    @property
    def exit_code(self) -> int:
        return PASS if self.passed else FAIL
