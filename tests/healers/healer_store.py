"""A real span store for the healer tests: DuckDB file, real schema, rows of a known error-rate regression.

Service ``checkout``, 60 s windows from 12:00 UTC. Baseline windows 12:00–12:09: 10 spans each (8 "GET
/orders", 2 "SELECT orders"), one error per window, error_rate alternating 0.05/0.15 (mean 0.1). The
alert starts at 12:10. Window 12:10 is a transition (0.5, 5 spans); the latest window 12:11 has 10 spans,
9 errors ("GET /orders" ×5, "GET /orders/{id}" ×5), ``http.method`` instead of ``http.request.method`` and
one ``user.id`` per span; error_rate 0.9. A service ``billing`` runs alongside and must never show up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from weavergen.analyzers.results import create_tables
from weavergen.collector.store.schema import create_schema
from weavergen.rules.alert import Alert, AlertState

T0 = dt.datetime(2026, 1, 1, 12, 0)
ACTIVE_AT = dt.datetime(2026, 1, 1, 12, 10, tzinfo=dt.UTC)
CURRENT = T0 + dt.timedelta(minutes=11)
CURRENT_TRACES = [f"{0xC0FFEE00 + i:032x}" for i in range(10)]


def ns(t: dt.datetime) -> int:
    return (t - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1) * 1000


class SpanWriter:
    """Collects spans (attribute keys spelled with _ for .) and inserts them on ``flush``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seq: int = 0) -> None:
        self.con, self.seq = con, seq
        self.spans: list[list] = []
        self.attributes: list[list] = []

    def span(self, service: str, name: str, end: dt.datetime, error: bool = False, duration_ms: int = 20,
             trace_id: str | None = None, **attributes: str) -> None:
        self.seq += 1
        end_ns = ns(end)
        start_ns = end_ns - duration_ms * 1_000_000
        self.spans.append([self.seq, trace_id or f"{self.seq:032x}", f"{self.seq:016x}", name, start_ns, end_ns,
                           end_ns - start_ns, 2 if error else 1, service])
        self.attributes += [[self.seq, position, key.replace("_", "."), value]
                            for position, (key, value) in enumerate(attributes.items())]

    def flush(self) -> None:
        # Through Arrow: one INSERT per table (row-by-row executemany takes ~1 ms a row here).
        columns = ["seq", "trace_id", "span_id", "name", "start", "end", "duration", "status", "service"]
        self._insert(self.spans, columns, """INSERT INTO spans
            SELECT seq, trace_id, span_id, NULL, '', 0, name, 2, start, "end", duration, status, '', service,
                   1, 1, 0, 0, 0 FROM rows""")
        self._insert(self.attributes, ["seq", "position", "key", "value"], """INSERT INTO span_attributes
            (span_seq, position, key, type, string_value) SELECT seq, position, key, 'string', value FROM rows""")
        self.spans, self.attributes = [], []

    def _insert(self, rows: list[list], columns: list[str], sql: str) -> None:
        if rows:
            self.con.register("rows", pa.table(list(zip(*rows)), names=columns))
            self.con.execute(sql)
            self.con.unregister("rows")


def signal(con, window: dt.datetime, name: str, service: str, value: float, operation: str = "",
           key: str = "") -> None:
    con.execute("INSERT INTO signals VALUES (?, 60, ?, ?, ?, ?, ?)", [window, name, service, operation, key,
                                                                       value])


def finding(con, window: dt.datetime, finding_id: str, level: str, span_name: str, attribute: str,
            count: int, message: str, suggestion: str, trace_id: str, service: str = "checkout") -> None:
    con.execute("INSERT INTO findings VALUES (?, 60, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [window, finding_id, level, service, span_name, attribute, message, suggestion, count,
                 trace_id, "0" * 16])


def build_store(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    create_schema(con)
    create_tables(con)
    con.begin()  # one commit, not one per row
    spans = SpanWriter(con)
    for w in range(10):
        window = T0 + dt.timedelta(minutes=w)
        for i in range(10):
            name = "GET /orders" if i < 8 else "SELECT orders"
            spans.span("checkout", name, window + dt.timedelta(seconds=5 * i + 1), error=i == 0,
                       http_request_method="GET", http_route="/orders")
            spans.span("billing", "charge", window + dt.timedelta(seconds=5 * i + 2), error=True)
        signal(con, window, "error_rate", "checkout", 0.05 if w % 2 == 0 else 0.15)
        signal(con, window, "error_rate", "billing", 1.0)
    transition = T0 + dt.timedelta(minutes=10)
    for i in range(5):
        spans.span("checkout", "GET /orders", transition + dt.timedelta(seconds=i + 1), error=i < 2,
                   http_request_method="GET")
    signal(con, transition, "error_rate", "checkout", 0.5)
    for i, trace_id in enumerate(CURRENT_TRACES):
        name = "GET /orders" if i < 5 else "GET /orders/{id}"
        spans.span("checkout", name, CURRENT + dt.timedelta(seconds=5 * i + 1), error=i != 9,
                   duration_ms=100 + 10 * i, trace_id=trace_id, http_method="GET", user_id=f"user-{i}")
    spans.flush()
    signal(con, CURRENT, "error_rate", "checkout", 0.9)
    signal(con, CURRENT, "error_rate", "billing", 1.0)
    con.execute("INSERT INTO drift_events VALUES (?, 60, 'error_rate', 'checkout', '', '', 'page_hinkley', "
                "'up', 0.1, 0.9, 8.0)", [CURRENT])
    finding(con, CURRENT, "deprecated", "violation", "GET /orders", "http.method", 10,
            "'http.method' is deprecated (renamed)", "use http.request.method", CURRENT_TRACES[0])
    finding(con, CURRENT, "required_attribute_not_present", "violation", "GET /orders", "http.route", 5,
            "'http.route' is required on span.http.server but not present", "add 'http.route'",
            CURRENT_TRACES[1])
    finding(con, CURRENT, "template_attribute", "information", "GET /orders", "user.id", 10,
            "'user.id' matches a template", "", CURRENT_TRACES[2])
    finding(con, T0, "missing_attribute", "violation", "GET /orders", "old.key", 3, "old", "", "0" * 32)
    finding(con, CURRENT, "deprecated", "violation", "charge", "db.system", 7, "billing only",
            "use db.system.name", "f" * 32, service="billing")
    con.commit()
    return con


def make_alert(state: AlertState = AlertState.firing, value: float = 0.9, actions=("charter",),
               **overrides) -> Alert:
    fields = {
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
        "state": state,
        "annotations": {"summary": "Error rate of checkout is 90%", "runbook": "see the charter"},
        "value": value,
        "values": {"value": value, "signal": "error_rate", "threshold": 0.5},
        "subject": {"service": "checkout"},
        "rule": "slo/HighErrorRate",
        "actions": tuple(actions),
        "active_at": ACTIVE_AT,
        "fired_at": ACTIVE_AT + dt.timedelta(minutes=1),
        "resolved_at": ACTIVE_AT + dt.timedelta(minutes=5) if state is AlertState.resolved else None,
    }
    return Alert(**{**fields, **overrides})
