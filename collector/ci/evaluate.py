"""A stored run → Report: analyzers over one window, registry coverage, assertions and rules.

The analysis engine runs exactly as in the daemon, with one difference: the window. Windows are
aligned to the epoch, so a window of ``WINDOW_SECONDS`` (the largest the ``signals`` table's INTEGER
column holds) puts every span that ends before 2038 into the same window, and ``flush`` closes it.
Findings of any later window are merged into the same groups. Afterwards the result rows are labelled
with the run's own window, which is what rules see (rule_seam.py).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

import duckdb
from weavergen.analyzers import build_analyzers
from weavergen.analyzers.base import Finding, Signal
from weavergen.analyzers.engine import AnalysisEngine
from weavergen.analyzers.instrumentation_score import RULES_BY_ID, band
from weavergen.analyzers.quality import LEVELS as QUALITY_IDS
from weavergen.analyzers.quality import QualityAnalyzer, RegistryChecks

from .assertion_sql import SPANS_VIEW, evaluate_assertions
from .report import Coverage, FindingGroup, Report, ServiceScore
from .rule_seam import RunWindow
from .settings import Prepared

WINDOW_SECONDS = 2**31 - 1
# Label bounds exist to protect a long-running daemon; a CI run reports every name it was given.
MAX_SERVICES, MAX_OPERATIONS = 100_000, 1_000_000


def evaluate_run(con: duckdb.DuckDBPyConnection, prepared: Prepared, report: Report) -> Report:
    """Fill ``report`` from the spans committed to ``con``."""
    _describe_spans(con, report)
    report.registry = prepared.settings.registry
    findings, signals, quality = _analyze(con, prepared)
    report.findings = _finding_groups([f for f in findings if f.id in QUALITY_IDS], prepared.baseline)
    report.scores = _scores([f for f in findings if f.id not in QUALITY_IDS], signals)
    if quality is not None:
        report.coverage = coverage(con, quality.checks())
    if prepared.suite is not None:
        report.assertions = evaluate_assertions(con, prepared.suite, prepared.settings.examples)
    window = RunWindow.of_spans(con)
    if window is not None:
        window.label(con)  # the analyzers' epoch-aligned window becomes the run's own (rule_seam.py)
    if prepared.rules is not None:
        report.rules = prepared.rules.evaluate(con, window)
    report.finished_ns = time.time_ns()
    return report


def _describe_spans(con: duckdb.DuckDBPyConnection, report: Report) -> None:
    con.execute(SPANS_VIEW)
    counts = con.execute("SELECT count(*), count(DISTINCT trace_id) FROM ci_spans").fetchone()
    report.spans, report.traces = counts if counts is not None else (0, 0)
    services = con.execute("SELECT DISTINCT coalesce(service_name, 'unknown_service') FROM ci_spans ORDER BY 1")
    report.services = tuple(s for (s,) in services.fetchall())


def _analyze(con: duckdb.DuckDBPyConnection,
             prepared: Prepared) -> tuple[list[Finding], list[Signal], QualityAnalyzer | None]:
    analyzers = build_analyzers(["quality", "instrumentation_score"], prepared.registry)
    quality = next((a for a in analyzers if isinstance(a, QualityAnalyzer)), None)
    cursor = con.cursor()
    try:
        engine = AnalysisEngine(lambda: cursor, analyzers, WINDOW_SECONDS, grace_seconds=0,
                                idle_close_seconds=float(WINDOW_SECONDS), max_services=MAX_SERVICES,
                                max_operations=MAX_OPERATIONS)
        closed = engine.flush()
    finally:
        cursor.close()
    findings = [f for window in closed for f in window.findings]
    signals = [s for window in closed for s in window.signals]
    return findings, signals, quality


def _finding_groups(findings: Iterable[Finding], baseline: frozenset[tuple[str, str, str, str]] | None,
                    ) -> list[FindingGroup]:
    merged: dict[tuple[str, str, str, str], FindingGroup] = {}
    for f in findings:
        key = (f.id, f.span_name, f.attribute, f.service)
        if key in merged:
            merged[key] = replace(merged[key], count=merged[key].count + f.count)
            continue
        merged[key] = FindingGroup(f.id, f.level, f.service, f.span_name, f.attribute, f.message, f.count,
                                   f.example_trace_id, f.example_span_id, f.suggestion,
                                   new=baseline is None or key not in baseline)
    return sorted(merged.values(), key=lambda g: (-g.level.rank, g.id, g.service, g.span_name, g.attribute))


def _scores(findings: list[Finding], signals: list[Signal]) -> list[ServiceScore]:
    values: dict[str, float] = {}
    for s in signals:
        if s.signal == "instrumentation_score":  # the lowest window's score, should the run span several
            values[s.service] = min(values.get(s.service, s.value), s.value)
    failed: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
    notices: dict[str, str] = {}
    for f in findings:
        if f.id in RULES_BY_ID:
            failed[f.service].setdefault(f.id, (f.id, f.level.value, f.message))
        else:
            notices.setdefault(f.service, f.message)
    return [ServiceScore(service, value, band(value), tuple(sorted(failed[service].values())),
                         notices.get(service, ""))
            for service, value in sorted(values.items())]


def coverage(con: duckdb.DuckDBPyConnection, checks: RegistryChecks) -> Coverage:
    """Which registry attributes (a template match counts for the template) each span name carried."""
    names = [n for (n,) in con.execute("SELECT DISTINCT name FROM ci_spans ORDER BY 1").fetchall()]
    pairs = con.execute("""SELECT DISTINCT s.name, a.key FROM ci_spans s
                           JOIN span_attributes a ON a.span_seq = s.seq ORDER BY 1, 2""").fetchall()
    covered: dict[str, set[str]] = {n: set() for n in names}
    unknown: dict[str, set[str]] = {n: set() for n in names}
    for name, key in pairs:
        registry_name = checks.covered(key)
        (covered[name] if registry_name is not None else unknown[name]).add(registry_name or key)
    return Coverage(len(checks.coverable), {n: tuple(sorted(v)) for n, v in covered.items()},
                    {n: tuple(sorted(v)) for n, v in unknown.items()})

