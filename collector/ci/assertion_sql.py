"""Trace assertions evaluated as SQL over the run's spans (``spans`` + ``span_attributes``).

Every value goes in as a named parameter, never into the SQL text. Spans are read through the view
``ci_spans``: one row per (trace_id, span_id), since OTLP delivery is at least once and a retried
export must not turn "exactly one per trace" into two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from .assertions import Assertion, AssertionSuite, Check, CountRule, Selector

SPANS_VIEW = """CREATE OR REPLACE TEMP VIEW ci_spans AS SELECT * FROM spans
QUALIFY row_number() OVER (PARTITION BY trace_id, span_id ORDER BY seq) = 1"""
_FIELDS = {"name": "{a}.name", "service": "coalesce({a}.service_name, '')", "kind": "{a}.kind",
           "status": "{a}.status_code", "status_message": "{a}.status_message", "duration": "{a}.duration_ns"}
_TEXT = ("coalesce({b}.string_value, CAST({b}.int_value AS VARCHAR), CAST({b}.double_value AS VARCHAR), "
         "CAST({b}.bool_value AS VARCHAR), {b}.json_value)")
_OWNER = {"attr": ("span_attributes", "{b}.span_seq = {a}.seq"),
          "resource": ("resource_attributes", "{b}.resource_id = {a}.resource_id")}


@dataclass(frozen=True)
class Example:
    trace_id: str
    span_id: str = ""  # empty for a whole trace (per-trace count failures)
    note: str = ""


@dataclass
class AssertionResult:
    assertion: Assertion
    matched: int  # spans the selector matched
    failing_spans: int = 0  # of those, spans failing at least one check
    problems: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        if self.passed:
            return f"{self.matched} span(s) matched; every check held"
        return "; ".join(self.problems)


class _Sql:
    """Collects named parameters and fresh table aliases while a query is built."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._aliases = 0

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = list(value) if isinstance(value, tuple) else value
        return f"${name}"

    def alias(self, prefix: str) -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"

    # -- selectors and checks --------------------------------------------------------------------

    def selector(self, selector: Selector, a: str) -> str:
        parts = [self.check(check, a) for check in selector.checks]
        if selector.root is not None:
            parts.append(f"{a}.parent_span_id IS {'' if selector.root else 'NOT '}NULL")
        if selector.parent is not None:
            p = self.alias("p")
            parts.append(f"EXISTS (SELECT 1 FROM ci_spans {p} WHERE {p}.trace_id = {a}.trace_id "
                         f"AND {p}.span_id = {a}.parent_span_id AND {self.selector(selector.parent, p)})")
        if selector.child is not None:
            c = self.alias("c")
            parts.append(f"EXISTS (SELECT 1 FROM ci_spans {c} WHERE {c}.trace_id = {a}.trace_id "
                         f"AND {c}.parent_span_id = {a}.span_id AND {self.selector(selector.child, c)})")
        return " AND ".join(f"({p})" for p in parts) or "TRUE"

    def check(self, check: Check, a: str) -> str:
        if check.target.scope == "field":
            return self.compare(_FIELDS[check.target.name].format(a=a), check.op, check.value)
        b = self.alias("x")
        table, join = _OWNER[check.target.scope]
        present = f"SELECT 1 FROM {table} {b} WHERE {join.format(a=a, b=b)} AND {b}.key = {self.param(check.target.name)}"
        if check.op == "not exists":
            return f"NOT EXISTS ({present})"
        if check.op == "exists":
            return f"EXISTS ({present})"
        return f"EXISTS ({present} AND {self.attribute(b, check.op, check.value)})"

    def compare(self, expr: str, op: str, value: Any) -> str:
        if op == "in":
            return f"list_contains({self.param(value)}, {expr})"
        if op in ("=~", "!~"):
            matched = f"coalesce(regexp_matches({expr}, {self.param(value)}), false)"
            return matched if op == "=~" else f"NOT {matched}"
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"coalesce({expr} {sql_op} {self.param(value)}, false)"

    def attribute(self, b: str, op: str, value: Any) -> str:
        """A condition on one attribute row that is never NULL."""
        if op == "in":
            return "(" + " OR ".join(self.equal(b, v) for v in value) + ")"
        if op in ("=~", "!~"):
            return self.compare(_TEXT.format(b=b), op, value)
        if op == "==":
            return self.equal(b, value)
        if op == "!=":
            return f"NOT {self.equal(b, value)}"
        p = self.param(value)
        return f"coalesce({b}.int_value {op} {p}, {b}.double_value {op} {p}, false)"

    def equal(self, b: str, value: Any) -> str:
        p = self.param(value)
        if isinstance(value, bool):
            return f"coalesce({b}.bool_value = {p}, false)"
        if isinstance(value, int | float):
            return f"coalesce({b}.int_value = {p}, {b}.double_value = {p}, false)"
        return f"coalesce({b}.string_value = {p}, false)"


def evaluate_assertions(con: duckdb.DuckDBPyConnection, suite: AssertionSuite,
                        examples: int = 5) -> list[AssertionResult]:
    con.execute(SPANS_VIEW)
    return [evaluate(con, assertion, examples) for assertion in suite.assertions]


def evaluate(con: duckdb.DuckDBPyConnection, assertion: Assertion, examples: int = 5) -> AssertionResult:
    sql = _Sql()
    checks = [sql.check(check, "s") for check in assertion.checks]
    columns = "".join(f", ({c}) AS c{i}" for i, c in enumerate(checks))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ci_selected AS SELECT s.seq, s.trace_id, s.span_id{columns} "
                f"FROM ci_spans s WHERE {sql.selector(assertion.selector, 's')}", sql.params)
    try:
        result = _judge_checks(con, assertion, examples)
        _judge_counts(con, assertion, result, examples)
    finally:
        con.execute("DROP TABLE IF EXISTS _ci_selected")
    return result


def _judge_checks(con: duckdb.DuckDBPyConnection, assertion: Assertion, examples: int) -> AssertionResult:
    n = len(assertion.checks)
    all_hold = " AND ".join(f"c{i}" for i in range(n)) or "TRUE"
    failing = "".join(f", count(*) FILTER (WHERE NOT c{i})" for i in range(n))
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE NOT ({all_hold})){failing} "
                      "FROM _ci_selected").fetchone()
    assert row is not None
    result = AssertionResult(assertion, matched=row[0], failing_spans=row[1])
    for check, failed in zip(assertion.checks, row[2:]):
        if failed:
            result.problems.append(f"{failed} of {result.matched} span(s) fail '{check.text}'")
    if result.failing_spans:
        rows = con.execute(f"SELECT trace_id, span_id FROM _ci_selected WHERE NOT ({all_hold}) "
                           "ORDER BY seq LIMIT ?", [examples]).fetchall()
        result.examples += [Example(trace_id, span_id) for trace_id, span_id in rows]
    if not result.matched and assertion.per_trace is None and assertion.total is None:
        result.problems.append("the selector matched no span (a check over nothing proves nothing; "
                               "state 'count: {total: {eq: 0}}' to require that none exist)")
    return result


def _judge_counts(con: duckdb.DuckDBPyConnection, assertion: Assertion, result: AssertionResult,
                  examples: int) -> None:
    if assertion.total is not None and not assertion.total.holds(result.matched):
        result.problems.append(f"{result.matched} span(s) matched, expected {assertion.total}")
    if assertion.per_trace is not None:
        _judge_per_trace(con, assertion.per_trace, result, examples)


def _judge_per_trace(con: duckdb.DuckDBPyConnection, rule: CountRule, result: AssertionResult,
                     examples: int) -> None:
    rows = con.execute("""SELECT t.trace_id, count(x.seq) AS n FROM (SELECT DISTINCT trace_id FROM ci_spans) t
                          LEFT JOIN _ci_selected x USING (trace_id) GROUP BY t.trace_id ORDER BY t.trace_id""").fetchall()
    bad = [(trace_id, n) for trace_id, n in rows if not rule.holds(n)]
    if not bad:
        return
    trace_id, n = bad[0]
    result.problems.append(f"{len(bad)} of {len(rows)} trace(s) have a count other than {rule} per trace "
                           f"(trace {trace_id} has {n})")
    result.examples += [Example(t, note=f"{count} matching span(s)") for t, count in bad[:examples]]
