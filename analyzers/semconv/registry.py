"""The loaded registry: read-only, with the lookups analyzers and generators need built once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from .model import Attribute, Group
from .problems import Problem
from .stats import RegistryStats, compute_stats
from .values import GroupType, SpanKind


class Registry:
    """Attributes by name and groups by id, plus indexes by signal.

    `attributes` holds the definitions (what `attribute()` returns); a group's own copy of an
    attribute carries that group's refinements and requirement level (`group.attribute(name)`).
    """

    def __init__(
        self,
        root: Path,
        files: Iterable[str],
        attributes: Mapping[str, Attribute],
        groups: Mapping[str, Group],
        schema_url: str | None = None,
        problems: Iterable[Problem] = (),
    ) -> None:
        self.root = root
        self.files = tuple(files)
        self.schema_url = schema_url
        # Empty unless loaded with strict=False: what was wrong while loading.
        self.problems = tuple(problems)
        self._attributes = MappingProxyType(dict(attributes))
        self._groups = MappingProxyType(dict(groups))
        self._by_type = _index_by_type(self._groups.values())
        self._named = _index_by_name(self._groups.values())
        self._namespaces = _index_namespaces(self._attributes.values())
        # Longest first, so the first template that matches a key is the most specific one.
        templates = (a for a in self._attributes.values() if a.type.is_template)
        self._templates = tuple(sorted(templates, key=lambda a: len(a.name), reverse=True))

    def __repr__(self) -> str:
        return f"Registry({str(self.root)!r}, attributes={len(self._attributes)}, groups={len(self._groups)})"

    @property
    def attributes(self) -> Mapping[str, Attribute]:
        return self._attributes

    def attribute(self, name: str) -> Attribute | None:
        return self._attributes.get(name)

    def template_for(self, key: str) -> Attribute | None:
        """The `template[...]` attribute whose name is the longest prefix of `key` (weaver's rule)."""
        return next((t for t in self._templates if key.startswith(t.name)), None)

    @property
    def groups(self) -> Mapping[str, Group]:
        return self._groups

    def group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    def groups_of(self, group_type: GroupType | str) -> tuple[Group, ...]:
        return self._by_type.get(GroupType(group_type), ())

    def spans(self, kind: SpanKind | str | None = None) -> tuple[Group, ...]:
        spans = self.groups_of(GroupType.SPAN)
        return spans if kind is None else tuple(s for s in spans if s.span_kind == SpanKind(kind))

    def span(self, span_id: str) -> Group | None:
        """A span by group id (`span.http.client`) or by v2 span type (`http.client`)."""
        group = self._groups.get(span_id) or self._groups.get(f"span.{span_id}")
        return group if group is not None and group.type is GroupType.SPAN else None

    def metric(self, name: str) -> Group | None:
        """The metric group with this metric name (the base definition, not a refinement)."""
        return self._named.get((GroupType.METRIC, name))

    def event(self, name: str) -> Group | None:
        return self._named.get((GroupType.EVENT, name))

    def entity(self, name: str) -> Group | None:
        return self._named.get((GroupType.ENTITY, name))

    @property
    def namespaces(self) -> Mapping[str, tuple[Attribute, ...]]:
        """Attributes by namespace, the name before the last dot; names without a dot have none."""
        return self._namespaces

    @property
    def deprecated_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self._attributes.values() if a.deprecated is not None)

    @property
    def renames(self) -> Mapping[str, str]:
        """Deprecated attribute name -> the name it was renamed to."""
        return {a.name: a.renamed_to for a in self._attributes.values() if a.renamed_to}

    def replacement(self, name: str) -> Attribute | None:
        """Where a renamed attribute went, following renames of renames; None if not renamed."""
        target = None
        current = self._attributes.get(name)
        seen = {name}
        while current is not None and current.renamed_to and current.renamed_to not in seen:
            seen.add(current.renamed_to)
            current = target = self._attributes.get(current.renamed_to)
        return target

    def stats(self) -> RegistryStats:
        return compute_stats(self)


def _index_by_type(groups: Iterable[Group]) -> dict[GroupType, tuple[Group, ...]]:
    by_type: dict[GroupType, list[Group]] = defaultdict(list)
    for group in groups:
        by_type[group.type].append(group)
    return {t: tuple(g) for t, g in by_type.items()}


def _index_by_name(groups: Iterable[Group]) -> dict[tuple[GroupType, str], Group]:
    # Refinements carry their base's name; the base definition is the one a name stands for.
    return {(g.type, g.name): g for g in groups if g.name is not None and g.refines is None}


def _index_namespaces(attributes: Iterable[Attribute]) -> Mapping[str, tuple[Attribute, ...]]:
    by_namespace: dict[str, list[Attribute]] = defaultdict(list)
    for attribute in attributes:
        if attribute.namespace:
            by_namespace[attribute.namespace].append(attribute)
    return MappingProxyType({ns: tuple(attrs) for ns, attrs in sorted(by_namespace.items())})
