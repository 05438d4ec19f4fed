"""`--rules`: the rules layer's RuleManager evaluates rule files once, over the finished run."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

import pytest
from ci_samples import shop_traces
from weavergen.collector.otlp_json import decode_export_trace_request

RULES = """
groups:
  - name: ci
    rules:
      - alert: DeprecatedAttributes
        when:
          sql: |
            SELECT service, attribute, sum(count) AS value FROM findings
            WHERE finding_id = 'deprecated' AND window_start = getvariable('window_start')
            GROUP BY ALL
        annotations: {summary: "{{ labels.attribute }} is deprecated"}
      - alert: QualityBelowPerfect
        when: {signal: quality_score, op: "<", value: 100}
        for: 5m
"""


@pytest.fixture
def rules_file(tmp_path):
    def write(text: str = RULES, name: str = "ci.rules.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write


def _cases(path) -> dict[str, ET.Element]:
    suite = ET.parse(path).getroot().find("testsuite")
    return {c.get("name"): c for c in suite.findall("testcase[@classname='weavergen.rules']")}


def test_rules_hold_on_a_conforming_run(run_ci, write_jsonl, tiny_registry, rules_file, tmp_path):
    junit = tmp_path / "junit.xml"
    result = run_ci("check", write_jsonl(shop_traces(2)), "--registry", tiny_registry, "--rules", rules_file(),
                    "--junit", junit)
    assert result.exit_code == 0, result.output
    cases = _cases(junit)
    assert set(cases) == {"ci/DeprecatedAttributes", "ci/QualityBelowPerfect"}
    assert all(c.find("failure") is None for c in cases.values())


def test_active_alerts_fail_their_rules(run_ci, write_jsonl, tiny_registry, rules_file, tmp_path):
    junit, otlp = tmp_path / "junit.xml", tmp_path / "verdict.json"
    result = run_ci("check", write_jsonl(shop_traces(2, legacy=True)), "--registry", tiny_registry,
                    "--rules", rules_file(), "--fail-on", "none", "--junit", junit, "--otlp-out", otlp)
    assert result.exit_code == 1
    assert "2 rule(s) failed" in result.stdout
    cases = _cases(junit)
    deprecated = cases["ci/DeprecatedAttributes"].find("failure").get("message")
    assert deprecated == "firing (service=shop, attribute=shop.legacy_id): shop.legacy_id is deprecated"
    # `for: 5m` cannot elapse in one evaluation: a pending alert already means the condition held.
    assert cases["ci/QualityBelowPerfect"].find("failure").get("message").startswith("pending (service=shop)")
    request = decode_export_trace_request(otlp.read_bytes())
    spans = {s.name: s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert spans["rule: ci/DeprecatedAttributes"].status.code == 2


def test_a_rule_that_cannot_be_evaluated_fails(run_ci, write_jsonl, rules_file, tmp_path):
    broken = rules_file("""
        groups:
          - name: ci
            rules:
              - alert: Broken
                when: {sql: "SELECT no_such_column FROM findings"}
    """)
    junit = tmp_path / "junit.xml"
    result = run_ci("check", write_jsonl(shop_traces(1)), "--rules", broken, "--junit", junit)
    assert result.exit_code == 1
    message = _cases(junit)["ci/Broken"].find("failure").get("message")
    assert message.startswith("rule ci/Broken (") and "no_such_column" in message


def test_invalid_rule_files_exit_2_before_anything_runs(run_ci, write_jsonl, rules_file):
    bad = rules_file("""
        groups:
          - name: ci
            rules:
              - alert: Bad
                when: {signal: quality_score, op: "<>", value: 1}
    """)
    result = run_ci("check", write_jsonl(shop_traces(1)), "--rules", bad)
    assert result.exit_code == 2
    assert "invalid rules:" in result.stderr and f"{bad}:" in result.stderr
