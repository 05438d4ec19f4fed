"""Where analyzer output lives in DuckDB: signal values, findings, drift events and engine snapshots."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterable
from typing import Any

import duckdb

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


def window_timestamp(window: Window) -> dt.datetime:
    return dt.datetime.fromtimestamp(window.start_ns / 1e9, dt.UTC).replace(tzinfo=None)


def write_window(con: duckdb.DuckDBPyConnection, window: Window, signals: Iterable[Signal],
                 findings: Iterable[Finding], drift_events: Iterable[Any]) -> None:
    ts, width = window_timestamp(window), window.seconds
    rows = [(ts, width, s.signal, s.service, s.operation, s.key, float(s.value)) for s in signals]
    if rows:
        con.executemany("INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    rows = [(ts, width, f.id, f.level.value, f.service, f.span_name, f.attribute, f.message, f.suggestion,
             f.count, f.example_trace_id, f.example_span_id) for f in findings]
    if rows:
        con.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    rows = [(ts, width, e.signal, e.service, e.operation, e.key, e.detector, e.direction, e.before, e.after,
             e.size) for e in drift_events]
    if rows:
        con.executemany("INSERT INTO drift_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def save_state(con: duckdb.DuckDBPyConnection, name: str, last_seq: int, state: object) -> None:
    blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    con.execute("DELETE FROM analyzer_state WHERE name = ?", [name])
    con.execute("INSERT INTO analyzer_state VALUES (?, ?, now()::TIMESTAMP, ?)", [name, last_seq, blob])


def load_state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, object] | None:
    rows = con.execute("SELECT last_seq, state FROM analyzer_state WHERE name = ?", [name]).fetchall()
    if not rows:
        return None
    return rows[0][0], pickle.loads(rows[0][1])
