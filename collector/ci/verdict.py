"""The verdict as OTLP spans: one trace, so a check's result lands in the same tools as the telemetry.

Root span ``weavergen check`` (status ERROR when the run fails) with the counts; one child per
assertion, per quality finding group, per service's Instrumentation Score, per rule, and one for the
command of ``live-check``. A failing child has status ERROR and the reason as its status message.
Children link to their example spans, so a trace UI can jump from a failure to the evidence.

Attributes (all under ``weavergen.``):

| span | attributes |
|---|---|
| root | ``check.verdict`` (pass/fail), ``check.exit_code``, ``check.mode``, ``check.spans``, ``check.traces``, ``check.services``, ``check.rejected_spans``, ``check.findings.violation`` / ``.improvement`` / ``.information`` (finding groups), ``check.findings.blocking``, ``check.registry_coverage``, ``check.registry``, ``check.assertions.passed`` / ``.failed``, ``check.fail_on``, ``check.min_spans``, ``check.failures`` |
| assertion | ``assertion.name``, ``.passed``, ``.matched_spans``, ``.failing_spans``, ``.message``, ``.example_trace_ids``, ``.example_span_ids`` |
| finding | ``finding.id``, ``.level``, ``.service``, ``.span_name``, ``.attribute``, ``.count``, ``.message``, ``.suggestion``, ``.new``, ``.blocking``, ``.example_trace_id``, ``.example_span_id`` |
| score | ``instrumentation_score.service``, ``.value``, ``.band``, ``.failed_rules`` |
| rule | ``rule.name``, ``.passed``, ``.message`` |
| command | ``command.argv``, ``command.exit_code`` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from ..otlp_values import Value, key_values
from .report import FindingGroup, Report

SERVICE_NAME = "weavergen"
SCOPE_NAME = "weavergen.ci"
ROOT_NAME = "weavergen check"


def verdict_request(report: Report) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(key_values({"service.name": SERVICE_NAME}))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = SCOPE_NAME, _version()
    trace_id = os.urandom(16)
    root = _span(scope_spans.spans.add(), report, trace_id, ROOT_NAME, _root_attributes(report),
                 failure="; ".join(report.failures()))
    for c in _children(report):
        child = _span(scope_spans.spans.add(), report, trace_id, c.name, c.attributes, c.failure)
        child.parent_span_id = root.span_id
        for example_trace, example_span in c.examples:
            if len(example_trace) == 32 and len(example_span) == 16:
                child.links.add(trace_id=bytes.fromhex(example_trace), span_id=bytes.fromhex(example_span))
    return request


def _root_attributes(report: Report) -> dict[str, Value | None]:
    levels = report.level_counts()
    failed = sum(not a.passed for a in report.assertions)
    return {
        "weavergen.check.verdict": "pass" if report.passed else "fail",
        "weavergen.check.exit_code": report.exit_code,
        "weavergen.check.mode": report.mode,
        "weavergen.check.spans": report.spans,
        "weavergen.check.traces": report.traces,
        "weavergen.check.rejected_spans": report.rejected_spans,
        "weavergen.check.services": list(report.services),
        **{f"weavergen.check.findings.{level.value}": n for level, n in levels.items()},
        "weavergen.check.findings.blocking": len(report.blocking()),
        "weavergen.check.registry": str(report.registry) if report.registry else None,
        "weavergen.check.registry_coverage": report.coverage.fraction if report.coverage else None,
        "weavergen.check.assertions.passed": len(report.assertions) - failed,
        "weavergen.check.assertions.failed": failed,
        "weavergen.check.fail_on": report.gate.fail_on.value if report.gate.fail_on else "none",
        "weavergen.check.min_spans": report.gate.min_spans,
        "weavergen.check.failures": report.failures(),
    }


@dataclass
class _Child:
    name: str
    attributes: dict[str, Value | None]
    failure: str | None = None  # None: information (status UNSET); "": passed (OK); text: failed (ERROR)
    examples: list[tuple[str, str]] = field(default_factory=list)


def _children(report: Report) -> list[_Child]:
    children = []
    if report.command is not None:
        code = report.command.exit_code
        children.append(_Child("command", {"weavergen.command.argv": list(report.command.argv),
                                           "weavergen.command.exit_code": code},
                               f"exited with status {code}" if code else ""))
    for result in report.assertions:
        examples = [(e.trace_id, e.span_id) for e in result.examples]
        children.append(_Child(f"assertion: {result.assertion.name}", {
            "weavergen.assertion.name": result.assertion.name,
            "weavergen.assertion.passed": result.passed,
            "weavergen.assertion.matched_spans": result.matched,
            "weavergen.assertion.failing_spans": result.failing_spans,
            "weavergen.assertion.message": result.message,
            "weavergen.assertion.example_trace_ids": [t for t, _ in examples],
            "weavergen.assertion.example_span_ids": [s for _, s in examples if s],
        }, "" if result.passed else result.message, examples))
    children += [_finding(report, f) for f in report.findings]
    for s in report.scores:
        children.append(_Child(f"instrumentation score: {s.service}", {
            "weavergen.instrumentation_score.service": s.service,
            "weavergen.instrumentation_score.value": s.score,
            "weavergen.instrumentation_score.band": s.band,
            "weavergen.instrumentation_score.failed_rules": [rule for rule, _, _ in s.failed_rules],
        }))
    for rule in report.rules:
        children.append(_Child(f"rule: {rule.name}", {
            "weavergen.rule.name": rule.name, "weavergen.rule.passed": rule.passed,
            "weavergen.rule.message": rule.message,
        }, "" if rule.passed else rule.message or "failed"))
    return children


def _finding(report: Report, f: FindingGroup) -> _Child:
    blocking = report.gate.blocks(f)
    return _Child(f"finding: {f.title}", {
        "weavergen.finding.id": f.id, "weavergen.finding.level": f.level.value,
        "weavergen.finding.service": f.service, "weavergen.finding.span_name": f.span_name,
        "weavergen.finding.attribute": f.attribute, "weavergen.finding.count": f.count,
        "weavergen.finding.message": f.message, "weavergen.finding.suggestion": f.suggestion,
        "weavergen.finding.new": f.new, "weavergen.finding.blocking": blocking,
        "weavergen.finding.example_trace_id": f.example_trace_id,
        "weavergen.finding.example_span_id": f.example_span_id,
    }, f.message if blocking else None, [(f.example_trace_id, f.example_span_id)])


def _span(span: Span, report: Report, trace_id: bytes, name: str, attributes: Mapping[str, Value | None],
          failure: str | None) -> Span:
    span.trace_id, span.span_id, span.name = trace_id, os.urandom(8), name
    span.kind = Span.SPAN_KIND_INTERNAL
    span.start_time_unix_nano = report.started_ns
    span.end_time_unix_nano = max(report.finished_ns, report.started_ns)
    span.attributes.extend(key_values(attributes))
    if failure:
        span.status.code, span.status.message = Status.STATUS_CODE_ERROR, failure
    elif failure is not None:
        span.status.code = Status.STATUS_CODE_OK
    return span


def _version() -> str:
    try:
        return metadata.version("weavergen")
    except metadata.PackageNotFoundError:
        return ""
