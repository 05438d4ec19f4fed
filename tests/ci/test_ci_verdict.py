"""The verdict spans are valid OTLP: the daemon's own receivers take them, and they keep their shape."""

from __future__ import annotations

import textwrap
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from ci_samples import shop_traces
from weavergen.collector.ci.assertion_sql import AssertionResult
from weavergen.collector.ci.assertions import Assertion, Selector
from weavergen.collector.ci.junit import junit_xml
from weavergen.collector.ci.report import Gate, Report


def _post_json(daemon, body: bytes) -> None:
    request = urllib.request.Request(f"{daemon.http_url}/v1/traces", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


@pytest.mark.parametrize("delivery", ["otlp-out as OTLP/JSON", "grpc endpoint", "http endpoint"])
def test_verdict_spans_reingested_by_the_daemon(make_daemon, run_ci, write_jsonl, tiny_registry, tmp_path,
                                                delivery):
    daemon = make_daemon(analyzers={"enabled": False})
    assertions = tmp_path / "assertions.yaml"
    assertions.write_text(textwrap.dedent("""
        assertions:
          - name: checkouts carry no legacy id
            selector: {span_name: checkout}
            assert: ["attr:shop.legacy_id not exists"]
          - name: one db.query per trace
            selector: {span_name: db.query}
            count: {per_trace: 1}
    """))
    otlp = tmp_path / "verdict.json"
    args = ["check", write_jsonl(shop_traces(2, legacy=True)), "--registry", tiny_registry,
            "--assertions", assertions, "--otlp-out", otlp]
    if delivery == "grpc endpoint":
        args += ["--otlp-endpoint", f"grpc://{daemon.grpc_endpoint}"]
    elif delivery == "http endpoint":
        args += ["--otlp-endpoint", daemon.http_url]
    result = run_ci(*args)
    assert result.exit_code == 1, result.output
    if delivery == "otlp-out as OTLP/JSON":
        _post_json(daemon, otlp.read_bytes())

    spans = daemon.query("SELECT seq, span_id, parent_span_id, name, status_code, status_message FROM spans "
                         "WHERE service_name = 'weavergen' ORDER BY seq")
    (root,) = [s for s in spans if s["parent_span_id"] is None]
    assert root["name"] == "weavergen check" and root["status_code"] == 2
    assert "assertion(s) failed" in root["status_message"] and "finding group(s)" in root["status_message"]
    children = {s["name"]: s for s in spans if s["parent_span_id"] == root["span_id"]}
    assert len(children) == len(spans) - 1
    failed = children["assertion: checkouts carry no legacy id"]
    assert failed["status_code"] == 2 and "2 of 2 span(s) fail" in failed["status_message"]
    assert children["assertion: one db.query per trace"]["status_code"] == 1
    assert children["finding: deprecated shop.legacy_id on 'checkout'"]["status_code"] == 2
    assert children["instrumentation score: shop"]["status_code"] == 0

    attributes = {row["key"]: row for row in daemon.query(
        f"SELECT key, int_value, string_value, bool_value FROM span_attributes WHERE span_seq = {root['seq']}")}
    assert attributes["weavergen.check.verdict"]["string_value"] == "fail"
    assert attributes["weavergen.check.spans"]["int_value"] == 4
    assert attributes["weavergen.check.assertions.failed"]["int_value"] == 1
    links = daemon.query(f"SELECT trace_id, span_id FROM span_links WHERE span_seq = {failed['seq']}")
    assert len(links) == 2  # the two failing checkout spans, as links to the evidence


def test_junit_stays_valid_xml_with_control_characters_in_names():
    assertion = Assertion("odd \x01 name <&>", 1, Selector())
    report = Report(Gate(), "check", spans=1, started_ns=1, finished_ns=2,
                    assertions=[AssertionResult(assertion, 1, 1, ["bad \x02 value"])])
    root = ET.fromstring(junit_xml(report))
    case = root.find("testsuite").find("testcase[@classname='weavergen.assertions']")
    assert case.get("name") == "odd \ufffd name <&>"
    assert case.find("failure").get("message") == "bad \ufffd value"
