"""The registry as the JSON document Weaver's templates and jq filters read: `weaver registry resolve`'s
v1 shape, `{"registry_url": ..., "groups": [...]}`.

Groups are sorted by id and carry their fully expanded attributes (`name`, not `id`). As in Weaver,
empty or absent fields are left out rather than written as null or "" (so `has("deprecated")` and
`{% if attr.deprecated %}` both work), and v2 refinements are dropped: they would read as duplicate
signals in v1. Not produced: `lineage` and `prefix`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weavergen.analyzers.semconv import (
    Attribute,
    AttributeType,
    Deprecation,
    EnumMember,
    Group,
    GroupType,
    Registry,
    RequirementKind,
    RequirementLevel,
)

Json = Any


def registry_document(registry: Registry) -> dict[str, Json]:
    groups = sorted((g for g in registry.groups.values() if g.refines is None), key=lambda g: g.id)
    document: dict[str, Json] = {}
    if registry.schema_url:
        document["registry_url"] = registry.schema_url
    document["groups"] = [group_document(g) for g in groups]
    return document


def group_document(group: Group) -> dict[str, Json]:
    fields: dict[str, Json] = {
        "id": group.id,
        "type": str(group.type),
        "brief": group.brief,
        "note": group.note,
        "extends": group.extends,
        "stability": _text(group.stability),
        "deprecated": deprecation_document(group.deprecated),
        "attributes": [attribute_document(a) for a in group.attributes],
        "span_kind": _text(group.span_kind),
        "events": list(group.events),
        "metric_name": group.name if group.type is GroupType.METRIC else None,
        "instrument": _text(group.instrument),
        "unit": group.unit,
        "name": group.name if group.type is not GroupType.METRIC else None,
        "display_name": group.display_name,
        "body": plain(group.body),
        "entity_associations": plain(group.entity_associations),
        "annotations": plain(group.annotations),
    }
    return _present(fields)


def attribute_document(attribute: Attribute) -> dict[str, Json]:
    fields: dict[str, Json] = {
        "name": attribute.name,
        "type": type_document(attribute.type),
        "brief": attribute.brief,
        "examples": _examples(attribute),
        "tag": attribute.tag,
        "requirement_level": requirement_document(attribute.requirement_level),
        "sampling_relevant": attribute.sampling_relevant or None,
        "note": attribute.note,
        "stability": _text(attribute.stability),
        "deprecated": deprecation_document(attribute.deprecated),
        "annotations": plain(attribute.annotations),
        "role": attribute.role,
    }
    return _present(fields, keep=("requirement_level",))


def type_document(attribute_type: AttributeType) -> Json:
    if attribute_type.is_enum:
        return {"members": [member_document(m) for m in attribute_type.members]}
    return attribute_type.name


def member_document(member: EnumMember) -> dict[str, Json]:
    fields: dict[str, Json] = {
        "id": member.id,
        "value": member.value,
        "brief": member.brief,
        "note": member.note,
        "stability": _text(member.stability),
        "deprecated": deprecation_document(member.deprecated),
        "annotations": plain(member.annotations),
    }
    return _present(fields, keep=("value",))


def requirement_document(level: RequirementLevel) -> Json:
    """`"required"`, `"recommended"`, `"opt_in"`, or `{kind: condition}` when a condition is written."""
    if level.condition or level.kind is RequirementKind.CONDITIONALLY_REQUIRED:
        return {str(level.kind): level.condition or ""}
    return str(level.kind)


def deprecation_document(deprecation: Deprecation | None) -> Json:
    if deprecation is None:
        return None
    return _present(
        {"reason": str(deprecation.reason), "renamed_to": deprecation.renamed_to, "note": deprecation.note}
    )


def plain(value: Any) -> Json:
    """Read-only mappings and tuples as plain dicts and lists; empty collections as None."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()} or None
    if isinstance(value, (list, tuple)):
        return [_item(v) for v in value] or None
    return value


def _item(value: Any) -> Json:
    converted = plain(value)
    if converted is None and isinstance(value, (Mapping, list, tuple)):
        return {} if isinstance(value, Mapping) else []
    return converted


def _examples(attribute: Attribute) -> Json:
    examples = [_item(e) for e in attribute.examples]
    if not examples:
        return None
    # A single scalar example is written bare, as Weaver keeps `examples: GET`.
    return examples[0] if len(examples) == 1 and not isinstance(examples[0], list) else examples


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _present(fields: dict[str, Json], keep: tuple[str, ...] = ()) -> dict[str, Json]:
    return {k: v for k, v in fields.items() if k in keep or v not in (None, "", [], {})}
