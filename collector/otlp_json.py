"""OTLP/JSON codec for traces: HTTP JSON bodies to ``ExportTraceServiceRequest`` and back.

``google.protobuf.json_format`` is not an OTLP/JSON codec: OTLP/JSON writes trace and span ids as hex
where proto3 JSON expects base64 (json_format silently yields 24-byte trace ids), and it is slow.
The mapping here follows the OTLP spec: lowerCamelCase keys (snake_case accepted, as protobuf parsers
do), hex ids, enums as integers (names accepted), 64-bit integers as JSON numbers (Node) or decimal
strings (Python), bytes as base64, unknown keys ignored, ``null`` read as absent.

The field tables are built from the protobuf descriptors, so every field of every message is mapped
and a field added by a newer opentelemetry-proto is picked up without code changes.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf import any_pb2, json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2  # noqa: F401  (registers RetryInfo & co. for encode_status)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = [
    "INVALID_ID",
    "MAX_VALUE_NESTING",
    "OtlpJsonError",
    "decode_any_value",
    "decode_export_trace_request",
    "encode_any_value",
    "encode_export_trace_request",
    "encode_export_trace_response",
    "encode_status",
]

# An id that is not hex decodes to this instead of failing the whole body: OTLP wants such spans
# rejected one by one (partial_success), and one byte is a length no trace, span or parent id may have.
INVALID_ID: bytes = b"\x00"

# OTLP/JSON's exception to proto3 JSON: these bytes fields are hex; every other bytes field is base64.
_HEX_FIELDS = frozenset({"trace_id", "span_id", "parent_span_id"})
_INT64_CPP_TYPES = frozenset({FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64})
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Protobuf's binary parser stops at 100 nested messages and a kvlistValue level costs 3 of them, so a
# deeper value decoded from JSON could not be read back from protobuf (by the store, or a gRPC peer).
MAX_VALUE_NESTING = 31

Setter = Callable[[Any, Any], None]  # (protobuf message, JSON value) -> None
Filler = Callable[[Any, Any], None]  # (empty protobuf message, JSON value) -> None


class OtlpJsonError(ValueError):
    """A body that is not valid OTLP/JSON; the message names the field path and what was wrong."""


class _FieldError(Exception):
    """Raised deep in the decoder; each enclosing level appends its key or index on the way out,
    so a path is only built for a malformed body and the happy path pays nothing for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segments: list[str] = []  # innermost first

    def at(self, segment: str) -> _FieldError:
        self.segments.append(segment)
        return self

    def located(self) -> str:
        path = "".join(reversed(self.segments)).lstrip(".")
        return f"{path}: {self.reason}" if path else self.reason


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = json.dumps(value)  # ASCII, so a lone surrogate cannot break whoever logs the message
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(what: str, value: Any) -> _FieldError:
    return _FieldError(f"expected {what}, got {_shown(value)}")


# ---------------------------------------------------------------------------------------------
# Decoding: converters from a JSON value to the Python value of one scalar field.


def _to_str(value: Any) -> str:
    if type(value) is not str:
        raise _expected("a string", value)
    return value  # type: ignore[no-any-return]


def _to_bool(value: Any) -> bool:
    if value is not True and value is not False:
        raise _expected("true or false", value)
    return value  # type: ignore[no-any-return]


def _to_int(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is str:
        try:
            return int(value)
        except ValueError:
            pass
    elif kind is float and value.is_integer():  # 1.7e18 from a client that lost the integer type
        return int(value)
    raise _expected("an integer", value)


def _to_double(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            pass
    elif kind is str:
        special = _SPECIAL_DOUBLES.get(value)
        if special is not None:
            return special
        try:
            return float(value)  # proto3 JSON allows doubles as strings, e.g. "1.5"
        except ValueError:
            pass
    raise _expected("a number", value)


def _to_base64_bytes(value: Any) -> bytes:
    if type(value) is not str:
        raise _expected("a base64 string", value)
    # proto3 JSON accepts the URL-safe alphabet and missing padding as well.
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError as error:
        raise _expected("a base64 string", value) from error


def _to_hex_id(value: Any) -> bytes:
    if type(value) is not str:
        raise _expected("a hex string", value)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return INVALID_ID
    # fromhex skips whitespace; an id with spaces in it is as invalid as one with "zz".
    return raw if len(raw) * 2 == len(value) else INVALID_ID


def _enum_converter(enum: EnumDescriptor) -> Callable[[Any], int]:
    # Names match case-insensitively, with or without the prefix ("SPAN_KIND_SERVER", "server").
    prefix = os.path.commonprefix([value.name for value in enum.values])
    numbers = {value.name: value.number for value in enum.values}
    numbers.update({value.name.removeprefix(prefix): value.number for value in enum.values})

    def to_enum(value: Any) -> int:
        if type(value) is int:
            return value  # type: ignore[no-any-return]
        if type(value) is str and value.upper() in numbers:
            return numbers[value.upper()]
        raise _expected(f"an integer or a {enum.name} name", value)

    return to_enum


def _converter(field: FieldDescriptor) -> tuple[Callable[[Any], Any], type]:
    """The converter of a scalar field, and the JSON type that needs no conversion (the fast lane)."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _to_str, str
    if kind == FieldDescriptor.TYPE_BOOL:
        return _to_bool, bool
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return _to_double, float
    if kind == FieldDescriptor.TYPE_BYTES:
        return (_to_hex_id if field.name in _HEX_FIELDS else _to_base64_bytes), _NoFastLane
    if kind == FieldDescriptor.TYPE_ENUM:
        return _enum_converter(field.enum_type), int
    return _to_int, int  # every remaining scalar type is an integer


class _NoFastLane:
    """A type no JSON value has."""


def _rejected(value: Any, error: ValueError) -> _FieldError:
    # Protobuf itself refuses what JSON allows: integers out of the field's range, lone surrogates.
    if isinstance(error, UnicodeEncodeError):
        return _FieldError("string contains a lone surrogate, which has no UTF-8 form")
    return _FieldError(f"out of range for this field, got {_shown(value)}")


# ---------------------------------------------------------------------------------------------
# Decoding: one setter per field, in tables keyed by both JSON spellings of the field name.


def _scalar_setter(name: str, field: FieldDescriptor) -> Setter:
    convert, fast_type = _converter(field)

    # Protobuf may still refuse the value (ValueError); callers add the path to that error.
    def set_scalar(message: Any, value: Any) -> None:
        setattr(message, name, value if type(value) is fast_type else convert(value))

    return set_scalar


def _repeated_scalar_setter(name: str, field: FieldDescriptor) -> Setter:
    convert, _ = _converter(field)

    def set_repeated(message: Any, value: Any) -> None:
        if type(value) is not list:
            raise _expected("an array", value)
        items = getattr(message, name)
        for index, item in enumerate(value):
            try:
                items.append(convert(item))
            except ValueError as error:
                raise _rejected(item, error).at(f"[{index}]") from error
            except _FieldError as error:
                error.segments.append(f"[{index}]")
                raise

    return set_repeated


def _message_setter(name: str, fill: Filler) -> Setter:
    def set_message(message: Any, value: Any) -> None:
        child = getattr(message, name)
        child.SetInParent()  # `{}` still marks the field present, as protobuf's own parsers do
        fill(child, value)

    return set_message


def _repeated_message_setter(name: str, fill: Filler) -> Setter:
    def set_repeated(message: Any, value: Any) -> None:
        if type(value) is not list:
            raise _expected("an array", value)
        items = getattr(message, name)
        for index, item in enumerate(value):
            try:
                fill(items.add(), item)
            except _FieldError as error:
                error.segments.append(f"[{index}]")
                raise

    return set_repeated


def _field_setter(field: FieldDescriptor) -> Setter:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        fill = _filler_for(field.message_type)
        if field.is_repeated:
            return _repeated_message_setter(field.name, fill)
        return _message_setter(field.name, fill)
    if field.is_repeated:
        return _repeated_scalar_setter(field.name, field)
    return _scalar_setter(field.name, field)


_TABLES: dict[str, dict[str, Setter]] = {}


def _table_for(descriptor: Descriptor) -> dict[str, Setter]:
    """Setters by JSON key: the lowerCamelCase JSON name and the proto field name."""
    table = _TABLES.get(descriptor.full_name)
    if table is None:
        table = _TABLES[descriptor.full_name] = {}
        for field in descriptor.fields:
            table[field.name] = table[field.json_name] = _field_setter(field)
    return table


def _filler_for(descriptor: Descriptor) -> Filler:
    if descriptor.full_name == AnyValue.DESCRIPTOR.full_name:
        return _fill_any_value
    if descriptor.full_name == KeyValue.DESCRIPTOR.full_name:
        return _fill_key_value
    return functools.partial(_fill_fields, _table_for(descriptor))  # cheaper than a lambda


def _fill_fields(table: dict[str, Setter], message: Any, obj: Any) -> None:
    if type(obj) is not dict:
        raise _expected("an object", obj)
    for key, value in obj.items():
        setter = table.get(key)
        if setter is None or value is None:  # unknown keys are ignored; null means absent
            continue
        try:
            setter(message, value)
        except ValueError as error:
            raise _rejected(value, error).at("." + key) from error
        except _FieldError as error:
            error.segments.append("." + key)
            raise


# Every attribute passes through the next two functions, so they take the common shapes
# ({"key": str, "value": {one kind}}) directly and leave the rest to the general path.


def _fill_key_value(message: Any, obj: Any) -> None:
    if type(obj) is not dict:
        raise _expected("an object", obj)
    key = obj.get("key")
    value = obj.get("value")
    if len(obj) != 2 or type(key) is not str or type(value) is not dict or len(value) != 1:
        _fill_fields(_KEY_VALUE_FIELDS, message, obj)
        return
    ((kind, item),) = value.items()
    setter = _ANY_VALUE_FIELDS.get(kind)
    if setter is None or item is None:
        _fill_fields(_KEY_VALUE_FIELDS, message, obj)
        return
    try:
        message.key = key
    except ValueError as error:
        raise _rejected(key, error).at(".key") from error
    try:
        setter(message.value, item)
    except ValueError as error:
        raise _rejected(item, error).at("." + kind).at(".value") from error
    except _FieldError as error:
        error.segments += ("." + kind, ".value")
        raise


def _fill_any_value(message: Any, obj: Any) -> None:
    if type(obj) is not dict:
        if obj is None:  # only reachable as an element of arrayValue.values: an empty value
            return
        raise _expected("an object", obj)
    for key, value in obj.items():
        setter = _ANY_VALUE_FIELDS.get(key)
        if setter is not None and value is not None:
            try:
                setter(message, value)
            except ValueError as error:
                raise _rejected(value, error).at("." + key) from error
            except _FieldError as error:
                error.segments.append("." + key)
                raise
            return  # a oneof: the first known kind wins
    message.SetInParent()  # `{}` is the empty value, still present in its KeyValue


def _set_int_value(message: Any, value: Any) -> None:
    number = value if type(value) is int else _to_int(value)
    if -(2**63) <= number < 2**63 or type(value) is str:
        message.int_value = number  # a string out of range: ValueError, reported by the caller
        return
    # Node writes every integral JS number as intValue, even beyond int64 (-(2**63) arrives as
    # -9223372036854776000, 1.5e300 as 1.5e+300). Such a number is the double it was in JavaScript;
    # keep it as one, as Node's protobuf writer does, rather than fail the whole request.
    try:
        message.double_value = float(value)
    except OverflowError as error:
        raise _FieldError(f"out of range for this field, got {_shown(value)}") from error


def _limit_nesting(setter: Setter) -> Setter:
    # Per thread, because the HTTP server may decode bodies on several threads at once.
    def set_nested(message: Any, value: Any) -> None:
        depth = getattr(_nesting, "depth", 0)
        if depth >= MAX_VALUE_NESTING:
            raise _FieldError(f"values nested more than {MAX_VALUE_NESTING} levels deep")
        _nesting.depth = depth + 1
        try:
            setter(message, value)
        finally:
            _nesting.depth = depth

    return set_nested


def _any_value_fields() -> dict[str, Setter]:
    table = _table_for(AnyValue.DESCRIPTOR)
    for field in AnyValue.DESCRIPTOR.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:  # arrayValue and kvlistValue
            table[field.name] = table[field.json_name] = _limit_nesting(table[field.name])
    table["int_value"] = table["intValue"] = _set_int_value
    return table


_nesting = threading.local()
_KEY_VALUE_FIELDS = _table_for(KeyValue.DESCRIPTOR)
_ANY_VALUE_FIELDS = _any_value_fields()
_REQUEST_FIELDS = _table_for(ExportTraceServiceRequest.DESCRIPTOR)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")  # Python's json would otherwise accept NaN literals


def decode_export_trace_request(body: bytes | str) -> ExportTraceServiceRequest:
    """Decode an OTLP/JSON ``ExportTraceServiceRequest`` body (UTF-8 JSON).

    Raises OtlpJsonError for anything that is not OTLP/JSON, naming the field path. Ids that are not
    hex decode to INVALID_ID, so the caller can reject those spans alone.
    """
    try:
        # Decoded here rather than by json.loads, which would also accept UTF-16 and UTF-32.
        text = body if isinstance(body, str) else str(body, "utf-8")
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        raise OtlpJsonError(f"body is not valid UTF-8: {error}") from error
    except RecursionError as error:
        raise OtlpJsonError("body is nested too deeply") from error
    except ValueError as error:
        raise OtlpJsonError(f"body is not valid JSON: {error}") from error
    if type(document) is not dict:
        raise OtlpJsonError(f"expected a JSON object at the top level, got {_shown(document)}")
    request = ExportTraceServiceRequest()
    try:
        _fill_fields(_REQUEST_FIELDS, request, document)
    except _FieldError as error:
        raise OtlpJsonError(error.located()) from error
    except RecursionError as error:
        raise OtlpJsonError("body is nested too deeply") from error
    return request


def decode_any_value(obj: Any) -> AnyValue:
    """Inverse of encode_any_value: an AnyValue from its parsed OTLP/JSON object (``None`` is empty)."""
    value = AnyValue()
    try:
        _fill_any_value(value, obj)
    except _FieldError as error:
        raise OtlpJsonError(error.located()) from error
    except RecursionError as error:
        raise OtlpJsonError("value is nested too deeply") from error
    return value


# ---------------------------------------------------------------------------------------------
# Encoding: the inverse mapping, driven by the fields that are set (ListFields skips defaults).


def _encode_scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_BYTES:
        return value.hex() if field.name in _HEX_FIELDS else base64.b64encode(value).decode("ascii")
    if field.cpp_type in _INT64_CPP_TYPES:
        return str(value)  # JSON numbers lose precision above 2**53 in most readers
    if field.cpp_type in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value  # strings, bools, 32-bit integers and enums (as their numbers) are JSON as they are


def _encode_field(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.is_repeated:
            return [_encode_message(item) for item in value]
        return _encode_message(value)
    if field.is_repeated:
        return [_encode_scalar(field, item) for item in value]
    return _encode_scalar(field, value)


def _encode_message(message: Message) -> dict[str, Any]:
    return {field.json_name: _encode_field(field, value) for field, value in message.ListFields()}


def encode_any_value(value: AnyValue) -> dict[str, Any]:
    """The OTLP/JSON form of one AnyValue, e.g. ``{"intValue": "5"}``; ``{}`` for the empty value."""
    return _encode_message(value)


def encode_export_trace_request(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """The OTLP/JSON form of a request, ready for ``json.dumps``; inverse of the decoder."""
    return _encode_message(request)


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def encode_export_trace_response(rejected_spans: int, error_message: str) -> bytes:
    """JSON body of an ExportTraceServiceResponse; ``{}`` for a plain success."""
    if rejected_spans < 0:
        raise ValueError(f"rejected_spans must be >= 0, got {rejected_spans}")
    partial: dict[str, Any] = {}
    if rejected_spans:
        partial["rejectedSpans"] = str(rejected_spans)
    if error_message:
        partial["errorMessage"] = error_message
    return _dumps({"partialSuccess": partial} if partial else {})


def _encode_detail(detail: any_pb2.Any) -> dict[str, Any]:
    try:
        return json_format.MessageToDict(detail)  # {"@type": ..., payload fields}
    except TypeError:
        # Not in the descriptor pool: still answer, with the payload as proto3 JSON would for bytes.
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode("ascii")}


def encode_status(code: int, message: str, details: Iterable[any_pb2.Any] = ()) -> bytes:
    """JSON body of a google.rpc.Status, as OTLP/HTTP sends on failures (code is a gRPC code)."""
    status: dict[str, Any] = {}
    if code:
        status["code"] = code
    if message:
        status["message"] = message
    encoded = [_encode_detail(detail) for detail in details]
    if encoded:
        status["details"] = encoded
    return _dumps(status)
