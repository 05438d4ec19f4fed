"""The resolved registry model: attributes, their types and enum members, and groups (signals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .values import (
    RECOMMENDED,
    Deprecation,
    GroupType,
    Instrument,
    RequirementKind,
    RequirementLevel,
    SpanKind,
    Stability,
    Source,
)

EMPTY_MAP: Mapping[str, Any] = MappingProxyType({})
NOWHERE = Source("", 0)


def _no_annotations() -> Mapping[str, Any]:
    # A shared read-only empty mapping; dataclasses refuse it as a plain (unhashable) default.
    return EMPTY_MAP


@dataclass(frozen=True, slots=True)
class EnumMember:
    id: str
    value: str | int | float | bool
    brief: str = ""
    note: str = ""
    stability: Stability | None = None
    deprecated: Deprecation | None = None
    annotations: Mapping[str, Any] = field(default_factory=_no_annotations)


@dataclass(frozen=True, slots=True)
class AttributeType:
    """`name` is the type as written (`string`, `int[]`, `template[string[]]`, `any`), or `enum`."""

    name: str
    members: tuple[EnumMember, ...] = ()

    @property
    def is_enum(self) -> bool:
        return self.name == "enum"

    @property
    def is_template(self) -> bool:
        return self.name.startswith("template[")

    @property
    def value_type(self) -> str:
        """The type a recorded value has: the inner type of a template, the members' type of an enum."""
        if self.is_template:
            return self.name[len("template[") : -1]
        if self.is_enum:
            return _enum_value_type(self.members)
        return self.name

    @property
    def is_array(self) -> bool:
        return self.value_type.endswith("[]")

    def member(self, value: object) -> EnumMember | None:
        return next((m for m in self.members if m.value == value), None)

    def __str__(self) -> str:
        return self.name


def _enum_value_type(members: tuple[EnumMember, ...]) -> str:
    # bool is checked first because it is a subclass of int.
    values = [m.value for m in members]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "double"
    return "string"


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute as defined in the registry, or as used by one group (with that group's refinements).

    `source` is where the attribute is defined, also for the copies held by groups.
    """

    name: str
    type: AttributeType
    brief: str = ""
    note: str = ""
    examples: tuple[Any, ...] = ()
    stability: Stability | None = None
    deprecated: Deprecation | None = None
    requirement_level: RequirementLevel = RECOMMENDED
    sampling_relevant: bool = False
    # Entity attributes only: `identifying` or `descriptive`.
    role: str | None = None
    tag: str | None = None
    annotations: Mapping[str, Any] = field(default_factory=_no_annotations)
    source: Source = NOWHERE

    @property
    def namespace(self) -> str:
        return namespace_of(self.name)

    @property
    def renamed_to(self) -> str | None:
        return self.deprecated.renamed_to if self.deprecated else None

    @property
    def is_required(self) -> bool:
        return self.requirement_level.kind is RequirementKind.REQUIRED


def namespace_of(name: str) -> str:
    """The prefix before the last dot (`http.request.method` -> `http.request`); empty without a dot."""
    return name.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class Group:
    """A resolved group: an attribute group or a signal (span, event, metric, entity...).

    `attributes` holds every attribute the group carries after `extends`, `ref_group` and `ref`
    were applied, each with this group's requirement level and refinements.
    `name` is the event name, the metric name or the entity type.
    """

    id: str
    type: GroupType
    brief: str = ""
    note: str = ""
    stability: Stability | None = None
    deprecated: Deprecation | None = None
    attributes: tuple[Attribute, ...] = ()
    span_kind: SpanKind | None = None
    name: str | None = None
    instrument: Instrument | None = None
    unit: str | None = None
    extends: str | None = None
    # v2 refinements: the id of the refined signal group (also set as `extends`).
    refines: str | None = None
    includes: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    display_name: str | None = None
    # v2 attribute groups: `internal` or `public`.
    visibility: str | None = None
    # v2 signals: `recommended` or `opt_in` for the whole signal.
    requirement_level: RequirementLevel | None = None
    span_name_note: str | None = None
    entity_associations: tuple[Any, ...] = ()
    body: Mapping[str, Any] | None = None
    annotations: Mapping[str, Any] = field(default_factory=_no_annotations)
    source: Source = NOWHERE
    _by_name: dict[str, Attribute] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update((a.name, a) for a in self.attributes)

    def attribute(self, name: str) -> Attribute | None:
        return self._by_name.get(name)

    def attributes_at(self, kind: RequirementKind) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.requirement_level.kind is kind)

    @property
    def metric_name(self) -> str | None:
        return self.name if self.type is GroupType.METRIC else None
