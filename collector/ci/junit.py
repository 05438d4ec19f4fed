"""The verdict as JUnit XML: one ``testsuite`` that CI systems render as a test report.

Test cases, by ``classname``:
- ``weavergen.spans``: ``span count`` — at least ``--min-spans`` spans were received;
- ``weavergen.command``: ``exit status`` (live-check) — the command exited 0;
- ``weavergen.assertions``: one per assertion, a ``failure`` with the problems and example ids;
- ``weavergen.semconv.<service>``: one per finding group — ``failure`` when it blocks the gate,
  ``skipped`` when the baseline lists it, passed (message in ``system-out``) below ``--fail-on``;
- ``weavergen.instrumentation_score``: one per service, always passed (information);
- ``weavergen.rules``: one per rule.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .report import FindingGroup, Report

SUITE_NAME = "weavergen check"
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class _Case:
    classname: str
    name: str
    failure: str | None = None  # message; the body adds detail
    detail: str = ""
    skipped: str | None = None
    output: str = ""


def junit_xml(report: Report) -> bytes:
    cases = _cases(report)
    seconds = max(report.finished_ns - report.started_ns, 0) / 1e9
    started = dt.datetime.fromtimestamp(report.started_ns / 1e9, dt.UTC).replace(tzinfo=None)
    attributes = {"tests": len(cases), "failures": sum(c.failure is not None for c in cases), "errors": 0,
                  "skipped": sum(c.skipped is not None for c in cases), "time": f"{seconds:.3f}",
                  "timestamp": started.isoformat(timespec="seconds")}
    suites = ET.Element("testsuites", {k: str(v) for k, v in attributes.items() if k != "timestamp"})
    suite = ET.SubElement(suites, "testsuite", {"name": SUITE_NAME, **{k: str(v) for k, v in attributes.items()}})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report).items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for case in cases:
        element = ET.SubElement(suite, "testcase", {"classname": case.classname, "name": case.name, "time": "0"})
        if case.failure is not None:
            ET.SubElement(element, "failure", {"message": case.failure, "type": "AssertionError"}).text = (
                case.detail or case.failure)
        if case.skipped is not None:
            ET.SubElement(element, "skipped", {"message": case.skipped})
        if case.output:
            ET.SubElement(element, "system-out").text = case.output
    _clean(suites)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


def _clean(root: ET.Element) -> None:
    """Replace characters XML 1.0 cannot carry (span names and messages come from the telemetry)."""
    for element in root.iter():
        element.attrib = {k: _INVALID_XML.sub("\ufffd", v) for k, v in element.attrib.items()}
        if element.text:
            element.text = _INVALID_XML.sub("\ufffd", element.text)


def _properties(report: Report) -> dict[str, str]:
    values = {"verdict": "pass" if report.passed else "fail", "spans": str(report.spans),
              "traces": str(report.traces), "fail_on": report.gate.fail_on.value if report.gate.fail_on else "none"}
    if report.coverage is not None:
        values["registry_coverage"] = f"{report.coverage.fraction:.4f}"
    return values


def _cases(report: Report) -> list[_Case]:
    cases = [_Case("weavergen.spans", "span count", None if report.enough_spans else
                   f"{report.spans} span(s) received, at least {report.gate.min_spans} required",
                   output=f"{report.spans} span(s) in {report.traces} trace(s)")]
    if report.command is not None:
        code = report.command.exit_code
        cases.append(_Case("weavergen.command", "exit status", f"exited with status {code}" if code else None,
                           output=" ".join(report.command.argv)))
    for result in report.assertions:
        examples = "\n".join(f"trace {e.trace_id}" + (f" span {e.span_id}" if e.span_id else "")
                             + (f" ({e.note})" if e.note else "") for e in result.examples)
        detail = result.message + (f"\nexamples:\n{examples}" if examples else "")
        cases.append(_Case("weavergen.assertions", result.assertion.name,
                           None if result.passed else result.message, detail, output=result.message))
    cases += [_finding(report, f) for f in report.findings]
    for s in report.scores:
        rules = ", ".join(rule for rule, _, _ in s.failed_rules) or "none"
        cases.append(_Case("weavergen.instrumentation_score", s.service,
                           output=f"{s.score:.1f} ({s.band}); failed rules: {rules}. {s.notice}".strip()))
    for rule in report.rules:
        cases.append(_Case("weavergen.rules", rule.name, None if rule.passed else rule.message or "failed",
                           output=rule.message))
    return cases


def _finding(report: Report, f: FindingGroup) -> _Case:
    text = (f"[{f.level.value}] {f.message} ({f.count} span(s)"
            + (f"; e.g. trace {f.example_trace_id} span {f.example_span_id}" if f.example_span_id else "") + ")"
            + (f"\nsuggestion: {f.suggestion}" if f.suggestion else ""))
    case = _Case(f"weavergen.semconv.{f.service}", f.title, output=text)
    if report.gate.blocks(f):
        case.failure, case.detail = f"[{f.level.value}] {f.message}", text
    elif not f.new:
        case.skipped = "in the baseline"
    return case
