"""Evaluate one rule's condition against the latest closed window: each result is one alert subject.

The latest closed window at time ``now`` is the window of the ``signals`` table whose end lies in
``(now - window_seconds, now]``: the daemon evaluates at the end time of the window that just closed.
When no window ended there (no telemetry), signal and drift conditions see nothing and are false.
SQL conditions run read-only with a time limit; DuckDB variables tell them which window is current:
``getvariable('window_start')``, ``getvariable('window_end')`` (NULL without a window) and
``getvariable('eval_time')``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
from dataclasses import dataclass, field
from typing import Any

import duckdb

from weavergen.collector.store.query import QueryResult, run_query, to_jsonable

from .alert import naive_utc
from .loader import Rule
from .model import OPERATORS, SERIES_LABELS, matches

# Windows longer than this are not looked for (it bounds the scan for the latest window).
MAX_WINDOW = dt.timedelta(days=1)
MAX_SQL_ROWS = 1000


@dataclass(frozen=True)
class Window:
    start: dt.datetime  # naive UTC, as stored
    seconds: int

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Sample:
    """One subject for which a condition holds now."""

    subject: dict[str, str]
    value: float | None
    values: dict[str, Any] = field(default_factory=dict)


def latest_window(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> Window | None:
    now = naive_utc(now)
    row = con.execute(
        """SELECT window_start, window_seconds FROM signals
           WHERE window_start > ? AND window_start <= ?
             AND window_start + to_seconds(window_seconds) <= ?
             AND window_start + to_seconds(window_seconds) > ? - to_seconds(window_seconds)
           ORDER BY window_start DESC LIMIT 1""",
        [now - 2 * MAX_WINDOW, now, now, now],
    ).fetchone()
    return Window(row[0], row[1]) if row else None


def evaluate(con: duckdb.DuckDBPyConnection, rule: Rule, window: Window | None, now: dt.datetime,
             sql_timeout: float) -> list[Sample]:
    """Raises duckdb.Error or QueryError when the condition cannot be evaluated."""
    when = rule.when
    if when.kind == "sql":
        return _sql(con, when.sql or "", window, now, sql_timeout)
    if window is None:
        return []
    if when.kind == "signal":
        compare = OPERATORS[when.op or "=="]
        rows = con.execute(
            "SELECT service, operation, key, value FROM signals WHERE window_start = ? AND signal = ?",
            [window.start, when.signal],
        ).fetchall()
        # The signal, comparison and threshold travel with the alert: healers cite them as evidence.
        condition = {"signal": when.signal, "op": when.op or "==", "threshold": when.value}
        return [Sample(_subject(row[:3]), row[3], {"value": row[3], **condition})
                for row in rows if matches(when.labels, _series(row[:3])) and compare(row[3], when.value)]
    assert when.drift is not None
    rows = con.execute(
        """SELECT service, operation, key, direction, detector, before, after, size FROM drift_events
           WHERE window_start = ? AND signal = ? ORDER BY abs(size) DESC""",
        [window.start, when.drift.signal],
    ).fetchall()
    samples: dict[tuple[str, ...], Sample] = {}
    for service, operation, key, direction, detector, before, after, size in rows:
        series = (service, operation, key)
        if series in samples or not matches(when.drift.labels, _series(series)):
            continue
        if when.drift.direction in ("any", direction):
            samples[series] = Sample(_subject(series), after, {
                "signal": when.drift.signal, "before": before, "after": after, "size": size,
                "direction": direction, "detector": detector})
    return list(samples.values())


def _series(row: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(SERIES_LABELS, row))


def _subject(row: tuple[str, ...]) -> dict[str, str]:
    """Series labels without the empty ones (a per-service signal has no operation or key)."""
    return {label: value for label, value in zip(SERIES_LABELS, row) if value}


def _sql(con: duckdb.DuckDBPyConnection, sql: str, window: Window | None, now: dt.datetime,
         timeout: float) -> list[Sample]:
    for name, value in (("window_start", window.start if window else None),
                        ("window_end", window.end if window else None), ("eval_time", naive_utc(now))):
        con.execute(f"SET VARIABLE {name} = ?::TIMESTAMP", [value])
    return samples_from_rows(run_query(con, sql, timeout, MAX_SQL_ROWS))


def samples_from_rows(result: QueryResult) -> list[Sample]:
    """String columns become subject labels, numbers go to values; a column named value is the value."""
    samples = []
    for row in result.rows:
        subject, values = {}, {}
        for column, cell in zip(result.columns, row):
            if isinstance(cell, str) and column != "value":
                subject[column] = cell
            elif isinstance(cell, decimal.Decimal):
                values[column] = float(cell)
            elif cell is not None:
                values[column] = cell if isinstance(cell, numbers.Real) else to_jsonable(cell)
        value = values.get("value")
        if value is not None and not isinstance(value, numbers.Real):
            raise ValueError(f"the value column must be numeric (got {value!r})")
        samples.append(Sample(subject, float(value) if value is not None else None, values))
    return samples
