"""Analyzer output on /metrics: the latest closed window's signals, read at scrape time.

Label sets are bounded because services, operations and attribute keys are (see labels.py).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .drift import FLOORS
from .engine import AnalysisEngine

# signal name → (metric name, help, label names taken from the Signal)
_GAUGES = {
    "quality_score": ("weavergen_quality_score", "Semantic-convention quality score (0-100).", ["service"]),
    "registry_coverage": ("weavergen_registry_coverage", "Share of registry attributes seen.", ["service"]),
    "instrumentation_score": ("weavergen_instrumentation_score", "Instrumentation Score (0-100).", ["service"]),
    "error_rate": ("weavergen_error_ratio", "Share of spans with status ERROR.", ["service", "operation"]),
    "anomaly_score": ("weavergen_anomaly_score", "Latency/error anomaly score (std devs).", ["service", "operation"]),
    "attribute_distinct_values": (
        "weavergen_attribute_distinct_values", "Distinct values of an attribute key in the window.", ["service", "key"]),
    "cardinality_growth": (
        "weavergen_attribute_cardinality_growth", "Distinct values vs. the mean of earlier windows.", ["service", "key"]),
}
_ENTROPY = ("span_name_entropy", "attribute_key_set_entropy", "span_name_count", "span_count")
_LATENCY = {"latency_p50_seconds": "0.5", "latency_p95_seconds": "0.95", "latency_p99_seconds": "0.99"}


class AnalyzerCollector(Collector):
    def __init__(self, engine: Callable[[], AnalysisEngine | None]) -> None:
        self._engine = engine

    def collect(self):
        engine = self._engine()
        latest = engine.latest if engine else None
        families = {name: GaugeMetricFamily(metric, doc, labels=labels) for name, (metric, doc, labels) in _GAUGES.items()}
        entropy = GaugeMetricFamily("weavergen_entropy", "Entropy and count signals per service.", labels=["service", "signal"])
        latency = GaugeMetricFamily("weavergen_latency_seconds", "Span duration quantiles.",
                                    labels=["service", "operation", "quantile"])
        window = GaugeMetricFamily("weavergen_analysis_window_start_seconds", "Start of the latest closed window.")
        for signal in latest.signals if latest else []:
            if signal.signal in families:
                labels = {"service": signal.service, "operation": signal.operation, "key": signal.key}
                families[signal.signal].add_metric([labels[n] for n in _GAUGES[signal.signal][2]], signal.value)
            elif signal.signal in _ENTROPY:
                entropy.add_metric([signal.service, signal.signal], signal.value)
            elif signal.signal in _LATENCY:
                latency.add_metric([signal.service, signal.operation, _LATENCY[signal.signal]], signal.value)
        if latest:
            window.add_metric([], latest.window.start_ns / 1e9)
        yield from families.values()
        yield entropy
        yield latency
        yield window
        drift = CounterMetricFamily("weavergen_drift_events", "Drift events detected, by signal.", labels=["signal"])
        # Every known signal starts at 0, so Prometheus' increase() sees a series' first drift too.
        counts = {**dict.fromkeys(FLOORS, 0), **(engine.state.drift_events if engine else {})}
        for signal, count in sorted(counts.items()):
            drift.add_metric([signal], count)
        yield drift
        errors = CounterMetricFamily("weavergen_analysis_errors", "Analysis passes that failed (see the log).")
        errors.add_metric([], engine.errors if engine else 0)
        yield errors
        lag = GaugeMetricFamily("weavergen_analysis_last_seq", "Last span seq the analyzers have read.")
        lag.add_metric([], engine.last_seq if engine else 0)
        yield lag
