"""Counts over a loaded registry, for `weavergen registry stats` and start-up logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .values import GroupType

if TYPE_CHECKING:
    from .registry import Registry


@dataclass(frozen=True, slots=True)
class RegistryStats:
    files: int
    attributes: int
    attributes_by_type: dict[str, int]
    attributes_by_stability: dict[str, int]
    deprecated_attributes: int
    enums: int
    templates: int
    namespaces: int
    groups: int
    groups_by_type: dict[str, int]
    spans: int
    spans_by_kind: dict[str, int]
    events: int
    metrics: int
    entities: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_stats(registry: Registry) -> RegistryStats:
    attributes = list(registry.attributes.values())
    spans = registry.spans()
    return RegistryStats(
        files=len(registry.files),
        attributes=len(attributes),
        attributes_by_type=_count(a.type.name for a in attributes),
        attributes_by_stability=_count(str(a.stability or "unspecified") for a in attributes),
        deprecated_attributes=len(registry.deprecated_attributes),
        enums=sum(1 for a in attributes if a.type.is_enum),
        templates=sum(1 for a in attributes if a.type.is_template),
        namespaces=len(registry.namespaces),
        groups=len(registry.groups),
        groups_by_type=_count(str(g.type) for g in registry.groups.values()),
        spans=len(spans),
        spans_by_kind=_count(str(s.span_kind) for s in spans),
        events=len(registry.groups_of(GroupType.EVENT)),
        metrics=len(registry.groups_of(GroupType.METRIC)),
        entities=len(registry.groups_of(GroupType.ENTITY)),
    )


def _count(values: Iterable[str]) -> dict[str, int]:
    """Most common first, ties by name, so tables and JSON read the same way every time."""
    counts = Counter(values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
