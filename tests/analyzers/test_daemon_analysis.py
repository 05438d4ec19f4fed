"""A scenario through the real OTLP receiver with the OTel SDK: signals, drift, /metrics and the CLI."""

from __future__ import annotations

import json
import time

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind
from scenarios import NS, START
from typer.testing import CliRunner

from weavergen.collector.cli import app

WINDOWS, CHANGE_AT = 7, 5


def emit_windows(daemon) -> None:
    """Steady HTTP server spans in synthetic telemetry time; from CHANGE_AT on, POST /checkout is 2x slower."""
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout", "service.version": "2.0.0"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=daemon.grpc_endpoint, insecure=True)))
    tracer = provider.get_tracer("scenario")
    for window in range(WINDOWS):
        for i in range(40):
            route = "/checkout" if i % 2 else "/cart"
            duration = (80 if route == "/checkout" else 20) * 1_000_000 * (2 if window >= CHANGE_AT and i % 2 else 1)
            duration += (i * 7919 % 11) * 100_000  # deterministic jitter
            end = START + window * 60 * NS + (i + 1) * NS
            span = tracer.start_span(f"{'POST' if i % 2 else 'GET'} {route}", kind=SpanKind.SERVER,
                                     start_time=end - duration,
                                     attributes={"http.request.method": "POST" if i % 2 else "GET",
                                                 "http.route": route, "url.path": route, "url.scheme": "https",
                                                 "http.response.status_code": 200})
            span.end(end_time=end)
    provider.shutdown()


def wait_for(daemon, sql: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = daemon.query(sql)
        if rows:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"nothing for {sql!r} after {timeout} s:\n{daemon.log()[-3000:]}")


@pytest.fixture
def analysis_daemon(make_daemon, semconv_registry):
    return make_daemon(
        analyzers={"window_seconds": 60, "grace_seconds": 0, "idle_close_seconds": 1, "poll_seconds": 0.1},
        registry={"path": str(semconv_registry)},
    )


def test_latency_change_through_the_receiver_drifts_and_shows_everywhere(analysis_daemon):
    daemon = analysis_daemon
    emit_windows(daemon)
    rows = wait_for(daemon, """SELECT * FROM drift_events WHERE signal = 'latency_p50_seconds'
                               AND operation = 'POST /checkout'""")
    window = (rows[0]["window_start"])
    assert window.startswith("2026-01-01T00:05")  # the window of the change (CHANGE_AT = 5)
    assert rows[0]["direction"] == "up" and rows[0]["after"] > 1.8 * rows[0]["before"]
    wait_for(daemon, "SELECT * FROM signals WHERE window_start = TIMESTAMP '2026-01-01 00:06:00' LIMIT 1")

    metrics = daemon.metrics()
    assert 'weavergen_quality_score{service="checkout"}' in metrics
    assert 'weavergen_instrumentation_score{service="checkout"}' in metrics
    assert 'weavergen_entropy{service="checkout",signal="span_name_entropy"}' in metrics
    assert daemon.metric("weavergen_drift_events_total", signal="latency_p50_seconds") >= 1
    assert daemon.metric("weavergen_latency_seconds", service="checkout", operation="POST /checkout",
                         quantile="0.99") > 0.15

    runner = CliRunner()
    config = ["--config", str(daemon.config_path)]
    score = runner.invoke(app, ["score", "--format", "json", *config])
    assert score.exit_code == 0, score.output
    (row,) = json.loads(score.stdout)
    assert row["service"] == "checkout" and 0 <= row["quality_score"] <= 100
    assert 0 <= row["instrumentation_score"] <= 100 and 0 < row["registry_coverage"] < 1
    signals = runner.invoke(app, ["signals", "--signal", "latency_p99_seconds", "--format", "json", *config])
    assert {r["operation"] for r in json.loads(signals.stdout)} == {"GET /cart", "POST /checkout"}
    findings = runner.invoke(app, ["findings", "--windows", str(WINDOWS), *config])
    assert findings.exit_code == 0


def test_analysis_state_survives_a_daemon_restart(make_daemon, tmp_path):
    options = {"analyzers": {"run": ["entropy", "latency"], "grace_seconds": 0, "idle_close_seconds": 3600,
                             "poll_seconds": 0.1}}
    first = make_daemon(workdir=tmp_path, **options)
    emit_windows(first)
    wait_for(first, "SELECT * FROM signals WHERE window_start = TIMESTAMP '2026-01-01 00:05:00' LIMIT 1")
    assert first.stop() == 0
    second = make_daemon(workdir=tmp_path, **options)
    state = second.query("SELECT last_seq FROM analyzer_state WHERE name = 'engine'")
    assert state == [{"last_seq": WINDOWS * 40}]
    # The open last window was restored, not lost: it closes once telemetry time moves on.
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=second.grpc_endpoint, insecure=True)))
    span = provider.get_tracer("t").start_span("GET /cart", start_time=START + 9 * 60 * NS)
    span.end(end_time=START + 9 * 60 * NS + NS)
    provider.shutdown()
    rows = wait_for(second, """SELECT value FROM signals WHERE signal = 'span_count'
                               AND window_start = TIMESTAMP '2026-01-01 00:06:00'""")
    assert rows == [{"value": 40.0}]
