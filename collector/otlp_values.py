"""Python values → OTLP AnyValue / KeyValue, for the spans WeaverGen itself emits and builds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

Value = Union[str, bool, int, float, bytes, Sequence["Value"], Mapping[str, "Value"]]


def any_value(value: Value) -> AnyValue:
    # bool before int: True is an int in Python but a bool in OTLP.
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, Mapping):
        return AnyValue(kvlist_value=KeyValueList(values=key_values(value)))
    return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))


def key_values(values: Mapping[str, Value | None]) -> list[KeyValue]:
    """Attributes from a mapping; None values are left out."""
    return [KeyValue(key=key, value=any_value(value)) for key, value in values.items() if value is not None]
