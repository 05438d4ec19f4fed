"""One contract test over every built-in analyzer (in the spirit of river's estimator checks)."""

from __future__ import annotations

import inspect
import pickle

import pytest
from polars.testing import assert_frame_equal
from scenarios import Scenario

from prometheus_client import CollectorRegistry

from weavergen.analyzers import BUILTIN, analyzer_class, build_analyzers
from weavergen.analyzers.base import Analyzer, SpanBatch, Window, WindowResult
from weavergen.analyzers.engine import AnalysisEngine
from weavergen.collector.metrics import IngestMetrics
from weavergen.collector.store.writer import SpanWriter

# What each analyzer must notice between a steady window and a changed one.
CATCHES = {
    "entropy": ("cardinality_explosion", "attribute_distinct_values", "up"),
    "latency": ("latency_x2", "latency_p99_seconds", "up"),
    "quality": ("attribute_renamed", "quality_score", "down"),
    "instrumentation_score": (None, "instrumentation_score", None),
}


@pytest.fixture(scope="module")
def registry(semconv_registry):
    from weavergen.analyzers.semconv import load_registry

    return load_registry(semconv_registry)


class Capture(Analyzer):
    """Keeps the batches the engine hands out, to replay them into the analyzer under test."""

    name = "capture"

    def __init__(self) -> None:
        self.batches: list[SpanBatch] = []

    def update(self, batch: SpanBatch) -> None:
        self.batches.append(batch)

    def result(self, window: Window) -> WindowResult:
        return WindowResult()


def make(name: str, request) -> Analyzer:
    registry = request.getfixturevalue("registry") if name == "quality" else None
    (analyzer,) = build_analyzers([name], registry)
    return analyzer


def batches(tmp_path, scenario: Scenario) -> list[SpanBatch]:
    """Real SpanBatches, as the engine builds them from the store."""
    writer = SpanWriter(tmp_path / f"{scenario.change}.duckdb", IngestMetrics(CollectorRegistry()))
    capture = Capture()
    engine = AnalysisEngine(writer.con.cursor, [capture], grace_seconds=5, idle_close_seconds=3600)
    for req in scenario.requests():
        writer.submit_request(req).result()
    engine.flush()
    engine.stop()
    writer.close()
    return capture.batches


def by_window(batches_: list[SpanBatch]) -> dict[Window, list[SpanBatch]]:
    grouped: dict[Window, list[SpanBatch]] = {}
    for batch in batches_:
        grouped.setdefault(batch.window, []).append(batch)
    return grouped


def values(result, signal: str) -> dict:
    return {s.series: s.value for s in result.signals if s.signal == signal}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_init_stores_parameters_only(name):
    cls = analyzer_class(name)
    source = inspect.getsource(cls.__init__)
    assert "update(" not in source and "open(" not in source
    assert isinstance(cls.name, str) and cls.name == name


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_contract(name, tmp_path, request):
    analyzer = make(name, request)
    assert repr(analyzer).startswith(type(analyzer).__name__ + "(")
    change, signal, direction = CATCHES[name]
    scenario = Scenario(change or "latency_x2", windows=7, change_at=6)
    windows = by_window(batches(tmp_path, scenario))
    ordered = sorted(windows)
    assert len(ordered) == 7

    # Feed the steady windows, snapshot, then continue both the original and the restored copy.
    for window in ordered[:-1]:
        for batch in windows[window]:
            before = (batch.spans.clone(), batch.attributes.clone())
            analyzer.update(batch)
            assert_frame_equal(batch.spans, before[0])  # update must not modify its input
            assert_frame_equal(batch.attributes, before[1])
        steady = analyzer.result(window)
    restored = pickle.loads(pickle.dumps(analyzer))
    restored.reattach(make(name, request))
    last = ordered[-1]
    for target in (analyzer, restored):
        for batch in windows[last]:
            target.update(batch)
    original, again = analyzer.result(last), restored.result(last)
    assert values(original, signal) == values(again, signal)
    assert [f.id for f in original.findings] == [f.id for f in again.findings]

    # The analyzer catches its labelled change.
    assert values(steady, signal), f"{name} emitted no {signal}"
    if direction is not None:
        before_values, after_values = values(steady, signal), values(original, signal)
        moved = [k for k in after_values if k in before_values and
                 (after_values[k] > before_values[k] if direction == "up" else after_values[k] < before_values[k])]
        assert moved, f"{name}: {signal} did not go {direction}"

    # result() forgets the window: asking again gives nothing.
    forgotten = analyzer.result(last)
    assert forgotten.signals == [] and forgotten.findings == []


def test_every_analyzer_is_documented_in_the_package_docstring():
    import weavergen.analyzers as package

    for name in BUILTIN:
        assert f"``{name}``" in package.__doc__
