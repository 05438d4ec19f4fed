"""Start, stop, restart: nothing acknowledged is ever lost, and the file survives restarts."""

from __future__ import annotations

import signal
import threading
import time

import duckdb
import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otlp_samples import full_request, simple_request

from weavergen.collector.store.export import export_spans

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def send(daemon, request) -> ExportTraceServiceResponse:
    with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
        call = ch.unary_unary(TRACE_EXPORT, request_serializer=None,
                              response_deserializer=ExportTraceServiceResponse.FromString)
        return call(request.SerializeToString(), timeout=30)


def _by_span_id(request) -> dict:
    spans = {}
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                # An absent Status and an empty one mean the same (UNSET); protobuf equality would differ.
                span.status.SetInParent()
                spans[span.span_id] = (rs.resource, rs.schema_url, ss.scope, ss.schema_url, span)
    return spans


def test_every_field_round_trips_exactly(daemon):
    request = full_request()
    send(daemon, request)
    send(daemon, simple_request(5))  # a second resource and scope, stored once each
    assert daemon.stop() == 0
    con = duckdb.connect(str(daemon.database), read_only=True)
    try:
        rebuilt = export_spans(con, "service_name = ?", ["checkout"])
        other = export_spans(con, "service_name = ?", ["payments"])
    finally:
        con.close()
    expected = _by_span_id(request)
    got = {**_by_span_id(rebuilt), **_by_span_id(other)}
    assert got == expected


def test_restart_keeps_spans_and_continues_numbering(make_daemon, tmp_path):
    first = make_daemon(workdir=tmp_path)
    send(first, simple_request(10))
    assert first.stop() == 0
    second = make_daemon(workdir=tmp_path)
    assert second.query("SELECT count(*) AS n FROM spans")[0]["n"] == 10
    send(second, simple_request(10))
    rows = second.query("SELECT count(*) AS n, count(DISTINCT seq) AS seqs FROM spans")[0]
    assert rows == {"n": 20, "seqs": 20}
    # The same resource is stored once across restarts.
    assert second.query("SELECT count(*) AS n FROM resources")[0]["n"] == 1


def test_sigterm_drains_and_commits_everything_acknowledged(daemon):
    acknowledged = []
    stop_sending = threading.Event()

    def sender() -> None:
        with grpc.insecure_channel(daemon.grpc_endpoint) as ch:
            call = ch.unary_unary(TRACE_EXPORT, request_serializer=None,
                                  response_deserializer=ExportTraceServiceResponse.FromString)
            payload = simple_request(500).SerializeToString()
            while not stop_sending.is_set():
                try:
                    call(payload, timeout=30)
                    acknowledged.append(500)
                except grpc.RpcError:
                    return  # refused or connection closed: not acknowledged, may or may not be stored

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while sum(acknowledged) < 5000 and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(60) == 0
    stop_sending.set()
    for t in threads:
        t.join()
    assert "stopped cleanly" in daemon.log()
    con = duckdb.connect(str(daemon.database), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM spans").fetchone()[0]
    finally:
        con.close()
    assert sum(acknowledged) >= 5000
    assert stored >= sum(acknowledged)
    assert stored % 500 == 0  # requests are stored whole or not at all


def test_second_daemon_on_the_same_data_dir_fails_clearly(make_daemon, tmp_path):
    make_daemon(workdir=tmp_path)
    second = make_daemon(start=False, workdir=tmp_path)
    with pytest.raises(RuntimeError) as caught:
        second.start()
    assert "exited with 1" in str(caught.value)
    assert "Another weavergen daemon" in second.log() or "address" in second.log()
