"""The analysis engine: committed spans → windows → analyzers → signals, findings, drift events.

It runs in its own thread next to the collector and only reads what the writer committed, so it can
fall behind under load but never slows ingest. After each closed window it writes the window's results
and a snapshot of every analyzer (pickled, with the last ``seq`` read) in one transaction; a restart
restores the snapshot and continues from that ``seq``, so each span is analyzed exactly once across
restarts and open windows carry on where they were.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import polars as pl

from . import results
from .base import Analyzer, Finding, Signal, SpanBatch, Window, WindowResult
from .drift import DriftEvent, SignalDrift
from .labels import LabelLimiter
from .source import Chunk, SpanSource
from .windows import TumblingWindows

log = logging.getLogger(__name__)
STATE_NAME = "engine"


@dataclass
class ClosedWindow:
    window: Window
    signals: list[Signal]
    findings: list[Finding]
    drift_events: list[DriftEvent]
    late_spans: dict[str, int] = field(default_factory=dict)


@dataclass
class _State:
    """Everything that must survive a restart, pickled as one object."""

    analyzers: list[Analyzer]
    windows: TumblingWindows
    drift: SignalDrift
    services: LabelLimiter
    operations: LabelLimiter
    late: dict[str, int] = field(default_factory=dict)
    drift_events: dict[str, int] = field(default_factory=dict)  # by signal name, since start


class AnalysisEngine:
    def __init__(
        self,
        connect: Callable[[], duckdb.DuckDBPyConnection],
        analyzers: Sequence[Analyzer],
        window_seconds: int = 60,
        grace_seconds: int = 10,
        idle_close_seconds: float = 30.0,
        max_services: int = 50,
        max_operations: int = 100,
        poll_seconds: float = 0.5,
        chunk_spans: int = 100_000,
        listeners: Sequence[Callable[[ClosedWindow], None]] = (),
    ) -> None:
        self._con = connect()
        results.create_tables(self._con)
        self._source = SpanSource(self._con, chunk_spans)
        self.poll_seconds = poll_seconds
        self.listeners = list(listeners)
        self.last_seq = 0
        self.state = _State(
            analyzers=list(analyzers),
            windows=TumblingWindows(window_seconds, grace_seconds, idle_close_seconds),
            drift=SignalDrift(),
            services=LabelLimiter(max_services),
            operations=LabelLimiter(max_operations),
        )
        self._restore()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.latest: ClosedWindow | None = None
        self.errors = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="analysis-engine", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Called after a commit: there may be new spans to read."""
        self._wake.set()

    def stop(self) -> None:
        """Read what is left, snapshot open windows (they continue after a restart), close."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            try:
                self._process_available()
            except Exception:
                self.errors += 1
                log.exception("analysis failed while stopping; saving the state reached so far")
            self._save()
        self._con.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            try:
                with self._lock:
                    self._process_available()
                    self._close(self.state.windows.due())
            except Exception:
                # An analyzer bug must not stop analysis of later spans, nor ever reach ingest.
                self.errors += 1
                log.exception("analysis failed; continuing with the next spans")

    # -- processing ------------------------------------------------------------------------------

    def process_available(self) -> int:
        """Synchronously analyze every committed span not yet seen (CI mode and tests)."""
        with self._lock:
            return self._process_available()

    def close_due(self) -> list[ClosedWindow]:
        with self._lock:
            return self._close(self.state.windows.due())

    def flush(self) -> list[ClosedWindow]:
        """Close every open window now (end of a CI run)."""
        with self._lock:
            self._process_available()
            return self._close(self.state.windows.close_all())

    def _process_available(self) -> int:
        processed = 0
        while (chunk := self._source.read_after(self.last_seq)) is not None:
            self._process(chunk)
            self.last_seq = chunk.last_seq
            processed += chunk.spans.height
            # Windows may close inside a long backlog; closing them as we go bounds memory.
            self._close(self.state.windows.due())
        return processed

    def _process(self, chunk: Chunk) -> None:
        state = self.state
        spans = chunk.spans.with_columns(state.services.bound(chunk.spans["service_name"]).alias("service"))
        spans = spans.with_columns(state.operations.bound(spans["name"], spans["service"]).alias("operation"))
        groups, late = state.windows.assign(spans)
        for service, n in late.group_by("service").len().iter_rows():
            state.late[service] = state.late.get(service, 0) + n
        for window, window_spans in sorted(groups.items()):
            seqs = window_spans["seq"]
            batch = SpanBatch(
                window,
                window_spans,
                chunk.attributes.filter(pl.col("span_seq").is_in(seqs.implode())),
                chunk.resources.filter(pl.col("resource_id").is_in(window_spans["resource_id"].unique().implode())),
            )
            for analyzer in state.analyzers:
                analyzer.update(batch)

    def _close(self, windows: list[Window]) -> list[ClosedWindow]:
        closed = []
        for window in windows:
            outcome = WindowResult()
            for analyzer in self.state.analyzers:
                outcome.extend(analyzer.result(window))
            late, self.state.late = self.state.late, {}
            signals = outcome.signals + [Signal("late_spans", s, float(n)) for s, n in late.items()]
            events = [e for s in signals if (e := self.state.drift.update(s)) is not None]
            for event in events:
                self.state.drift_events[event.signal] = self.state.drift_events.get(event.signal, 0) + 1
            done = ClosedWindow(window, signals, outcome.findings, events, late)
            self._con.execute("BEGIN TRANSACTION")
            try:
                results.write_window(self._con, window, signals, outcome.findings, events)
                results.save_state(self._con, STATE_NAME, self.last_seq, self.state)
                self._con.execute("COMMIT")
            except Exception:
                self._con.execute("ROLLBACK")
                raise
            self.latest = done
            closed.append(done)
            for listener in self.listeners:
                listener(done)
        return closed

    # -- snapshots -------------------------------------------------------------------------------

    def _save(self) -> None:
        results.save_state(self._con, STATE_NAME, self.last_seq, self.state)

    def _restore(self) -> None:
        saved = results.load_state(self._con, STATE_NAME)
        if saved is None:
            return
        last_seq, state = saved
        if [a.name for a in state.analyzers] != [a.name for a in self.state.analyzers]:
            log.warning("analyzer set changed since the last snapshot; starting analysis afresh from seq %d", last_seq)
            self.last_seq = last_seq
            return
        for configured, restored in zip(self.state.analyzers, state.analyzers):
            restored.reattach(configured)
        self.state = state
        self.last_seq = last_seq
        log.info("analysis resumed from seq %d with %d open windows", last_seq, len(state.windows.open_windows))
