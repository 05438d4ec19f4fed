"""The evidence behind a charter: bounded SQL over spans, span_attributes, signals, findings, drift_events.

Every query is one SELECT with its values written in as literals, so the charter shows the exact text
and anyone can run it again with ``weavergen query``. Each is bounded by a time filter and a LIMIT.

Periods compared: the **current** window is the latest window of the alert's signal; the **baseline**
are up to ``baseline_windows`` windows before it that started before ``active_at``. Spans belong to a
window by their end time, as in the analyzers. Without a signal (or rows for it) the baseline is the
``lookback`` before ``active_at`` and the current period the ``lookback`` after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from weavergen.rules.alert import Alert

from .times import to_utc

# Where an alert's labels (subject first, then labels, values, annotations) name what it is about.
ALIASES = {
    "service": ("service", "service_name"),
    "operation": ("operation", "span_name"),
    "key": ("key", "attribute"),
    "signal": ("signal",),
    "threshold": ("threshold",),
    "op": ("op",),
}


@dataclass(frozen=True)
class Subject:
    service: str | None
    operation: str | None
    key: str | None
    signal: str | None
    threshold: str | None
    op: str | None  # how the signal compares with the threshold when the alert holds, e.g. "<"
    active_at: dt.datetime

    @classmethod
    def of(cls, alert: Alert, now: dt.datetime) -> Subject:
        sources = (alert.subject, alert.labels, alert.values, alert.annotations)

        def find(field: str) -> str | None:
            for source in sources:
                for name in ALIASES[field]:
                    if source.get(name) not in (None, ""):
                        return str(source[name])
            return None

        started = alert.active_at or alert.fired_at or now
        return cls(find("service"), find("operation"), find("key"), find("signal"), find("threshold"),
                   find("op"), to_utc(started).replace(microsecond=0))


@dataclass(frozen=True)
class Query:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def first(self, column: str) -> Any:
        return self.rows[0][self.columns.index(column)] if self.rows else None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime

    def clause(self) -> str:
        return (f"end_time_unix_nano >= epoch_ns({lit(self.start)}) "
                f"AND end_time_unix_nano < epoch_ns({lit(self.end)})")


@dataclass(frozen=True)
class Evidence:
    subject: Subject
    baseline: Period
    current: Period
    signal: Query | None = None  # one row: baseline_windows, baseline_from, baseline_mean, current_…
    series: Query | None = None
    drift: Query | None = None
    spans: Query | None = None
    examples: Query | None = None
    span_names: Query | None = None
    keys: Query | None = None
    values_key: str | None = None
    values: Query | None = None
    findings: Query | None = None

    @property
    def baseline_value(self) -> float | None:
        return self.signal.first("baseline_mean") if self.signal else None

    @property
    def current_value(self) -> float | None:
        return self.signal.first("current_value") if self.signal else None

    def queries(self) -> dict[str, Query]:
        names = ("signal", "series", "drift", "spans", "examples", "span_names", "keys", "values", "findings")
        return {name: q for name in names if (q := getattr(self, name)) is not None}


def lit(value: object) -> str:
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def run(con: duckdb.DuckDBPyConnection, sql: str) -> Query:
    relation = con.execute(sql)
    columns = tuple(d[0] for d in relation.description or ())
    return Query(sql, columns, tuple(tuple(row) for row in relation.fetchall()))


@dataclass(frozen=True)
class Limits:
    baseline_windows: int = 10
    series_windows: int = 12
    lookback: dt.timedelta = dt.timedelta(hours=1)
    top: int = 10
    examples: int = 5
    findings: int = 20


def gather(con: duckdb.DuckDBPyConnection, subject: Subject, limits: Limits | None = None) -> Evidence:
    limits = limits or Limits()
    since = subject.active_at - limits.lookback
    signal = series = drift = None
    if subject.signal:
        signal = run(con, signal_sql(subject, since, limits.baseline_windows))
        series = run(con, series_sql(subject, since, limits.series_windows))
        drift = run(con, drift_sql(subject, since, limits.examples))
    baseline, current = periods(subject, signal, limits.lookback)
    evidence = Evidence(subject, baseline, current, signal, series, drift)
    if not subject.service:
        return evidence
    keys = run(con, keys_sql(subject, baseline, current, limits.top))
    values_key = subject.key or (keys.rows[0][0] if keys.rows else None)
    return Evidence(
        subject, baseline, current, signal, series, drift,
        spans=run(con, spans_sql(subject, baseline, current)),
        examples=run(con, examples_sql(subject, current, limits.examples)),
        span_names=run(con, span_names_sql(subject, baseline, current, limits.top)),
        keys=keys, values_key=values_key,
        values=run(con, values_sql(subject, baseline, current, values_key, limits.top)) if values_key else None,
        findings=run(con, findings_sql(subject, since, limits.findings)),
    )


def periods(subject: Subject, signal: Query | None, lookback: dt.timedelta) -> tuple[Period, Period]:
    active = subject.active_at
    window = signal.first("current_window") if signal else None
    if signal is None or window is None:
        return Period(active - lookback, active), Period(active, active + lookback)
    width = dt.timedelta(seconds=signal.first("window_seconds"))
    first, last = signal.first("baseline_from"), signal.first("baseline_last")
    baseline = Period(first, last + width) if first is not None else Period(min(active, window) - lookback,
                                                                             min(active, window))
    return baseline, Period(window, window + width)


def _signal_where(subject: Subject, since: dt.datetime) -> str:
    clauses = [f"signal = {lit(subject.signal)}"]
    for column in ("service", "operation", "key"):
        if getattr(subject, column):
            clauses.append(f"{column} = {lit(getattr(subject, column))}")
    return " AND ".join(clauses) + f"\n  AND window_start >= {lit(since)}"


def signal_sql(subject: Subject, since: dt.datetime, windows: int) -> str:
    return f"""WITH series AS (
  SELECT window_start, any_value(window_seconds) AS window_seconds, avg(value) AS value FROM signals
  WHERE {_signal_where(subject, since)}
  GROUP BY window_start
),
current AS (SELECT * FROM series ORDER BY window_start DESC LIMIT 1),
baseline AS (
  SELECT * FROM series
  WHERE window_start < {lit(subject.active_at)} AND window_start < (SELECT window_start FROM current)
  ORDER BY window_start DESC LIMIT {windows}
)
SELECT (SELECT count(*) FROM baseline) AS baseline_windows,
       (SELECT min(window_start) FROM baseline) AS baseline_from,
       (SELECT max(window_start) FROM baseline) AS baseline_last,
       (SELECT avg(value) FROM baseline) AS baseline_mean,
       (SELECT window_start FROM current) AS current_window,
       (SELECT window_seconds FROM current) AS window_seconds,
       (SELECT value FROM current) AS current_value"""


def series_sql(subject: Subject, since: dt.datetime, windows: int) -> str:
    return f"""SELECT window_start, avg(value) AS value FROM signals
WHERE {_signal_where(subject, since)}
GROUP BY window_start ORDER BY window_start DESC LIMIT {windows}"""


def drift_sql(subject: Subject, since: dt.datetime, limit: int) -> str:
    return f"""SELECT window_start, detector, direction, before, after FROM drift_events
WHERE {_signal_where(subject, since)}
ORDER BY window_start DESC, detector LIMIT {limit}"""


def _tagged(subject: Subject, baseline: Period, current: Period, columns: str) -> str:
    """The service's spans of both periods, each tagged with its period."""
    return f"""SELECT {columns},
         CASE WHEN {current.clause()} THEN 'current' ELSE 'baseline' END AS period
  FROM spans
  WHERE service_name = {lit(subject.service)}
    AND ({baseline.clause()}
      OR {current.clause()})"""


def spans_sql(subject: Subject, baseline: Period, current: Period) -> str:
    return f"""WITH s AS (
  {_tagged(subject, baseline, current, "trace_id, name, status_code, duration_ns")}
)
SELECT period, count(*) AS spans, count(*) FILTER (WHERE status_code = 2) AS error_spans,
       count(DISTINCT trace_id) AS traces, count(DISTINCT name) AS span_names,
       round(avg(duration_ns) / 1e6, 3) AS mean_ms
FROM s GROUP BY period ORDER BY period LIMIT 2"""


def examples_sql(subject: Subject, current: Period, limit: int) -> str:
    clauses = [f"service_name = {lit(subject.service)}", current.clause()]
    if subject.operation:
        clauses.append(f"name = {lit(subject.operation)}")
    if subject.key:
        clauses.append(f"seq IN (SELECT span_seq FROM span_attributes WHERE key = {lit(subject.key)})")
    where = "\n  AND ".join(clauses)
    return f"""SELECT trace_id, span_id, name, round(duration_ns / 1e6, 3) AS duration_ms, status_code
FROM spans
WHERE {where}
ORDER BY status_code = 2 DESC, duration_ns DESC, trace_id, span_id LIMIT {limit}"""


def _shares(counts: str, order: str, limit: int) -> str:
    """Columns of ``counts`` plus each period's count as a percentage of the period's spans."""
    return f"""totals AS (
  SELECT count(*) FILTER (WHERE period = 'baseline') AS nb, count(*) FILTER (WHERE period = 'current') AS nc
  FROM s
),
shares AS (
  SELECT c.*, round(100.0 * baseline_spans / nullif(nb, 0), 1) AS baseline_pct,
         round(100.0 * current_spans / nullif(nc, 0), 1) AS current_pct
  FROM ({counts}) c, totals
)
SELECT *, round(coalesce(current_pct, 0) - coalesce(baseline_pct, 0), 1) AS change_pct FROM shares
ORDER BY {order} LIMIT {limit}"""


def span_names_sql(subject: Subject, baseline: Period, current: Period, limit: int) -> str:
    counts = """SELECT name, count(*) FILTER (WHERE period = 'baseline') AS baseline_spans,
         count(*) FILTER (WHERE period = 'current') AS current_spans
  FROM s GROUP BY name"""
    order = "abs(change_pct) DESC, current_spans DESC, name"
    return f"""WITH s AS (
  {_tagged(subject, baseline, current, "name")}
),
{_shares(counts, order, limit)}"""


_VALUE = ("coalesce(a.string_value, CAST(a.int_value AS VARCHAR), CAST(a.double_value AS VARCHAR), "
          "CAST(a.bool_value AS VARCHAR), a.json_value)")


def keys_sql(subject: Subject, baseline: Period, current: Period, limit: int) -> str:
    counts = f"""SELECT a.key,
         count(DISTINCT s.seq) FILTER (WHERE period = 'baseline') AS baseline_spans,
         count(DISTINCT s.seq) FILTER (WHERE period = 'current') AS current_spans,
         count(DISTINCT {_VALUE}) FILTER (WHERE period = 'baseline') AS baseline_values,
         count(DISTINCT {_VALUE}) FILTER (WHERE period = 'current') AS current_values
  FROM s JOIN span_attributes a ON a.span_seq = s.seq GROUP BY a.key"""
    first = f"key = {lit(subject.key)} DESC, " if subject.key else ""
    order = f"{first}abs(change_pct) DESC, abs(current_values - baseline_values) DESC, key"
    return f"""WITH s AS (
  {_tagged(subject, baseline, current, "seq")}
),
{_shares(counts, order, limit)}"""


def values_sql(subject: Subject, baseline: Period, current: Period, key: str, limit: int) -> str:
    counts = f"""SELECT {_VALUE} AS value,
         count(*) FILTER (WHERE period = 'baseline') AS baseline_spans,
         count(*) FILTER (WHERE period = 'current') AS current_spans
  FROM s JOIN span_attributes a ON a.span_seq = s.seq
  WHERE a.key = {lit(key)} GROUP BY value"""
    order = "current_spans DESC, baseline_spans DESC, value"
    return f"""WITH s AS (
  {_tagged(subject, baseline, current, "seq")}
),
{_shares(counts, order, limit)}"""


def findings_sql(subject: Subject, since: dt.datetime, limit: int) -> str:
    service = lit(subject.service)
    return f"""SELECT window_start, level, finding_id, span_name, attribute, count, message, suggestion,
       example_trace_id
FROM findings
WHERE service = {service}
  AND window_start = (SELECT max(window_start) FROM findings WHERE service = {service}
                        AND window_start >= {lit(since)})
ORDER BY CASE level WHEN 'violation' THEN 0 WHEN 'improvement' THEN 1 ELSE 2 END, count DESC,
         finding_id, attribute, span_name
LIMIT {limit}"""
