"""Real OpenTelemetry Python SDK exporters → daemon → DuckDB rows, compared field by field."""

from __future__ import annotations

import json

import duckdb
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from weavergen.collector.store.export import export_spans


def _exporter(transport: str, daemon):
    if transport == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=daemon.grpc_endpoint, insecure=True)
    if transport == "http_protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=f"{daemon.http_url}/v1/traces")
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{daemon.http_url}/v1/traces")


class _Checked:
    """Wraps an exporter so the test fails when the daemon does not acknowledge the export."""

    def __init__(self, inner) -> None:
        self.inner, self.results = inner, []

    def export(self, spans):
        result = self.inner.export(spans)
        self.results.append(result)
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _emit(exporter) -> list:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout", "deployment.environment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test.instrumentation", "1.2.3")
    with tracer.start_as_current_span("linked") as linked:
        pass
    attributes = {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "big.int": 2**62,
        "negative": -7,
        "ratio": 0.25,
        "flag": False,
        "tags": ["a", "b"],
        "codes": [1, 2, 3],
        "weights": [0.5, 1.5],
        "bools": [True, False],
    }
    with tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER, attributes=attributes,
                                      links=[Link(linked.get_span_context(), {"link.reason": "retry"})]) as root:
        root.add_event("cache.miss", {"cache.key": "cart:42", "attempt": 2})
        with tracer.start_as_current_span("SELECT carts", kind=SpanKind.CLIENT) as child:
            child.set_status(Status(StatusCode.ERROR, "connection reset"))
    provider.shutdown()
    return list(memory.get_finished_spans())


_VALUE_COLUMN = {str: "string_value", bool: "bool_value", int: "int_value", float: "double_value"}


def _expected_attribute(value):
    if isinstance(value, tuple | list):
        kind = {str: "stringValue", bool: "boolValue", int: "intValue", float: "doubleValue"}[type(value[0])]
        items = [{kind: str(v) if kind == "intValue" else v} for v in value]
        return "array", {"arrayValue": {"values": items}}
    return {str: "string", bool: "bool", int: "int", float: "double"}[type(value)], value


@pytest.mark.parametrize("transport", ["grpc", "http_protobuf", "http_json"])
def test_sdk_spans_are_stored_exactly(daemon, transport):
    exporter = _Checked(_exporter(transport, daemon))
    sent = _emit(exporter)
    assert exporter.results and all(r is SpanExportResult.SUCCESS for r in exporter.results)

    expected = {
        s.span_id.hex(): s for rs in encode_spans(sent).resource_spans for ss in rs.scope_spans for s in ss.spans
    }
    rows = {r["span_id"]: r for r in daemon.query("SELECT * FROM spans")}
    assert len(rows) == len(sent) == 3
    for span in sent:
        ctx = span.context
        row = rows[f"{ctx.span_id:016x}"]
        assert row["trace_id"] == f"{ctx.trace_id:032x}"
        assert row["parent_span_id"] == (f"{span.parent.span_id:016x}" if span.parent else None)
        assert row["name"] == span.name
        assert row["kind"] == span.kind.value + 1  # OTLP kinds start at UNSPECIFIED=0
        assert row["start_time_unix_nano"] == span.start_time
        assert row["end_time_unix_nano"] == span.end_time
        assert row["duration_ns"] == span.end_time - span.start_time
        assert row["flags"] == expected[row["span_id"]].flags
        assert row["service_name"] == "checkout"
        assert row["status_code"] == {StatusCode.UNSET: 0, StatusCode.OK: 1, StatusCode.ERROR: 2}[span.status.status_code]
        assert row["status_message"] == (span.status.description or "")

        stored = daemon.query(f"SELECT * FROM span_attributes WHERE span_seq = {row['seq']} ORDER BY position")
        assert [a["key"] for a in stored] == list(span.attributes)
        for attr in stored:
            kind, value = _expected_attribute(span.attributes[attr["key"]])
            assert attr["type"] == kind, attr["key"]
            if kind == "array":
                assert json.loads(attr["json_value"]) == value
            else:
                assert attr[_VALUE_COLUMN[type(value)]] == value

    root = next(s for s in sent if s.name == "GET /cart")
    root_seq = rows[f"{root.context.span_id:016x}"]["seq"]
    (event,) = daemon.query(f"SELECT * FROM span_events WHERE span_seq = {root_seq}")
    assert (event["name"], event["time_unix_nano"]) == ("cache.miss", root.events[0].timestamp)
    event_attrs = daemon.query(f"SELECT key, type, string_value, int_value FROM event_attributes "
                               f"WHERE span_seq = {root_seq} ORDER BY position")
    assert event_attrs == [
        {"key": "cache.key", "type": "string", "string_value": "cart:42", "int_value": None},
        {"key": "attempt", "type": "int", "string_value": None, "int_value": 2},
    ]
    (link,) = daemon.query(f"SELECT * FROM span_links WHERE span_seq = {root_seq}")
    linked = root.links[0].context
    assert (link["trace_id"], link["span_id"]) == (f"{linked.trace_id:032x}", f"{linked.span_id:016x}")
    assert daemon.query(f"SELECT key, string_value FROM link_attributes WHERE span_seq = {root_seq}") == [
        {"key": "link.reason", "string_value": "retry"}
    ]

    resource = {r["key"]: r["string_value"] for r in daemon.query("SELECT * FROM resource_attributes")}
    assert resource["service.name"] == "checkout"
    assert resource["deployment.environment"] == "test"
    assert resource["telemetry.sdk.language"] == "python"
    assert daemon.query("SELECT name, version FROM scopes") == [{"name": "test.instrumentation", "version": "1.2.3"}]
    assert daemon.metric("weavergen_spans_accepted_total", transport=transport) == 3


def _by_span_id(request) -> dict:
    """span id → (resource, scope, span), so requests grouped differently still compare."""
    return {
        span.span_id: (rs.resource, ss.scope, span)
        for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans
    }


def test_stored_spans_rebuild_the_sdk_request_exactly(daemon):
    """The strongest check: what the store gives back equals what the SDK's own encoder produced."""
    exporter = _Checked(_exporter("grpc", daemon))
    sent = _emit(exporter)
    assert daemon.stop() == 0
    con = duckdb.connect(str(daemon.database), read_only=True)
    try:
        rebuilt = export_spans(con)
    finally:
        con.close()
    assert _by_span_id(rebuilt) == _by_span_id(encode_spans(sent))
