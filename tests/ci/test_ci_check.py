"""`weavergen check FILES`: exit codes, gate, baseline, JUnit and OTLP outputs, usage errors."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest
from ci_samples import SERVER, Spans, shop_traces
from weavergen.collector.otlp_json import decode_export_trace_request


def _cases(junit_path) -> dict[str, ET.Element]:
    root = ET.parse(junit_path).getroot()
    (suite,) = root.findall("testsuite")
    return {f"{c.get('classname')}::{c.get('name')}": c for c in suite.findall("testcase")}


def _spans(otlp_path) -> dict[str, object]:
    request = decode_export_trace_request(otlp_path.read_text())
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    return {s.name: s for s in spans}


def _attributes(span) -> dict:
    values = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        values[kv.key] = [v.string_value for v in value.values] if kind == "array_value" else value
    return values


@pytest.fixture
def assertions_file(tmp_path):
    def write(text: str):
        path = tmp_path / "assertions.yaml"
        path.write_text(textwrap.dedent(text))
        return path
    return write


def test_conforming_jsonl_passes_with_every_output(run_ci, write_jsonl, tiny_registry, tmp_path, assertions_file):
    traces = write_jsonl(shop_traces(2), shop_traces(1))  # two lines, as the Collector's file exporter writes
    assertions = assertions_file("""
        assertions:
          - name: one db.query under each checkout
            selector: {span_name: db.query, parent: {span_name: checkout}}
            count: {per_trace: 1}
          - name: checkouts are fast
            selector: {span_name: checkout}
            assert: ["duration < 1s", "status != error"]
    """)
    junit, otlp, baseline = tmp_path / "junit.xml", tmp_path / "verdict.json", tmp_path / "baseline.json"
    result = run_ci("check", traces, "--registry", tiny_registry, "--assertions", assertions, "--junit", junit,
                    "--otlp-out", otlp, "--save-baseline", baseline)
    assert result.exit_code == 0, result.output
    assert "PASS" in result.stdout and "Registry coverage per span name" in result.stdout

    cases = _cases(junit)
    assert cases["weavergen.assertions::one db.query under each checkout"].find("failure") is None
    assert cases["weavergen.spans::span count"].find("system-out").text.startswith("4 span(s)")
    assert "weavergen.instrumentation_score::shop" in cases
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "0"

    spans = _spans(otlp)
    root = spans["weavergen check"]
    attributes = _attributes(root)
    assert attributes["weavergen.check.verdict"] == "pass" and attributes["weavergen.check.spans"] == 4
    assert attributes["weavergen.check.findings.violation"] == 0
    assert attributes["weavergen.check.registry_coverage"] == pytest.approx(2 / 4)  # order id and total of 4 non-deprecated
    assert root.status.code == 1  # OK
    child = spans["assertion: checkouts are fast"]
    assert child.parent_span_id == root.span_id and child.status.code == 1
    assert json.loads(baseline.read_text())["weavergen_baseline"] == 1


def test_deprecated_attribute_fails_and_the_gate_level_is_configurable(run_ci, write_jsonl, tiny_registry,
                                                                      tmp_path):
    traces = write_jsonl(shop_traces(2, legacy=True))
    junit = tmp_path / "junit.xml"
    result = run_ci("check", traces, "--registry", tiny_registry, "--junit", junit)
    assert result.exit_code == 1
    assert "finding group(s) at or above 'violation'" in result.stdout
    failure = _cases(junit)["weavergen.semconv.shop::deprecated shop.legacy_id on 'checkout'"].find("failure")
    assert failure is not None and "use shop.order.id" in failure.text

    assert run_ci("check", traces, "--registry", tiny_registry, "--fail-on", "none").exit_code == 0
    customer = Spans("shop").add("checkout", kind=SERVER, attributes={"shop.order.id": "o", "shop.customer": "c"})
    unstable = write_jsonl(customer.request(), name="unstable.jsonl")
    assert run_ci("check", unstable, "--registry", tiny_registry).exit_code == 0
    assert run_ci("check", unstable, "--registry", tiny_registry, "--fail-on", "improvement").exit_code == 1


def test_a_protobuf_file(run_ci, tmp_path, tiny_registry):
    path = tmp_path / "traces.binpb"
    path.write_bytes(shop_traces(3).SerializeToString())
    result = run_ci("check", path, "--registry", tiny_registry)
    assert result.exit_code == 0, result.output
    assert "6 in 3 trace(s)" in result.stdout


def test_no_spans_is_not_a_pass(run_ci, tmp_path, write_jsonl):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run_ci("check", empty)
    assert result.exit_code == 1 and "0 span(s) received, at least 1 required" in result.stdout
    assert run_ci("check", empty, "--min-spans", "0").exit_code == 0

    two = write_jsonl(shop_traces(1))
    junit = tmp_path / "junit.xml"
    result = run_ci("check", two, "--min-spans", "3", "--junit", junit)
    assert result.exit_code == 1
    assert _cases(junit)["weavergen.spans::span count"].find("failure").get("message") == (
        "2 span(s) received, at least 3 required")


def test_baseline_only_new_findings_fail(run_ci, write_jsonl, tiny_registry, tmp_path):
    baseline = tmp_path / "baseline.json"
    legacy = write_jsonl(shop_traces(2, legacy=True), name="legacy.jsonl")
    assert run_ci("check", legacy, "--registry", tiny_registry, "--save-baseline", baseline).exit_code == 1
    saved = json.loads(baseline.read_text())["findings"]
    keys = [{k: f[k] for k in ("id", "span_name", "attribute", "service")} for f in saved]
    assert {"id": "deprecated", "span_name": "checkout", "attribute": "shop.legacy_id", "service": "shop"} in keys

    again = run_ci("check", legacy, "--registry", tiny_registry, "--baseline", baseline)
    assert again.exit_code == 0, again.output
    assert "baseline" in again.stdout

    worse = Spans("shop").add("checkout", kind=SERVER, attributes={"shop.order.id": "o", "shop.legacy_id": "L",
                                                                   "shop.order.status": 7})
    junit = tmp_path / "junit.xml"
    result = run_ci("check", write_jsonl(worse.request(), name="worse.jsonl"), "--registry", tiny_registry,
                    "--baseline", baseline, "--junit", junit)
    assert result.exit_code == 1
    cases = _cases(junit)
    assert cases["weavergen.semconv.shop::deprecated shop.legacy_id on 'checkout'"].find("skipped") is not None
    assert cases["weavergen.semconv.shop::type_mismatch shop.order.status on 'checkout'"].find("failure") is not None
    assert "1 new finding group(s)" in result.stdout


@pytest.mark.parametrize(("make_args", "expected"), [
    (lambda p, r: ["check", p / "missing.json"], "missing.json: cannot read"),
    (lambda p, r: ["check", p / "garbage.json"], "garbage.json: not OTLP/JSON traces"),
    (lambda p, r: ["check", p / "ok.jsonl", "--registry", p / "no-registry"], "registry not found"),
    (lambda p, r: ["check", p / "ok.jsonl", "--assertions", p / "bad.yaml"], "bad.yaml:3: "),
    (lambda p, r: ["check", p / "ok.jsonl", "--baseline", p / "garbage.json"], "the baseline is not JSON"),
    (lambda p, r: ["check", p / "ok.jsonl", "--rules", p / "garbage.json"], "invalid rules:"),
    (lambda p, r: ["check", p / "ok.jsonl", "--otlp-endpoint", "ftp://x"], "expected grpc://HOST:PORT"),
    (lambda p, r: ["check", p / "ok.jsonl", "--min-spans", "-1"], "--min-spans must be >= 0"),
])
def test_usage_errors_exit_2(run_ci, tmp_path, write_jsonl, tiny_registry, make_args, expected):
    write_jsonl(shop_traces(1), name="ok.jsonl")
    (tmp_path / "garbage.json").write_text("{nope")
    (tmp_path / "bad.yaml").write_text("assertions:\n  - name: x\n    assert: [\"duration < 5\"]\n")
    result = run_ci(*make_args(tmp_path, tiny_registry))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_the_command_runs_as_a_process(ci_process, write_jsonl, tiny_registry, tmp_path):
    junit = tmp_path / "junit.xml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("assertions:\n  - name: x\n    selector: {kind: sideways}\n    count: {total: 1}\n")
    done = ci_process("check", write_jsonl(shop_traces(1)), "--registry", tiny_registry, "--junit", junit)
    assert done.returncode == 0, done.stderr
    assert junit.exists()
    done = ci_process("check", write_jsonl(shop_traces(1)), "--assertions", bad)
    assert done.returncode == 2 and f"{bad}:3: " in done.stderr


@pytest.mark.registry
def test_real_registry_findings_and_coverage(run_ci, write_jsonl, semconv_registry, tmp_path):
    spans = Spans("shop").add("GET /orders", kind=SERVER, attributes={
        "http.request.method": "GET", "http.method": "GET", "http.response.status_code": 200,
        "url.path": "/orders", "url.scheme": "https", "http.route": "/orders"})
    junit = tmp_path / "junit.xml"
    result = run_ci("check", write_jsonl(spans.request()), "--registry", semconv_registry, "--junit", junit)
    assert result.exit_code == 1
    assert "deprecated" in result.stdout and "http.method" in result.stdout
    coverage = result.stdout[result.stdout.index("Registry coverage per span name"):]
    assert "GET /orders" in coverage and "http.request.method" in coverage
    failure = _cases(junit)["weavergen.semconv.shop::deprecated http.method on 'GET /orders'"].find("failure")
    assert "http.request.method" in failure.text
