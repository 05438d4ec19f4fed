"""OTLP/gRPC with a raw channel: status codes, partial success, compression, back-pressure."""

from __future__ import annotations

import threading

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otlp_samples import simple_request

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def export(channel, payload: bytes, **kwargs) -> ExportTraceServiceResponse:
    call = channel.unary_unary(TRACE_EXPORT, request_serializer=None,
                               response_deserializer=ExportTraceServiceResponse.FromString)
    return call(payload, timeout=30, **kwargs)


@pytest.fixture
def channel(daemon):
    with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
        yield ch


def count(daemon) -> int:
    return daemon.query("SELECT count(*) AS n FROM spans")[0]["n"]


def test_export_with_gzip_compression(daemon, channel):
    response = export(channel, simple_request(20).SerializeToString(), compression=grpc.Compression.Gzip)
    assert response == ExportTraceServiceResponse()
    assert count(daemon) == 20


def test_malformed_protobuf_is_invalid_argument(daemon, channel):
    export(channel, simple_request(2).SerializeToString())
    with pytest.raises(grpc.RpcError) as caught:
        export(channel, b"\xff\xff\xff")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "protobuf" in caught.value.details()
    assert count(daemon) == 2


def test_invalid_ids_are_rejected_through_partial_success(daemon, channel):
    request = simple_request(3)
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x00" * 16
    response = export(channel, request.SerializeToString())
    assert response.partial_success.rejected_spans == 1
    assert "invalid" in response.partial_success.error_message
    assert count(daemon) == 2


@pytest.mark.parametrize("method, request_type", [
    ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", logs_service_pb2.ExportLogsServiceRequest),
    ("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
     metrics_service_pb2.ExportMetricsServiceRequest),
])
def test_logs_and_metrics_are_unimplemented(channel, method, request_type):
    call = channel.unary_unary(method, request_serializer=request_type.SerializeToString,
                               response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as caught:
        call(request_type(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "traces only" in caught.value.details()


def test_request_over_the_limit_is_resource_exhausted(make_daemon):
    daemon = make_daemon(collector={"max_request_bytes": 10_000})
    with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
        with pytest.raises(grpc.RpcError) as caught:
            export(ch, simple_request(500).SerializeToString())
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert export(ch, simple_request(5).SerializeToString()) == ExportTraceServiceResponse()
    assert count(daemon) == 5


def test_concurrent_senders_all_land(daemon):
    def send(n: int) -> None:
        with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
            for _ in range(n):
                export(ch, simple_request(100).SerializeToString())

    threads = [threading.Thread(target=send, args=(10,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(daemon) == 8 * 10 * 100
    assert daemon.query("SELECT count(DISTINCT seq) AS n FROM spans")[0]["n"] == 8000


def test_full_queue_refuses_with_retry_info_and_keeps_what_it_acknowledged(make_daemon):
    """A queue that holds one request: concurrent senders must be told to retry, never silently lose."""
    daemon = make_daemon(storage={"queue_max_spans": 1000, "batch_max_spans": 1000})
    payload = simple_request(1000).SerializeToString()
    acknowledged, unavailable, http_refusals = [], [], []

    def grpc_sender() -> None:
        with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
            for _ in range(15):
                try:
                    export(ch, payload)
                    acknowledged.append(1000)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE
                    unavailable.append(rpc_status.from_call(exc))

    def http_sender() -> None:
        for _ in range(15):
            r = httpx.post(f"{daemon.http_url}/v1/traces", content=payload,
                           headers={"Content-Type": "application/x-protobuf"}, timeout=30)
            if r.status_code == 200:
                acknowledged.append(1000)
            else:
                assert r.status_code == 503
                http_refusals.append(r)

    threads = [threading.Thread(target=grpc_sender) for _ in range(6)] + [
        threading.Thread(target=http_sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert unavailable or http_refusals, "the queue never filled up; the test proves nothing"
    for status in unavailable:
        info = error_details_pb2.RetryInfo()
        assert status.details[0].Unpack(info) and info.retry_delay.seconds == 1
    for response in http_refusals:
        assert response.headers["retry-after"] == "1"
    assert count(daemon) == sum(acknowledged)
    refused = daemon.metric("weavergen_spans_refused_total", transport="grpc", reason="queue_full")
    assert refused == 1000 * len(unavailable)
