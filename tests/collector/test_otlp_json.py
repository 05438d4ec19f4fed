"""The OTLP/JSON trace codec against protobuf-built requests, real SDK output and hand-written bodies."""

from __future__ import annotations

import copy
import functools
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.protobuf import any_pb2, duration_pb2, json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as encode_spans_json
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_spans_proto
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState

from weavergen.collector.otlp_json import (
    INVALID_ID,
    MAX_VALUE_NESTING,
    OtlpJsonError,
    decode_any_value,
    decode_export_trace_request,
    encode_any_value,
    encode_export_trace_request,
    encode_export_trace_response,
    encode_status,
)

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
PARENT_ID = bytes.fromhex("eee19b7ec3c1b173")


def _kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def _every_any_value() -> list[KeyValue]:
    nested = KeyValueList(values=[_kv("inner", AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1)])))])
    return [
        _kv("s", AnyValue(string_value="héllo \u2603")),
        _kv("b", AnyValue(bool_value=True)),
        _kv("b0", AnyValue(bool_value=False)),
        _kv("i", AnyValue(int_value=-(2**63))),
        _kv("d", AnyValue(double_value=2.5)),
        _kv("d0", AnyValue(double_value=0.0)),
        _kv("nan", AnyValue(double_value=math.nan)),
        _kv("inf", AnyValue(double_value=-math.inf)),
        _kv("bytes", AnyValue(bytes_value=b"\x00\xff\xfe binary")),
        _kv("array", AnyValue(array_value=ArrayValue(values=[AnyValue(string_value="a"), AnyValue()]))),
        _kv("kvlist", AnyValue(kvlist_value=nested)),
        _kv("empty", AnyValue()),
        KeyValue(key="no value"),
        KeyValue(key_strindex=3, value=AnyValue(string_value_strindex=7)),
    ]


def _full_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add(schema_url="https://opentelemetry.io/schemas/1.26.0")
    resource_spans.resource.attributes.extend(_every_any_value())
    resource_spans.resource.dropped_attributes_count = 2
    resource_spans.resource.entity_refs.add(
        schema_url="s", type="service", id_keys=["service.name", "service.namespace"], description_keys=["d"]
    )
    scope_spans = resource_spans.scope_spans.add(schema_url="https://example.com/scope")
    scope_spans.scope.name = "io.example"
    scope_spans.scope.version = "1.0"
    scope_spans.scope.attributes.add(key="scope.attr", value=AnyValue(int_value=9))
    scope_spans.scope.dropped_attributes_count = 1
    span = scope_spans.spans.add(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        trace_state="vendor=1,other=2",
        parent_span_id=PARENT_ID,
        flags=0x301,
        name="GET /items",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=2**64 - 1,
        end_time_unix_nano=1_700_000_000_123_456_789,
        dropped_attributes_count=3,
        dropped_events_count=4,
        dropped_links_count=5,
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom"),
    )
    span.attributes.extend(_every_any_value())
    span.events.add(
        time_unix_nano=1_700_000_000_000_000_001,
        name="exception",
        attributes=[_kv("exception.type", AnyValue(string_value="ValueError"))],
        dropped_attributes_count=6,
    )
    span.links.add(
        trace_id=TRACE_ID,
        span_id=PARENT_ID,
        trace_state="k=v",
        attributes=[_kv("link", AnyValue(bool_value=True))],
        dropped_attributes_count=7,
        flags=0x100,
    )
    # A second span with only defaults, and a status that is present but empty.
    scope_spans.spans.add(status=Status())
    request.resource_spans.add()  # an empty ResourceSpans survives as {}
    return request


def _fields_of(descriptor: Descriptor, seen: set[str]) -> Iterator[str]:
    if descriptor.full_name in seen:
        return
    seen.add(descriptor.full_name)
    for field in descriptor.fields:
        yield field.full_name
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            yield from _fields_of(field.message_type, seen)


def _fields_set(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        yield field.full_name
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for child in value if field.is_repeated else [value]:
                yield from _fields_set(child)


def _round_trip(request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    return decode_export_trace_request(json.dumps(encode_export_trace_request(request)))


def test_full_request_sets_every_field_and_round_trips() -> None:
    request = _full_request()
    # Guards the fixture itself: a field added to opentelemetry-proto must be added here too.
    assert set(_fields_set(request)) == set(_fields_of(ExportTraceServiceRequest.DESCRIPTOR, set()))
    assert _round_trip(request) == request


Rewrite = Callable[[str, Any], tuple[str, Any]]


def _rewrite(node: Any, rewrite: Rewrite) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, rewrite) for item in node]
    if isinstance(node, dict):
        return dict(rewrite(key, _rewrite(value, rewrite)) for key, value in node.items())
    return node


def _snake_case(key: str, value: Any) -> tuple[str, Any]:
    return re.sub(r"([A-Z])", r"_\1", key).lower(), value


def _int64_as_numbers(key: str, value: Any) -> tuple[str, Any]:
    return key, int(value) if key == "intValue" or key.endswith("TimeUnixNano") else value


def _upper_case_ids(key: str, value: Any) -> tuple[str, Any]:
    return key, value.upper() if key in ("traceId", "spanId", "parentSpanId") else value


def _enum_names(key: str, value: Any) -> tuple[str, Any]:
    if key == "kind":
        return key, Span.SpanKind.Name(value)
    if key == "code":
        return key, Status.StatusCode.Name(value).lower()
    return key, value


@pytest.mark.parametrize("rewrite", [_snake_case, _int64_as_numbers, _upper_case_ids, _enum_names])
def test_every_field_decodes_from_each_accepted_spelling(rewrite: Rewrite) -> None:
    request = _full_request()
    document = _rewrite(encode_export_trace_request(request), rewrite)
    assert document != encode_export_trace_request(request)
    assert decode_export_trace_request(json.dumps(document)) == request


def test_encoding_follows_the_otlp_json_conventions() -> None:
    document = encode_export_trace_request(_full_request())
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == "5b8efff798038103d269b633813fc60c"
    assert span["spanId"] == "eee19b7ec3c1b174"
    assert span["parentSpanId"] == "eee19b7ec3c1b173"
    assert span["startTimeUnixNano"] == "18446744073709551615"
    assert span["kind"] == 2
    assert span["flags"] == 0x301
    assert span["droppedEventsCount"] == 4
    assert span["status"] == {"code": 2, "message": "boom"}
    assert document["resourceSpans"][0]["scopeSpans"][0]["spans"][1] == {"status": {}}
    assert document["resourceSpans"][1] == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (AnyValue(string_value="x"), {"stringValue": "x"}),
        (AnyValue(string_value=""), {"stringValue": ""}),
        (AnyValue(int_value=5), {"intValue": "5"}),
        (AnyValue(bool_value=False), {"boolValue": False}),
        (AnyValue(double_value=1.5), {"doubleValue": 1.5}),
        (AnyValue(double_value=math.inf), {"doubleValue": "Infinity"}),
        (AnyValue(double_value=math.nan), {"doubleValue": "NaN"}),
        (AnyValue(bytes_value=b"\x01\x02"), {"bytesValue": "AQI="}),
        (AnyValue(), {}),
        (
            AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1), AnyValue()])),
            {"arrayValue": {"values": [{"intValue": "1"}, {}]}},
        ),
        (
            AnyValue(kvlist_value=KeyValueList(values=[_kv("k", AnyValue(bool_value=True))])),
            {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": True}}]}},
        ),
    ],
)
def test_any_value_encodes_and_decodes_back(value: AnyValue, expected: dict[str, Any]) -> None:
    assert encode_any_value(value) == expected
    assert decode_any_value(json.loads(json.dumps(expected))) == value


# ---------------------------------------------------------------------------------------------
# Real client output: the OpenTelemetry Python SDK's own JSON and protobuf encoders.


def _sdk_spans() -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    for service in ("checkout", "payments"):
        provider = TracerProvider(
            resource=Resource({"service.name": service, "host.cores": 8}, "https://opentelemetry.io/schemas/1.26"),
            shutdown_on_exit=False,
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("io.example", "2.0", "https://example.com/s", {"scope.flag": True})
        remote = SpanContext(
            0x5B8EFFF798038103D269B633813FC60C, 0xEEE19B7EC3C1B173, True, TraceFlags(1), TraceState([("v", "1")])
        )
        parent = trace.set_span_in_context(NonRecordingSpan(remote))
        attributes = {
            "http.request.method": "GET",
            "http.response.status_code": 500,
            "big": 2**62,
            "negative": -7,
            "ratio": 0.25,
            "ok": False,
            "tags": ["a", "b"],
            "codes": [1, 2, 3],
            "weights": [0.5, 1.0],
            "flags": [True, False],
        }
        with tracer.start_as_current_span("server", context=parent, kind=SpanKind.SERVER, attributes=attributes):
            with tracer.start_as_current_span("client", kind=SpanKind.CLIENT, links=[Link(remote, {"l": 1})]) as span:
                span.add_event("retry", {"attempt": 2})
                span.set_status(trace.StatusCode.ERROR, "upstream failed")
            with tracer.start_as_current_span("producer", kind=SpanKind.PRODUCER):
                pass
    return list(exporter.get_finished_spans())


def test_decodes_the_python_sdk_json_encoder_to_its_protobuf_encoding() -> None:
    spans = _sdk_spans()
    body = encode_spans_json(spans).to_json()
    assert '"traceId": "5b8efff798038103d269b633813fc60c"' in body  # really hex, really strings
    assert '"startTimeUnixNano": "' in body
    expected = encode_spans_proto(spans)
    assert len(expected.resource_spans) == 2
    assert decode_export_trace_request(body.encode()) == expected
    assert encode_export_trace_request(expected) == json.loads(body)  # the encoder writes what the SDK writes


# ---------------------------------------------------------------------------------------------
# Bodies as other clients write them.

NODE_BODY = """
{"resourceSpans": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "node-svc"}}],
               "droppedAttributesCount": 0},
  "scopeSpans": [{
    "scope": {"name": "@opentelemetry/instrumentation-http", "version": "0.223.1"},
    "spans": [{
      "traceId": "5B8EFFF798038103D269B633813FC60C",
      "spanId": "EEE19B7EC3C1B174",
      "parentSpanId": "",
      "name": "GET",
      "kind": 2,
      "startTimeUnixNano": 1700000000123456789,
      "endTimeUnixNano": 1700000000223456789,
      "attributes": [
        {"key": "http.status_code", "value": {"intValue": 200}},
        {"key": "net.peer.port", "value": {"intValue": "8080"}},
        {"key": "ratio", "value": {"doubleValue": 3}},
        {"key": "missing", "value": {"doubleValue": "NaN"}},
        {"key": "up", "value": {"doubleValue": "Infinity"}},
        {"key": "down", "value": {"doubleValue": "-Infinity"}},
        {"key": "text", "value": {"doubleValue": "1.5"}}
      ],
      "droppedAttributesCount": 0,
      "events": [{"timeUnixNano": 1700000000200000000, "name": "done", "attributes": []}],
      "droppedEventsCount": 0,
      "status": {"code": 1},
      "links": [],
      "droppedLinksCount": 0
    }]
  }]
}]}
"""


def test_decodes_a_node_style_body() -> None:
    span = decode_export_trace_request(NODE_BODY).resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id == TRACE_ID
    assert span.span_id == SPAN_ID
    assert span.parent_span_id == b""
    assert span.kind == Span.SPAN_KIND_SERVER
    assert span.start_time_unix_nano == 1_700_000_000_123_456_789
    assert span.events[0].time_unix_nano == 1_700_000_000_200_000_000
    assert span.status.code == Status.STATUS_CODE_OK
    values = {kv.key: kv.value for kv in span.attributes}
    assert values["http.status_code"] == AnyValue(int_value=200)
    assert values["net.peer.port"] == AnyValue(int_value=8080)
    assert values["ratio"] == AnyValue(double_value=3.0)
    assert math.isnan(values["missing"].double_value)
    assert values["up"].double_value == math.inf
    assert values["down"].double_value == -math.inf
    assert values["text"].double_value == 1.5


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        # Integers are read as written, also where JSON.stringify's shortest form differs from the double.
        ("1152921504606847000", AnyValue(int_value=1152921504606847000)),
        ("9223372036854775807", AnyValue(int_value=2**63 - 1)),
        ("-9223372036854775808", AnyValue(int_value=-(2**63))),
        ("1e18", AnyValue(int_value=10**18)),
        # Node sends integral JS numbers beyond int64 as intValue too: they stay the doubles they were.
        ("-9223372036854776000", AnyValue(double_value=-(2.0**63))),
        ("9223372036854775808", AnyValue(double_value=2.0**63)),
        ("1.5e+300", AnyValue(double_value=1.5e300)),
    ],
)
def test_int_value_numbers_from_javascript(literal: str, expected: AnyValue) -> None:
    body = _span_body(attributes=[{"key": "k", "value": {"intValue": "placeholder"}}])
    body = body.replace('"placeholder"', literal)
    assert _only_span(body).attributes[0].value == expected


def test_accepts_snake_case_enum_names_nulls_and_unknown_fields() -> None:
    body = {
        "resource_spans": [
            {
                "resource": None,
                "future_field": {"anything": [1, 2]},
                "scope_spans": [
                    {
                        "scope": {"name": "s", "version": None},
                        "spans": [
                            {
                                "trace_id": "5b8efff798038103d269b633813fc60c",
                                "span_id": "eee19b7ec3c1b174",
                                "parent_span_id": None,
                                "name": "n",
                                "kind": "SPAN_KIND_CONSUMER",
                                "start_time_unix_nano": "5",
                                "end_time_unix_nano": 6.0,
                                "status": {"code": "error", "message": None},
                                "attributes": [
                                    {"key": "k", "value": {"string_value": "v"}},
                                    {"key": "n", "value": {"intValue": None}},
                                    {"key": "x", "value": {"futureValue": 1}},
                                    {"key": "v", "value": None, "comment": "ignored"},
                                ],
                                "events": None,
                                "links": [{"trace_id": "", "span_id": "", "flags": 256, "extra": True}],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    span = Span(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        name="n",
        kind=Span.SPAN_KIND_CONSUMER,
        start_time_unix_nano=5,
        end_time_unix_nano=6,
        status=Status(code=Status.STATUS_CODE_ERROR),
        attributes=[
            _kv("k", AnyValue(string_value="v")),
            _kv("n", AnyValue()),
            _kv("x", AnyValue()),
            KeyValue(key="v"),
        ],
        links=[Span.Link(flags=256)],
    )
    request = decode_export_trace_request(json.dumps(body))
    assert not request.resource_spans[0].HasField("resource")
    assert request.resource_spans[0].scope_spans[0].scope.name == "s"
    assert request.resource_spans[0].scope_spans[0].spans[0] == span


def test_decodes_bytes_and_nested_values() -> None:
    body = {
        "stringValue": None,
        "kvlistValue": {
            "values": [
                {"key": "std", "value": {"bytesValue": "AP/+"}},
                {"key": "urlsafe_unpadded", "value": {"bytesValue": "AP_-"}},
                {"key": "list", "value": {"arrayValue": {"values": [{"intValue": "1"}, None, {}, {"arrayValue": {}}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "deep", "value": {"boolValue": True}}]}}},
            ]
        },
    }
    expected = AnyValue(
        kvlist_value=KeyValueList(
            values=[
                _kv("std", AnyValue(bytes_value=b"\x00\xff\xfe")),
                _kv("urlsafe_unpadded", AnyValue(bytes_value=b"\x00\xff\xfe")),
                _kv(
                    "list",
                    AnyValue(
                        array_value=ArrayValue(
                            values=[AnyValue(int_value=1), AnyValue(), AnyValue(), AnyValue(array_value=ArrayValue())]
                        )
                    ),
                ),
                _kv("map", AnyValue(kvlist_value=KeyValueList(values=[_kv("deep", AnyValue(bool_value=True))]))),
            ]
        )
    )
    assert decode_any_value(body) == expected


def test_an_empty_any_value_is_present_but_empty() -> None:
    body = '{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{}}]}}]}'
    pair = decode_export_trace_request(body).resource_spans[0].resource.attributes[0]
    assert pair.HasField("value")
    assert pair.value.WhichOneof("value") is None


# ---------------------------------------------------------------------------------------------
# Ids: an invalid id is kept (as INVALID_ID) so that only its span is rejected.


def _span_body(**fields: Any) -> str:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [fields]}]}]})


def _only_span(body: str) -> Span:
    return decode_export_trace_request(body).resource_spans[0].scope_spans[0].spans[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5b8efff798038103d269b633813fc60c", TRACE_ID),
        ("5B8EFFF798038103D269b633813fc60c", TRACE_ID),
        ("", b""),
        ("zz8efff798038103d269b633813fc60c", INVALID_ID),  # not hex
        ("5b8efff798038103d269b633813fc60", INVALID_ID),  # odd length
        ("5b8efff798038103 d269b633813fc60c", INVALID_ID),  # whitespace bytes.fromhex would skip
        ("5b8efff798038103d269b633813fc60c ", INVALID_ID),
        ("5b8efff798038103d269b633813fc6éé", INVALID_ID),
        ("0102", b"\x01\x02"),  # wrong length: the real bytes, rejected later by length
        ("5b8efff798038103d269b633813fc60c00", TRACE_ID + b"\x00"),
    ],
)
def test_ids_decode_to_bytes_or_invalid_without_raising(text: str, expected: bytes) -> None:
    span = _only_span(
        _span_body(traceId=text, spanId=text, parentSpanId=text, links=[{"traceId": text, "spanId": text}])
    )
    assert (span.trace_id, span.span_id, span.parent_span_id) == (expected, expected, expected)
    assert (span.links[0].trace_id, span.links[0].span_id) == (expected, expected)


def test_invalid_id_has_a_length_no_id_may_have() -> None:
    assert len(INVALID_ID) not in (0, 8, 16)


# ---------------------------------------------------------------------------------------------
# Malformed bodies: OtlpJsonError naming the path.

_DEEP = {"resourceSpans": [{"scopeSpans": [{}, {"spans": [{}, {}, {}, {"startTimeUnixNano": "abc"}]}]}]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_DEEP, 'resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: expected an integer, got "abc"'),
        ({"resourceSpans": {}}, "resourceSpans: expected an array, got an object"),
        ({"resource_spans": [[]]}, "resource_spans[0]: expected an object, got an array"),
        ({"resourceSpans": [{"scopeSpans": [{"spans": ["x"]}]}]}, 'spans[0]: expected an object, got "x"'),
        ({"resourceSpans": [{"scopeSpans": [{"spans": [None]}]}]}, "spans[0]: expected an object, got null"),
        ({"resourceSpans": [{"resource": "r"}]}, 'resourceSpans[0].resource: expected an object, got "r"'),
        ({"resourceSpans": [{"schemaUrl": 1}]}, "resourceSpans[0].schemaUrl: expected a string, got 1"),
    ],
)
def test_malformed_structure_names_the_path(body: dict[str, Any], message: str) -> None:
    with pytest.raises(OtlpJsonError) as caught:
        decode_export_trace_request(json.dumps(body))
    assert message in str(caught.value)


_SPANS = "resourceSpans[0].scopeSpans[0].spans[0]"
_ATTR = _SPANS + ".attributes[0]"


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ({"kind": "abc"}, f'{_SPANS}.kind: expected an integer or a SpanKind name, got "abc"'),
        ({"kind": 1.5}, f"{_SPANS}.kind: expected an integer or a SpanKind name, got 1.5"),
        ({"kind": 2**31}, f"{_SPANS}.kind: out of range for this field, got 2147483648"),
        ({"name": 5}, f"{_SPANS}.name: expected a string, got 5"),
        ({"name": "\ud800"}, f"{_SPANS}.name: string contains a lone surrogate"),
        ({"traceId": 12}, f"{_SPANS}.traceId: expected a hex string, got 12"),
        ({"endTimeUnixNano": True}, f"{_SPANS}.endTimeUnixNano: expected an integer, got true"),
        ({"endTimeUnixNano": 1.5}, f"{_SPANS}.endTimeUnixNano: expected an integer, got 1.5"),
        ({"end_time_unix_nano": "-1"}, f'{_SPANS}.end_time_unix_nano: out of range for this field, got "-1"'),
        ({"flags": 2**32}, f"{_SPANS}.flags: out of range for this field, got 4294967296"),
        ({"droppedEventsCount": -1}, f"{_SPANS}.droppedEventsCount: out of range for this field, got -1"),
        ({"status": {"code": []}}, f"{_SPANS}.status.code: expected an integer or a StatusCode name, got an array"),
        ({"events": [{"timeUnixNano": "1e3"}]}, f'{_SPANS}.events[0].timeUnixNano: expected an integer, got "1e3"'),
        ({"links": [{"flags": "x"}]}, f'{_SPANS}.links[0].flags: expected an integer, got "x"'),
        ({"attributes": {"k": "v"}}, f"{_SPANS}.attributes: expected an array, got an object"),
        ({"attributes": ["k"]}, f'{_ATTR}: expected an object, got "k"'),
        ({"attributes": [{"key": 1, "value": {}}]}, f"{_ATTR}.key: expected a string, got 1"),
        ({"attributes": [{"key": "\udfff", "value": {}}]}, f"{_ATTR}.key: string contains a lone surrogate"),
        ({"attributes": [{"key": "k", "value": "v"}]}, f'{_ATTR}.value: expected an object, got "v"'),
        ({"attributes": [{"key": "k", "value": {"intValue": 1.5}}]}, f"{_ATTR}.value.intValue: expected an integer"),
        (
            {"attributes": [{"key": "k", "value": {"intValue": "9223372036854775808"}}]},
            f'{_ATTR}.value.intValue: out of range for this field, got "9223372036854775808"',
        ),
        (
            {"attributes": [{"key": "k", "value": {"intValue": 10**400}}]},
            f"{_ATTR}.value.intValue: out of range for this field, got 1000000000",
        ),
        ({"attributes": [{"key": "k", "value": {"boolValue": "true"}}]}, f"{_ATTR}.value.boolValue: expected true"),
        ({"attributes": [{"key": "k", "value": {"boolValue": 1}}]}, f"{_ATTR}.value.boolValue: expected true"),
        ({"attributes": [{"key": "k", "value": {"doubleValue": "abc"}}]}, f"{_ATTR}.value.doubleValue: expected a"),
        ({"attributes": [{"key": "k", "value": {"doubleValue": False}}]}, f"{_ATTR}.value.doubleValue: expected a"),
        ({"attributes": [{"key": "k", "value": {"stringValue": 3}}]}, f"{_ATTR}.value.stringValue: expected a"),
        ({"attributes": [{"key": "k", "value": {"bytesValue": "!!"}}]}, f"{_ATTR}.value.bytesValue: expected a"),
        (
            {"attributes": [{"key": "k", "value": {"arrayValue": {"values": [{}, {"intValue": "x"}]}}}]},
            f'{_ATTR}.value.arrayValue.values[1].intValue: expected an integer, got "x"',
        ),
        (
            {"attributes": [{"key": "k", "value": {"kvlistValue": {"values": [{"key": "a", "value": 1}]}}}]},
            f"{_ATTR}.value.kvlistValue.values[0].value: expected an object, got 1",
        ),
        ({"attributes": [{"key": "k", "value": {"arrayValue": []}}]}, f"{_ATTR}.value.arrayValue: expected an object"),
    ],
)
def test_malformed_fields_name_the_path(span: dict[str, Any], message: str) -> None:
    with pytest.raises(OtlpJsonError) as caught:
        decode_export_trace_request(_span_body(**span))
    assert str(caught.value).startswith(message)


_JUNK: list[Any] = [None, True, 0, -1, 1.5, 2**70, "", "abc", "12", "NaN", "\ud800", "é", [], {}, [None], [1, "x"]]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def test_any_mutation_of_a_valid_body_decodes_or_raises_otlp_json_error() -> None:
    # Anything else escaping the decoder would turn a client's bad body into a server error.
    valid = encode_export_trace_request(_full_request())
    paths = [path for path in _paths(valid) if path]
    rng = random.Random(20261125)
    outcomes = {"decoded": 0, "rejected": 0}
    for _ in range(1500):
        document = copy.deepcopy(valid)
        path = rng.choice(paths)
        parent = functools.reduce(lambda node, key: node[key], path[:-1], document)
        parent[path[-1]] = copy.deepcopy(rng.choice(_JUNK))
        try:
            decode_export_trace_request(json.dumps(document))
            outcomes["decoded"] += 1
        except OtlpJsonError as error:
            assert re.match(r"^[\w.\[\]]+: ", str(error)), str(error)  # always a path, then the reason
            outcomes["rejected"] += 1
    assert outcomes["decoded"] > 100 and outcomes["rejected"] > 100


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b'{"resourceSpans": [NaN]}', "body is not valid JSON"),
        (b'{"resourceSpans": []}\xff', "body is not valid UTF-8"),
        ('{"resourceSpans": []}'.encode("utf-16"), "body is not valid UTF-8"),
        (b"[]", "expected a JSON object at the top level, got an array"),
        (b'"resourceSpans"', 'expected a JSON object at the top level, got "resourceSpans"'),
        (b"null", "expected a JSON object at the top level, got null"),
        (b"[" * 100_000 + b"]" * 100_000, "body is nested too deeply"),
    ],
)
def test_bodies_that_are_not_json_objects(body: bytes, message: str) -> None:
    with pytest.raises(OtlpJsonError) as caught:
        decode_export_trace_request(body)
    assert str(caught.value).startswith(message)


def _nested(levels: int, kind: str) -> dict[str, Any]:
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(levels):
        inner = {"key": "k", "value": value} if kind == "kvlistValue" else value
        value = {kind: {"values": [inner]}}
    return value


@pytest.mark.parametrize("kind", ["arrayValue", "kvlistValue"])
def test_values_as_deep_as_protobuf_can_parse_back_are_accepted(kind: str) -> None:
    body = _span_body(events=[{"attributes": [{"key": "k", "value": _nested(MAX_VALUE_NESTING, kind)}]}])
    request = decode_export_trace_request(body)
    assert ExportTraceServiceRequest.FromString(request.SerializeToString()) == request


@pytest.mark.parametrize("kind", ["arrayValue", "kvlistValue"])
def test_values_nested_deeper_are_rejected(kind: str) -> None:
    body = _span_body(attributes=[{"key": "k", "value": _nested(MAX_VALUE_NESTING + 1, kind)}])
    with pytest.raises(OtlpJsonError, match=f"^{re.escape(_ATTR)}.value.{kind}") as caught:
        decode_export_trace_request(body)
    assert str(caught.value).endswith(f": values nested more than {MAX_VALUE_NESTING} levels deep")


def test_empty_and_minimal_bodies() -> None:
    assert decode_export_trace_request(b"{}") == ExportTraceServiceRequest()
    assert decode_export_trace_request('{"resourceSpans": null}') == ExportTraceServiceRequest()
    assert decode_export_trace_request(b'{"resourceSpans": [{}]}').resource_spans[0] == ExportTraceServiceRequest(
        resource_spans=[{}]
    ).resource_spans[0]


def test_decode_any_value_reports_the_path() -> None:
    with pytest.raises(OtlpJsonError, match=r"^arrayValue\.values\[0\]\.boolValue: expected true or false"):
        decode_any_value({"arrayValue": {"values": [{"boolValue": "no"}]}})
    assert decode_any_value(None) == AnyValue()


# ---------------------------------------------------------------------------------------------
# Response bodies.


@pytest.mark.parametrize(
    ("rejected", "message", "expected"),
    [
        (0, "", b"{}"),
        (3, "invalid trace id", b'{"partialSuccess":{"rejectedSpans":"3","errorMessage":"invalid trace id"}}'),
        (2, "", b'{"partialSuccess":{"rejectedSpans":"2"}}'),
        (0, "slow down", b'{"partialSuccess":{"errorMessage":"slow down"}}'),
    ],
)
def test_export_response_json(rejected: int, message: str, expected: bytes) -> None:
    body = encode_export_trace_response(rejected, message)
    assert body == expected
    parsed = json_format.Parse(body, ExportTraceServiceResponse())  # no ids here, so protobuf's parser is fine
    assert (parsed.partial_success.rejected_spans, parsed.partial_success.error_message) == (rejected, message)


def test_export_response_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="rejected_spans must be >= 0"):
        encode_export_trace_response(-1, "")


def test_status_json() -> None:
    assert encode_status(3, "resourceSpans: expected an array") == (
        b'{"code":3,"message":"resourceSpans: expected an array"}'
    )


def test_status_json_with_retry_info() -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1)))
    body = encode_status(14, "busy", [detail])
    assert json.loads(body) == {
        "code": 14,
        "message": "busy",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}],
    }
    assert json_format.Parse(body, status_pb2.Status()) == status_pb2.Status(code=14, message="busy", details=[detail])


def test_status_json_with_an_unregistered_detail_type() -> None:
    detail = any_pb2.Any(type_url="type.googleapis.com/example.Unknown", value=b"\x08\x01")
    assert json.loads(encode_status(13, "x", [detail]))["details"] == [
        {"@type": "type.googleapis.com/example.Unknown", "value": "CAE="}
    ]
