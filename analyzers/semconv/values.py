"""Small value types shared by attributes and groups: stability, requirement level, deprecation, source."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stability(StrEnum):
    STABLE = "stable"
    DEVELOPMENT = "development"
    ALPHA = "alpha"
    BETA = "beta"
    RELEASE_CANDIDATE = "release_candidate"
    # Still parsed by weaver for old registries; new ones use `deprecated:` instead.
    DEPRECATED = "deprecated"


class RequirementKind(StrEnum):
    REQUIRED = "required"
    CONDITIONALLY_REQUIRED = "conditionally_required"
    RECOMMENDED = "recommended"
    OPT_IN = "opt_in"


class SpanKind(StrEnum):
    CLIENT = "client"
    SERVER = "server"
    PRODUCER = "producer"
    CONSUMER = "consumer"
    INTERNAL = "internal"


class GroupType(StrEnum):
    ATTRIBUTE_GROUP = "attribute_group"
    SPAN = "span"
    EVENT = "event"
    METRIC = "metric"
    METRIC_GROUP = "metric_group"
    ENTITY = "entity"
    SCOPE = "scope"


class Instrument(StrEnum):
    COUNTER = "counter"
    UPDOWNCOUNTER = "updowncounter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class DeprecationReason(StrEnum):
    RENAMED = "renamed"
    OBSOLETED = "obsoleted"
    UNCATEGORIZED = "uncategorized"
    # The old free-text form (`deprecated: "use x instead"`) carries no reason.
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was written: the file as found under the registry root, and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class RequirementLevel:
    kind: RequirementKind = RequirementKind.RECOMMENDED
    # The text of `conditionally_required: <text>`, `recommended: <text>` or `opt_in: <text>`.
    condition: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.condition}" if self.condition else str(self.kind)


RECOMMENDED = RequirementLevel()


@dataclass(frozen=True, slots=True)
class Deprecation:
    reason: DeprecationReason
    note: str = ""
    renamed_to: str | None = None
