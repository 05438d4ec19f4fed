"""The daemon's own Prometheus metrics for ingest, on a registry passed in (a fresh one per test)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_SIZE_BUCKETS = (1e3, 1e4, 1e5, 1e6, 4e6, 16e6, 64e6)
_SPAN_BUCKETS = (1, 10, 100, 1_000, 5_000, 20_000, 100_000)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        labels = ["transport"]
        self.received = Counter(
            "weavergen_spans_received", "Spans in well-formed export requests.", labels, registry=registry
        )
        self.accepted = Counter(
            "weavergen_spans_accepted", "Spans committed to DuckDB.", labels, registry=registry
        )
        self.rejected = Counter(
            "weavergen_spans_rejected",
            "Spans refused one by one (partial_success), e.g. invalid ids.",
            labels,
            registry=registry,
        )
        self.refused = Counter(
            "weavergen_spans_refused",
            "Spans in requests refused whole; the sender may retry (queue full, shutting down).",
            labels + ["reason"],
            registry=registry,
        )
        self.requests = Counter(
            "weavergen_export_requests", "Export requests by outcome.", labels + ["outcome"], registry=registry
        )
        self.request_bytes = Histogram(
            "weavergen_export_request_bytes",
            "Size of export request bodies after decompression.",
            labels,
            buckets=_SIZE_BUCKETS,
            registry=registry,
        )
        self.request_spans = Histogram(
            "weavergen_export_request_spans", "Spans per export request.", labels,
            buckets=_SPAN_BUCKETS, registry=registry,
        )
        self.batch_spans = Histogram(
            "weavergen_commit_batch_spans", "Spans per group commit.", buckets=_SPAN_BUCKETS, registry=registry
        )
        self.commit_seconds = Histogram(
            "weavergen_commit_duration_seconds",
            "Time to convert and commit one group of requests.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        self.checkpoint_seconds = Histogram(
            "weavergen_checkpoint_duration_seconds",
            "Time of the CHECKPOINTs the writer runs when idle.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self._gauges = _ReadAtScrape()
        registry.register(self._gauges)

    def observe_commit(self, seconds: float, spans: int) -> None:
        self.commit_seconds.observe(seconds)
        self.batch_spans.observe(spans)

    def watch_queue(self, read: Callable[[], int], capacity: int) -> None:
        self._gauges.add("weavergen_queue_spans", "Spans accepted into memory, not yet committed.", read)
        self._gauges.add("weavergen_queue_max_spans", "Queue capacity (storage.queue_max_spans).", lambda: capacity)

    def watch_database(self, path: Path) -> None:
        def size() -> float:
            return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())

        self._gauges.add("weavergen_database_bytes", "Size of the DuckDB file and its WAL.", size)


class _ReadAtScrape(Collector):
    """Gauges whose value is read when Prometheus scrapes, not pushed on every change."""

    def __init__(self) -> None:
        self._gauges: list[tuple[str, str, Callable[[], float]]] = []

    def add(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        self._gauges.append((name, documentation, read))

    def collect(self):
        for name, documentation, read in self._gauges:
            yield GaugeMetricFamily(name, documentation, value=read())
