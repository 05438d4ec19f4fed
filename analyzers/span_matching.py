"""Matching a span to the registry span definition it fits best (see analyzers/quality.py).

A definition claims a span of its kind that carries a key in one of its own namespaces; of those, the
one sharing most attribute names with the span wins (ties: the more generic, shorter id).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .quality_verdicts import Verdict
from .semconv import Attribute, Group, Registry, RequirementKind, SpanKind

# spans.kind holds the OTLP enum: 0 is unspecified and matches no definition.
OTLP_KINDS = {1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT, 4: SpanKind.PRODUCER,
              5: SpanKind.CONSUMER}  # fmt: skip
_EXPECTED = (RequirementKind.REQUIRED, RequirementKind.CONDITIONALLY_REQUIRED, RequirementKind.RECOMMENDED)


def own_namespaces(group: Group) -> tuple[str, ...]:
    """Prefixes (with the dot) of the group's attribute names that end in a segment of the group id
    other than the span kind: ``http.`` for span.http.client, ``aws.dynamodb.`` for
    span.dynamodb.getitem.client. A span must carry a key under one of them to match the group."""
    segments = set(group.id.split(".")) - {"span", str(group.span_kind)}
    found: set[str] = set()
    for attribute in group.attributes:
        parts = attribute.name.split(".")[:-1]
        found.update(".".join(parts[: i + 1]) + "." for i, part in enumerate(parts) if part in segments)
    return tuple(sorted(found))


@dataclass(frozen=True)
class SpanDefinition:
    id: str
    namespaces: tuple[str, ...]
    names: frozenset[str]
    expected: tuple[Attribute, ...]  # required, conditionally required and recommended, not deprecated

    @classmethod
    def of(cls, group: Group) -> SpanDefinition:
        expected = [a for a in group.attributes if a.requirement_level.kind in _EXPECTED and not a.deprecated]
        names = frozenset(a.name for a in group.attributes)
        return cls(group.id, own_namespaces(group), names, tuple(expected))

    def claims(self, keys: frozenset[str]) -> bool:
        return bool(self.namespaces) and any(key.startswith(self.namespaces) for key in keys)

    def absent(self, keys: frozenset[str]) -> Iterator[Verdict]:
        for attribute in self.expected:
            if attribute.name in keys or (attribute.type.is_template and _any_under(attribute.name, keys)):
                continue
            requirement = attribute.requirement_level
            text = str(requirement.kind).replace("_", " ")
            condition = requirement.condition
            suggestion = f"{text}: {condition}" if condition else f"add '{attribute.name}'"
            yield Verdict(f"{requirement.kind}_attribute_not_present", attribute.name,
                          f"'{attribute.name}' is {text} on {self.id} but not present", suggestion)


class SpanDefinitions:
    """The registry's non-deprecated span definitions, by span kind."""

    def __init__(self, registry: Registry) -> None:
        self._by_kind = {kind: [SpanDefinition.of(g) for g in registry.spans(kind) if g.deprecated is None]
                         for kind in SpanKind}

    def match(self, kind: int, keys: frozenset[str]) -> SpanDefinition | None:
        """The definition spans of OTLP ``kind`` with these keys fit best, if any."""
        span_kind = OTLP_KINDS.get(kind)
        candidates = [d for d in self._by_kind[span_kind] if d.claims(keys)] if span_kind else []
        if not candidates:
            return None
        return min(candidates, key=lambda d: (-len(keys & d.names), d.id.count("."), d.id))


def _any_under(name: str, keys: Iterable[str]) -> bool:
    prefix = name + "."
    return any(key.startswith(prefix) for key in keys)

