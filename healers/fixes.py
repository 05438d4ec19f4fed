"""Candidate fixes for a charter's Develop section, derived from findings and from the alert's signal."""

from __future__ import annotations

import re

from .evidence import Evidence

_RENAMED = re.compile(r"^use (\S+)$")
_SIMILAR = re.compile(r"^did you mean (\S+)\?$")
_SIGNAL_FIXES = {
    "cardinality_growth": "Drop or bucket attribute `{key}` on `{service}`: its distinct values grew",
    "attribute_distinct_values": "Drop or bucket attribute `{key}` on `{service}`: too many distinct values",
    "span_name_entropy": "Use low-cardinality span names on `{service}`: move variable parts into attributes",
    "span_name_count": "Use low-cardinality span names on `{service}`: move variable parts into attributes",
    "error_rate": "Find the failing dependency of `{service}` in the example traces (status 2 = error)",
    "latency_p50_seconds": "Find the slow step of `{service}` in the example traces (slowest first)",
    "latency_p95_seconds": "Find the slow step of `{service}` in the example traces (slowest first)",
    "latency_p99_seconds": "Find the slow step of `{service}` in the example traces (slowest first)",
}


def finding_fix(finding_id: str, span_name: str, attribute: str, message: str, suggestion: str) -> str:
    where = f" on `{span_name}`" if span_name else ""
    renamed = _RENAMED.match(suggestion) or _SIMILAR.match(suggestion)
    if finding_id in ("deprecated", "missing_attribute") and renamed:
        return f"Rename `{attribute}` to `{renamed.group(1)}`{where} ({message})"
    if finding_id.endswith("_attribute_not_present"):
        condition = "" if suggestion.startswith("add '") else f" ({suggestion})"
        return f"Add `{attribute}`{where}{condition}"
    if finding_id == "missing_attribute":
        return f"Define `{attribute}` in a registry overlay, or stop sending it{where}"
    return f"{finding_id}{where}: {suggestion or message}"


def candidate_fixes(evidence: Evidence, limit: int = 10) -> list[str]:
    """Signal-based fix first, then one per violation/improvement finding, most frequent first, no repeats."""
    fixes: list[str] = []
    subject = evidence.subject
    template = _SIGNAL_FIXES.get(subject.signal or "")
    if template and subject.service and ("{key}" not in template or subject.key):
        fixes.append(template.format(service=subject.service, key=subject.key))
    for row in evidence.findings.records() if evidence.findings else ():
        if row["level"] == "information":
            continue
        fix = finding_fix(row["finding_id"], row["span_name"], row["attribute"], row["message"],
                          row["suggestion"])
        if fix not in fixes:
            fixes.append(fix)
    return fixes[:limit]
