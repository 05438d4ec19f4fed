"""The human-readable summary: a few rich tables and the verdict, printed at the end of a check."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .report import Report

_LEVEL_STYLE = {"violation": "red", "improvement": "yellow", "information": "cyan"}
MAX_KEYS_SHOWN = 12


def print_summary(report: Report, console: Console) -> None:
    console.print(_overview(report))
    if report.assertions:
        console.print(_assertions(report))
    if report.findings:
        console.print(_findings(report))
        if report.blocking():
            console.print(_blocking(report), end="")
    if report.coverage is not None:
        console.print(_coverage(report))
    if report.scores:
        console.print(_scores(report))
    if report.rules:
        console.print(_rules(report))
    console.print(_verdict(report))


def _overview(report: Report) -> Table:
    table = Table(title=f"weavergen {report.mode}", show_header=False)
    table.add_row("spans", f"{report.spans} in {report.traces} trace(s)"
                  + (f", {report.rejected_spans} rejected (invalid ids)" if report.rejected_spans else ""))
    table.add_row("services", ", ".join(report.services) or "-")
    if report.command is not None:
        table.add_row("command", f"{' '.join(report.command.argv)} → exit {report.command.exit_code}")
    table.add_row("registry", str(report.registry) if report.registry else "none (semantic-convention checks off)")
    levels = report.level_counts()
    table.add_row("finding groups", ", ".join(f"{n} {level.value}" for level, n in levels.items()))
    if report.coverage is not None:
        c = report.coverage
        table.add_row("registry coverage", f"{c.fraction:.2%} ({len(c.seen)} of {c.registry_size} attributes)")
    return table


def _assertions(report: Report) -> Table:
    table = Table("assertion", "result", "matched", "details", title="Trace assertions")
    for r in report.assertions:
        example = r.examples[0] if r.examples else None
        detail = r.message + (f" — e.g. trace {example.trace_id}" + (f" span {example.span_id}" if example.span_id
                                                                     else "") if example else "")
        table.add_row(r.assertion.name, _mark(r.passed), str(r.matched), detail)
    return table


def _findings(report: Report) -> Table:
    fail_on = report.gate.fail_on.value if report.gate.fail_on else "none"
    several = len({f.service for f in report.findings}) > 1
    columns = ["level", "finding", *(["service"] if several else []), "span name", "attribute", "spans", "gate"]
    table = Table(*columns, title=f"Semantic-convention findings (fail on: {fail_on})")
    for column in table.columns:
        column.overflow = "fold"
    table.columns[1].no_wrap = True
    for f in report.findings:
        gate = "FAIL" if report.gate.blocks(f) else ("baseline" if not f.new else "-")
        table.add_row(Text(f.level.value, style=_LEVEL_STYLE[f.level.value]), f.id,
                      *([f.service] if several else []), f.span_name, f.attribute, str(f.count), gate)
    return table


def _blocking(report: Report) -> Text:
    """One line per finding that fails the run, with the message and the suggested fix."""
    lines = Text()
    for f in report.blocking():
        lines.append("✗ ", style="red").append(f"{f.title} ({f.service}): {f.message}")
        lines.append(f" — {f.suggestion}\n" if f.suggestion else "\n")
    return lines


def _coverage(report: Report) -> Table:
    assert report.coverage is not None
    table = Table("span name", "registry attributes", "not in the registry",
                  title="Registry coverage per span name")
    for name, seen in report.coverage.by_span_name.items():
        table.add_row(name, _keys(seen), _keys(report.coverage.unknown_by_span_name.get(name, ())))
    return table


def _scores(report: Report) -> Table:
    table = Table("service", "score", "band", "failed rules", title="Instrumentation Score (information)")
    for s in report.scores:
        table.add_row(s.service, f"{s.score:.1f}", s.band, ", ".join(r for r, _, _ in s.failed_rules) or "-")
    return table


def _rules(report: Report) -> Table:
    table = Table("rule", "result", "message", title="Rules")
    for rule in report.rules:
        table.add_row(rule.name, _mark(rule.passed), rule.message)
    return table


def _verdict(report: Report) -> Text:
    if report.passed:
        return Text("PASS", style="bold green")
    return Text("FAIL: " + "; ".join(report.failures()), style="bold red")


def _mark(passed: bool) -> Text:
    return Text("pass", style="green") if passed else Text("FAIL", style="bold red")


def _keys(keys: tuple[str, ...]) -> str:
    shown = ", ".join(keys[:MAX_KEYS_SHOWN])
    return shown + (f" … (+{len(keys) - MAX_KEYS_SHOWN})" if len(keys) > MAX_KEYS_SHOWN else "") if keys else "-"
