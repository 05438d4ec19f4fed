"""The daemon's lifecycle: bind the receivers and admin endpoint, run, drain on SIGTERM/SIGINT.

Shutdown order matters: stop accepting (receivers), then let the writer commit everything already
accepted, then close the admin endpoint, so no acknowledged span is lost.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from prometheus_client import CollectorRegistry

from . import admin, otlp_grpc, otlp_http
from .config import Config
from .ingest import Ingest
from .metrics import IngestMetrics
from .store.writer import SpanWriter

log = logging.getLogger("weavergen")


def _split(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host.strip("[]"), int(port)


class Daemon:
    def __init__(self, config: Config, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.registry = registry or CollectorRegistry()
        self.metrics = IngestMetrics(self.registry)
        self.writer: SpanWriter | None = None
        self.engine = None
        self.rules = None
        self.runner = None
        self._grpc = None
        self._runners: list[web.AppRunner] = []
        self._ready = False

    async def start(self) -> None:
        cfg = self.config
        self.writer = SpanWriter(
            cfg.storage.database_path, self.metrics, cfg.storage.batch_max_spans, cfg.storage.queue_max_spans,
            cfg.storage.checkpoint_threshold_mb, cfg.storage.checkpoint_interval_seconds,
        )
        self.metrics.watch_database(cfg.storage.database_path)
        self._start_reactions()
        if cfg.analyzers.enabled:
            self._start_analysis()
        ingest = Ingest(self.writer, self.metrics, cfg.collector.retry_after_seconds)
        self._grpc, _ = otlp_grpc.build_server(ingest, cfg.collector.grpc_endpoint, cfg.collector.max_request_bytes)
        await self._grpc.start()
        # auto_decompress off: the receiver inflates gzip itself, with a size cap.
        await self._serve(otlp_http.build_app(ingest, cfg.collector.max_request_bytes),
                          cfg.collector.http_endpoint, auto_decompress=False)
        writer = self.writer
        hooks = {"/hooks/alertmanager": self._alertmanager_hook()}
        await self._serve(admin.build_app(self.registry, writer.con.cursor, cfg.admin, lambda: self._ready, hooks),
                          cfg.admin.endpoint)
        self._ready = True
        log.info(
            "weavergen ready: OTLP/gRPC %s, OTLP/HTTP %s, admin %s, database %s",
            cfg.collector.grpc_endpoint, cfg.collector.http_endpoint, cfg.admin.endpoint,
            cfg.storage.database_path,
        )

    def _start_analysis(self) -> None:
        # Imported here: the collector works without the analysis stage, and its imports are heavy.
        from weavergen.analyzers.engine import AnalysisEngine
        from weavergen.analyzers.metrics import AnalyzerCollector
        from weavergen.analyzers.setup import analyzers_from_config

        cfg = self.config.analyzers
        self.engine = AnalysisEngine(
            self.writer.con.cursor, analyzers_from_config(self.config), cfg.window_seconds, cfg.grace_seconds,
            cfg.idle_close_seconds, cfg.max_services, cfg.max_operations, cfg.poll_seconds,
        )
        self.writer.add_listener(lambda _batch: self.engine.notify())
        self.registry.register(AnalyzerCollector(lambda: self.engine))
        # Rules evaluate in telemetry time: at the end of every window the analyzers close.
        self.engine.listeners.append(lambda closed: self.rules.evaluate(closed.window.end))
        self.engine.start()

    def _start_reactions(self) -> None:
        """Healers (actions) and rules (which trigger them); rules are loaded and checked here."""
        from weavergen.analyzers import results
        from weavergen.healers.runner import ActionRunner
        from weavergen.rules.manager import RuleManager
        from weavergen.rules.metrics import RulesCollector
        from weavergen.rules.settings import DEFAULT_RULES_DIR

        cfg = self.config
        with self.writer.con.cursor() as con:
            results.create_tables(con)  # signal and drift conditions read these tables
        self.runner = ActionRunner.from_config(cfg.healers, self.writer.con.cursor)
        paths = cfg.rules.paths or [DEFAULT_RULES_DIR]  # empty: the rules shipped with WeaverGen
        self.rules = RuleManager(self.writer.con.cursor, paths, cfg.rules.sql_timeout_seconds,
                                 on_transition=self.runner.submit)
        self.rules.load()
        if cfg.rules.watch:
            self.rules.watch()
        self.registry.register(RulesCollector(lambda: self.rules))

    def _alertmanager_hook(self):
        from weavergen.healers.alertmanager import RouteError, SeenDeliveries, WebhookError, check_routes, \
            delivery_key, handle_delivery

        routes = [route.model_dump() for route in self.config.healers.routes]
        check_routes(routes)
        seen = SeenDeliveries()

        async def hook(request: web.Request) -> web.Response:
            body = await request.read()
            try:
                delivered = handle_delivery(body, seen, routes)
            except (WebhookError, RouteError) as exc:
                return web.json_response({"error": str(exc)}, status=400)  # Alertmanager does not retry 4xx
            for alert, _actions in delivered:
                if not self.runner.submit(alert):
                    seen.forget(delivery_key(alert))  # let Alertmanager's retry be processed
                    return web.json_response({"error": "healers are shutting down"}, status=503)
            return web.json_response({"accepted": len(delivered)})

        return hook

    async def _serve(self, app: web.Application, endpoint: str, **server_args) -> None:
        runner = web.AppRunner(app, access_log=None, **server_args)
        await runner.setup()
        host, port = _split(endpoint)
        try:
            await web.TCPSite(runner, host, port, backlog=1024).start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(f"cannot listen on {endpoint}: {exc.strerror}") from None
        self._runners.append(runner)

    async def stop(self) -> None:
        self._ready = False
        log.info("shutting down: refusing new requests, committing what was accepted")
        if self._grpc is not None:
            await self._grpc.stop(grace=5)
        if self._runners:
            await self._runners[0].cleanup()  # OTLP/HTTP
        if self.writer is not None:
            await asyncio.to_thread(self.writer.stop)
        if self.engine is not None:
            await asyncio.to_thread(self.engine.stop)
        if self.rules is not None:
            await asyncio.to_thread(self.rules.close)
        if self.runner is not None:
            await asyncio.to_thread(self.runner.shutdown)
        if self.writer is not None:
            await asyncio.to_thread(self.writer.close)
        for runner in self._runners[1:]:
            await runner.cleanup()
        self._runners.clear()
        log.info("stopped cleanly")

    async def run(self) -> None:
        """Start, wait for SIGTERM or SIGINT, stop."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
        finally:
            await self.stop()
