"""Parse a v1 file (`groups:`) into group specs."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from . import value_parsers as parse
from .attribute_entries import EntryParser
from .fields import Fields, label
from .model import Group
from .problems import Problems
from .spec import GroupSpec
from .values import GroupType, Instrument, SpanKind
from .yaml_source import YamlMap

FILE_KEYS = ("groups", "file_format", "version")
GROUP_KEYS = (
    "id", "type", "brief", "note", "stability", "deprecated", "extends", "attributes", "display_name",
    "annotations", "entity_associations", "prefix", "span_kind", "events", "metric_name", "instrument",
    "unit", "name", "body",
)  # fmt: skip
# `resource` is the old name of `entity`.
_TYPES = {t.value: t for t in GroupType} | {"resource": GroupType.ENTITY}
_KINDS = frozenset(k.value for k in SpanKind)
_INSTRUMENTS = frozenset(i.value for i in Instrument)
_E = TypeVar("_E", bound=StrEnum)


def parse_v1(document: YamlMap, file: str, problems: Problems) -> list[GroupSpec]:
    top = Fields(document, file, problems, "file")
    top.check_keys(FILE_KEYS)
    if "groups" not in document:
        problems.add(top.source, "file: missing required key 'groups' (or 'file_format: definition/2')")
    entries = EntryParser(file, problems, v2=False)
    specs = (_group(data, file, problems, entries) for data in top.mappings("groups"))
    return [spec for spec in specs if spec is not None]


def _group(data: YamlMap, file: str, problems: Problems, entries: EntryParser) -> GroupSpec | None:
    fields = Fields(data, file, problems, label("group", data.get("id")))
    fields.check_keys(GROUP_KEYS)
    group_id = fields.text("id", required=True)
    type_name = fields.choice("type", _TYPES.keys(), required=True)
    brief = fields.text("brief", required=True)
    if group_id is None or type_name is None:
        return None
    group_type = _TYPES[type_name]
    _check_signal_keys(fields, group_type)
    group = Group(
        id=group_id,
        type=group_type,
        brief=(brief or "").strip(),
        note=parse.text(fields, "note"),
        stability=parse.stability(fields),
        deprecated=parse.deprecated(fields),
        span_kind=_optional(SpanKind, fields.choice("span_kind", _KINDS)),
        name=fields.text("metric_name") if group_type is GroupType.METRIC else fields.text("name"),
        instrument=_optional(Instrument, fields.choice("instrument", _INSTRUMENTS)),
        unit=fields.text("unit"),
        extends=fields.text("extends"),
        events=tuple(e for e in fields.seq("events") if isinstance(e, str)),
        display_name=fields.text("display_name"),
        entity_associations=tuple(fields.seq("entity_associations")),
        body=fields.mapping("body"),
        annotations=parse.annotations(fields),
        source=fields.source,
    )
    items = (entries.entry(item, fields.what) for item in fields.mappings("attributes"))
    return GroupSpec(group, [e for e in items if e is not None], fields.at("extends"))


def _check_signal_keys(fields: Fields, group_type: GroupType) -> None:
    """The keys one group type needs, and the span-only keys elsewhere (weaver's spec validation)."""
    required = {
        GroupType.SPAN: ("span_kind",),
        GroupType.METRIC: ("metric_name", "instrument", "unit"),
        GroupType.EVENT: ("name",),
    }.get(group_type, ())
    for key in required:
        if not fields.has(key):
            fields.problems.add(fields.source, f"{fields.what}: a {group_type} needs '{key}'")
    if group_type is not GroupType.SPAN:
        for key in ("span_kind", "events"):
            if fields.has(key):
                fields.report(key, f"'{key}' is only allowed on spans")


def _optional(kind: type[_E], value: str | None) -> _E | None:
    return kind(value) if value is not None else None
