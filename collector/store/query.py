"""Read-only SQL over the span store, used by the daemon's query endpoint and by the CLI directly."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

# Statements that cannot change the database. Everything else (INSERT, COPY, ATTACH, SET, PRAGMA…) is refused.
_READ_ONLY = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryError(ValueError):
    """A query that was refused or failed; the message is meant for the user."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "types": self.types,
            "rows": [[to_jsonable(v) for v in row] for row in self.rows],
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueryResult:
        return cls(data["columns"], data["types"], data["rows"], data.get("truncated", False))


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"cannot parse SQL: {exc}") from None
    if len(statements) != 1:
        raise QueryError(f"send exactly one statement (got {len(statements)})")
    if statements[0].type not in _READ_ONLY:
        raise QueryError(f"only SELECT queries are allowed here (got {statements[0].type.name})")


def run_query(
    con: duckdb.DuckDBPyConnection, sql: str, timeout: float = 30.0, max_rows: int = 10_000
) -> QueryResult:
    """Run one read-only statement on ``con`` (a cursor of its own), interrupted after ``timeout`` s."""
    check_read_only(con, sql)
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        relation = con.execute(sql)
        rows = relation.fetchmany(max_rows + 1)
        description = relation.description or []
    except duckdb.InterruptException:
        raise QueryError(f"query cancelled after {timeout:g} s (admin.query_timeout_seconds)") from None
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from None
    finally:
        timer.cancel()
    return QueryResult(
        columns=[d[0] for d in description],
        types=[str(d[1]) for d in description],
        rows=[list(r) for r in rows[:max_rows]],
        truncated=len(rows) > max_rows,
    )


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise QueryError(f"{path}: no span database yet; start the daemon (weavergen serve) to create it")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise QueryError(
            f"{path}: cannot open ({exc}). A daemon probably holds it; query through its admin "
            "endpoint (--admin HOST:PORT)"
        ) from None


def to_jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, dt.timedelta)):
        return str(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
