"""Registry types and example values inferred from the attribute values spans carry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from weavergen.analyzers.semconv import Registry

MAX_EXAMPLE_CHARS = 80
MAX_ARRAY_ITEMS = 5
MAX_ENUM_VALUES = 10
_STORED = {"string": "string", "int": "int", "double": "double", "bool": "boolean"}
_ELEMENTS = {"stringValue": "string", "intValue": "int", "doubleValue": "double", "boolValue": "boolean"}


def infer_type(values: Sequence[tuple[str, Any, int]]) -> str | None:
    """The registry type of the stored type most spans carry: ints and doubles mixed are double;
    arrays take their elements' type (mixed: string[])."""
    spans = Counter({kind: n for kind, _, n in values})
    if not spans:
        return None
    if set(spans) <= {"int", "double"}:
        return "double" if "double" in spans else "int"
    kind = min(spans, key=lambda k: (-spans[k], k))
    if kind == "array":
        elements = {_ELEMENTS.get(next(iter(item), "")) for _, v, _ in values if isinstance(v, list) for item in v}
        element = elements.pop() if len(elements) == 1 else "double" if elements == {"int", "double"} else "string"
        return f"{element or 'string'}[]"
    return _STORED.get(kind)


def pick_examples(values: Sequence[tuple[str, Any, int]], typed: str, limit: int) -> tuple[Any, ...]:
    """Up to ``limit`` distinct values that fit ``typed``, most frequent first; long strings cut."""
    picked: list[Any] = []
    for kind, value, _ in values:
        example = _example(kind, value, typed)
        if example is not None and example not in picked:
            picked.append(example)
        if len(picked) == limit:
            break
    return tuple(picked)


def _example(kind: str, value: Any, typed: str) -> Any:
    if value is None:
        return None
    if typed.endswith("[]"):
        if kind != "array":
            return None
        element = typed[:-2]
        return [_element(item, element) for item in value[:MAX_ARRAY_ITEMS]]
    if typed == "double" and kind in ("int", "double"):
        return float(value)
    if _STORED.get(kind) != typed:
        return None
    return value[:MAX_EXAMPLE_CHARS] if isinstance(value, str) else value


def _element(item: Mapping[str, Any], element: str) -> Any:
    raw = next(iter(item.values()), "")
    try:
        if element == "int":
            return int(raw)
        if element == "double":
            return float(raw)
        if element == "boolean":
            return bool(raw)
    except (TypeError, ValueError):
        pass
    return str(raw)[:MAX_EXAMPLE_CHARS]


def undefined_values(registry: Registry, key: str, values: Sequence[tuple[str, Any, int]]) -> list[str]:
    attribute = registry.attribute(key)
    if attribute is None or not attribute.type.is_enum:
        return []
    members = {str(m.value) for m in attribute.type.members}
    seen = [str(v)[:MAX_EXAMPLE_CHARS] for kind, v, _ in values if kind in ("string", "int") and v is not None]
    return sorted({v for v in seen if v not in members})[:MAX_ENUM_VALUES]
