"""How the CLI runs SQL: through a running daemon's admin endpoint, else on the file directly."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from .admin import QUERY_PATH
from .store.query import QueryError, QueryResult, open_read_only, run_query


class DaemonUnreachable(Exception):
    pass


def query(sql: str, admin_endpoint: str, database: Path, timeout: float, max_rows: int) -> QueryResult:
    try:
        return query_daemon(sql, admin_endpoint, timeout, max_rows)
    except DaemonUnreachable:
        con = open_read_only(database)
        try:
            return run_query(con, sql, timeout, max_rows)
        finally:
            con.close()


def query_daemon(sql: str, admin_endpoint: str, timeout: float, max_rows: int) -> QueryResult:
    body = json.dumps({"sql": sql, "max_rows": max_rows}).encode()
    request = urllib.request.Request(
        f"http://{admin_endpoint}{QUERY_PATH}", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout + 5) as response:
            return QueryResult.from_json(json.load(response))
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc)["error"]
        except (ValueError, KeyError):
            message = f"admin endpoint answered HTTP {exc.code}"
        raise QueryError(message) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        raise DaemonUnreachable(str(exc)) from None
