"""`weavergen live-check -- CMD`: a real instrumented program (OTel SDK, exporter configured from the
standard environment variables) under the ephemeral receiver, over every OTLP protocol."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from weavergen.collector.otlp_json import decode_export_trace_request

PROGRAM = '''
import json, os, sys, time
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

protocol = os.environ["OTEL_EXPORTER_OTLP_PROTOCOL"]
if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
elif protocol == "http/protobuf":
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
else:
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

variant, exit_code = sys.argv[1], int(sys.argv[2])
if os.environ.get("ENV_DUMP"):
    with open(os.environ["ENV_DUMP"], "w") as f:
        json.dump({k: v for k, v in os.environ.items() if k.startswith("OTEL_")}, f)
provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("shop.app")
attributes = {"shop.order.id": "o-1", "shop.order.total": 9.5}
if variant == "legacy":
    attributes["shop.legacy_id"] = "L-1"
if variant == "http":
    attributes = {"http.request.method": "GET", "http.method": "GET", "http.response.status_code": 200}
if variant != "silent":
    for _ in range(2):
        with tracer.start_as_current_span("checkout", kind=trace.SpanKind.SERVER, attributes=attributes):
            with tracer.start_as_current_span("db.query", kind=trace.SpanKind.CLIENT):
                time.sleep(0.2 if variant == "slow" else 0)
provider.shutdown()
sys.exit(exit_code)
'''

ASSERTIONS = """
assertions:
  - name: one db.query per trace
    selector: {span_name: db.query, parent: {span_name: checkout, kind: server}}
    count: {per_trace: {eq: 1}}
  - name: database calls are fast
    selector: {span_name: db.query}
    assert: ["duration < 100ms", "status != error"]
"""


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(PROGRAM)
    return path


@pytest.fixture
def live(ci_process, program, tiny_registry, tmp_path):
    """Run live-check on the program; returns (process, junit cases, verdict spans by name)."""
    assertions = tmp_path / "assertions.yaml"
    assertions.write_text(textwrap.dedent(ASSERTIONS))

    def run(variant="good", exit_code=0, *options, env=None):
        junit, otlp = tmp_path / f"junit-{variant}.xml", tmp_path / f"verdict-{variant}.json"
        done = ci_process("live-check", "--registry", tiny_registry, "--assertions", assertions,
                          "--junit", junit, "--otlp-out", otlp, "--flush-seconds", "0.2", *options,
                          "--", sys.executable, program, variant, exit_code, env=env)
        cases = {}
        if junit.exists():
            suite = ET.parse(junit).getroot().find("testsuite")
            cases = {f"{c.get('classname')}::{c.get('name')}": c for c in suite.findall("testcase")}
        spans = {}
        if otlp.exists():
            request = decode_export_trace_request(otlp.read_bytes())
            spans = {s.name: s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans}
        return done, cases, spans

    return run


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_a_conforming_program_passes(live, protocol):
    done, cases, spans = live("good", 0, "--protocol", protocol)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 in 2 trace(s)" in done.stdout
    assert all(c.find("failure") is None for c in cases.values())
    assert cases["weavergen.command::exit status"] is not None
    assert cases["weavergen.assertions::one db.query per trace"].find("system-out").text.startswith("2 span(s)")
    root = spans["weavergen check"]
    assert root.status.code == 1
    verdict = {kv.key: kv.value for kv in root.attributes}
    assert verdict["weavergen.check.verdict"].string_value == "pass"
    assert verdict["weavergen.check.mode"].string_value == "live-check"
    assert spans["command"].status.code == 1


def test_a_deprecated_attribute_fails_the_run(live):
    done, cases, spans = live("legacy", 0)
    assert done.returncode == 1
    failure = cases["weavergen.semconv.shop::deprecated shop.legacy_id on 'checkout'"].find("failure")
    assert failure is not None and failure.get("message").startswith("[violation]")
    assert spans["finding: deprecated shop.legacy_id on 'checkout'"].status.code == 2
    assert spans["weavergen check"].status.code == 2


def test_a_failed_assertion_fails_the_run(live):
    done, cases, spans = live("slow", 0)
    assert done.returncode == 1
    failure = cases["weavergen.assertions::database calls are fast"].find("failure")
    assert "2 of 2 span(s) fail 'duration < 100ms'" in failure.get("message")
    assert "examples:\ntrace " in failure.text
    assert spans["assertion: database calls are fast"].status.code == 2


def test_the_commands_exit_status_is_reported_and_fails_the_run(live):
    done, cases, spans = live("good", 3)
    assert done.returncode == 1
    assert cases["weavergen.command::exit status"].find("failure").get("message") == "exited with status 3"
    assert "the command exited with status 3" in done.stdout
    command = {kv.key: kv.value for kv in spans["command"].attributes}
    assert command["weavergen.command.exit_code"].int_value == 3


def test_a_program_that_sends_nothing_fails(live):
    done, cases, _ = live("silent", 0)
    assert done.returncode == 1
    assert cases["weavergen.spans::span count"].find("failure") is not None


def test_usage_errors_stop_before_the_command_runs(ci_process, tmp_path):
    marker = tmp_path / "ran"
    bad = tmp_path / "bad.yaml"
    bad.write_text("assertions:\n  - name: x\n    assert: [\"kind == sideways\"]\n")
    done = ci_process("live-check", "--assertions", bad, "--", sys.executable, "-c",
                      f"open({str(marker)!r}, 'w')")
    assert done.returncode == 2 and f"{bad}:3: " in done.stderr
    assert not marker.exists()
    done = ci_process("live-check", "--", str(tmp_path / "no-such-program"))
    assert done.returncode == 2 and "cannot run" in done.stderr
    done = ci_process("live-check")
    assert done.returncode == 2


def test_the_child_environment(live, tmp_path):
    dump = tmp_path / "env.json"
    env = {**os.environ, "ENV_DUMP": str(dump), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://elsewhere:4317",
           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://elsewhere:4318/v1/traces",
           "OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "console"}
    env.pop("OTEL_LOGS_EXPORTER", None)
    done, _, _ = live("good", 0, "--protocol", "http/protobuf", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(dump.read_text())
    assert seen["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://127.0.0.1:")
    assert seen["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == seen["OTEL_EXPORTER_OTLP_ENDPOINT"] + "/v1/traces"
    assert seen["OTEL_EXPORTER_OTLP_PROTOCOL"] == seen["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] == "http/protobuf"
    assert seen["OTEL_TRACES_EXPORTER"] == "otlp"
    assert seen["OTEL_METRICS_EXPORTER"] == "console"  # the user's own choice stays
    assert seen["OTEL_LOGS_EXPORTER"] == "none"


@pytest.mark.registry
def test_real_registry_deprecated_http_attribute(live, ci_process, program, semconv_registry, tmp_path):
    junit = tmp_path / "junit.xml"
    done = ci_process("live-check", "--registry", semconv_registry, "--junit", junit, "--flush-seconds", "0.2",
                      "--", sys.executable, program, "http", 0)
    assert done.returncode == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    names = {c.get("name"): c for c in suite.findall("testcase")}
    assert names["deprecated http.method on 'checkout'"].find("failure") is not None
