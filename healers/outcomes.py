"""Where action outcomes live in DuckDB: one ``alert_actions`` row per action run for an alert.

The table is the alert's record (``weavergen query "SELECT * FROM alert_actions"``) and how one action
learns what an earlier one produced: the webhook sends the charter path recorded by the charter action.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from weavergen.rules.alert import Alert

from .base import ActionResult
from .times import utc_now

TABLE = """
    fingerprint VARCHAR NOT NULL,
    alertname VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    artifacts JSON NOT NULL,
    recorded_at TIMESTAMP NOT NULL
"""


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS alert_actions ({TABLE})")


def record(con: duckdb.DuckDBPyConnection, alert: Alert, action: str, result: ActionResult,
           at: dt.datetime | None = None) -> None:
    con.execute(
        "INSERT INTO alert_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [alert.fingerprint, alert.name, alert.rule, action, alert.state.value, result.outcome.value,
         result.detail, json.dumps(result.artifacts, sort_keys=True), at or utc_now()],
    )


def latest_applied(con: duckdb.DuckDBPyConnection, fingerprint: str) -> dict[str, dict[str, Any]]:
    """Per action, the state and artifacts of the newest applied run for this alert ({} without the table)."""
    sql = """SELECT action, state, artifacts FROM alert_actions
             WHERE fingerprint = ? AND outcome = 'applied'
             QUALIFY row_number() OVER (PARTITION BY action ORDER BY recorded_at DESC) = 1
             ORDER BY action LIMIT 100"""
    try:
        rows = con.execute(sql, [fingerprint]).fetchall()
    except duckdb.CatalogException:
        return {}
    return {action: {"state": state, "artifacts": json.loads(artifacts)} for action, state, artifacts in rows}
