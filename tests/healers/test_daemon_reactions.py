"""End to end through the real OTLP receiver: a change → a signal moves → pending → firing → one
charter with evidence; the change is reverted → resolved, charter resolved. Plus hot reload."""

from __future__ import annotations

import time

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

NS = 1_000_000_000
START = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z
BURST = range(4, 7)  # windows with 30% errors
WINDOWS = 10

RULES = {
    "groups": [{
        "name": "test",
        "interval": "1m",
        "rules": [{
            "alert": "CheckoutErrors",
            "when": {"signal": "error_rate", "labels": {"service": "checkout", "operation": "POST /pay"},
                     "op": ">", "value": 0.1},
            "for": "1m",
            "labels": {"severity": "page"},
            "annotations": {"summary": "{{ labels.service }} errors at {{ (value * 100) | round(1) }}%"},
            "actions": ["charter"],
        }],
    }]
}


def emit(daemon, windows: range) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=daemon.grpc_endpoint, insecure=True)))
    tracer = provider.get_tracer("scenario")
    for window in windows:
        for i in range(30):
            end = START + window * 60 * NS + (i + 1) * NS
            span = tracer.start_span("POST /pay", kind=SpanKind.SERVER, start_time=end - 20_000_000,
                                     attributes={"http.request.method": "POST", "http.route": "/pay",
                                                 "http.response.status_code": 500 if window in BURST and i % 3 == 0
                                                 else 200})
            if window in BURST and i % 3 == 0:
                span.set_status(Status(StatusCode.ERROR, "payment gateway timeout"))
            span.end(end_time=end)
    provider.shutdown()


def wait_for(check, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def reacting_daemon(make_daemon, tmp_path):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "test.yaml").write_text(yaml.safe_dump(RULES, sort_keys=False))
    daemon = make_daemon(
        analyzers={"run": ["latency"], "grace_seconds": 0, "idle_close_seconds": 2, "poll_seconds": 0.1},
        rules={"paths": [str(rules_dir)]},
        healers={"charters_dir": str(tmp_path / "charters")},
    )
    daemon.rules_dir = rules_dir
    daemon.charters_dir = tmp_path / "charters"
    return daemon


def history(daemon) -> list[tuple[str, str]]:
    rows = daemon.query("SELECT to_state, changed_at FROM alert_history WHERE alertname = 'CheckoutErrors' "
                        "AND to_state != 'inactive' ORDER BY changed_at")
    return [(r["to_state"], r["changed_at"]) for r in rows]


def test_change_fires_an_alert_that_opens_and_resolves_one_charter(reacting_daemon):
    daemon = reacting_daemon
    emit(daemon, range(0, 6))
    states = wait_for(lambda: [s for s, _ in history(daemon)] == ["pending", "firing"] and history(daemon),
                      what="pending then firing")
    # Pending at the end of the first burst window, firing one window (the rule's `for`) later.
    assert [at[:19] for _, at in states] == ["2026-01-01T00:05:00", "2026-01-01T00:06:00"]
    charter = wait_for(lambda: list(daemon.charters_dir.glob("*.md")), what="a charter")
    (path,) = charter
    text = path.read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["status"] == "open" and front["alertname"] == "CheckoutErrors"
    for section in ("Define", "Measure", "Explore", "Develop", "Implement"):
        assert f"## {section}" in text
    assert "SELECT" in text  # the SQL behind the evidence, to re-run with `weavergen query`
    trace_ids = {r["trace_id"] for r in daemon.query("SELECT trace_id FROM spans WHERE status_code = 2")}
    assert any(trace_id in text for trace_id in trace_ids), "an example failing trace is cited"

    emit(daemon, range(6, WINDOWS))  # the burst ends at window 7: errors are back to 0
    wait_for(lambda: [s for s, _ in history(daemon)] == ["pending", "firing", "resolved"], what="resolved")
    assert list(daemon.charters_dir.glob("*.md")) == [path], "still exactly one charter"
    resolved = wait_for(lambda: yaml.safe_load(path.read_text().split("---")[1])["status"] == "resolved"
                        and path.read_text(), what="charter resolved")
    front = yaml.safe_load(resolved.split("---")[1])
    assert front["resolved_at"]
    actions = daemon.query("SELECT action, state, outcome FROM alert_actions WHERE alertname = 'CheckoutErrors'")
    assert {(a["action"], a["outcome"]) for a in actions} >= {("charter", "applied")}
    assert daemon.metric("weavergen_alerts", alertname="CheckoutErrors", state="firing") == 0


def test_hot_reload_swaps_good_rules_and_keeps_them_on_a_broken_edit(reacting_daemon):
    daemon = reacting_daemon
    wait_for(lambda: daemon.metric("weavergen_rules_last_reload_success") == 1, what="initial load")
    extra = daemon.rules_dir / "extra.yaml"
    good = {"groups": [{"name": "extra", "rules": [{"alert": "AlwaysLatency", "when": {
        "signal": "latency_p50_seconds", "op": ">=", "value": 0}, "labels": {"severity": "info"}}]}]}
    extra.write_text(yaml.safe_dump(good))
    wait_for(lambda: "reloaded" in daemon.log() or "rules loaded" in daemon.log().lower(), timeout=30,
             what="a reload in the log")
    before = daemon.metric("weavergen_rules_last_reload_timestamp_seconds")
    extra.write_text("groups:\n  - name: extra\n    rules:\n      - alert: Broken\n        when: {signal: x, op: '~~', value: 1}\n")
    wait_for(lambda: daemon.metric("weavergen_rules_last_reload_success") == 0, timeout=30, what="failed reload")
    assert f"{extra}:5" in daemon.log()  # file and line of the broken condition
    assert daemon.metric("weavergen_rules_last_reload_timestamp_seconds") == before
    # The last good set (with AlwaysLatency) still evaluates.
    emit(daemon, range(0, 3))
    wait_for(lambda: daemon.query("SELECT * FROM alerts WHERE alertname = 'AlwaysLatency'"), what="old set evaluates")
