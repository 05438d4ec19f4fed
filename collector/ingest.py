"""The one ingest function every receiver calls; receivers only decode and map outcomes to status codes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .metrics import IngestMetrics
from .store.flatten import request_keys
from .store.writer import QueueFull, SpanWriter, WriteResult, WriterClosed


class MalformedRequest(ValueError):
    """The body is not a valid ExportTraceServiceRequest; the message says why."""


class Overloaded(Exception):
    """Refused whole, nothing stored; the sender should retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ExportOutcome:
    accepted: int
    rejected: int
    message: str


class Ingest:
    def __init__(self, writer: SpanWriter, metrics: IngestMetrics, retry_after: int = 1) -> None:
        self._writer = writer
        self._metrics = metrics
        self._retry_after = retry_after

    async def export_protobuf(self, payload: bytes, transport: str) -> ExportOutcome:
        """Store one encoded request; returns only after its spans are committed."""
        try:
            request = ExportTraceServiceRequest.FromString(payload)
        except DecodeError as exc:
            self._metrics.requests.labels(transport, "malformed").inc()
            raise MalformedRequest(f"invalid ExportTraceServiceRequest protobuf: {exc}") from None
        return await self.export_message(request, payload, transport)

    async def export_message(
        self, request: ExportTraceServiceRequest, payload: bytes, transport: str
    ) -> ExportOutcome:
        spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        self._metrics.request_bytes.labels(transport).observe(len(payload))
        self._metrics.request_spans.labels(transport).observe(spans)
        self._metrics.received.labels(transport).inc(spans)
        if spans == 0:
            self._metrics.requests.labels(transport, "ok").inc()
            return ExportOutcome(0, 0, "")
        try:
            future = self._writer.submit(payload, spans, request_keys(request))
        except (QueueFull, WriterClosed) as exc:
            reason = "queue_full" if isinstance(exc, QueueFull) else "shutting_down"
            self._metrics.refused.labels(transport, reason).inc(spans)
            self._metrics.requests.labels(transport, reason).inc()
            raise Overloaded(f"{exc}; retry later", self._retry_after) from None
        result: WriteResult = await asyncio.wrap_future(future)
        self._metrics.accepted.labels(transport).inc(result.accepted)
        self._metrics.rejected.labels(transport).inc(result.rejected)
        self._metrics.requests.labels(transport, "partial" if result.rejected else "ok").inc()
        return ExportOutcome(result.accepted, result.rejected, result.message)
