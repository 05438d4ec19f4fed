"""Latency quantiles, error rate and an anomaly score per service and operation.

Durations go into a log-bucketed histogram (the DDSketch idea: bucket i holds durations in
[γ^i, γ^(i+1)), γ = (1+α)/(1−α), so any quantile is within α relative error). Bucketing is done for a
whole batch in polars, and histograms of one window merge by adding counts, so no per-span Python runs
and memory per series stays bounded by the number of buckets.

The anomaly score is river's StandardAbsoluteDeviation over per-window aggregates (log p99 latency and
error rate), learned window by window: how many standard deviations this window is from the series'
history, the larger of the two.
"""

from __future__ import annotations

import math
from collections import Counter

import polars as pl
from river import anomaly, stats

from .base import Analyzer, Signal, SpanBatch, Window, WindowResult

MAX_ANOMALY_SCORE = 100.0
QUANTILES = {"latency_p50_seconds": 0.50, "latency_p95_seconds": 0.95, "latency_p99_seconds": 0.99}


class LogHistogram:
    """Bucket counts of a DDSketch-style histogram with relative accuracy ``alpha``."""

    def __init__(self, alpha: float = 0.01) -> None:
        self.gamma = (1 + alpha) / (1 - alpha)
        self.counts: Counter[int] = Counter()

    def bucket_expr(self, column: str) -> pl.Expr:
        # Durations of 0 ns (clock granularity) share bucket 0 with 1 ns.
        return (pl.col(column).clip(lower_bound=1).cast(pl.Float64).log() / math.log(self.gamma)).floor().cast(pl.Int64)

    def quantile(self, q: float) -> float:
        total = sum(self.counts.values())
        if not total:
            return 0.0
        rank = q * (total - 1)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen > rank:
                # The bucket's representative value: the middle of [γ^i, γ^(i+1)) in relative terms.
                return 2 * self.gamma ** bucket * self.gamma / (self.gamma + 1)
        return 0.0


class _Series:
    def __init__(self, alpha: float) -> None:
        self.histogram = LogHistogram(alpha)
        self.spans = 0
        self.errors = 0


class LatencyAnalyzer(Analyzer):
    name = "latency"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha
        self._windows: dict[Window, dict[tuple[str, str], _Series]] = {}
        self._detectors: dict[tuple[str, str, str], anomaly.StandardAbsoluteDeviation] = {}

    def update(self, batch: SpanBatch) -> None:
        series = self._windows.setdefault(batch.window, {})
        probe = LogHistogram(self.alpha)
        spans = batch.spans.select("service", "operation", "duration_ns", "status_code").with_columns(
            probe.bucket_expr("duration_ns").alias("bucket"), (pl.col("status_code") == 2).alias("error")
        )
        for service, operation, bucket, n in spans.group_by("service", "operation", "bucket").len().iter_rows():
            self._series(series, service, operation).histogram.counts[bucket] += n
        totals = spans.group_by("service", "operation").agg(pl.len().alias("n"), pl.col("error").sum().alias("e"))
        for service, operation, n, errors in totals.iter_rows():
            s = self._series(series, service, operation)
            s.spans += n
            s.errors += errors

    def _series(self, series: dict, service: str, operation: str) -> _Series:
        found = series.get((service, operation))
        if found is None:
            found = series[(service, operation)] = _Series(self.alpha)
        return found

    def result(self, window: Window) -> WindowResult:
        signals = []
        for (service, operation), s in sorted(self._windows.pop(window, {}).items()):
            quantiles = {name: s.histogram.quantile(q) / 1e9 for name, q in QUANTILES.items()}
            error_rate = s.errors / s.spans if s.spans else 0.0
            signals += [Signal(name, service, value, operation) for name, value in quantiles.items()]
            signals.append(Signal("error_rate", service, error_rate, operation))
            score = max(
                self._score(service, operation, "latency", math.log(max(quantiles["latency_p99_seconds"], 1e-9))),
                self._score(service, operation, "errors", error_rate),
            )
            signals.append(Signal("anomaly_score", service, score, operation))
        return WindowResult(signals=signals)

    def _score(self, service: str, operation: str, feature: str, value: float) -> float:
        detector = self._detectors.get((service, operation, feature))
        if detector is None:
            detector = self._detectors[(service, operation, feature)] = anomaly.StandardAbsoluteDeviation(
                sub_stat=stats.Mean())
        score = detector.score_one(None, value) if detector.variance.n > 1 else 0.0
        detector.learn_one(None, value)
        # A perfectly flat history has zero spread, which makes any change infinitely anomalous.
        return 0.0 if math.isnan(score) else min(float(score), MAX_ANOMALY_SCORE)
