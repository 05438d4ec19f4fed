"""Parse a `file_format: definition/2` file into group specs, the way weaver maps v2 onto v1 groups:
`attributes` -> one synthetic attribute group `registry.<path parts>`; spans -> `span.<type>`;
metrics -> `metric.<name>`; events -> `event.<name>`; entities -> `entity.<type>`;
refinements -> groups that extend the refined signal; `ref_group` -> an include.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from . import value_parsers as parse
from .attribute_entries import EntryParser
from .fields import Fields, label
from .model import Group
from .problems import Problems
from .spec import AttributeRef, Entry, GroupSpec
from .values import GroupType, Instrument, RequirementKind, RequirementLevel, SpanKind
from .yaml_source import YamlMap

SYNTHETIC_BRIEF = "<synthetic v2>"
_COMMON = ("brief", "note", "stability", "deprecated", "annotations")
_SIGNAL = (*_COMMON, "attributes", "entity_associations")
_SIGNAL_LEVELS = ("recommended", "opt_in")
_KINDS = frozenset(k.value for k in SpanKind)
# Spans and attribute groups have an id but no telemetry name (a span's name is a pattern).
_UNNAMED = (GroupType.SPAN, GroupType.ATTRIBUTE_GROUP)
_INSTRUMENTS = frozenset(i.value for i in Instrument)


@dataclass(frozen=True, slots=True)
class _Section:
    group_type: GroupType
    id_prefix: str
    # The key naming a signal (`type` or `name`); refinements are named by `id` instead.
    name_key: str
    keys: tuple[str, ...]
    required: tuple[str, ...] = ()
    refinement: bool = False


_GROUP_KEYS = ("id", "visibility", *_COMMON, "attributes")
_SPAN_KEYS = ("type", "kind", "name", "requirement_level", *_SIGNAL)
_METRIC_KEYS = ("name", "instrument", "unit", "requirement_level", *_SIGNAL)
_ENTITY_KEYS = ("type", "identity", "description", "requirement_level", *_COMMON)
_SIGNAL_REQUIRED = ("brief", "stability")
_METRIC_REQUIRED = ("instrument", "unit", *_SIGNAL_REQUIRED)
_EVENT_KEYS = ("name", "requirement_level", *_SIGNAL)
_ENTITY_REFINEMENT_KEYS = ("id", "ref", "description", *_COMMON)
SECTIONS = {
    "attribute_groups": _Section(GroupType.ATTRIBUTE_GROUP, "", "id", _GROUP_KEYS, ("visibility",)),
    "spans": _Section(GroupType.SPAN, "span.", "type", _SPAN_KEYS, ("kind", "name", *_SIGNAL_REQUIRED)),
    "span_refinements": _Section(GroupType.SPAN, "span.", "id", ("id", "ref", "name", *_SIGNAL), (), True),
    "metrics": _Section(GroupType.METRIC, "metric.", "name", _METRIC_KEYS, _METRIC_REQUIRED),
    "metric_refinements": _Section(GroupType.METRIC, "metric.", "id", ("id", "ref", *_SIGNAL), (), True),
    "events": _Section(GroupType.EVENT, "event.", "name", _EVENT_KEYS, _SIGNAL_REQUIRED),
    "event_refinements": _Section(GroupType.EVENT, "event.", "id", ("id", "ref", *_SIGNAL), (), True),
    "entities": _Section(GroupType.ENTITY, "entity.", "type", _ENTITY_KEYS, ("identity", *_SIGNAL_REQUIRED)),
    "entity_refinements": _Section(GroupType.ENTITY, "entity.", "id", _ENTITY_REFINEMENT_KEYS, (), True),
}
# `imports` name groups of dependency registries, which this loader does not load: accepted, unused.
FILE_KEYS = ("file_format", "version", "attributes", "imports", *SECTIONS)


def parse_v2(document: YamlMap, file: str, relative: str, problems: Problems) -> list[GroupSpec]:
    """`relative` is the file's path inside the registry, which names its synthetic attribute group."""
    top = Fields(document, file, problems, "file")
    top.check_keys(FILE_KEYS)
    entries = EntryParser(file, problems, v2=True)
    specs = []
    if "attributes" in document:
        specs.append(_registry_group(top, relative, entries))
    for key, section in SECTIONS.items():
        for data in top.mappings(key):
            spec = _SectionParser(data, file, problems, entries, section).parse()
            if spec is not None:
                specs.append(spec)
    return specs


def _registry_group(top: Fields, relative: str, entries: EntryParser) -> GroupSpec:
    parts = PurePosixPath(relative).with_suffix("").parts
    group = Group(
        id=".".join(("registry", *parts)),
        type=GroupType.ATTRIBUTE_GROUP,
        brief=SYNTHETIC_BRIEF,
        source=top.at("attributes"),
    )
    definitions = (entries.definition(item) for item in top.mappings("attributes"))
    return GroupSpec(group, [d for d in definitions if d is not None])


class _SectionParser:
    def __init__(self, data: YamlMap, file: str, problems: Problems, entries: EntryParser, section: _Section):
        self.section = section
        self.entries = entries
        self.fields = Fields(data, file, problems, label(section.group_type, data.get(section.name_key)))

    def parse(self) -> GroupSpec | None:
        fields, section = self.fields, self.section
        fields.check_keys(section.keys)
        name = fields.text(section.name_key, required=True)
        refined = fields.text("ref", required=True) if section.refinement else None
        self._check_required()
        if name is None or (section.refinement and refined is None):
            return None
        base_id = section.id_prefix + refined if refined else None
        group = Group(
            id=name if section.refinement else section.id_prefix + name,
            type=section.group_type,
            name=None if section.refinement or section.group_type in _UNNAMED else name,
            extends=base_id,
            refines=base_id,
            **self._common(),
            **self._specific(),
        )
        at = fields.at("ref") if section.refinement else None
        return GroupSpec(group, self._entries(), at)

    def _check_required(self) -> None:
        fields = self.fields
        required = self.section.required
        # Public attribute groups are documented, so they need what a signal needs.
        if fields.raw("visibility") == "public":
            required = (*required, *_SIGNAL_REQUIRED)
        for key in required:
            if not fields.has(key):
                fields.problems.add(fields.source, f"{fields.what}: missing required key '{key}'")

    def _common(self) -> dict[str, Any]:
        fields = self.fields
        level = fields.choice("requirement_level", _SIGNAL_LEVELS)
        return {
            "brief": parse.text(fields, "brief"),
            "note": parse.text(fields, "note"),
            "stability": parse.stability(fields),
            "deprecated": parse.deprecated(fields),
            "annotations": parse.annotations(fields),
            "entity_associations": tuple(fields.seq("entity_associations")),
            "requirement_level": RequirementLevel(RequirementKind(level)) if level else None,
            "visibility": fields.choice("visibility", ("internal", "public")),
            "source": fields.source,
        }

    def _specific(self) -> dict[str, Any]:
        fields = self.fields
        kind = fields.choice("kind", _KINDS)
        instrument = fields.choice("instrument", _INSTRUMENTS)
        return {
            "span_kind": SpanKind(kind) if kind else None,
            "span_name_note": self._span_name_note(),
            "instrument": Instrument(instrument) if instrument else None,
            "unit": fields.text("unit"),
        }

    def _span_name_note(self) -> str | None:
        if self.section.group_type is not GroupType.SPAN:
            return None
        name = self.fields.mapping("name")
        if name is None:
            return None
        fields = Fields(name, self.fields.file, self.fields.problems, f"{self.fields.what} name")
        fields.check_keys(("note",))
        return parse.text(fields, "note")

    def _entries(self) -> list[Entry]:
        if self.section.group_type is GroupType.ENTITY:
            return self._entity_entries()
        # Signals only reference attributes in v2; definitions belong in `attributes:`.
        items = self.fields.mappings("attributes")
        entries = (self.entries.entry(item, self.fields.what, definitions_allowed=False) for item in items)
        return [e for e in entries if e is not None]

    def _entity_entries(self) -> list[Entry]:
        """`identity` and `description` refs, with the role weaver gives each list."""
        result: list[Entry] = []
        for key, role in (("identity", "identifying"), ("description", "descriptive")):
            for item in self.fields.mappings(key):
                ref = self.entries.ref(item, self.fields.what)
                if ref is not None:
                    result.append(AttributeRef(ref.name, {**ref.overrides, "role": role}, ref.source))
        return result
