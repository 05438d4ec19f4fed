"""The run's own span database: the daemon's SpanWriter on a file in a temporary directory.

Using the writer (rather than a second loader) means a checked span is stored exactly as the daemon
would store it, and the analyzers read it through the same code as in production.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

import duckdb
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client import CollectorRegistry

from ..metrics import IngestMetrics
from ..store.writer import SpanWriter
from .inputs import span_count

# A CI run holds everything it is given; the writer's back-pressure only protects a long-lived daemon.
QUEUE_MAX_SPANS = 10_000_000


class RunStore:
    """``with RunStore() as store``: a writer on a fresh database, removed on exit."""

    def __init__(self, directory: Path | None = None) -> None:
        self._tmp = None if directory is not None else tempfile.TemporaryDirectory(prefix="weavergen-check-")
        root = directory if directory is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.metrics = IngestMetrics(CollectorRegistry())
        self.writer = SpanWriter(root / "run.duckdb", self.metrics, queue_max_spans=QUEUE_MAX_SPANS)
        self.rejected = 0
        self._closed = False

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.writer.con

    def load(self, requests: Iterable[ExportTraceServiceRequest]) -> int:
        """Store the requests and wait for the commit; returns the spans accepted."""
        futures = [self.writer.submit_request(r) for r in requests if span_count(r)]
        accepted = 0
        for future in futures:
            result = future.result()
            accepted += result.accepted
            self.rejected += result.rejected
        return accepted

    def rejected_spans(self) -> int:
        """Spans refused one by one (invalid ids), by ``load`` or by receivers writing here."""
        received = sum(sample.value for family in self.metrics.registry.collect() for sample in family.samples
                       if sample.name == "weavergen_spans_rejected_total")
        return self.rejected + int(received)

    def finish_writes(self) -> None:
        """Commit everything queued (e.g. by a receiver) and take no more; the database stays open."""
        self.writer.stop()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.writer.stop()
        self.writer.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
