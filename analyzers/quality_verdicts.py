"""Verdicts: one finding the registry gives an attribute key, enum value or span, and its level.

The ids and levels are weaver live-check's (reference/weaver.md §4.2); analyzers/quality.py describes each.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Level

LEVELS = {
    "missing_attribute": Level.violation,
    "template_attribute": Level.information,
    "deprecated": Level.violation,
    "not_stable": Level.improvement,
    "type_mismatch": Level.violation,
    "undefined_enum_variant": Level.information,
    "invalid_format": Level.violation,
    "missing_namespace": Level.improvement,
    "illegal_namespace": Level.violation,
    "required_attribute_not_present": Level.violation,
    "conditionally_required_attribute_not_present": Level.information,
    "recommended_attribute_not_present": Level.improvement,
}


@dataclass(frozen=True)
class Verdict:
    id: str
    attribute: str
    message: str
    suggestion: str = ""

    @property
    def level(self) -> Level:
        return LEVELS[self.id]


@dataclass(frozen=True)
class Judgement:
    """What the registry says about spans of one kind and (key, type) signature."""

    verdicts: tuple[Verdict, ...]
    covered: frozenset[str]  # non-deprecated registry attributes (or templates) those spans carry
