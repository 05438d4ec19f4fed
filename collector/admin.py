"""Admin HTTP: /metrics, /healthz, /readyz and the read-only query endpoint.

While the daemon runs it is the only process that may open the DuckDB file, so ``weavergen query``
goes through ``POST /api/v1/query`` here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import duckdb
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from .config import AdminConfig
from .store.query import QueryError, run_query

QUERY_PATH = "/api/v1/query"


def build_app(
    registry: CollectorRegistry,
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    config: AdminConfig,
    ready: Callable[[], bool],
    hooks: dict[str, Callable] | None = None,
) -> web.Application:
    """``hooks``: extra POST endpoints of later stages (e.g. /hooks/alertmanager → healers)."""
    async def metrics(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        if ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready\n")

    async def query(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            sql = payload["sql"]
            max_rows = int(payload.get("max_rows", config.query_max_rows))
        except (ValueError, KeyError, TypeError):
            return _json_error(400, 'send a JSON body {"sql": "SELECT ...", "max_rows": 100}')
        max_rows = min(max_rows, config.query_max_rows)
        try:
            result = await asyncio.to_thread(_query, cursor, sql, config.query_timeout_seconds, max_rows)
        except QueryError as exc:
            return _json_error(400, str(exc))
        return web.json_response(result.to_json(), dumps=_dumps)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post(QUERY_PATH, query)
    for path, handler in (hooks or {}).items():
        app.router.add_post(path, handler)
    return app


def _query(cursor, sql: str, timeout: float, max_rows: int):
    con = cursor()
    try:
        return run_query(con, sql, timeout, max_rows)
    finally:
        con.close()


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=False)


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
