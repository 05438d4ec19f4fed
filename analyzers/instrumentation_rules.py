"""The Instrumentation Score specification's rules, its formula and its bands.

``RULES`` lists every rule of the spec's rules/ directory and whether WeaverGen implements it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .base import Level

SPEC_RULES = "https://github.com/instrumentation-score/spec/blob/main/rules"
WEIGHTS = {"Critical": 40, "Important": 30, "Normal": 20, "Low": 10}
LEVELS = {"Critical": Level.violation, "Important": Level.violation, "Normal": Level.improvement,
          "Low": Level.information}
BANDS = ((90.0, "Excellent"), (75.0, "Good"), (50.0, "Needs Improvement"), (0.0, "Poor"))


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    impact: str
    target: str
    implemented: bool
    note: str = ""

    @property
    def weight(self) -> int:
        return WEIGHTS[self.impact]

    @property
    def level(self) -> Level:
        return LEVELS[self.impact]


_NO_TRACES = "not a trace rule; WeaverGen receives traces only"
RULES: tuple[Rule, ...] = (
    Rule("RES-001", "service.instance.id is set on the resource", "Normal", "Resource", True),
    Rule("RES-002", "service.instance.id is not shared by different workloads", "Important", "Resource", True,
         "workloads told apart by IDENTITY_KEYS"),
    Rule("RES-003", "k8s.pod.uid is set on resources from Kubernetes", "Important", "Resource", True,
         "Kubernetes: any k8s.* resource attribute"),
    Rule("RES-004", "semantic-convention attributes are at the right OTLP level", "Important",
         "Resource, Log, TraceSpan", True, "needs a semantic-convention registry; resources and spans"),
    Rule("RES-005", "service.name is set to a non-empty string", "Critical", "Resource", True),
    Rule("RES-006", "service.criticality, when set, is a valid enum member", "Normal", "Resource", True),
    Rule("RES-007", "deployment.environment.name is set to a non-empty string", "Important", "Resource",
         True),
    Rule("RES-010", "resource attribute values hold no sensitive data", "Critical", "Resource", True,
         "scalar values: arrays are not in the batch"),
    Rule("SPA-001", "at most 10 INTERNAL spans per service in a trace", "Normal", "TraceSpan", True),
    Rule("SPA-002", "every parent_span_id names a span of the same trace", "Normal", "TraceSpan", True),
    Rule("SPA-003", "span names have bounded cardinality", "Important", "TraceSpan", False,
         "the rule states no evaluable criterion"),
    Rule("SPA-004", "root spans are not CLIENT spans", "Important", "TraceSpan", True),
    Rule("SPA-005", "at most 20 spans shorter than 5 ms per trace", "Important", "TraceSpan", True),
    Rule("SPA-006", "spans hold no sensitive data", "Critical", "TraceSpan", True,
         "span names and attributes: status, events, links and scope are not in the batch"),
    Rule("SDK-001", "language and runtime versions are supported by the SDK", "Low", "SDK", False,
         "needs the SDKs' support matrices"),
    Rule("LOG-001", "debug logs are not on in production for over 14 days", "Important", "Log", False,
         _NO_TRACES),
    Rule("LOG-002", "log records set severityNumber", "Important", "Log", False, _NO_TRACES),
    Rule("LOG-003", "log records hold no sensitive data", "Critical", "Log", False, _NO_TRACES),
    Rule("MET-001", "metric attributes have bounded cardinality", "Important", "Metric", False, _NO_TRACES),
    Rule("MET-002", "metrics have useful units", "Important", "Metric", False, _NO_TRACES),
    Rule("MET-003", "a metric name always has the same unit", "Important", "Metric", False, _NO_TRACES),
    Rule("MET-004", "a histogram name always has the same buckets", "Normal", "Metric", False, _NO_TRACES),
    Rule("MET-005", "metric names do not contain their unit", "Normal", "Metric", False, _NO_TRACES),
    Rule("MET-006", "metric names are not semantic-convention attribute keys", "Important", "Metric", False,
         _NO_TRACES),
    Rule("MET-008", "metrics hold no sensitive data", "Critical", "Metric", False, _NO_TRACES),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
NOT_IMPLEMENTED = tuple(rule.id for rule in RULES if not rule.implemented)


def band(score: float) -> str:
    """The spec's qualitative category; a band's lower bound belongs to it (89.9 is Good)."""
    return next(name for bound, name in BANDS if score >= bound)


def score(outcomes: Mapping[str, bool]) -> float:
    """The spec's formula over the evaluated rules (rule id → passed)."""
    total = sum(RULES_BY_ID[rule].weight for rule in outcomes)
    passed = sum(RULES_BY_ID[rule].weight for rule, ok in outcomes.items() if ok)
    return 100.0 * passed / total if total else 100.0


def completeness_notice(not_evaluated: Iterable[str] = ()) -> str:
    """What the score leaves out, as the spec requires of an implementation without every rule."""
    parts = [f"not implemented: {', '.join(NOT_IMPLEMENTED)}"]
    if skipped := list(not_evaluated):
        parts.insert(0, f"not evaluated: {', '.join(skipped)}")
    return "; ".join(parts) + " — the score may be incomplete"
