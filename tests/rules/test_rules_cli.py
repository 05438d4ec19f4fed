"""`weavergen rules check`, `weavergen rules test` and `weavergen alerts`, run in-process."""

from __future__ import annotations

import json
import socket
import textwrap

import pytest
import typer
from typer.testing import CliRunner

from weavergen.rules import cli as rules_cli
from weavergen.rules.settings import DEFAULT_RULES_DIR
from weavergen.rules.testing import expand_values, parse_selector

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    main = typer.Typer()

    @main.callback()
    def _main() -> None:
        """A stand-in for the weavergen app, which mounts the same commands."""

    rules_cli.register(main)
    return main


def write(path, text: str):
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_check_the_default_rules(app):
    result = runner.invoke(app, ["rules", "check", str(DEFAULT_RULES_DIR)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: {DEFAULT_RULES_DIR / 'weavergen.yaml'}: 3 group(s), 9 rule(s)\n"


def test_check_prints_every_problem_and_fails(app, tmp_path):
    good = write(tmp_path / "good.yaml", "groups: [{name: a, rules: [{alert: A, when: {sql: 'SELECT 1'}}]}]\n")
    bad = write(tmp_path / "bad.yaml", """
        groups:
          - name: g
            interval: often
            rules:
              - alert: A
                when: {signal: error_rate, op: "<>", value: 1}
              - alert: A
                when: {signal: nope, op: "<", value: 1}
    """)
    result = runner.invoke(app, ["rules", "check", str(good), str(bad)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{bad}:3", f"{bad}:6", f"{bad}:7", f"{bad}:8"]
    assert lines[1] == f"{bad}:6: group g rule A: when.op: op must be one of < <= > >= == != (got '<>'); quote " \
                       "it in YAML, e.g. op: \">\""
    assert lines[2] == f"{bad}:7: group g rule A: duplicate alert name in this group"
    assert "warning: unknown signal 'nope'" in lines[3]
    assert "3 error(s)" in result.stderr


def test_check_passes_with_warnings(app, tmp_path):
    path = write(tmp_path / "w.yaml", "groups: [{name: a, rules: [{alert: A, when: {drift: {signal: custom}}}]}]\n")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith(f"{path}:1: group a rule A: warning: unknown signal 'custom'")
    assert result.stdout.splitlines()[1] == f"OK: {path}: 1 group(s), 1 rule(s)"


def test_the_default_rule_tests_pass(app):
    result = runner.invoke(app, ["rules", "test", str(DEFAULT_RULES_DIR / "weavergen.test.yaml")])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout
    assert result.stdout.splitlines()[-1] == "16 passed, 0 failed"
    assert "PASS  error burst over 10%: alertname ErrorBurst at 3m" in result.stdout


RULES = """
groups:
  - name: g
    rules:
      - alert: Low
        when: {signal: quality_score, op: "<", value: 80}
        for: 1m
        labels: {severity: warning}
        annotations: {summary: "{{ labels.service }} at {{ value }}"}
      - alert: Missing
        when:
          sql: >-
            SELECT service, attribute, count AS value FROM my_findings
            WHERE window_start = getvariable('window_start')
"""


def test_a_failing_rule_test_prints_a_diff(app, tmp_path):
    (tmp_path / "rules").mkdir()
    write(tmp_path / "rules" / "r.yaml", RULES)
    path = write(tmp_path / "r.test.yaml", """
        rule_files: [rules/r.yaml]
        tests:
          - name: low quality
            input_series:
              - series: 'quality_score{service="checkout"}'
                values: '90 70 70 70'
              - series: 'quality_score{service="payments"}'
                values: '70x3'
            input_tables:
              my_findings:
                - {window: 1, service: checkout, attribute: http.route, count: 2}
            alert_rule_test:
              - eval_time: 2m
                alertname: Low
                exp_alerts:
                  - exp_labels: {service: payments, severity: warning}
              - eval_time: 3m
                alertname: Low
                exp_alerts:
                  - exp_labels: {service: checkout, severity: warning}
                    exp_annotations: {summary: checkout at 60.0}
                  - exp_labels: {service: payments, severity: warning}
              - eval_time: 2m
                alertname: Missing
                exp_alerts:
                  - exp_labels: {service: checkout, attribute: http.route}
    """)
    result = runner.invoke(app, ["rules", "test", str(path)])
    assert result.exit_code == 1
    out = result.stdout
    assert "PASS  low quality: alertname Low at 2m" in out
    assert "PASS  low quality: alertname Missing at 2m" in out
    assert "FAIL  low quality: alertname Low at 3m" in out
    assert '-      "summary": "checkout at 60.0"' in out
    assert '+      "summary": "checkout at 70.0"' in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_rule_test_file_problems_have_lines(app, tmp_path):
    path = write(tmp_path / "t.test.yaml", """
        rule_files: [missing.yaml]
        tests:
          - name: one
            input_series:
              - series: 'quality_score{host="a"}'
                values: '1 2 three'
            alert_rule_test:
              - eval_time: 1 minute
                alertname: A
    """)
    result = runner.invoke(app, ["rules", "test", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        (f"{path}:5: test one: input_series.0.series: series 'quality_score{{host=\"a\"}}': label 'host' must "
         "be one of service, operation, key"),
        f"{path}:6: test one: input_series.0.values: value 'three': write a number, _, a+bxN, a-bxN or _xN",
        (f"{path}:8: test one: alert_rule_test.0.eval_time: invalid duration '1 minute': write a number with "
         "a unit (ms, s, m, h, d, w, y) such as 30s, 1m or 1h30m"),
    ]
    path.write_text("rule_files: [missing.yaml]\ntests: []\n")
    result = runner.invoke(app, ["rules", "test", str(path)])
    assert result.stdout == f"{path}:1: rule file '{tmp_path / 'missing.yaml'}' not found\n"


def test_rule_test_with_broken_rules_reports_them(app, tmp_path):
    write(tmp_path / "r.yaml", "groups: [{name: g, rules: [{alert: A}]}]\n")
    path = write(tmp_path / "t.test.yaml", "rule_files: [r.yaml]\ntests: [{alert_rule_test: [{eval_time: 1m, "
                                           "alertname: A}]}]\n")
    result = runner.invoke(app, ["rules", "test", str(path)])
    assert result.exit_code == 1
    assert result.stdout == f"{tmp_path / 'r.yaml'}:1: group g rule A: missing key 'when'\n"


@pytest.mark.parametrize(("text", "values"), [
    ("1 2 3", [1, 2, 3]),
    ("1+2x3", [1, 3, 5, 7]),
    ("5-1x2 _ 0.5", [5, 4, 3, None, 0.5]),
    ("_x2 7x1", [None, None, 7, 7]),
    ("-1.5e1 +2", [-15, 2]),
    ("", []),
])
def test_promtool_value_notation(text, values):
    assert expand_values(text) == values


def test_series_selector():
    assert parse_selector('error_rate{service="checkout", operation="GET /a\\"b"}') == (
        "error_rate", {"service": "checkout", "operation": 'GET /a"b'})
    assert parse_selector("span_count") == ("span_count", {})
    with pytest.raises(ValueError, match="cannot read labels"):
        parse_selector("span_count{service=checkout}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_alerts_reads_the_alerts_table(app, store, rule_file, make_manager, tmp_path, monkeypatch):
    store.series("error_rate", [0.5], service="checkout", operation="GET /")
    store.series("quality_score", [50], service="payments")
    manager = make_manager(rule_file(RULES.replace("for: 1m", "for: 0s")))
    manager.evaluate(store.end(0))
    store.con.close()
    monkeypatch.chdir(tmp_path)  # no ./config.yaml
    base = ["alerts", "--data-dir", str(store.path.parent), "--admin", f"127.0.0.1:{free_port()}", "-f", "json"]
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["state"], row["alertname"], row["service"], row["value"], row["summary"]) == (
        "firing", "Low", "payments", 50.0, "payments at 50.0")
    assert json.loads(row["labels"]) == {"alertname": "Low", "service": "payments", "severity": "warning"}
    assert json.loads(runner.invoke(app, [*base, "--state", "pending"]).stdout) == []
    assert json.loads(runner.invoke(app, [*base, "--service", "checkout"]).stdout) == []
