"""The engine: windows in telemetry time, late spans, label bounds, restarts without loss or repeats."""

from __future__ import annotations

import random
import time

import polars as pl
import pytest
from prometheus_client import CollectorRegistry
from scenarios import NS, START, Scenario, _kv, _request, _span

from weavergen.analyzers import build_analyzers
from weavergen.analyzers.base import Analyzer, WindowResult
from weavergen.analyzers.engine import AnalysisEngine
from weavergen.analyzers.windows import TumblingWindows
from weavergen.collector.metrics import IngestMetrics
from weavergen.collector.store.writer import SpanWriter


@pytest.fixture
def writer(tmp_path):
    w = SpanWriter(tmp_path / "spans.duckdb", IngestMetrics(CollectorRegistry()))
    yield w
    w.close()


def engine_for(writer, **kwargs) -> AnalysisEngine:
    options = {"grace_seconds": 5, "idle_close_seconds": 3600, **kwargs}
    return AnalysisEngine(writer.con.cursor, build_analyzers(["entropy", "latency"]), **options)


def submit(writer, request) -> None:
    writer.submit_request(request).result()


def signal_rows(writer) -> list[tuple]:
    return writer.con.cursor().execute(
        "SELECT window_start, signal, service, operation, key, round(value, 9) FROM signals "
        "WHERE signal NOT IN ('anomaly_score') ORDER BY ALL").fetchall()


def test_restart_resumes_where_it_stopped_without_loss_or_repeats(tmp_path):
    requests = Scenario("latency_x2", windows=6, change_at=4).requests()
    # Uninterrupted run.
    one = SpanWriter(tmp_path / "one.duckdb", IngestMetrics(CollectorRegistry()))
    engine = engine_for(one)
    for request in requests:
        submit(one, request)
        engine.process_available()
    engine.flush()
    engine.stop()
    expected, expected_drift = signal_rows(one), one.con.execute("SELECT * FROM drift_events ORDER BY ALL").fetchall()
    one.close()

    # The same stream with the engine restarted (snapshot + resume) in the middle of a window.
    two = SpanWriter(tmp_path / "two.duckdb", IngestMetrics(CollectorRegistry()))
    engine = engine_for(two)
    for request in requests[:5]:
        submit(two, request)
        engine.process_available()
    assert engine.state.windows.open_windows  # stopped with a window half done
    engine.stop()
    for request in requests[5:8]:
        submit(two, request)  # committed while no engine runs
    engine = engine_for(two)
    for request in requests[8:]:
        submit(two, request)
        engine.process_available()
    engine.flush()
    engine.stop()
    assert signal_rows(two) == expected
    assert two.con.execute("SELECT * FROM drift_events ORDER BY ALL").fetchall() == expected_drift
    assert expected_drift, "the scenario should have drifted"
    two.close()


def test_late_spans_are_counted_not_analyzed(writer):
    engine = engine_for(writer)
    request, spans = _request("svc")
    rng = random.Random(3)
    for minute in range(3):
        end = START + minute * 60 * NS + 30 * NS
        spans.append(_span(rng, "op", 2, end - NS, end, False))
    submit(writer, request)
    engine.process_available()  # watermark at 2:30 - 5 s closes windows 0 and 1
    assert [w.start_ns for w in engine.state.windows.open_windows] == [START + 120 * NS]
    late, spans = _request("svc")
    spans.append(_span(rng, "op", 2, START + 10 * NS, START + 20 * NS, False))  # window 0 is closed
    submit(writer, late)
    engine.process_available()
    (last,) = engine.flush()
    assert last.late_spans == {"svc": 1}
    counts = {s.signal: s.value for s in last.signals if s.service == "svc" and not s.operation}
    assert counts["late_spans"] == 1 and counts["span_count"] == 1
    engine.stop()


def test_services_beyond_the_label_bound_become_other(writer):
    engine = engine_for(writer, max_services=2)
    rng = random.Random(4)
    for service in ("a", "b", "c", "d"):
        request, spans = _request(service)
        spans.append(_span(rng, "op", 2, START + NS, START + 2 * NS, False))
        submit(writer, request)
    engine.process_available()
    (window,) = engine.flush()
    counts = {s.service: s.value for s in window.signals if s.signal == "span_count"}
    assert counts == {"a": 1, "b": 1, "other": 2}
    engine.stop()


def test_windows_close_by_watermark_or_when_idle():
    now = [0.0]
    windows = TumblingWindows(seconds=60, grace_seconds=10, idle_close_seconds=30, clock=lambda: now[0])
    frame = pl.DataFrame({"end_time_unix_nano": [START + 5 * NS, START + 65 * NS], "service": ["s", "s"]})
    groups, late = windows.assign(frame)
    assert len(groups) == 2 and late.height == 0
    assert windows.due() == []  # watermark 0:55 has not passed 1:00
    windows.assign(pl.DataFrame({"end_time_unix_nano": [START + 71 * NS], "service": ["s"]}))
    assert [w.start_ns for w in windows.due()] == [START]
    now[0] = 29.0
    assert windows.due() == []
    now[0] = 31.0
    assert [w.start_ns for w in windows.due()] == [START + 60 * NS]
    _, late = windows.assign(pl.DataFrame({"end_time_unix_nano": [START + 61 * NS], "service": ["s"]}))
    assert late.height == 1


class Broken(Analyzer):
    name = "broken"

    def update(self, batch):
        raise RuntimeError("boom")

    def result(self, window):
        return WindowResult()


def test_a_failing_analyzer_does_not_stop_the_engine_thread(writer):
    engine = AnalysisEngine(writer.con.cursor, [Broken()], poll_seconds=0.05)
    engine.start()
    request, spans = _request("svc")
    spans.append(_span(random.Random(1), "op", 2, START, START + NS, False))
    writer.add_listener(lambda _batch: engine.notify())
    submit(writer, request)
    deadline = time.monotonic() + 10
    while engine.errors == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.errors >= 1
    assert engine.running
    engine.stop()
    assert not engine.running
