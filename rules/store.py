"""Where alerts live in DuckDB: ``alerts`` (current state per fingerprint) and ``alert_history``.

A row of ``alerts`` is identified by fingerprint and rule: two rules producing the same label set are
tracked apart (see state.Key).

Times are stored as naive UTC TIMESTAMPs, like the analyzer tables. ``alert_history`` gets one row
per state transition (``from_state`` → ``to_state``, ``inactive`` included), never one per evaluation.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable

import duckdb

from weavergen.collector.store.query import to_jsonable

from .alert import AlertState
from .state import Change, Key, Tracked

TABLES = {
    "alerts": """
        fingerprint VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        alertname VARCHAR NOT NULL,
        state VARCHAR NOT NULL,
        labels JSON NOT NULL,
        annotations JSON NOT NULL,
        subject JSON NOT NULL,
        value DOUBLE,
        "values" JSON NOT NULL,
        active_at TIMESTAMP NOT NULL,
        fired_at TIMESTAMP,
        resolved_at TIMESTAMP,
        keep_firing_since TIMESTAMP,
        last_eval TIMESTAMP NOT NULL
    """,
    "alert_history": """
        changed_at TIMESTAMP NOT NULL,
        fingerprint VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        alertname VARCHAR NOT NULL,
        from_state VARCHAR NOT NULL,
        to_state VARCHAR NOT NULL,
        value DOUBLE,
        labels JSON NOT NULL
    """,
}
_COLUMNS = ("fingerprint, rule, alertname, state, labels, annotations, subject, value, \"values\", "
            "active_at, fired_at, resolved_at, keep_firing_since, last_eval")


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def load_alerts(con: duckdb.DuckDBPyConnection) -> dict[Key, Tracked]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM alerts").fetchall()
    tracked = {}
    for (fp, rule, _name, state, labels, notes, subject, value, values, active_at, fired_at,
         resolved_at, keep_firing_since, last_eval) in rows:
        tracked[(rule, fp)] = Tracked(
            rule, json.loads(labels), AlertState(state), _utc(active_at), _utc(last_eval),
            json.loads(subject), json.loads(notes), value, json.loads(values), _utc(fired_at),
            _utc(resolved_at), _utc(keep_firing_since))
    return tracked


def save(con: duckdb.DuckDBPyConnection, alerts: Iterable[Tracked], forgotten: Iterable[Key],
         changes: list[Change], now: dt.datetime) -> None:
    """One transaction: replace the rows of ``alerts``, delete ``forgotten``, append the transitions."""
    alerts = list(alerts)
    rows = [_row(a) for a in alerts]
    gone = sorted({*forgotten, *(a.key for a in alerts)})
    con.execute("BEGIN TRANSACTION")
    try:
        if gone:
            con.executemany("DELETE FROM alerts WHERE rule = ? AND fingerprint = ?", gone)
        if rows:
            con.executemany(f"INSERT INTO alerts ({_COLUMNS}) VALUES ({', '.join('?' * 14)})", rows)
        if changes:
            con.executemany("INSERT INTO alert_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                (_naive(now), c.tracked.fingerprint, c.tracked.rule, c.tracked.labels["alertname"], c.before,
                 c.after, c.tracked.value, _json(c.tracked.labels)) for c in changes])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _row(a: Tracked) -> tuple:
    return (a.fingerprint, a.rule, a.labels["alertname"], a.state.value, _json(a.labels),
            _json(a.annotations), _json(a.subject), a.value, _json(a.values), _naive(a.active_at),
            _naive(a.fired_at), _naive(a.resolved_at), _naive(a.keep_firing_since), _naive(a.last_eval))


def _json(value: object) -> str:
    return json.dumps(_finite(to_jsonable(value)), sort_keys=True)


def _finite(value: object) -> object:
    """JSON has no NaN or infinity: they are stored as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value else None


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value else None
