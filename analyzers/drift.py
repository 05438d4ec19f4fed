"""Drift detection over every signal series (river.drift Page-Hinkley and ADWIN).

Signals live on very different scales (seconds, ratios, counts, 0–100 scores), so each series is first
standardized against its own history since the last drift: z = (x − mean) / scale, where the scale
never drops below a floor per signal (absolute, and for counts and latencies relative), because a perfectly flat
series would otherwise make any tiny wiggle look like a huge change. Page-Hinkley on z catches abrupt
shifts within a window or two; ADWIN on z catches slower ones. After a drift the series starts a new
baseline, so a new steady level is not reported again and again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from river import drift, stats

from .base import Signal

# The smallest change worth calling drift, per signal: (absolute, in the signal's unit; relative to its
# mean). Scores, ratios and entropies are on fixed scales, so an absolute floor suffices; counts and
# latencies naturally wobble in proportion to their size, so they also get a relative one.
FLOORS = {
    "quality_score": (2.0, 0.0),
    "instrumentation_score": (5.0, 0.0),
    "registry_coverage": (0.01, 0.0),
    "error_rate": (0.01, 0.0),
    "span_name_entropy": (0.02, 0.0),
    "attribute_key_set_entropy": (0.02, 0.0),
    "anomaly_score": (3.0, 0.0),
    "late_spans": (5.0, 0.1),
    "span_count": (10.0, 0.1),
    "span_name_count": (2.0, 0.1),
    "attribute_distinct_values": (3.0, 0.1),
    "cardinality_growth": (0.5, 0.1),
    "latency_p50_seconds": (0.001, 0.1),
    "latency_p95_seconds": (0.001, 0.1),
    "latency_p99_seconds": (0.001, 0.1),
}
DEFAULT_FLOOR = (1e-3, 0.1)


@dataclass(frozen=True)
class DriftEvent:
    signal: str
    service: str
    operation: str
    key: str
    detector: str
    direction: str
    before: float
    after: float

    @property
    def size(self) -> float:
        return self.after - self.before


class _Series:
    """Detectors and baseline of one series."""

    def __init__(self, threshold: float, delta: float, adwin_delta: float) -> None:
        self._params = (threshold, delta, adwin_delta)
        self.reset()

    def reset(self) -> None:
        threshold, delta, adwin_delta = self._params
        self.mean = stats.Mean()
        self.var = stats.Var()
        self.page_hinkley = drift.PageHinkley(min_instances=1, delta=delta, threshold=threshold)
        self.adwin = drift.ADWIN(delta=adwin_delta, clock=1, min_window_length=3, grace_period=6)

    def scale(self, signal: str) -> float:
        spread = math.sqrt(max(self.var.get(), 0.0))
        absolute, relative = FLOORS.get(signal, DEFAULT_FLOOR)
        return max(spread, absolute, relative * abs(self.mean.get()))


class SignalDrift:
    """``update(signal)`` once per window and series; returns a DriftEvent when the series drifted."""

    name = "drift"

    def __init__(self, min_windows: int = 3, threshold: float = 6.0, delta: float = 0.5,
                 adwin_delta: float = 0.002, outlier_z: float = 3.0, max_series: int = 20_000) -> None:
        self.min_windows = min_windows
        self.outlier_z = outlier_z
        self.threshold = threshold
        self.delta = delta
        self.adwin_delta = adwin_delta
        self.max_series = max_series
        self._series: dict[tuple[str, str, str, str], _Series] = {}

    def update(self, signal: Signal) -> DriftEvent | None:
        series = self._series.get(signal.series)
        if series is None:
            if len(self._series) >= self.max_series:
                return None  # bounded memory; label limits normally keep far below this
            series = self._series[signal.series] = _Series(self.threshold, self.delta, self.adwin_delta)
        value = float(signal.value)
        if series.mean.n < self.min_windows:
            # Warm-up: the baseline is being learned, so by definition nothing deviates from it. The
            # detectors still see these windows, so the first real deviation stands out against them.
            series.mean.update(value)
            series.var.update(value)
            series.page_hinkley.update(0.0)
            series.adwin.update(0.0)
            return None
        before = series.mean.get()
        z = (value - before) / series.scale(signal.signal)
        series.page_hinkley.update(z)
        series.adwin.update(z)
        detector = ("page_hinkley" if series.page_hinkley.drift_detected
                    else "adwin" if series.adwin.drift_detected else None)
        if detector is None:
            # Outliers stay out of the baseline, so a shift keeps standing out until it is detected.
            if abs(z) <= self.outlier_z:
                series.mean.update(value)
                series.var.update(value)
            return None
        series.reset()
        series.mean.update(value)
        series.var.update(value)
        return DriftEvent(signal.signal, signal.service, signal.operation, signal.key, detector,
                          "up" if value > before else "down", before, value)

    def result(self, window=None) -> dict[str, int]:
        return {"series": len(self._series)}
