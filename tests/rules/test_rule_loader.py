"""Loading rule files: every problem reported as FILE:LINE: group G rule R: message, nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from weavergen.rules.loader import check_rules, load_rules
from weavergen.rules.problems import RulesError
from weavergen.rules.settings import DEFAULT_RULES_DIR, RulesConfig

GOOD_RULE = """
      - alert: Good
        when: {signal: quality_score, op: "<", value: 80}
"""

# (rule text placed as the second rule of group g, from line 6 on; expected line; message fragment)
BROKEN = {
    "unknown key": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        severity: high
""", 8, "unknown key 'severity'"),
    "bad for duration": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        for: 5
""", 8, "for: invalid duration 5"),
    "bad keep_firing_for": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        keep_firing_for: 1 minute
""", 8, "keep_firing_for: invalid duration '1 minute'"),
    "bad op": ("""
      - alert: R
        when:
          signal: quality_score
          op: "=<"
          value: 80
""", 9, "when.op: op must be one of < <= > >= == !="),
    "both condition kinds": ("""
      - alert: R
        when:
          signal: quality_score
          op: "<"
          value: 80
          sql: SELECT 1
""", 7, "exactly one of signal, drift or sql (got signal and sql)"),
    "neither condition kind": ("""
      - alert: R
        when: {}
""", 7, "exactly one of signal, drift or sql (got none)"),
    "signal without op": ("""
      - alert: R
        when: {signal: quality_score, value: 80}
""", 7, "a signal condition needs op and value"),
    "template syntax error": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        annotations:
          summary: ok
          description: "{{ labels.service "
""", 10, "annotations.description: template syntax error"),
    "sql that is not a select": ("""
      - alert: R
        when:
          sql: DELETE FROM signals
""", 8, "when.sql: sql must be exactly one SELECT statement (got DELETE)"),
    "two sql statements": ("""
      - alert: R
        when:
          sql: "SELECT 1; SELECT 2"
""", 8, "sql must be exactly one SELECT statement (got SELECT, SELECT)"),
    "unparsable sql": ("""
      - alert: R
        when:
          sql: SELEKT 1
""", 8, "when.sql: cannot parse SQL"),
    "duplicate alert name": ("""
      - alert: Good
        when: {signal: error_rate, op: ">", value: 0.1}
""", 6, "duplicate alert name in this group"),
    "unknown drift direction": ("""
      - alert: R
        when:
          drift: {signal: error_rate, direction: sideways}
""", 8, "when.drift.direction: Input should be 'up', 'down' or 'any'"),
    "unknown matcher label": ("""
      - alert: R
        when:
          signal: error_rate
          labels:
            host: a
          op: ">"
          value: 0
""", 10, "when.labels.host: Input should be 'service', 'operation' or 'key'"),
    "bad matcher": ("""
      - alert: R
        when:
          signal: error_rate
          labels:
            service: {regexp: a}
          op: ">"
          value: 0
""", 10, "when.labels.service: a label matcher is a string (equality) or one of {regex: R}"),
    "invalid regex": ("""
      - alert: R
        when:
          signal: error_rate
          labels:
            service: {regex: "(unclosed"}
          op: ">"
          value: 0
""", 10, "invalid regex '(unclosed'"),
    "alertname label": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        labels:
          alertname: other
""", 9, "labels.alertname: alertname is set from the rule's alert name"),
    "non-string label value": ("""
      - alert: R
        when: {signal: quality_score, op: "<", value: 80}
        labels:
          priority: 1
""", 9, "labels.priority: Input should be a valid string"),
    "missing alert": ("""
      - when: {signal: quality_score, op: "<", value: 80}
""", 6, "group g rule #2: missing key 'alert'"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_each_kind_of_problem_names_file_line_group_and_rule(rule_file, case):
    text, line, fragment = BROKEN[case]
    path = rule_file("groups:\n  - name: g\n    rules:" + GOOD_RULE + text.strip("\n") + "\n")
    with pytest.raises(RulesError) as caught:
        load_rules([path])
    messages = [str(p) for p in caught.value.problems]
    rule = "R" if "alert: R" in text else "Good" if "alert: Good" in text else "#2"
    expected_prefix = f"{path}:{line}: group g rule {rule}: "
    assert any(m.startswith(expected_prefix) and fragment in m for m in messages), messages


def test_group_problems_name_the_group(rule_file):
    path = rule_file("""
        groups:
          - name: g
            interval: soon
            rules: []
          - name: g/2
    """)
    problems = [str(p) for p in check_rules([path])[1]]
    assert problems == [
        (f"{path}:3: group g: interval: invalid duration 'soon': write a number with a unit "
         "(ms, s, m, h, d, w, y) such as 30s, 1m or 1h30m"),
        f"{path}:5: group g/2: name: 'g/2': names must be non-empty and contain no '/'",
    ]


def test_all_problems_of_all_files_are_reported_together(rule_file):
    first = rule_file("""
        groups:
          - name: shared
            rules:
              - alert: A
                when: {signal: quality_score, op: "<", value: 80}
                bogus: true
    """, "a.yaml")
    second = rule_file("""
        groups:
          - name: shared
            rules: []
          - name: other
            rules:
              - {alert: B, when: {sql: "DROP TABLE signals"}}
    """, "b.yml")
    with pytest.raises(RulesError) as caught:
        load_rules([first.parent])
    assert [str(p).split(": ")[0] for p in caught.value.problems] == [f"{first}:6", f"{second}:6"]
    rule_set, problems = check_rules([second])
    assert rule_set is None and len(problems) == 1


def test_duplicate_group_names_across_files(rule_file):
    rule_file("groups: [{name: shared, rules: []}]\n", "a.yaml")
    second = rule_file("groups:\n  - name: shared\n    rules: []\n", "b.yaml")
    _, problems = check_rules([second.parent])
    also = second.parent / "a.yaml"
    assert [str(p) for p in problems] == [f"{second}:2: group shared: duplicate group name (also in {also}:1)"]


def test_yaml_syntax_errors_and_missing_files(rule_file, tmp_path):
    path = rule_file("groups:\n  - name: g\n    rules: [\n")
    problems = [str(p) for p in check_rules([path, tmp_path / "missing.yaml"])[1]]
    assert problems[0].startswith(f"{path}:4: invalid YAML")
    assert problems[1].startswith(f"{tmp_path / 'missing.yaml'}: cannot read file")
    duplicate = rule_file("groups: []\ngroups: []\n", "dup.yaml")
    assert [str(p) for p in check_rules([duplicate])[1]] == [f"{duplicate}:2: duplicate key 'groups'"]
    top = rule_file("- a\n", "list.yaml")
    assert [str(p) for p in check_rules([top])[1]] == [f"{top}:1: a rule file is a mapping with a 'groups' list"]


def test_unknown_signal_is_a_warning_and_the_set_loads(rule_file):
    path = rule_file("""
        groups:
          - name: g
            rules:
              - alert: A
                when: {signal: quality_scroe, op: "<", value: 80}
              - alert: B
                when:
                  drift: {signal: latency_p999_seconds}
    """)
    rule_set = load_rules([path])
    assert [str(w).split(" (")[0] for w in rule_set.warnings] == [
        f"{path}:5: group g rule A: warning: unknown signal 'quality_scroe'",
        f"{path}:8: group g rule B: warning: unknown signal 'latency_p999_seconds'",
    ]
    assert sorted(rule_set.rules) == ["g/A", "g/B"]


def test_a_directory_loads_yaml_and_yml_files_but_not_rule_tests(rule_file):
    rule_file("groups: [{name: a, rules: [{alert: A, when: {sql: 'SELECT 1'}}]}]\n", "a.yaml")
    rule_file("groups: [{name: b, interval: 30s, rules: [{alert: B, when: {sql: 'SELECT 1'}}]}]\n", "b.yml")
    rule_file("not: [a rule file\n", "a.test.yaml")
    directory = rule_file("ignored", "notes.txt").parent
    rule_set = load_rules([directory])
    assert [(g.name, g.interval_seconds) for g in rule_set.groups] == [("a", 60.0), ("b", 30.0)]
    assert sorted(rule_set.rules) == ["a/A", "b/B"]


def test_defaults_and_parsed_values(rule_file):
    path = rule_file("""
        groups:
          - name: g
            interval: 1m30s
            rules:
              - alert: A
                when:
                  signal: error_rate
                  labels: {service: checkout, operation: {regex: "GET .*"}, key: {not_equals: x}}
                  op: ">="
                  value: 0.5
                for: 2m
                keep_firing_for: 1h
                labels: {severity: critical}
                annotations: {summary: "{{ labels.service }}"}
                actions: [charter, webhook]
              - alert: B
                when:
                  drift: {signal: error_rate}
    """)
    rule_set = load_rules([path])
    (group,) = rule_set.groups
    a, b = group.rules
    assert group.interval_seconds == 90
    assert (a.for_seconds, a.keep_firing_for_seconds, a.labels, a.actions) == (120, 3600, {"severity": "critical"},
                                                                            ("charter", "webhook"))
    assert (a.when.kind, a.when.op, a.when.value, a.line) == ("signal", ">=", 0.5, 5)
    assert a.when.labels["operation"].matches("GET /cart") and not a.when.labels["operation"].matches("xGET /")
    assert a.when.labels["key"].matches("y") and not a.when.labels["key"].matches("x")
    assert (b.when.kind, b.when.drift.direction, b.for_seconds, b.keep_firing_for_seconds) == ("drift", "any", 0, 0)


def test_the_default_rules_load_cleanly():
    rule_set, problems = check_rules([DEFAULT_RULES_DIR])
    assert problems == []
    assert {rule.name for rule in rule_set.rules.values()} >= {
        "QualityScoreDrifted", "QualityScoreLow", "CardinalityDrift", "CardinalityExplosion", "SpanNameExplosion",
        "LatencyDrift", "ErrorBurst", "ErrorRateDrift", "RequiredAttributeDropped"}
    for rule in rule_set.rules.values():
        assert rule.labels["severity"] in ("warning", "critical")
        assert {"summary", "description"} <= set(rule.annotations)
        assert rule.actions == ("charter",)


def test_rules_config():
    config = RulesConfig()
    assert config.paths == [DEFAULT_RULES_DIR] and config.sql_timeout_seconds == 5 and config.watch is True
    assert RulesConfig.model_validate({"paths": ["/etc/weavergen/rules"], "watch": False}).paths == [
        Path("/etc/weavergen/rules")]
    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        RulesConfig.model_validate({"path": ["x"]})
    with pytest.raises(ValidationError):
        RulesConfig(sql_timeout_seconds=0)
    with pytest.raises(ValidationError):
        config.watch = False  # frozen


def test_an_empty_file_is_refused_so_a_half_written_file_cannot_drop_every_rule(rule_file):
    path = rule_file("", "empty.yaml")
    assert [str(p) for p in check_rules([path])[1]] == [
        f"{path}:1: empty rule file (write `groups: []` for a file without rules)"]
    assert load_rules([rule_file("groups: []\n")]).groups == ()
