"""OTLP/HTTP receiver (POST /v1/traces, protobuf or JSON, optionally gzip): a thin adapter to ``Ingest``.

Errors follow the OTLP/HTTP spec: a ``google.rpc.Status`` body in the request's encoding, 400 for a
malformed body, 413 when too large (also after decompression), 415 for an unsupported content type or
encoding, 503 + Retry-After when the queue is full. The body is read as a stream, so chunked uploads
without Content-Length (Node's exporters) are read whole.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from aiohttp import web
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from . import otlp_json
from .ingest import ExportOutcome, Ingest, MalformedRequest, Overloaded

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_NOT_STORED = {"/v1/logs": "logs", "/v1/metrics": "metrics"}


class _HttpError(Exception):
    def __init__(self, http_status: int, grpc_code: int, message: str, headers: dict | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.http_status, self.grpc_code, self.headers, self.retry_after = (
            http_status, grpc_code, headers or {}, retry_after
        )


def build_app(ingest: Ingest, max_request_bytes: int) -> web.Application:
    receiver = _Receiver(ingest, max_request_bytes)
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", receiver.handle)
    return app


class _Receiver:
    def __init__(self, ingest: Ingest, max_request_bytes: int) -> None:
        self._ingest = ingest
        self._max = max_request_bytes

    async def handle(self, request: web.Request) -> web.StreamResponse:
        content_type = request.content_type
        try:
            self._check_route(request)
            if content_type not in (PROTOBUF, JSON):
                raise _HttpError(415, code_pb2.INVALID_ARGUMENT,
                                 f"unsupported Content-Type {content_type!r}: send {PROTOBUF} or {JSON}")
            body = await self._read_body(request)
            outcome = await self._export(body, content_type)
        except _HttpError as exc:
            return _error_response(exc, content_type)
        return _success_response(outcome, content_type)

    @staticmethod
    def _check_route(request: web.Request) -> None:
        if request.path in _NOT_STORED:
            raise _HttpError(404, code_pb2.UNIMPLEMENTED,
                             f"weavergen stores traces only; {_NOT_STORED[request.path]} are not accepted yet")
        if request.path != TRACES_PATH:
            raise _HttpError(404, code_pb2.NOT_FOUND, f"unknown path {request.path}: OTLP traces go to {TRACES_PATH}")
        if request.method != "POST":
            raise _HttpError(405, code_pb2.INVALID_ARGUMENT, f"{request.method} is not allowed: use POST",
                             headers={"Allow": "POST"})

    async def _read_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self._max:
            raise self._too_large()
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        chunks = request.content.iter_chunked(64 * 1024)
        if encoding == "gzip":
            return await self._gunzip(chunks)
        if encoding not in ("identity", ""):
            raise _HttpError(415, code_pb2.INVALID_ARGUMENT,
                             f"unsupported Content-Encoding {encoding!r}: send gzip or no encoding")
        return await self._collect(chunks)

    async def _collect(self, chunks: AsyncIterator[bytes]) -> bytes:
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            if len(body) > self._max:
                raise self._too_large()
        return bytes(body)

    async def _gunzip(self, chunks: AsyncIterator[bytes]) -> bytes:
        # Decompress incrementally with an output cap so a small gzip bomb cannot exhaust memory.
        body = bytearray()
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            async for chunk in chunks:
                data = chunk
                while data:
                    body += inflater.decompress(data, self._max + 1 - len(body))
                    if len(body) > self._max:
                        raise self._too_large()
                    data = inflater.unconsumed_tail
                    if inflater.eof and inflater.unused_data:
                        # Concatenated gzip members are valid gzip: start the next member.
                        data, inflater = inflater.unused_data, zlib.decompressobj(16 + zlib.MAX_WBITS)
            if not inflater.eof:
                raise zlib.error("truncated gzip stream")
        except zlib.error as exc:
            raise _HttpError(400, code_pb2.INVALID_ARGUMENT, f"invalid gzip body: {exc}") from None
        return bytes(body)

    def _too_large(self) -> _HttpError:
        return _HttpError(413, code_pb2.RESOURCE_EXHAUSTED,
                          f"request body exceeds {self._max} bytes (collector.max_request_bytes); "
                          "send smaller batches")

    async def _export(self, body: bytes, content_type: str) -> ExportOutcome:
        try:
            if content_type == PROTOBUF:
                return await self._ingest.export_protobuf(body, "http_protobuf")
            try:
                message = otlp_json.decode_export_trace_request(body)
            except otlp_json.OtlpJsonError as exc:
                raise MalformedRequest(f"invalid OTLP/JSON: {exc}") from None
            return await self._ingest.export_message(message, message.SerializeToString(), "http_json")
        except MalformedRequest as exc:
            raise _HttpError(400, code_pb2.INVALID_ARGUMENT, str(exc)) from None
        except Overloaded as exc:
            raise _HttpError(503, code_pb2.UNAVAILABLE, str(exc),
                             headers={"Retry-After": str(exc.retry_after)}, retry_after=exc.retry_after) from None
        except RuntimeError as exc:
            raise _HttpError(500, code_pb2.INTERNAL, str(exc)) from None


def _success_response(outcome: ExportOutcome, content_type: str) -> web.Response:
    if content_type == JSON:
        body = otlp_json.encode_export_trace_response(outcome.rejected, outcome.message)
        return web.Response(body=body, content_type=JSON)
    response = ExportTraceServiceResponse()
    if outcome.rejected:
        response.partial_success.rejected_spans = outcome.rejected
        response.partial_success.error_message = outcome.message
    return web.Response(body=response.SerializeToString(), content_type=PROTOBUF)


def _error_response(exc: _HttpError, content_type: str) -> web.Response:
    details = []
    if exc.retry_after is not None:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=exc.retry_after)))
        details.append(detail)
    if content_type == PROTOBUF:
        status = status_pb2.Status(code=exc.grpc_code, message=str(exc), details=details)
        return web.Response(status=exc.http_status, body=status.SerializeToString(),
                            content_type=PROTOBUF, headers=exc.headers)
    # JSON for JSON requests, and for anything else so that curl users can read the error.
    body = otlp_json.encode_status(exc.grpc_code, str(exc), details)
    return web.Response(status=exc.http_status, body=body, content_type=JSON, headers=exc.headers)
