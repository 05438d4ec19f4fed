"""Where analyzer output lives in DuckDB: signal values, findings, drift events and engine snapshots."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from .base import Finding, Signal, Window

TABLES = {
    "signals": """
        window_start TIMESTAMP NOT NULL,
        window_seconds INTEGER NOT NULL,
        signal VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        operation VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        value DOUBLE NOT NULL
    """,
    "findings": """
        window_start TIMESTAMP NOT NULL,
        window_seconds INTEGER NOT NULL,
        finding_id VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        span_name VARCHAR NOT NULL,
        attribute VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        suggestion VARCHAR NOT NULL,
        count BIGINT NOT NULL,
        example_trace_id VARCHAR NOT NULL,
        example_span_id VARCHAR NOT NULL
    """,
    "drift_events": """
        window_start TIMESTAMP NOT NULL,
        window_seconds INTEGER NOT NULL,
        signal VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        operation VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        detector VARCHAR NOT NULL,
        direction VARCHAR NOT NULL,
        before DOUBLE NOT NULL,
        after DOUBLE NOT NULL,
        size DOUBLE NOT NULL
    """,
    "analyzer_state": """
        name VARCHAR NOT NULL,
        last_seq BIGINT NOT NULL,
        saved_at TIMESTAMP NOT NULL,
        state BLOB NOT NULL
    """,
}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def write_window(con: duckdb.DuckDBPyConnection, window: Window, signals: Iterable[Signal],
                 findings: Iterable[Finding], drift_events: Iterable[Any]) -> None:
    ts, width = window.start, window.seconds
    _insert(con, "signals", [
        {"signal": s.signal, "service": s.service, "operation": s.operation, "key": s.key, "value": float(s.value)}
        for s in signals], ts, width)
    _insert(con, "findings", [
        {"finding_id": f.id, "level": f.level.value, "service": f.service, "span_name": f.span_name,
         "attribute": f.attribute, "message": f.message, "suggestion": f.suggestion, "count": f.count,
         "example_trace_id": f.example_trace_id, "example_span_id": f.example_span_id}
        for f in findings], ts, width)
    _insert(con, "drift_events", [
        {"signal": e.signal, "service": e.service, "operation": e.operation, "key": e.key, "detector": e.detector,
         "direction": e.direction, "before": float(e.before), "after": float(e.after), "size": float(e.size)}
        for e in drift_events], ts, width)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], ts: dt.datetime, width: int) -> None:
    """Thousands of rows per window (a signal per attribute key and operation): one Arrow insert,
    not row-by-row executemany."""
    if not rows:
        return
    data = pa.Table.from_pylist(rows).append_column(
        "window_start", pa.array([ts] * len(rows), pa.timestamp("us"))
    ).append_column("window_seconds", pa.array([width] * len(rows), pa.int32()))
    con.register("_rows", data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def save_state(con: duckdb.DuckDBPyConnection, name: str, last_seq: int, state: object) -> None:
    blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    con.execute("DELETE FROM analyzer_state WHERE name = ?", [name])
    con.execute("INSERT INTO analyzer_state VALUES (?, ?, now()::TIMESTAMP, ?)", [name, last_seq, blob])


def load_state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, object] | None:
    rows = con.execute("SELECT last_seq, state FROM analyzer_state WHERE name = ?", [name]).fetchall()
    if not rows:
        return None
    return rows[0][0], pickle.loads(rows[0][1])
