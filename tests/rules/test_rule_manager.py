"""RuleManager: restart from the alerts table, hot reload with a real watcher, metrics at scrape time."""

from __future__ import annotations

import os
import time

import duckdb
import pytest
from prometheus_client import CollectorRegistry

from weavergen.rules.alert import AlertState
from weavergen.rules.manager import RuleManager
from weavergen.rules.metrics import RulesCollector
from weavergen.rules.problems import RulesError

RULES = """
groups:
  - name: quality
    rules:
      - alert: Low
        when: {{signal: quality_score, op: "<", value: {threshold}}}
        for: 1m
        labels: {{severity: warning}}
        annotations:
          summary: "below {threshold}"
"""


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def replace_atomically(path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_alerts_survive_a_restart(store, rule_file, make_manager):
    store.series("quality_score", [70, 70, 70, 70, 95])
    path = rule_file(RULES.format(threshold=80))
    first = make_manager(path)
    for window in range(3):
        first.evaluate(store.end(window))
    (before,) = first.alerts()
    assert before.state is AlertState.firing
    store.con.close()

    con = duckdb.connect(str(store.path))  # the daemon starts again on the same file
    try:
        calls = []
        second = RuleManager(con.cursor, [path], on_transition=calls.append)
        second.load()
        (restored,) = second.alerts()
        assert restored == before
        second.evaluate(store.end(3))
        assert [(a.state, a.fired_at) for a in calls] == [(AlertState.firing, before.fired_at)]
        history = "SELECT from_state, to_state FROM alert_history ORDER BY changed_at"
        assert con.execute(history).fetchall() == [("inactive", "pending"), ("pending", "firing")]
        second.evaluate(store.end(4))
        assert calls[-1].state is AlertState.resolved and calls[-1].active_at == before.active_at
        assert con.execute(history).fetchall()[-1] == ("firing", "resolved")
    finally:
        con.close()


def test_load_refuses_a_broken_initial_set(store, rule_file):
    path = rule_file("groups:\n  - name: g\n    rules:\n      - alert: A\n        when: {sql: 'DELETE FROM x'}\n"
                     "        bogus: 1\n")
    manager = RuleManager(store.connect, [path])
    with pytest.raises(RulesError) as caught:
        manager.load()
    assert [str(p).split(": ")[0] for p in caught.value.problems] == [f"{path}:5", f"{path}:6"]


def test_hot_reload_swaps_good_edits_and_keeps_the_last_good_set(store, rule_file, make_manager):
    store.series("quality_score", [85] * 8)
    path = rule_file(RULES.format(threshold=80))
    manager = make_manager(path)
    manager.watch(debounce_ms=50)
    assert manager.watching.wait(10)
    assert manager.evaluate(store.end(0)) == []

    # A good edit, written in place: the new threshold applies.
    path.write_text(RULES.format(threshold=90))
    # (an in-place write may be seen half-done first: an empty file, refused)
    wait_for(lambda: getattr(manager.rules.rules.get("quality/Low"), "when", None) is not None
             and manager.rules.rules["quality/Low"].when.value == 90)
    assert manager.last_reload_success and manager.reloads_total >= 1
    assert [a.state for a in manager.evaluate(store.end(1))] == [AlertState.pending]

    # A broken edit: the last good set stays and the error names the file and line.
    attempts = manager.reloads_total
    broken = RULES.format(threshold=90).replace("for: 1m", "for: 1 minute")
    replace_atomically(path, broken)
    wait_for(lambda: not manager.last_reload_success)
    assert manager.reloads_total > attempts
    assert manager.last_reload_error.startswith(f"{path}:7: group quality rule Low: for: invalid duration")
    assert [a.state for a in manager.evaluate(store.end(2))] == [AlertState.firing]  # still the 90 rule

    # Fixed again: success, and the alert state carried over.
    replace_atomically(path, RULES.format(threshold=95))
    wait_for(lambda: manager.last_reload_success)
    assert manager.last_reload_error == ""
    assert [a.state for a in manager.evaluate(store.end(3))] == [AlertState.firing]
    manager.close()
    assert not manager.watching.is_set()


def test_watching_a_directory_picks_up_new_files_and_retires_removed_rules(store, rule_file, make_manager):
    store.series("quality_score", [50] * 5)
    first = rule_file(RULES.format(threshold=80), "a.yaml")
    manager = make_manager(first.parent)
    manager.watch(debounce_ms=50)
    assert manager.watching.wait(10)
    manager.evaluate(store.end(0))
    manager.evaluate(store.end(1))
    assert [a.state for a in manager.alerts()] == [AlertState.firing]

    rule_file(RULES.format(threshold=80).replace("name: quality", "name: second"), "b.yml")
    wait_for(lambda: "second/Low" in manager.rules.rules)
    rule_file("groups: []\n", "notes.test.yaml")  # rule tests are not rule files
    replace_atomically(first, "groups: []\n")
    wait_for(lambda: "quality/Low" not in manager.rules.rules)
    assert sorted(manager.rules.rules) == ["second/Low"]

    alerts = manager.evaluate(store.end(2))
    assert sorted((a.rule, a.state.value) for a in alerts) == [("quality/Low", "resolved"),
                                                                ("second/Low", "pending")]


def test_metrics_are_read_at_scrape_time(store, rule_file, make_manager):
    store.series("quality_score", [50, 50], service="checkout")
    store.series("quality_score", [60, 60], service="payments")
    store.series("error_rate", [0.5, 0.5], service="checkout", operation="GET /")
    path = rule_file(RULES.format(threshold=80) + """
      - alert: Errors
        when: {signal: error_rate, op: ">", value: 0.1}
      - alert: Broken
        when: {sql: "SELECT * FROM no_such_table"}
""")
    manager = make_manager(path)
    registry = CollectorRegistry()
    registry.register(RulesCollector(lambda: manager))

    def sample(name, **labels):
        return registry.get_sample_value(name, labels)

    assert sample("weavergen_rules_last_reload_success") == 1
    assert abs(sample("weavergen_rules_last_reload_timestamp_seconds") - time.time()) < 60
    manager.evaluate(store.end(0))
    assert sample("weavergen_alerts", alertname="Low", state="pending", service="checkout") == 1
    assert sample("weavergen_alerts", alertname="Low", state="pending", service="payments") == 1
    assert sample("weavergen_alerts", alertname="Errors", state="firing", service="checkout") == 1
    assert sample("weavergen_rule_evaluation_failures_total") == 1
    manager.evaluate(store.end(1))
    assert sample("weavergen_alerts", alertname="Low", state="pending", service="checkout") is None
    assert sample("weavergen_alerts", alertname="Low", state="firing", service="checkout") == 1
    assert sample("weavergen_rule_evaluation_failures_total") == 2

    path.write_text("groups: [{name: x, bogus: 1}]\n")
    assert manager.reload() is False
    assert sample("weavergen_rules_last_reload_success") == 0
    assert RulesCollector(lambda: None).collect()  # a daemon without rules still answers


def test_a_failing_callback_does_not_stop_evaluation(store, rule_file):
    store.series("error_rate", [0.5, 0.5], operation="GET /")
    path = rule_file("groups: [{name: g, rules: [{alert: E, when: {signal: error_rate, op: '>', value: 0.1}}]}]")
    calls = []

    def healer(alert):
        calls.append(alert)
        raise RuntimeError("healer bug")

    manager = RuleManager(store.connect, [path], on_transition=healer)
    manager.load()
    assert [a.state for a in manager.evaluate(store.end(0))] == [AlertState.firing]
    assert [a.state for a in manager.evaluate(store.end(1))] == [AlertState.firing]
    assert len(calls) == 2
