"""Hand-built OTLP requests for the CI check's tests, with predictable ids."""

from __future__ import annotations

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from weavergen.collector.otlp_values import any_value
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

INTERNAL, SERVER, CLIENT = 1, 2, 3
UNSET, OK, ERROR = 0, 1, 2
BASE_NS = time.time_ns() - 60_000_000_000


def trace_hex(trace: int) -> str:
    return f"{trace + 1:032x}"


def span_hex(trace: int, span: int) -> str:
    return f"{(trace + 1) * 1000 + span + 1:016x}"


class Spans:
    """``Spans("shop").add("GET /", trace=0, span=0, ...).request()``."""

    def __init__(self, service: str = "shop", **resource) -> None:
        self.request_ = ExportTraceServiceRequest()
        rs = self.request_.resource_spans.add()
        for key, value in {"service.name": service, **resource}.items():
            rs.resource.attributes.append(KeyValue(key=key, value=any_value(value)))
        self._scope = rs.scope_spans.add()
        self._scope.scope.name = "tests.ci"

    def add(self, name: str, trace: int = 0, span: int = 0, parent: int | None = None, kind: int = INTERNAL,
            attributes: dict | None = None, status: int = UNSET, duration_ms: float = 1.0) -> Spans:
        s = self._scope.spans.add(name=name, kind=kind)
        s.trace_id = bytes.fromhex(trace_hex(trace))
        s.span_id = bytes.fromhex(span_hex(trace, span))
        if parent is not None:
            s.parent_span_id = bytes.fromhex(span_hex(trace, parent))
        s.start_time_unix_nano = BASE_NS + trace * 1_000_000_000
        s.end_time_unix_nano = s.start_time_unix_nano + int(duration_ms * 1_000_000)
        s.status.code = status
        for key, value in (attributes or {}).items():
            s.attributes.append(KeyValue(key=key, value=any_value(value)))
        return self

    def request(self) -> ExportTraceServiceRequest:
        return self.request_


def shop_traces(traces: int = 2, legacy: bool = False) -> ExportTraceServiceRequest:
    """Per trace: a conforming checkout SERVER span with one db.query child (tiny registry)."""
    spans = Spans("shop")
    for t in range(traces):
        attributes = {"shop.order.id": f"o-{t}", "shop.order.total": 9.5}
        if legacy:
            attributes["shop.legacy_id"] = f"L-{t}"
        spans.add("checkout", trace=t, span=0, kind=SERVER, attributes=attributes, duration_ms=20)
        spans.add("db.query", trace=t, span=1, parent=0, kind=CLIENT, duration_ms=5)
    return spans.request()
