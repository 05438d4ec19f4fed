"""Parse one item of an `attributes:` list: a definition, a `ref` with refinements, or a `ref_group`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import value_parsers as parse
from .fields import Fields, label
from .model import Attribute
from .problems import Problems
from .spec import AttributeDef, AttributeRef, Entry, GroupRef
from .values import RECOMMENDED
from .yaml_source import YamlMap

# Fields a `ref` may refine, in both formats (v2 accepts a subset, which its key lists enforce).
_REFINABLE = (
    "brief", "note", "examples", "requirement_level", "stability", "deprecated", "sampling_relevant",
    "role", "tag", "annotations",
)  # fmt: skip
V1_DEFINITION_KEYS = ("id", "type", *_REFINABLE)
V1_REF_KEYS = ("ref", *_REFINABLE)
V2_DEFINITION_KEYS = ("key", "type", "brief", "note", "stability", "deprecated", "examples", "annotations")
V2_REF_KEYS = (
    "ref", "brief", "note", "examples", "annotations", "requirement_level", "sampling_relevant", "stability",
    "deprecated", "role",
)  # fmt: skip
_ROLES = ("identifying", "descriptive")


class EntryParser:
    """Parses attribute list items for one file; `definition_key` is `id` (v1) or `key` (v2)."""

    def __init__(self, file: str, problems: Problems, v2: bool) -> None:
        self.file = file
        self.problems = problems
        self.definition_key = "key" if v2 else "id"
        self.definition_keys = V2_DEFINITION_KEYS if v2 else V1_DEFINITION_KEYS
        self.ref_keys = V2_REF_KEYS if v2 else V1_REF_KEYS

    def entry(self, data: YamlMap, owner: str, definitions_allowed: bool = True) -> Entry | None:
        """One list item; `owner` names the enclosing group in messages."""
        if "ref_group" in data:
            return self._group_ref(Fields(data, self.file, self.problems, owner))
        if "ref" in data:
            return self.ref(data, owner)
        if self.definition_key in data and definitions_allowed:
            return self.definition(data)
        expected = f"'{self.definition_key}', 'ref' or 'ref_group'" if definitions_allowed else "'ref' or 'ref_group'"
        Fields(data, self.file, self.problems, owner).report("ref", f"an attribute entry needs {expected}")
        return None

    def definition(self, data: YamlMap) -> AttributeDef | None:
        fields = Fields(data, self.file, self.problems, label("attribute", data.get(self.definition_key)))
        fields.check_keys(self.definition_keys)
        name = fields.text(self.definition_key, required=True)
        attr_type = parse.attribute_type(fields)
        dep = parse.deprecated(fields)
        if not fields.has("brief") and dep is None:
            fields.problems.add(fields.source, f"{fields.what}: missing required key 'brief'")
        if name is None or attr_type is None:
            return None
        attribute = Attribute(
            name=name,
            type=attr_type,
            brief=parse.text(fields, "brief"),
            note=parse.text(fields, "note"),
            examples=parse.examples(fields) or (),
            stability=parse.stability(fields),
            deprecated=dep,
            requirement_level=parse.requirement_level(fields) or RECOMMENDED,
            sampling_relevant=bool(fields.flag("sampling_relevant")),
            role=fields.choice("role", _ROLES),
            tag=fields.text("tag"),
            annotations=parse.annotations(fields),
            source=fields.source,
        )
        return AttributeDef(attribute)

    def ref(self, data: YamlMap, owner: str) -> AttributeRef | None:
        fields = Fields(data, self.file, self.problems, label(f"{owner} ref", data.get("ref")))
        fields.check_keys(self.ref_keys)
        name = fields.text("ref", required=True)
        if name is None:
            return None
        return AttributeRef(name, _overrides(fields), fields.source)

    def _group_ref(self, fields: Fields) -> GroupRef | None:
        fields.check_keys(("ref_group",))
        group_id = fields.text("ref_group", required=True)
        return GroupRef(group_id, fields.source) if group_id else None


_OVERRIDE_PARSERS: dict[str, Callable[[Fields], Any]] = {
    "brief": lambda f: parse.text(f, "brief"),
    "note": lambda f: parse.text(f, "note"),
    "examples": parse.examples,
    "requirement_level": parse.requirement_level,
    "stability": parse.stability,
    "deprecated": parse.deprecated,
    "sampling_relevant": lambda f: f.flag("sampling_relevant"),
    "role": lambda f: f.choice("role", _ROLES),
    "tag": lambda f: f.text("tag"),
    "annotations": parse.annotations,
}


def _overrides(fields: Fields) -> dict[str, Any]:
    """Only the fields written on the ref: absent ones keep the inherited or defined value."""
    overrides = {}
    for key in fields.data.keys() & _OVERRIDE_PARSERS.keys():
        value = _OVERRIDE_PARSERS[key](fields)
        if value is not None:
            overrides[key] = value
    return overrides
