"""Resolve group specs into groups: attribute refs, `ref_group` includes, `extends` and refinements.

A group's attributes are built in three layers, later ones winning (weaver's precedence):
1. the attributes of the group it extends (or the signal it refines);
2. the attributes of each `ref_group` (two groups bringing the same attribute is a problem);
3. its own entries: a `ref` refines the attribute from the layers below, or the registry definition.
Groups are resolved depth-first with memoization, so order in the files does not matter and a
cycle is found as soon as a group is reached again while it is still being resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from .model import Attribute, Group
from .problems import Problems
from .spec import AttributeDef, AttributeRef, GroupRef, GroupSpec
from .values import GroupType, Source

# Fields a refinement takes from the signal it refines when it does not set them itself.
_INHERITED_BY_REFINEMENTS = (
    "brief", "note", "stability", "deprecated", "span_kind", "name", "instrument", "unit",
    "span_name_note", "display_name", "requirement_level", "entity_associations", "annotations",
)  # fmt: skip


def build_catalog(specs: list[GroupSpec], problems: Problems) -> dict[str, Attribute]:
    """Every attribute definition by name; a second definition of a name is a problem."""
    catalog: dict[str, Attribute] = {}
    for spec in specs:
        for entry in spec.entries:
            if isinstance(entry, AttributeDef):
                attribute = entry.attribute
                first = catalog.setdefault(attribute.name, attribute)
                if first is not attribute:
                    problems.add(
                        attribute.source,
                        f"duplicate attribute '{attribute.name}' (first defined at {first.source})",
                    )
    return catalog


class Resolver:
    def __init__(self, specs: list[GroupSpec], catalog: dict[str, Attribute], problems: Problems) -> None:
        self.catalog = catalog
        self.problems = problems
        self.specs = self._index(specs)
        self.groups: dict[str, Group] = {}
        # Ids of the groups being resolved right now, outermost first: the path of a cycle.
        self._stack: list[str] = []

    def resolve(self) -> dict[str, Group]:
        for group_id in self.specs:
            self._resolve(group_id)
        # Keep the order of the files, not the order resolution happened to finish in.
        return {group_id: self.groups[group_id] for group_id in self.specs}

    def _index(self, specs: list[GroupSpec]) -> dict[str, GroupSpec]:
        index: dict[str, GroupSpec] = {}
        for spec in specs:
            first = index.setdefault(spec.group.id, spec)
            if first is not spec:
                message = f"duplicate group id '{spec.group.id}' (first defined at {first.group.source})"
                self.problems.add(spec.group.source, message)
        return index

    def _resolve(self, group_id: str) -> Group:
        if group_id in self.groups:
            return self.groups[group_id]
        spec = self.specs[group_id]
        self._stack.append(group_id)
        base = self._base(spec)
        attributes = {a.name: a for a in base.attributes} if base else {}
        includes = self._include(spec, attributes)
        self._apply_own_entries(spec, attributes)
        group = replace(spec.group, attributes=tuple(attributes.values()), includes=includes)
        if base is not None and spec.group.refines:
            group = _inherit(group, base)
        self._stack.pop()
        self.groups[group_id] = group
        return group

    def _base(self, spec: GroupSpec) -> Group | None:
        parent = spec.group.extends
        if parent is None:
            return None
        where = spec.extends_at or spec.group.source
        verb = "refines" if spec.group.refines else "extends"
        base = self._lookup(parent, where, f"group '{spec.group.id}': {verb}")
        if base is not None and spec.group.refines and base.type is not spec.group.type:
            self.problems.add(where, f"group '{spec.group.id}': refines '{parent}', which is a {base.type}")
        return base

    def _lookup(self, group_id: str, where: Source, context: str) -> Group | None:
        """The resolved group, or None with a problem when it is unknown or part of a cycle."""
        if group_id not in self.specs:
            self.problems.add(where, f"{context} unknown group '{group_id}'")
            return None
        if group_id in self._stack:
            cycle = [*self._stack[self._stack.index(group_id) :], group_id]
            self.problems.add(where, f"{context} '{group_id}' makes a cycle: {' -> '.join(cycle)}")
            return None
        return self._resolve(group_id)

    def _include(self, spec: GroupSpec, attributes: dict[str, Attribute]) -> tuple[str, ...]:
        brought_by: dict[str, str] = {}
        includes = []
        for entry in spec.entries:
            if not isinstance(entry, GroupRef):
                continue
            includes.append(entry.group_id)
            included = self._lookup(entry.group_id, entry.source, f"group '{spec.group.id}': ref_group to")
            for attribute in included.attributes if included else ():
                other = brought_by.setdefault(attribute.name, entry.group_id)
                if other != entry.group_id:
                    self.problems.add(
                        entry.source,
                        f"group '{spec.group.id}': attribute '{attribute.name}' comes from both "
                        f"ref_group '{other}' and '{entry.group_id}'",
                    )
                attributes[attribute.name] = attribute
        return tuple(includes)

    def _apply_own_entries(self, spec: GroupSpec, attributes: dict[str, Attribute]) -> None:
        listed: set[str] = set()
        for entry in spec.entries:
            if isinstance(entry, GroupRef):
                continue
            name = entry.attribute.name if isinstance(entry, AttributeDef) else entry.name
            where = entry.attribute.source if isinstance(entry, AttributeDef) else entry.source
            if name in listed:
                self.problems.add(where, f"group '{spec.group.id}': attribute '{name}' is listed twice")
            listed.add(name)
            if isinstance(entry, AttributeDef):
                resolved: Attribute | None = entry.attribute
            else:
                resolved = self._ref(spec, entry, attributes)
            if resolved is not None:
                attributes[name] = resolved

    def _ref(self, spec: GroupSpec, ref: AttributeRef, attributes: dict[str, Attribute]) -> Attribute | None:
        base = attributes.get(ref.name) or self.catalog.get(ref.name)
        if base is None:
            self.problems.add(ref.source, f"group '{spec.group.id}': unknown attribute '{ref.name}' in ref")
            return None
        return refine(base, ref.overrides)


def refine(base: Attribute, overrides: Mapping[str, Any]) -> Attribute:
    """The attribute with a ref's refinements applied; annotations merge instead of replacing."""
    if not overrides:
        return base
    changes = dict(overrides)
    if "annotations" in changes:
        changes["annotations"] = MappingProxyType({**base.annotations, **changes["annotations"]})
    return replace(base, **changes)


def _inherit(group: Group, base: Group) -> Group:
    missing = {name: getattr(base, name) for name in _INHERITED_BY_REFINEMENTS if not getattr(group, name)}
    return replace(group, **missing) if missing else group


def check_unique_names(groups: dict[str, Group], problems: Problems) -> None:
    """Two metrics (or two events) with one name; refinements share their base's name on purpose."""
    seen: dict[tuple[GroupType, str], Group] = {}
    for group in groups.values():
        if group.name is None or group.refines or group.type not in (GroupType.METRIC, GroupType.EVENT):
            continue
        first = seen.setdefault((group.type, group.name), group)
        if first is not group:
            also = f"also group '{first.id}' at {first.source}"
            problems.add(group.source, f"duplicate {group.type} name '{group.name}' ({also})")
