"""Evidence of failed Instrumentation Score rules: example rows per service, and the findings reporting them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .base import Finding, Level
from .instrumentation_rules import SPEC_RULES, Rule, band, completeness_notice


@dataclass
class Evidence:
    """How often one rule failed for one service, and the first example."""

    count: int = 0
    trace_id: str = ""
    span_id: str = ""
    span_name: str = ""
    attribute: str = ""
    detail: str = ""


def examples(frame: pl.DataFrame, *columns: str, by: str | list[str] | None = None,
             n: pl.Expr | None = None) -> pl.DataFrame:
    """Per service: how many rows (or ``n``), and as the example ``columns`` of the first row in ``by``
    order (or in frame order), so that examples do not depend on thread scheduling."""
    ordered = frame.sort(by) if by else frame
    return ordered.group_by("service").agg(pl.len().alias("n") if n is None else n.alias("n"),
                                           *(pl.col(c).first() for c in columns))


def with_trace_id(rows: pl.DataFrame) -> pl.DataFrame:
    """The hex trace id back from its two halves, for the few example rows."""
    ids = [f"{hi:016x}{lo:016x}" if hi is not None and lo is not None else ""
           for hi, lo in rows.select("trace_hi", "trace_lo").iter_rows()]
    return rows.with_columns(pl.Series("trace_id", ids, dtype=pl.String))


def rule_finding(rule: Rule, service: str, evidence: Evidence, total: float) -> Finding:
    detail = f": {evidence.detail}" if evidence.detail else ""
    return Finding(
        id=rule.id, level=rule.level, service=service, span_name=evidence.span_name,
        attribute=evidence.attribute,
        message=f"{rule.id} failed ({rule.impact}): {rule.description}; {evidence.count} case(s){detail}. "
                f"Instrumentation score {total:.1f} ({band(total)})",
        count=evidence.count, example_trace_id=evidence.trace_id, example_span_id=evidence.span_id,
        suggestion=f"{SPEC_RULES}/{rule.id}.md" + (f" ({rule.note})" if rule.note else ""),
    )


def summary_finding(service: str, total: float, outcomes: dict[str, bool], skipped: list[str]) -> Finding:
    failed = [rule for rule, ok in outcomes.items() if not ok]
    verdict = f"; failed: {', '.join(failed)}" if failed else ""
    return Finding(
        id="instrumentation_score", level=Level.information, service=service, span_name="", attribute="",
        message=f"Instrumentation score {total:.1f} ({band(total)}): {len(outcomes) - len(failed)} of "
                f"{len(outcomes)} evaluated rules passed{verdict}; {completeness_notice(skipped)}",
        count=len(failed),
    )
