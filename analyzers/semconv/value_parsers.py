"""Parse the values that look the same in both file formats: stability, requirement level,
deprecation, attribute type (with enum members), examples and annotations."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .fields import Fields, label
from .model import EMPTY_MAP, AttributeType, EnumMember
from .values import Deprecation, DeprecationReason, RequirementKind, RequirementLevel, Stability
from .yaml_source import YamlMap

_PRIMITIVES = ("string", "int", "double", "boolean")
PLAIN_TYPES = frozenset([*_PRIMITIVES, *(f"{p}[]" for p in _PRIMITIVES), "any"])
TEMPLATE_TYPES = frozenset(f"template[{t}]" for t in PLAIN_TYPES)
_STABILITY_ALIASES = {"experimental": Stability.DEVELOPMENT}
_MEMBER_KEYS = ("id", "value", "brief", "note", "stability", "deprecated", "annotations")
_DEPRECATED_KEYS = ("reason", "renamed_to", "note")
_REASONS = frozenset(r.value for r in DeprecationReason)
# `conditionally_required` always needs its condition text; `required` never takes one.
_BARE_LEVELS = {k: RequirementLevel(RequirementKind(k)) for k in ("required", "recommended", "opt_in")}
_TEXT_LEVELS = frozenset(("conditionally_required", "recommended", "opt_in"))


def stability(fields: Fields, key: str = "stability") -> Stability | None:
    value = fields.text(key)
    if value is None:
        return None
    if value in _STABILITY_ALIASES:
        return _STABILITY_ALIASES[value]
    try:
        return Stability(value)
    except ValueError:
        fields.report(key, f"unknown stability '{value}'")
        return None


def requirement_level(fields: Fields, key: str = "requirement_level") -> RequirementLevel | None:
    value = fields.raw(key)
    if value is None:
        return None
    if isinstance(value, str) and value in _BARE_LEVELS:
        return _BARE_LEVELS[value]
    if isinstance(value, dict) and len(value) == 1:
        kind, condition = next(iter(value.items()))
        if kind in _TEXT_LEVELS and isinstance(condition, str):
            return RequirementLevel(RequirementKind(kind), condition.strip() or None)
    fields.report(
        key,
        "'requirement_level' must be required, recommended, opt_in, or a one-key mapping "
        "{conditionally_required|recommended|opt_in: <text>}",
    )
    return None


def deprecated(fields: Fields, key: str = "deprecated") -> Deprecation | None:
    value = fields.raw(key)
    if value is None:
        return None
    if isinstance(value, str):
        # The old free-text form: keep the text as the note.
        return Deprecation(DeprecationReason.UNSPECIFIED, note=value.strip())
    if not isinstance(value, YamlMap):
        fields.report(key, "'deprecated' must be a text or a mapping with 'reason'")
        return None
    inner = Fields(value, fields.file, fields.problems, fields.what)
    inner.check_keys(_DEPRECATED_KEYS)
    reason = inner.choice("reason", _REASONS, required=True)
    if reason is None:
        return None
    renamed_to = inner.text("renamed_to", required=reason == DeprecationReason.RENAMED)
    note = inner.text("note") or (f"Replaced by `{renamed_to}`." if renamed_to else "")
    return Deprecation(DeprecationReason(reason), note=note.strip(), renamed_to=renamed_to)


def attribute_type(fields: Fields, key: str = "type") -> AttributeType | None:
    value = fields.raw(key)
    if value is None:
        fields.problems.add(fields.source, f"{fields.what}: missing required key '{key}'")
        return None
    if isinstance(value, str):
        if value in PLAIN_TYPES or value in TEMPLATE_TYPES:
            return AttributeType(value)
        fields.report(key, f"unknown attribute type '{value}'")
        return None
    if isinstance(value, YamlMap):
        return _enum_type(Fields(value, fields.file, fields.problems, fields.what))
    fields.report(key, "'type' must be a type name or a mapping with 'members'")
    return None


def _enum_type(fields: Fields) -> AttributeType | None:
    # `allow_custom_values` comes from old v1 files; enums are always open now, so it is ignored.
    fields.check_keys(("members", "allow_custom_values"))
    if not fields.has("members"):
        fields.problems.add(fields.source, f"{fields.what}: an enum type needs 'members'")
        return None
    members = [_member(item, fields) for item in fields.mappings("members")]
    return AttributeType("enum", tuple(m for m in members if m is not None))


def _member(data: YamlMap, parent: Fields) -> EnumMember | None:
    fields = Fields(data, parent.file, parent.problems, label(f"{parent.what} member", data.get("id")))
    fields.check_keys(_MEMBER_KEYS)
    member_id = fields.text("id", required=True)
    value = data.get("value", member_id)
    if not isinstance(value, (str, int, float, bool)):
        fields.report("value", "an enum member 'value' must be a string, number or boolean")
        return None
    if member_id is None:
        return None
    return EnumMember(
        id=member_id,
        value=value,
        brief=(fields.text("brief") or "").strip(),
        note=(fields.text("note") or "").strip(),
        stability=stability(fields),
        deprecated=deprecated(fields),
        annotations=annotations(fields),
    )


def examples(fields: Fields, key: str = "examples") -> tuple[Any, ...] | None:
    """A single example or a list of them, as a tuple (inner lists become tuples too)."""
    value = fields.raw(key)
    if value is None:
        return None
    if isinstance(value, dict):
        fields.report(key, "'examples' must be a value or a list of values")
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(tuple(v) if isinstance(v, list) else v for v in items)


def annotations(fields: Fields, key: str = "annotations") -> Mapping[str, Any]:
    value = fields.mapping(key)
    return MappingProxyType(dict(value)) if value else EMPTY_MAP


def text(fields: Fields, key: str) -> str:
    """A free-text field; surrounding whitespace left by YAML block scalars is dropped."""
    return (fields.text(key) or "").strip()
