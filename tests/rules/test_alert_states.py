"""The alert state machine: pending → firing → resolved with for / keep_firing_for, fingerprints, dedup."""

from __future__ import annotations

import datetime as dt

from weavergen.rules.alert import AlertState, fingerprint

UTC = dt.UTC

LOW = """
    groups:
      - name: g
        rules:
          - alert: Low
            when: {signal: quality_score, op: "<", value: 80}
            for: 2m
            keep_firing_for: 2m
            labels: {severity: warning}
            annotations:
              summary: "{{ labels.service }} at {{ value }}"
"""


def states(manager):
    return [(a.name, a.state.value) for a in manager.alerts()]


def test_pending_firing_resolved_with_for_and_keep_firing_for(store, rule_file, make_manager):
    #                         0   1   2   3   4   5   6   7   8
    store.series("quality_score", [90, 70, 70, 70, 60, 95, 95, 95, 95])
    manager = make_manager(rule_file(LOW))
    seen = []
    for window in range(9):
        alerts = manager.evaluate(store.end(window))
        seen.append([a.state.value for a in alerts])
    assert seen == [
        [],  # 90
        ["pending"],  # 70 for 0 s
        ["pending"],  # 70 for 1m
        ["firing"],  # 70 for 2m: fires
        ["firing"],
        ["firing"],  # 95, but kept firing (for 0 s of 2m)
        ["firing"],  # 1m of 2m
        ["resolved"],  # 2m: resolved
        [],
    ]
    (alert,) = manager.alerts()
    assert alert.active_at == store.end(1).replace(tzinfo=UTC)
    assert alert.fired_at == store.end(3).replace(tzinfo=UTC)
    assert alert.resolved_at == store.end(7).replace(tzinfo=UTC)
    assert alert.value == 60 and alert.annotations == {"summary": "checkout at 60.0"}
    assert store.history() == [("Low", "inactive", "pending"), ("Low", "pending", "firing"),
                               ("Low", "firing", "resolved")]
    assert store.rows("SELECT changed_at FROM alert_history ORDER BY changed_at") == [
        (store.end(1),), (store.end(3),), (store.end(7),)]
    assert store.rows("SELECT state, value, resolved_at, last_eval, rule FROM alerts") == [
        ("resolved", 60.0, store.end(7), store.end(7), "g/Low")]


def test_for_zero_fires_at_once_and_pending_that_clears_goes_back_to_inactive(store, rule_file, make_manager):
    store.series("quality_score", [70, 90, 70, 70, 70])
    store.series("error_rate", [0.5, 0.0], operation="GET /")
    manager = make_manager(rule_file(LOW + """
          - alert: Errors
            when: {signal: error_rate, op: ">", value: 0.1}
    """))
    manager.evaluate(store.end(0))
    assert sorted(states(manager)) == [("Errors", "firing"), ("Low", "pending")]
    manager.evaluate(store.end(1))
    assert states(manager) == [("Errors", "resolved")]  # the pending Low is simply dropped
    manager.evaluate(store.end(2))
    assert sorted(states(manager)) == [("Errors", "resolved"), ("Low", "pending")]
    assert store.history() == [
        ("Low", "inactive", "pending"), ("Errors", "inactive", "firing"),
        ("Low", "pending", "inactive"), ("Errors", "firing", "resolved"),
        ("Low", "inactive", "pending")]
    # Healers hear about pending, firing and resolved, never about a pending alert going away.
    assert [(a.name, a.state.value) for a in manager.calls] == [
        ("Low", "pending"), ("Errors", "firing"), ("Errors", "resolved"), ("Low", "pending")]
    # The new pending alert started over.
    (low,) = [a for a in manager.alerts() if a.name == "Low"]
    assert low.active_at == store.end(2).replace(tzinfo=UTC)


def test_condition_back_during_keep_firing_for_keeps_the_same_alert(store, rule_file, make_manager):
    store.series("quality_score", [70, 70, 70, 90, 70, 90, 90, 90])
    manager = make_manager(rule_file(LOW))
    result = [[a.state.value for a in manager.evaluate(store.end(w))] for w in range(8)]
    assert result == [["pending"], ["pending"], ["firing"], ["firing"], ["firing"], ["firing"], ["firing"],
                      ["resolved"]]
    (alert,) = manager.alerts()
    assert alert.fired_at == store.end(2).replace(tzinfo=UTC)
    assert [h[2] for h in store.history()] == ["pending", "firing", "resolved"]


def test_fingerprint_is_stable_and_unchanged_alerts_add_no_history(store, rule_file, make_manager):
    store.series("quality_score", [70] * 10, service="checkout")
    store.series("quality_score", [75] * 10, service="payments")
    manager = make_manager(rule_file(LOW))
    fingerprints = []
    for window in range(10):
        fingerprints.append(sorted(a.fingerprint for a in manager.evaluate(store.end(window))))
    assert len({tuple(f) for f in fingerprints}) == 1 and len(fingerprints[0]) == 2
    expected = fingerprint({"alertname": "Low", "severity": "warning", "service": "checkout"})
    assert expected in fingerprints[0]
    assert store.rows("SELECT count(*), count(DISTINCT fingerprint) FROM alert_history") == [(4, 2)]
    # Two pending and two firing transitions; the 7 evaluations of unchanged firing alerts added nothing.
    assert store.rows("SELECT count(*) FROM alerts") == [(2,)]
    # Healers are told once per transition, and once per evaluation while firing (idempotent healers).
    firing_calls = [a for a in manager.calls if a.state is AlertState.firing]
    assert len(firing_calls) == 2 * (10 - 2)
    assert all(a.actions == () for a in manager.calls)


def test_group_interval_is_telemetry_time(store, rule_file, make_manager):
    store.series("error_rate", [0.5] * 6, operation="GET /")
    manager = make_manager(rule_file("""
        groups:
          - name: slow
            interval: 2m
            rules:
              - alert: Errors
                when: {signal: error_rate, op: ">", value: 0.1}
                actions: [charter]
    """))
    evaluated = [bool(manager.evaluate(store.end(w))) for w in range(6)]
    assert evaluated == [True, False, True, False, True, False]
    assert [a.actions for a in manager.calls] == [("charter",)] * 3


def test_resolved_alerts_are_forgotten_after_15_minutes(store, rule_file, make_manager):
    store.series("error_rate", [0.5] + [0.0] * 20, operation="GET /")
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Errors
                when: {signal: error_rate, op: ">", value: 0.1}
    """))
    for window in range(17):
        manager.evaluate(store.end(window))
        expected = [] if window >= 16 else ["firing" if window == 0 else "resolved"]
        assert [a.state.value for a in manager.alerts()] == expected, window
    assert store.rows("SELECT count(*) FROM alerts") == [(0,)]
    assert [h[2] for h in store.history()] == ["firing", "resolved"]


def test_rule_labels_override_subject_labels(store, rule_file, make_manager):
    store.signal(0, "error_rate", 0.5, "checkout", "GET /")
    store.signal(0, "error_rate", 0.6, "checkout", "POST /")
    manager = make_manager(rule_file("""
        groups:
          - name: g
            rules:
              - alert: Errors
                when: {signal: error_rate, op: ">", value: 0.1}
                labels: {operation: any}
    """))
    (alert,) = manager.evaluate(store.end(0))  # both series collapse into one label set: the first is kept
    assert alert.labels == {"alertname": "Errors", "service": "checkout", "operation": "any"}
