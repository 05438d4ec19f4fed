"""Tumbling windows in telemetry time, closed by a watermark or after the stream goes quiet.

A window [s, s+W) closes when the newest span end time seen, minus the grace period, passes s+W
(spans may arrive a little out of order), or when it has received nothing for ``idle_close_seconds``
of wall-clock time (otherwise the last window of a stream that stops would never close). A span whose
window has already closed is late: it is counted, not analyzed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import polars as pl

from .base import Window

NS = 1_000_000_000


class TumblingWindows:
    def __init__(self, seconds: int = 60, grace_seconds: int = 10, idle_close_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.grace_seconds = grace_seconds
        self.idle_close_seconds = idle_close_seconds
        self._clock = clock
        self._open: dict[int, float] = {}  # window start → wall time of its last span
        self._closed_before = 0  # every window starting before this is closed
        self._max_end = 0

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_clock")
        # Wall-clock times do not survive a restart: reopened windows start their idle timer afresh.
        state["_open"] = dict.fromkeys(self._open, 0.0)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._clock = time.monotonic
        now = self._clock()
        self._open = dict.fromkeys(self._open, now)

    def assign(self, spans: pl.DataFrame) -> tuple[dict[Window, pl.DataFrame], pl.DataFrame]:
        """Split spans by window; returns (on-time spans per open window, late spans)."""
        width = self.seconds * NS
        spans = spans.with_columns(
            (pl.col("end_time_unix_nano") // width * width).cast(pl.Int64).alias("window_start")
        )
        late = spans.filter(pl.col("window_start") < self._closed_before)
        on_time = spans.filter(pl.col("window_start") >= self._closed_before)
        if on_time.height:
            self._max_end = max(self._max_end, int(on_time["end_time_unix_nano"].max()))
        now = self._clock()
        groups = {}
        for (start,), frame in on_time.partition_by("window_start", as_dict=True).items():
            self._open[start] = now
            groups[Window(start, self.seconds)] = frame.drop("window_start")
        return groups, late.drop("window_start")

    def due(self) -> list[Window]:
        """Windows to close now, oldest first; they are marked closed."""
        watermark = self._max_end - self.grace_seconds * NS
        now = self._clock()
        width = self.seconds * NS
        closing = sorted(
            start for start, touched in self._open.items()
            if start + width <= watermark or now - touched >= self.idle_close_seconds
        )
        return self._close(closing)

    def close_all(self) -> list[Window]:
        """Close every open window (end of a CI run, or an explicit flush)."""
        return self._close(sorted(self._open))

    def _close(self, starts: list[int]) -> list[Window]:
        if not starts:
            return []
        # Closing a window closes every older one too, so the late boundary only moves forward.
        older = sorted(s for s in self._open if s <= starts[-1])
        for start in older:
            del self._open[start]
        self._closed_before = max(self._closed_before, starts[-1] + self.seconds * NS)
        return [Window(s, self.seconds) for s in older]

    @property
    def open_windows(self) -> list[Window]:
        return [Window(s, self.seconds) for s in sorted(self._open)]
