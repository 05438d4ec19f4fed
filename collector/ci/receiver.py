"""An ephemeral OTLP receiver for ``live-check``: the daemon's own gRPC and HTTP receivers on free
loopback ports, writing into the run's store, with no admin endpoint and no analysis thread.

It reuses ``otlp_grpc`` / ``otlp_http`` and ``Ingest`` unchanged, so a program under live-check is
received exactly as the daemon would receive it (same status codes, limits and partial success).
"""

from __future__ import annotations

from aiohttp import web
from grpc import aio

from .. import otlp_grpc, otlp_http
from ..ingest import Ingest
from .store import RunStore

HOST = "127.0.0.1"
MAX_REQUEST_BYTES = 64 * 1024 * 1024


class EphemeralReceiver:
    def __init__(self, store: RunStore, max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self._ingest = Ingest(store.writer, store.metrics)
        self._max = max_request_bytes
        self._grpc: aio.Server | None = None
        self._http: web.AppRunner | None = None
        self.grpc_port = 0
        self.http_port = 0

    async def start(self) -> None:
        self._grpc, self.grpc_port = otlp_grpc.build_server(self._ingest, f"{HOST}:0", self._max)
        await self._grpc.start()
        runner = web.AppRunner(otlp_http.build_app(self._ingest, self._max), access_log=None,
                               auto_decompress=False)
        await runner.setup()
        await web.TCPSite(runner, HOST, 0).start()
        self._http = runner
        self.http_port = runner.addresses[0][1]

    def endpoint(self, protocol: str) -> str:
        """``OTEL_EXPORTER_OTLP_ENDPOINT`` for ``protocol`` (grpc, http/protobuf or http/json)."""
        return f"http://{HOST}:{self.grpc_port if protocol == 'grpc' else self.http_port}"

    async def stop(self) -> None:
        """Stop accepting; requests already accepted are committed by the store's writer."""
        if self._grpc is not None:
            await self._grpc.stop(grace=5)
            self._grpc = None
        if self._http is not None:
            await self._http.cleanup()
            self._http = None
