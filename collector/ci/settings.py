"""One settings object for a check, and everything loaded from it before any span is read.

Loading happens first and whole (registry, assertions, baseline, rules), so a typo fails the run with
exit 2 in a second, before ``live-check`` starts a possibly long test suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .assertion_loader import load_assertions
from .assertions import AssertionsError, AssertionSuite
from .baseline import BaselineError, load_baseline
from .report import FAIL_ON_CHOICES, Gate
from .rule_seam import RunRules, load_rules

if TYPE_CHECKING:
    from weavergen.analyzers.semconv import Registry

PROTOCOLS = ("grpc", "http/protobuf", "http/json")


class UsageError(ValueError):
    """A bad argument, file or configuration: exit 2, with a message that names the file."""


@dataclass(frozen=True)
class CheckSettings:
    registry: Path | None = None
    assertions: Path | None = None
    rules: tuple[Path, ...] = ()
    fail_on: str = "violation"
    min_spans: int = 1
    baseline: Path | None = None
    save_baseline: Path | None = None
    otlp_out: Path | None = None
    otlp_endpoint: str | None = None
    junit: Path | None = None
    examples: int = 5  # example trace/span ids kept per failed assertion

    @property
    def gate(self) -> Gate:
        return Gate.of(self.fail_on, self.min_spans)


@dataclass(frozen=True)
class Prepared:
    settings: CheckSettings
    registry: Registry | None
    suite: AssertionSuite | None
    baseline: frozenset[tuple[str, str, str, str]] | None
    rules: RunRules | None


def prepare(settings: CheckSettings) -> Prepared:
    """Validate the settings and load what they name; raises UsageError."""
    if settings.fail_on not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, got {settings.fail_on!r}")
    if settings.min_spans < 0:
        raise UsageError(f"--min-spans must be >= 0, got {settings.min_spans}")
    if settings.otlp_endpoint is not None:
        from .export import check_endpoint

        try:
            check_endpoint(settings.otlp_endpoint)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        suite = load_assertions(settings.assertions) if settings.assertions else None
        baseline = load_baseline(settings.baseline) if settings.baseline else None
        rules = load_rules(settings.rules) if settings.rules else None
    except (AssertionsError, BaselineError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return Prepared(settings, _registry(settings.registry), suite, baseline, rules)


def _registry(path: Path | None) -> Registry | None:
    if path is None:
        return None
    from weavergen.analyzers.semconv import RegistryError, load_registry

    if not path.is_dir():
        raise UsageError(f"{path}: registry not found (--registry takes a semantic-convention registry directory)")
    try:
        return load_registry(path)
    except RegistryError as exc:
        raise UsageError(f"registry error: {exc}") from None
