"""OTLP/gRPC receiver: a thin adapter from gRPC calls to ``Ingest``.

Requests reach the handler as raw bytes (no deserializer) because the store converts the encoded
request natively; ``Ingest`` parses it once to validate it and count its spans.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from .ingest import Ingest, MalformedRequest, Overloaded

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
_NOT_STORED = {
    "opentelemetry.proto.collector.logs.v1.LogsService": "logs",
    "opentelemetry.proto.collector.metrics.v1.MetricsService": "metrics",
}


def build_server(ingest: Ingest, endpoint: str, max_request_bytes: int) -> tuple[grpc.aio.Server, int]:
    """An unstarted server bound to ``endpoint``; returns it with the port actually bound."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
            ("grpc.so_reuseport", 0),
        ]
    )
    handlers = [_trace_handler(ingest), *(_unimplemented(s, kind) for s, kind in _NOT_STORED.items())]
    server.add_generic_rpc_handlers(handlers)
    port = server.add_insecure_port(endpoint)
    if port == 0:
        raise OSError(f"cannot listen for OTLP/gRPC on {endpoint}: address in use or not available")
    return server, port


def _trace_handler(ingest: Ingest) -> grpc.GenericRpcHandler:
    async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            outcome = await ingest.export_protobuf(request, "grpc")
        except MalformedRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Overloaded as exc:
            await _abort_retryable(context, str(exc), exc.retry_after)
        except RuntimeError as exc:
            await context.abort(grpc.StatusCode.INTERNAL, str(exc))
        response = ExportTraceServiceResponse()
        if outcome.rejected:
            response.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=outcome.rejected, error_message=outcome.message)
            )
        return response.SerializeToString()

    handler = grpc.unary_unary_rpc_method_handler(export)
    return grpc.method_handlers_generic_handler(TRACE_SERVICE, {"Export": handler})


async def _abort_retryable(context: grpc.aio.ServicerContext, message: str, retry_after: int) -> None:
    # OTLP clients retry UNAVAILABLE and honour RetryInfo's delay when it is present.
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=retry_after)))
    status = rpc_status.to_status(
        status_pb2.Status(code=code_pb2.UNAVAILABLE, message=message, details=[detail])
    )
    await context.abort(status.code, status.details, status.trailing_metadata)


def _unimplemented(service: str, kind: str) -> grpc.GenericRpcHandler:
    async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"weavergen stores traces only; {kind} are not accepted yet (send them elsewhere)",
        )
        return b""

    return grpc.method_handlers_generic_handler(
        service, {"Export": grpc.unary_unary_rpc_method_handler(export)}
    )
