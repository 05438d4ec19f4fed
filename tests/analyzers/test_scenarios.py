"""Injected changes are detected within two windows; steady streams raise no drift.

The spans go through the real store (SpanWriter on a DuckDB file) and the real engine.
"""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import CollectorRegistry
from scenarios import NS, START, Scenario

from weavergen.analyzers import build_analyzers
from weavergen.analyzers.engine import AnalysisEngine
from weavergen.collector.metrics import IngestMetrics
from weavergen.collector.store.writer import SpanWriter

# change → (signal, service, operation, key, direction) that must drift; "" matches any value.
EXPECTED = {
    "cardinality_explosion": ("attribute_distinct_values", "checkout", "", "user.id", "up"),
    "latency_x2": ("latency_p50_seconds", "checkout", "POST /checkout", "", "up"),
    "error_burst": ("error_rate", "checkout", "", "", "up"),
    "span_name_explosion": ("span_name_count", "checkout", "", "", "up"),
    "attribute_renamed": ("quality_score", "checkout", "", "", "down"),
    "required_attribute_dropped": ("quality_score", "payments", "", "", "down"),
}
NEEDS_REGISTRY = {"attribute_renamed", "required_attribute_dropped"}


class Pipeline:
    def __init__(self, tmp_path, registry=None, window_seconds: int = 60) -> None:
        self.writer = SpanWriter(tmp_path / "spans.duckdb", IngestMetrics(CollectorRegistry()))
        names = ["entropy", "latency", "instrumentation_score"] + (["quality"] if registry else [])
        self.engine = AnalysisEngine(self.writer.con.cursor, build_analyzers(names, registry),
                                     window_seconds=window_seconds, grace_seconds=5, idle_close_seconds=3600)

    def run(self, scenario: Scenario) -> None:
        for request in scenario.requests():
            self.writer.submit_request(request).result()
            self.engine.process_available()
        self.engine.flush()

    def rows(self, sql: str) -> list[dict]:
        cursor = self.writer.con.cursor()
        result = cursor.execute(sql)
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row)) for row in result.fetchall()]

    def close(self) -> None:
        self.engine.stop()
        self.writer.close()


def window_index(timestamp: dt.datetime, seconds: int = 60) -> int:
    start = dt.datetime.fromtimestamp(START / NS, dt.UTC).replace(tzinfo=None)
    return int((timestamp - start).total_seconds() // seconds)


@pytest.fixture
def pipeline(tmp_path, request):
    registry = request.getfixturevalue("loaded_registry") if request.node.get_closest_marker("registry") else None
    p = Pipeline(tmp_path, registry)
    yield p
    p.close()


@pytest.fixture(scope="session")
def loaded_registry(semconv_registry):
    from weavergen.analyzers.semconv import load_registry

    return load_registry(semconv_registry)


def _matches(event: dict, expected: tuple) -> bool:
    signal, service, operation, key, direction = expected
    return (event["signal"] == signal and event["service"] == service and event["direction"] == direction
            and (not operation or event["operation"] == operation) and (not key or event["key"] == key))


@pytest.mark.parametrize("change", [c for c in EXPECTED if c not in NEEDS_REGISTRY])
def test_change_is_detected_within_two_windows(pipeline, change):
    scenario = Scenario(change)
    pipeline.run(scenario)
    _assert_detected(pipeline, scenario, EXPECTED[change])


@pytest.mark.registry
@pytest.mark.parametrize("change", sorted(NEEDS_REGISTRY))
def test_convention_change_is_detected_within_two_windows(pipeline, change):
    scenario = Scenario(change)
    pipeline.run(scenario)
    _assert_detected(pipeline, scenario, EXPECTED[change])


def _assert_detected(pipeline: Pipeline, scenario: Scenario, expected: tuple) -> None:
    events = pipeline.rows("SELECT * FROM drift_events ORDER BY window_start")
    early = [e for e in events if window_index(e["window_start"]) < scenario.change_at]
    assert not early, f"drift before the change: {early}"
    hits = [e for e in events if _matches(e, expected)]
    assert hits, f"no drift on {expected}; got {[(e['signal'], e['service'], e['key']) for e in events]}"
    first = window_index(hits[0]["window_start"])
    assert scenario.change_at <= first <= scenario.change_at + 1


@pytest.mark.registry
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_steady_streams_raise_no_drift(pipeline, seed):
    pipeline.run(Scenario(None, windows=12, seed=seed))
    assert pipeline.rows("SELECT * FROM drift_events") == []
    # The stream was analyzed: every window produced signals for both services.
    windows = pipeline.rows("SELECT count(DISTINCT window_start) AS n, count(DISTINCT service) AS s FROM signals")
    assert windows == [{"n": 12, "s": 2}]


@pytest.mark.registry
def test_renamed_attributes_are_reported_as_deprecated_with_their_replacement(pipeline):
    scenario = Scenario("attribute_renamed")
    pipeline.run(scenario)
    rows = pipeline.rows("""SELECT DISTINCT attribute, suggestion, window_start FROM findings
                            WHERE finding_id = 'deprecated' AND service = 'checkout' ORDER BY window_start""")
    assert {r["attribute"] for r in rows} == {"http.method", "http.status_code"}
    assert any("http.request.method" in r["suggestion"] for r in rows if r["attribute"] == "http.method")
    assert window_index(rows[0]["window_start"]) == scenario.change_at


@pytest.mark.registry
def test_dropped_required_attribute_is_named(pipeline):
    scenario = Scenario("required_attribute_dropped")
    pipeline.run(scenario)
    rows = pipeline.rows("""SELECT attribute, count, window_start FROM findings
                            WHERE finding_id = 'required_attribute_not_present' AND service = 'payments'""")
    assert rows and {r["attribute"] for r in rows} == {"server.address"}
    assert min(window_index(r["window_start"]) for r in rows) == scenario.change_at
    assert all(r["count"] == scenario.traces_per_window // 2 for r in rows)
