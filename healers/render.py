"""The Markdown body of a DMEDI charter: Define, Measure, Explore, Develop, Implement.

Pure functions of the alert and its evidence, so the same input gives the same text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from weavergen.rules.alert import Alert, AlertState

from .evidence import Evidence, Period, Query
from .fixes import candidate_fixes
from .times import to_utc

LINKS_START, LINKS_END = "<!-- develop:links -->", "<!-- /develop:links -->"
NO_LINKS = "- _none yet: the registry overlay and regeneration stage adds its links here_"
NO_SERVICE = "_The alert names no service (label `service`), so there is no span evidence._"


def fmt(value: Any, limit: int = 200) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return to_utc(value).isoformat(sep=" ")
    if isinstance(value, float):
        return f"{value:.6g}"
    # One line, no table breaks, no comment that could pose as the links anchor.
    text = str(value).replace("\n", " ").replace("|", "\\|").replace("<!--", "&lt;!--")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def result(query: Query | None, title: str, empty: str = "_no rows_") -> str:
    if query is None:
        return ""
    shown = table(query.columns, query.rows) if query.rows else empty
    return f"### {title}\n\n{shown}\n\n{sql(query, title)}"


def sql(query: Query, label: str) -> str:
    return f"<details><summary>SQL: {label}</summary>\n\n```sql\n{query.sql}\n```\n\n</details>"


def span(period: Period) -> str:
    return f"{fmt(period.start)} – {fmt(period.end)}"


def subject_text(evidence: Evidence) -> str:
    s = evidence.subject
    return " / ".join(part for part in (s.service, s.operation, s.key) if part) or "(no subject)"


def title(alert: Alert, evidence: Evidence) -> str:
    return f"{alert.name}: {subject_text(evidence)}"


def body(alert: Alert, evidence: Evidence, links: Sequence[str], narrative: str | None = None) -> str:
    parts = [f"# {title(alert, evidence)}"]
    if narrative:
        parts.append(f"## Narrative\n\n{narrative.strip()}")
    parts += [define(alert, evidence), measure(evidence), explore(evidence), develop(evidence, links),
              implement(alert, evidence)]
    return "\n\n".join(parts) + "\n"


def prompt(markdown: str) -> str:
    """The charter as a model should read it: the sections without their SQL."""
    return re.sub(r"\n*<details><summary>SQL.*?</details>", "", markdown, flags=re.DOTALL)


def define(alert: Alert, evidence: Evidence) -> str:
    s = evidence.subject
    problem = fmt(alert.annotations.get("summary") or f"{alert.name} fired for {subject_text(evidence)}", 2000)
    description = fmt(alert.annotations.get("description", ""), 2000)
    ctq = f"`{s.signal}`" if s.signal else "the alert's condition"
    ctq += f", alert when `{s.op} {s.threshold}`" if s.op and s.threshold else (
        f", threshold `{s.threshold}`" if s.threshold else "")
    ctq += f", value when evaluated `{fmt(alert.value)}`" if alert.value is not None else ""
    rows = [
        ("rule", f"`{alert.rule}`"), ("alert", f"`{alert.name}`, fingerprint `{alert.fingerprint}`"),
        ("severity", alert.labels.get("severity")), ("service", s.service), ("operation", s.operation),
        ("attribute", s.key), ("started (active_at, UTC)", s.active_at), ("critical to quality", ctq),
    ]
    labels = ", ".join(f"`{k}={v}`" for k, v in sorted(alert.labels.items()))
    annotations = "".join(f"\n- **{k}**: {fmt(v)}" for k, v in sorted(alert.annotations.items()))
    return (f"## Define\n\n**Problem.** {problem}" + (f" {description}" if description else "")
            + f"\n\n{table(('', ''), rows)}\n\nLabels: {labels}"
            + (f"\n\nAnnotations:{annotations}" if annotations else ""))


def measure(evidence: Evidence) -> str:
    s, ev = evidence.subject, evidence
    windows = ev.signal.first("baseline_windows") if ev.signal else None
    rows: list[tuple[Any, ...]] = [("period (UTC, span end time)", span(ev.baseline), span(ev.current))]
    if windows is not None:
        rows.append(("signal windows", windows, 1 if ev.current_value is not None else 0))
    if s.signal:
        rows.append((f"`{s.signal}`", ev.baseline_value, ev.current_value))
    if ev.spans:
        rows += span_counts(ev.spans)
    how = ("Baseline: the mean of the signal's windows before the alert started; current: its latest window."
           if ev.current_value is not None else
           "No signal values for this alert: the periods are the lookback before and after it started.")
    parts = ["## Measure", how, table(("", "baseline", "current"), rows)]
    if ev.signal:
        parts.append(sql(ev.signal, f"`{s.signal}` baseline and current"))
    if ev.spans:
        parts.append(sql(ev.spans, "span counts"))
    parts += [result(ev.series, f"Signal `{s.signal}`, latest windows"),
              result(ev.drift, "Drift events", "_none since the lookback started_"),
              result(ev.examples, "Example traces (current period, errors first, then slowest)")]
    if not s.service:
        parts.append(NO_SERVICE)
    return "\n\n".join(p for p in parts if p)


def span_counts(spans: Query) -> list[tuple[Any, ...]]:
    """One row per column of the span-count query, baseline and current side by side (0 when absent)."""
    by_period = {row[0]: row for row in spans.rows}
    empty = {name: None if name == "mean_ms" else 0 for name in spans.columns}
    return [(name.replace("_", " "),
             *(by_period[p][i] if p in by_period else empty[name] for p in ("baseline", "current")))
            for i, name in enumerate(spans.columns) if i]


def explore(evidence: Evidence) -> str:
    if not evidence.subject.service:
        return f"## Explore\n\n{NO_SERVICE}"
    values = f"Values of `{evidence.values_key}`" if evidence.values_key else ""
    parts = ["## Explore", "Share of the service's spans in each period, biggest change first.",
             result(evidence.span_names, "Span names"), result(evidence.keys, "Attribute keys"),
             result(evidence.values, values),
             result(evidence.findings, "Findings of the latest window", "_no findings for this service_")]
    return "\n\n".join(p for p in parts if p)


def develop(evidence: Evidence, links: Sequence[str]) -> str:
    fixes = candidate_fixes(evidence)
    listed = "\n".join(f"{i}. {fix}" for i, fix in enumerate(fixes, 1)) or "_No finding suggests a fix yet._"
    shown = "\n".join(links) or NO_LINKS
    return (f"## Develop\n\nCandidate fixes, from the findings and the signal:\n\n{listed}\n\n"
            f"Registry overlay and regenerated code:\n\n{LINKS_START}\n{shown}\n{LINKS_END}")


def implement(alert: Alert, evidence: Evidence) -> str:
    s = evidence.subject
    target = f"`{s.signal}` no longer `{s.op} {s.threshold}`" if s.signal and s.op and s.threshold else (
        f"`{s.signal}` back within threshold `{s.threshold}`") if s.signal and s.threshold else (
        f"`{s.signal}` back to its baseline ({fmt(evidence.baseline_value)})" if s.signal else
        "the alert's condition no longer holding")
    lines = [
        f"- Rule `{alert.rule}` must stay resolved; this charter closes when alert `{alert.name}` resolves.",
        f"- Close when: {target}.",
        "- Re-check: run the SQL under Measure with `weavergen query`"
        + (f", or `weavergen signals --service {s.service} --signal {s.signal} --windows 12`"
           if s.service and s.signal else "") + ".",
    ]
    if s.service:
        lines.append(f"- Verify the fixes removed the findings: `weavergen findings --service {s.service}`.")
    if alert.state is AlertState.resolved:
        lines.append(f"- **Resolved** at {fmt(alert.resolved_at)} UTC; final value {fmt(alert.value)}.")
    return "## Implement\n\nControl plan:\n\n" + "\n".join(lines)
