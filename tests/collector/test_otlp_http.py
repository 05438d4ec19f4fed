"""OTLP/HTTP with a plain HTTP client: the happy paths real clients take and every bad input."""

from __future__ import annotations

import gzip
import json
import os

import httpx
import pytest
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otlp_samples import full_request, simple_request

from weavergen.collector.otlp_json import encode_export_trace_request

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def post(daemon, body, headers, path="/v1/traces", method="POST"):
    return httpx.request(method, f"{daemon.http_url}{path}", content=body, headers=headers, timeout=30)


def count(daemon) -> int:
    return daemon.query("SELECT count(*) AS n FROM spans")[0]["n"]


def json_body(request) -> bytes:
    return json.dumps(encode_export_trace_request(request)).encode()


def status_of(response) -> status_pb2.Status:
    if response.headers["content-type"].startswith("application/json"):
        return json_format.Parse(response.text, status_pb2.Status(), ignore_unknown_fields=True)
    return status_pb2.Status.FromString(response.content)


@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_export_accepted_and_answered_in_the_request_encoding(daemon, encoding, gzipped):
    request = full_request()
    body = request.SerializeToString() if encoding == "protobuf" else json_body(request)
    headers = dict(PROTOBUF if encoding == "protobuf" else JSON)
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    response = post(daemon, body, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == headers["Content-Type"]
    if encoding == "json":
        assert response.json() == {}
    else:
        assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    assert count(daemon) == 3


def test_chunked_body_without_content_length_is_read_whole(daemon):
    """Node's exporters stream the body chunked; reading only Content-Length would lose it silently."""
    body = simple_request(50).SerializeToString()

    def chunks():
        for i in range(0, len(body), 100):
            yield body[i:i + 100]

    response = httpx.post(f"{daemon.http_url}/v1/traces", content=chunks(), headers=PROTOBUF, timeout=30)
    assert response.status_code == 200
    assert count(daemon) == 50


def test_node_style_json_with_numbers_for_int64(daemon):
    trace_id, span_id = os.urandom(16).hex().upper(), os.urandom(8).hex()
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "node"}}]},
            "scopeSpans": [{"scope": {"name": "n"}, "spans": [{
                "traceId": trace_id, "spanId": span_id, "name": "x", "kind": 3,
                "startTimeUnixNano": 1700000000000000000, "endTimeUnixNano": 1700000000000001000,
                "attributes": [{"key": "n", "value": {"intValue": 42}}], "someFutureField": {"ignored": True}}]}]}]}
    response = post(daemon, json.dumps(body), JSON)
    assert response.status_code == 200
    row = daemon.query("SELECT trace_id, kind, duration_ns FROM spans")[0]
    assert row == {"trace_id": trace_id.lower(), "kind": 3, "duration_ns": 1000}
    assert daemon.query("SELECT int_value FROM span_attributes WHERE key = 'n'") == [{"int_value": 42}]


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_spans_with_invalid_ids_are_rejected_alone(daemon, encoding):
    request = simple_request(4)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[0].trace_id = b"\x00" * 16   # all zero
    spans[1].span_id = b"\x01" * 7     # wrong length
    spans[2].parent_span_id = b"\x02" * 3
    body = request.SerializeToString() if encoding == "protobuf" else json_body(request)
    if encoding == "json":
        # Not hex at all: must be rejected like a wrong-length id, not fail the request.
        document = json.loads(body)
        document["resourceSpans"][0]["scopeSpans"][0]["spans"].append(
            {"traceId": "zz" * 16, "spanId": "ab" * 8, "name": "bad hex"})
        body = json.dumps(document).encode()
    response = post(daemon, body, PROTOBUF if encoding == "protobuf" else JSON)
    assert response.status_code == 200
    rejected = 3 if encoding == "protobuf" else 4
    if encoding == "json":
        partial = response.json()["partialSuccess"]
        assert int(partial["rejectedSpans"]) == rejected
        message = partial["errorMessage"]
    else:
        partial = ExportTraceServiceResponse.FromString(response.content).partial_success
        assert partial.rejected_spans == rejected
        message = partial.error_message
    assert "invalid" in message and "span_id" in message
    assert daemon.query("SELECT span_id FROM spans") == [{"span_id": spans[3].span_id.hex()}]
    assert daemon.metric("weavergen_spans_rejected_total", transport=f"http_{encoding}") == rejected


@pytest.mark.parametrize(
    "body, headers, status, code, text",
    [
        (b"\xff\xff\xff\xff", PROTOBUF, 400, code_pb2.INVALID_ARGUMENT, "protobuf"),
        (b'{"resourceSpans": [', JSON, 400, code_pb2.INVALID_ARGUMENT, "not valid JSON"),
        (b'{"resourceSpans": {"a": 1}}', JSON, 400, code_pb2.INVALID_ARGUMENT, "resourceSpans"),
        (b'[]', JSON, 400, code_pb2.INVALID_ARGUMENT, "object"),
        (b"hello", {"Content-Type": "text/plain"}, 415, code_pb2.INVALID_ARGUMENT, "Content-Type"),
        (b"x", {**PROTOBUF, "Content-Encoding": "gzip"}, 400, code_pb2.INVALID_ARGUMENT, "gzip"),
        (b"x", {**PROTOBUF, "Content-Encoding": "br"}, 415, code_pb2.INVALID_ARGUMENT, "Content-Encoding"),
    ],
)
def test_bad_bodies_get_a_status_and_lose_nothing(daemon, body, headers, status, code, text):
    assert post(daemon, simple_request(5).SerializeToString(), PROTOBUF).status_code == 200
    response = post(daemon, body, headers)
    assert response.status_code == status
    problem = status_of(response)
    assert problem.code == code and text in problem.message
    assert count(daemon) == 5


def test_truncated_gzip_is_a_bad_request(daemon):
    body = gzip.compress(simple_request(5).SerializeToString())[:-10]
    response = post(daemon, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 400 and "gzip" in status_of(response).message


@pytest.mark.parametrize("method, path, status", [("GET", "/v1/traces", 405), ("PUT", "/v1/traces", 405),
                                                  ("POST", "/v2/traces", 404), ("POST", "/v1/logs", 404),
                                                  ("POST", "/v1/metrics", 404)])
def test_wrong_method_or_path(daemon, method, path, status):
    response = post(daemon, simple_request(1).SerializeToString(), PROTOBUF, path=path, method=method)
    assert response.status_code == status
    assert status_of(response).message
    if status == 405:
        assert response.headers["allow"] == "POST"


@pytest.fixture
def small_daemon(make_daemon):
    return make_daemon(collector={"max_request_bytes": 10_000})


def test_oversize_body_with_content_length(small_daemon):
    response = post(small_daemon, b"\x00" * 20_000, PROTOBUF)
    assert response.status_code == 413
    assert status_of(response).code == code_pb2.RESOURCE_EXHAUSTED


def test_oversize_chunked_body(small_daemon):
    response = httpx.post(f"{small_daemon.http_url}/v1/traces", content=iter([b"\x00" * 5000] * 4),
                          headers=PROTOBUF, timeout=30)
    assert response.status_code == 413


def test_gzip_bomb_is_refused_without_inflating_it(small_daemon):
    """8 MiB of zeros gzip to ~8 KiB, under the limit; inflated they are 800 times over it."""
    bomb = gzip.compress(b"\x00" * (8 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 10_000
    response = post(small_daemon, bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "exceeds 10000 bytes" in status_of(response).message
    ok = post(small_daemon, gzip.compress(simple_request(3).SerializeToString()), {**PROTOBUF, "Content-Encoding": "gzip"})
    assert ok.status_code == 200 and count(small_daemon) == 3
