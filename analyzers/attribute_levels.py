"""Where the semantic conventions put an attribute: on resources or on spans (Instrumentation Score RES-004)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .semconv import Registry


@dataclass(frozen=True)
class AttributeLevels:
    """Keys semconv defines only on resources, and keys it defines only on spans or events."""

    resource_only: frozenset[str] = frozenset()
    span_only: frozenset[str] = frozenset()

    @classmethod
    def from_registry(cls, registry: Registry) -> AttributeLevels:
        from .semconv import GroupType

        on_resources: set[str] = set()
        on_spans: set[str] = set()
        for group in registry.groups.values():
            names = {a.name for a in group.attributes}
            if group.type is GroupType.ENTITY:
                on_resources |= names
            elif group.type in (GroupType.SPAN, GroupType.EVENT):
                on_spans |= names
        return cls(frozenset(on_resources - on_spans), frozenset(on_spans - on_resources))
