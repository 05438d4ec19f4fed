"""Weaver's semconv-aware Jinja filters and tests, over the resolved registry document's dicts.

Filters: attribute_namespace, attribute_registry_namespace / _title / _file, metric_namespace,
attribute_sort, required, not_required, instantiated_type, enum_type, print_value (alias
print_member_value), split_id, flatten. Tests: stable, experimental (= not stable), deprecated,
enum, simple_type, template_type, enum_type, array.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jinja2 import Undefined

from .case import kebab_case, title_case
from .errors import GenerationError

SIMPLE_TYPES = frozenset(
    ("string", "string[]", "int", "int[]", "double", "double[]", "boolean", "boolean[]", "any")
)
_REQUIREMENT_ORDER = {"required": 1, "conditionally_required": 2, "recommended": 3, "opt_in": 4}


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _segments(text: str, prefix: str, what: str) -> list[str]:
    parts = str(text).split(".")
    if len(parts) < 2 or (prefix and parts[0] != prefix):
        raise GenerationError(f"{what} `{text}` is invalid")
    return parts


def attribute_namespace(name: str) -> str:
    return _segments(name, "", "attribute name")[0]


def attribute_registry_namespace(group_id: str) -> str:
    return _segments(group_id, "registry", "attribute registry id")[1]


def attribute_registry_title(group_id: str) -> str:
    return title_case(attribute_registry_namespace(group_id))


def attribute_registry_file(group_id: str) -> str:
    return f"attributes-registry/{kebab_case(attribute_registry_namespace(group_id))}.md"


def metric_namespace(group_id: str) -> str:
    return _segments(group_id, "metric", "metric id")[1]


def requirement_kind(item: Any) -> str:
    level = _get(item, "requirement_level")
    if isinstance(level, dict):
        return next(iter(level), "recommended")
    return str(level) if level else "recommended"


def attribute_sort(attributes: Iterable[Any]) -> list[Any]:
    """By requirement level (required, conditionally required, recommended, opt-in), then name."""

    def key(item: Any) -> tuple[int, str]:
        kind = requirement_kind(item)
        if kind not in _REQUIREMENT_ORDER:
            raise GenerationError(f"attribute_sort: expected a requirement level, found {kind!r}")
        return _REQUIREMENT_ORDER[kind], str(_get(item, "name") or "")

    return sorted(attributes, key=key)


def required(items: Iterable[Any]) -> list[Any]:
    return [i for i in items if _get(i, "requirement_level") == "required"]


def not_required(items: Iterable[Any]) -> list[Any]:
    """Everything not plainly `required`; conditionally required items are kept."""
    return [i for i in items if _get(i, "requirement_level") != "required"]


def enum_type(attribute_type: Any) -> str:
    """The type of an enum's member values: int, double or string (mixed values are strings)."""
    members = _get(attribute_type, "members")
    if members is None:
        raise GenerationError(f"enum_type: expected an enum type, found {attribute_type!r}")
    kinds = {_value_kind(_get(m, "value")) for m in members}
    if not kinds:
        raise GenerationError("enum_type: the enum has no members")
    return kinds.pop() if len(kinds) == 1 else "string"


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def instantiated_type(attribute_type: Any) -> str:
    """`int` for `int`, `string[]` for `template[string[]]`, the members' type for an enum."""
    if is_simple_type(attribute_type):
        return str(attribute_type)
    if is_template_type(attribute_type):
        return str(attribute_type)[len("template[") : -1]
    if is_enum_type(attribute_type):
        return enum_type(attribute_type)
    raise GenerationError(
        f"instantiated_type: expected a simple, template or enum type, found {attribute_type!r}"
    )


def print_value(value: Any) -> str:
    """A literal: strings JSON-quoted, numbers and booleans bare, lists and maps as JSON."""
    if isinstance(value, Undefined) or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def split_id(value: Any) -> list[str]:
    if not isinstance(value, str):
        raise GenerationError(f"split_id: expected a string, found {value!r}")
    return value.split(".")


def flatten(value: Iterable[Iterable[Any]]) -> list[Any]:
    return [item for inner in value for item in inner]


def is_stable(value: Any) -> bool:
    return _get(value, "stability") == "stable"


def is_experimental(value: Any) -> bool:
    return not is_stable(value)


def is_deprecated(value: Any) -> bool:
    return bool(_get(value, "deprecated"))


def is_simple_type(attribute_type: Any) -> bool:
    return isinstance(attribute_type, str) and attribute_type in SIMPLE_TYPES


def is_template_type(attribute_type: Any) -> bool:
    text = attribute_type if isinstance(attribute_type, str) else ""
    return text.startswith("template[") and text.endswith("]") and text[len("template[") : -1] in SIMPLE_TYPES


def is_enum_type(attribute_type: Any) -> bool:
    return _get(attribute_type, "members") is not None


def is_enum(attribute: Any) -> bool:
    return is_enum_type(_get(attribute, "type"))


def is_array(attribute_type: Any) -> bool:
    name = instantiated_type(attribute_type) if is_template_type(attribute_type) else attribute_type
    return isinstance(name, str) and name.endswith("[]")


FILTERS = {
    "attribute_namespace": attribute_namespace,
    "attribute_registry_namespace": attribute_registry_namespace,
    "attribute_registry_title": attribute_registry_title,
    "attribute_registry_file": attribute_registry_file,
    "metric_namespace": metric_namespace,
    "attribute_sort": attribute_sort,
    "required": required,
    "not_required": not_required,
    "enum_type": enum_type,
    "instantiated_type": instantiated_type,
    "print_value": print_value,
    "print_member_value": print_value,
    "split_id": split_id,
    "flatten": flatten,
}

TESTS = {
    "stable": is_stable,
    "experimental": is_experimental,
    "deprecated": is_deprecated,
    "enum": is_enum,
    "simple_type": is_simple_type,
    "template_type": is_template_type,
    "enum_type": is_enum_type,
    "array": is_array,
}
