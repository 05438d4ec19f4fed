"""Hand-built OTLP requests that use every field the store must keep."""

from __future__ import annotations

import os

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


def kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def every_value_type() -> list[KeyValue]:
    nested = AnyValue(kvlist_value=KeyValueList(values=[
        kv("inner", AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1), AnyValue(string_value="x")]))),
        kv("deep", AnyValue(kvlist_value=KeyValueList(values=[kv("b", AnyValue(bool_value=True))]))),
    ]))
    return [
        kv("s", AnyValue(string_value="héllo")),
        kv("s.empty", AnyValue(string_value="")),
        kv("i", AnyValue(int_value=-(2**63))),
        kv("i.max", AnyValue(int_value=2**63 - 1)),
        kv("d", AnyValue(double_value=3.5)),
        kv("d.nan", AnyValue(double_value=float("inf"))),
        kv("b", AnyValue(bool_value=False)),
        kv("bytes", AnyValue(bytes_value=b"\x00\xffbin")),
        kv("arr", AnyValue(array_value=ArrayValue(values=[AnyValue(double_value=1.0), AnyValue(int_value=1)]))),
        kv("arr.empty", AnyValue(array_value=ArrayValue())),
        kv("map", nested),
        kv("empty", AnyValue()),
    ]


def span(trace_id: bytes | None = None, span_id: bytes | None = None, parent: bytes = b"", name: str = "op",
         **fields) -> Span:
    return Span(
        trace_id=os.urandom(16) if trace_id is None else trace_id,
        span_id=os.urandom(8) if span_id is None else span_id,
        parent_span_id=parent,
        name=name,
        kind=fields.pop("kind", Span.SPAN_KIND_SERVER),
        start_time_unix_nano=fields.pop("start", 1_700_000_000_000_000_000),
        end_time_unix_nano=fields.pop("end", 1_700_000_000_250_000_000),
        **fields,
    )


def full_request() -> ExportTraceServiceRequest:
    """Two resources, a scope with attributes, spans with events, links, status, state and drops."""
    request = ExportTraceServiceRequest()
    trace_id = os.urandom(16)
    root_id, child_id = os.urandom(8), os.urandom(8)
    rs = request.resource_spans.add(schema_url="https://opentelemetry.io/schemas/1.26.0")
    rs.resource.attributes.extend([kv("service.name", AnyValue(string_value="checkout")),
                                   kv("host.cores", AnyValue(int_value=8))])
    rs.resource.dropped_attributes_count = 2
    ss = rs.scope_spans.add(schema_url="https://opentelemetry.io/schemas/1.25.0")
    ss.scope.name, ss.scope.version = "io.test.lib", "0.9"
    ss.scope.attributes.append(kv("scope.attr", AnyValue(bool_value=True)))
    ss.scope.dropped_attributes_count = 1
    root = span(trace_id, root_id, name="GET /cart", trace_state="vendor=a,other=b", flags=0x301,
                dropped_attributes_count=4, dropped_events_count=5, dropped_links_count=6,
                status=Status(code=Status.STATUS_CODE_ERROR, message="boom"))
    root.attributes.extend(every_value_type())
    event = root.events.add(time_unix_nano=1_700_000_000_100_000_000, name="exception", dropped_attributes_count=3)
    event.attributes.extend([kv("exception.type", AnyValue(string_value="ValueError")),
                             kv("exception.escaped", AnyValue(bool_value=True))])
    root.events.add(time_unix_nano=1_700_000_000_200_000_000, name="no attributes")
    link = root.links.add(trace_id=os.urandom(16), span_id=os.urandom(8), trace_state="k=v", flags=1,
                          dropped_attributes_count=7)
    link.attributes.append(kv("link.kind", AnyValue(string_value="follows")))
    ss.spans.append(root)
    ss.spans.append(span(trace_id, child_id, parent=root_id, name="SELECT", kind=Span.SPAN_KIND_CLIENT,
                         status=Status(code=Status.STATUS_CODE_OK)))
    other = request.resource_spans.add()
    other.resource.attributes.append(kv("service.name", AnyValue(string_value="payments")))
    other.scope_spans.add().spans.append(span(name="no scope, no attributes", kind=Span.SPAN_KIND_INTERNAL))
    return request


def simple_request(spans: int = 10, service: str = "svc") -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.append(kv("service.name", AnyValue(string_value=service)))
    ss = rs.scope_spans.add()
    for i in range(spans):
        s = span(name=f"op-{i % 5}")
        s.attributes.extend([kv("i", AnyValue(int_value=i)), kv("k", AnyValue(string_value="v"))])
        ss.spans.append(s)
    return request
