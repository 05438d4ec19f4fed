"""The analyzer contract: what every analyzer receives and gives back.

An analyzer sees the spans of one telemetry-time window in batches (``update``) and, once the window
is closed, reports what it found for that window (``result``) and forgets the window. Batches are
polars DataFrames, not single spans: per-span Python work would cost more than ingest itself, while a
batch lets each analyzer aggregate in native code and keep only small per-window state. Everything an
analyzer keeps between calls must pickle, because the engine snapshots analyzers to survive restarts.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

import polars as pl

# Columns of SpanBatch.spans. ``service`` and ``operation`` are label-bounded (top-K plus "other");
# ``service_name`` and ``name`` are what the span really carried.
SPAN_COLUMNS = (
    "seq", "trace_id", "span_id", "parent_span_id", "name", "kind", "service_name", "service", "operation",
    "start_time_unix_nano", "end_time_unix_nano", "duration_ns", "status_code", "status_message", "resource_id",
)
# json_value holds arrays and key-value lists as OTLP/JSON text (docs/storage.md).
ATTRIBUTE_COLUMNS = (
    "span_seq", "key", "type", "string_value", "int_value", "double_value", "bool_value", "json_value",
)


@dataclass(frozen=True, order=True)
class Window:
    """A tumbling window of telemetry time (span end time), [start, start + seconds)."""

    start_ns: int
    seconds: int

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.seconds * 1_000_000_000

    @property
    def start(self) -> dt.datetime:
        """Naive UTC, as the store's TIMESTAMP columns hold it."""
        return dt.datetime.fromtimestamp(self.start_ns / 1e9, dt.UTC).replace(tzinfo=None)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.end_ns / 1e9, dt.UTC).replace(tzinfo=None)


@dataclass
class SpanBatch:
    window: Window
    spans: pl.DataFrame
    attributes: pl.DataFrame  # attributes of those spans, joined by span_seq = spans.seq
    resources: pl.DataFrame  # resource_id, key, type, string_value, … of the resources those spans use


class Level(str, Enum):
    """Weaver live-check advice levels, lowest first."""

    information = "information"
    improvement = "improvement"
    violation = "violation"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(frozen=True)
class Signal:
    """One number for one window and one series (signal name + labels)."""

    signal: str
    service: str
    value: float
    operation: str = ""
    key: str = ""

    @property
    def series(self) -> tuple[str, str, str, str]:
        return (self.signal, self.service, self.operation, self.key)


@dataclass(frozen=True)
class Finding:
    """A live-check style finding, aggregated over one window."""

    id: str
    level: Level
    service: str
    span_name: str
    attribute: str
    message: str
    count: int
    example_trace_id: str = ""
    example_span_id: str = ""
    suggestion: str = ""


@dataclass
class WindowResult:
    signals: list[Signal] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def extend(self, other: WindowResult) -> None:
        self.signals += other.signals
        self.findings += other.findings


class Analyzer(ABC):
    """Base of every span analyzer: ``update`` with batches of a window, ``result`` once it closes."""

    name: ClassVar[str]

    @abstractmethod
    def update(self, batch: SpanBatch) -> None:
        """Take more spans of ``batch.window``; must not modify the batch."""

    @abstractmethod
    def result(self, window: Window) -> WindowResult:
        """Signals and findings of a closed window; the analyzer then forgets that window."""

    def reattach(self, configured: Analyzer) -> None:
        """After a restart, take what is deliberately not pickled (e.g. a loaded registry) from the
        freshly configured instance; the learned state stays the restored one's."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"
