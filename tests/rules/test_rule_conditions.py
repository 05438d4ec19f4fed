"""Signal, drift and SQL conditions against the latest closed window of a real DuckDB file."""

from __future__ import annotations

import pytest

from weavergen.rules.alert import AlertState, fingerprint


def firing(alerts) -> dict[tuple[tuple[str, str], ...], float | None]:
    return {tuple(sorted(a.subject.items())): a.value for a in alerts if a.state is AlertState.firing}


def test_signal_condition_one_alert_per_matching_series(store, rule_file, make_manager):
    store.signal(0, "error_rate", 0.5, "checkout", "GET /cart")
    store.signal(0, "error_rate", 0.2, "checkout", "POST /pay")
    store.signal(0, "error_rate", 0.01, "checkout", "GET /")
    store.signal(0, "error_rate", 0.9, "chk-eu", "GET /cart")
    store.signal(0, "error_rate", 0.9, "payments", "GET /cart")
    store.signal(0, "latency_p99_seconds", 0.9, "checkout", "GET /cart")
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Errors
                when:
                  signal: error_rate
                  labels: {service: {regex: "ch.*"}, operation: {not_equals: "POST /pay"}}
                  op: ">"
                  value: 0.1
                labels: {severity: critical}
    """))
    alerts = manager.evaluate(store.end(0))
    assert firing(alerts) == {
        (("operation", "GET /cart"), ("service", "checkout")): 0.5,
        (("operation", "GET /cart"), ("service", "chk-eu")): 0.9,
    }
    alert = next(a for a in alerts if a.subject["service"] == "checkout")
    assert alert.labels == {"alertname": "Errors", "severity": "critical", "service": "checkout",
                            "operation": "GET /cart"}
    assert alert.fingerprint == fingerprint(alert.labels)
    assert alert.values == {"value": 0.5, "signal": "error_rate", "op": ">", "threshold": 0.1}
    assert alert.rule == "g/Errors"


@pytest.mark.parametrize(("op", "expected"), [("<", [1.0]), ("<=", [1.0, 2.0]), (">", [3.0]), (">=", [2.0, 3.0]),
                                              ("==", [2.0]), ("!=", [1.0, 3.0])])
def test_every_operator(store, rule_file, make_manager, op, expected):
    for key, value in (("a", 1.0), ("b", 2.0), ("c", 3.0)):
        store.signal(0, "cardinality_growth", value, key=key)
    manager = make_manager(rule_file(f"""
        groups:
          - name: g
            rules:
              - alert: A
                when: {{signal: cardinality_growth, op: "{op}", value: 2}}
    """))
    assert sorted(a.value for a in manager.evaluate(store.end(0))) == expected


def test_only_the_latest_closed_window_counts(store, rule_file, make_manager):
    store.series("quality_score", [50, 95, None, 50])
    store.signal(2, "span_count", 10)  # window 2 exists, without a quality score
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Low
                when: {signal: quality_score, op: "<", value: 80}
    """))
    # At the end of window 0 the score is 50; window 3 (50 as well) has not closed yet.
    assert firing(manager.evaluate(store.end(0))) == {(("service", "checkout"),): 50}
    assert manager.evaluate(store.end(1))[0].state is AlertState.resolved
    assert manager.evaluate(store.end(2)) == []  # the series is missing from the latest window
    assert firing(manager.evaluate(store.end(3))) == {(("service", "checkout"),): 50}
    # Long after the last window, there is no latest window: nothing holds.
    assert [a.state for a in manager.evaluate(store.end(10))] == [AlertState.resolved]


def test_drift_condition_direction_and_labels(store, rule_file, make_manager):
    store.series("span_count", [10, 10, 10])
    store.drift(1, "latency_p99_seconds", "up", 0.1, 0.8, operation="GET /cart")
    store.drift(1, "latency_p99_seconds", "down", 0.8, 0.1, operation="POST /pay")
    store.drift(1, "latency_p99_seconds", "up", 0.1, 0.5, service="payments", operation="GET /cart")
    store.drift(1, "error_rate", "up", 0.0, 0.3, operation="GET /cart")
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Up
                when:
                  drift: {signal: latency_p99_seconds, labels: {service: checkout}, direction: up}
              - alert: Any
                when:
                  drift: {signal: latency_p99_seconds}
    """))
    assert manager.evaluate(store.end(0)) == []  # the drift is in window 1
    alerts = manager.evaluate(store.end(1))
    up = [a for a in alerts if a.name == "Up"]
    assert [(a.subject, a.value) for a in up] == [({"service": "checkout", "operation": "GET /cart"}, 0.8)]
    assert up[0].values == {"signal": "latency_p99_seconds", "before": 0.1, "after": 0.8, "size": pytest.approx(0.7), "direction": "up",
                            "detector": "page_hinkley"}
    assert sorted((a.subject["service"], a.subject["operation"]) for a in alerts if a.name == "Any") == [
        ("checkout", "GET /cart"), ("checkout", "POST /pay"), ("payments", "GET /cart")]
    # The event belongs to window 1 only: at the end of window 2 the drift alerts resolve.
    assert {a.state for a in manager.evaluate(store.end(2))} == {AlertState.resolved}


def test_sql_condition_rows_become_subjects(store, rule_file, make_manager):
    store.series("span_count", [10, 10])
    store.finding(0, "required_attribute_not_present", "checkout", "GET /cart", "http.request.method", 3)
    store.finding(1, "required_attribute_not_present", "checkout", "GET /cart", "http.request.method", 4)
    store.finding(1, "required_attribute_not_present", "checkout", "GET /cart", "http.request.method", 5)
    store.finding(1, "required_attribute_not_present", "payments", "POST /pay", "http.route", 1)
    store.finding(1, "recommended_attribute_not_present", "checkout", "GET /cart", "server.address", 7)
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Missing
                when:
                  sql: |
                    SELECT service, span_name, attribute, sum(count) AS value, 1.5 AS weight,
                           getvariable('window_end') AS window_end, NULL AS nothing
                    FROM findings
                    WHERE finding_id = 'required_attribute_not_present'
                      AND window_start = getvariable('window_start')
                    GROUP BY ALL
    """))
    alerts = sorted(manager.evaluate(store.end(1)), key=lambda a: a.subject["service"])
    assert [(a.subject, a.value) for a in alerts] == [
        ({"service": "checkout", "span_name": "GET /cart", "attribute": "http.request.method"}, 9.0),
        ({"service": "payments", "span_name": "POST /pay", "attribute": "http.route"}, 1.0),
    ]
    assert alerts[0].values == {"value": 9, "weight": 1.5, "window_end": "2025-01-01T00:02:00"}
    assert alerts[0].labels["attribute"] == "http.request.method" and alerts[0].state is AlertState.firing


def test_sql_errors_and_timeouts_are_counted_and_keep_the_state(store, rule_file, make_manager):
    store.series("span_count", [10, 10, 10])
    path = rule_file("""
        groups:
          - name: g
            rules:
              - alert: FromTable
                when:
                  sql: SELECT service, 1 AS value FROM my_table
              - alert: Slow
                when:
                  sql: SELECT count(*) AS value FROM range(100000000000) a
              - alert: TextValue
                when:
                  sql: SELECT 'x' AS value
    """)
    manager = make_manager(path, sql_timeout=0.2)
    store.con.execute("CREATE TABLE my_table AS SELECT 'checkout' AS service")
    assert [a.name for a in manager.evaluate(store.end(0))] == ["FromTable"]
    assert manager.evaluation_failures_total == 2  # Slow timed out, TextValue has a text value
    store.con.execute("DROP TABLE my_table")
    alerts = manager.evaluate(store.end(1))
    assert manager.evaluation_failures_total == 5
    assert alerts == []  # nothing evaluated successfully...
    assert [a.state for a in manager.alerts()] == [AlertState.firing]  # ...and FromTable kept firing
