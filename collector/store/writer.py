"""The single writer: a bounded queue in front of DuckDB with group commit.

DuckDB allows one writing process and favours few large transactions, so every receiver hands its
encoded request to ``SpanWriter.submit`` and waits on the returned future; one thread takes whatever is
queued (up to ``batch_max_spans``), converts it in one go and commits it in one transaction. A future
resolves only after the commit, so an acknowledged span is on disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import duckdb
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ..metrics import IngestMetrics
from .flatten import FlatBatch, RequestKeys, flatten_requests, request_keys
from .schema import open_database

log = logging.getLogger(__name__)

# Column expressions for INSERT ... BY NAME from the flat Arrow tables. Ids are stored as lowercase hex
# text because that is how every OTel tool prints them and how users type them in queries.
_INSERT_SELECT = {
    "spans": """* REPLACE (lower(hex(trace_id)) AS trace_id, lower(hex(span_id)) AS span_id,
        nullif(lower(hex(parent_span_id)), '') AS parent_span_id),
        end_time_unix_nano::BIGINT - start_time_unix_nano::BIGINT AS duration_ns""",
    "span_links": "* REPLACE (lower(hex(trace_id)) AS trace_id, lower(hex(span_id)) AS span_id)",
}


class QueueFull(Exception):
    """The writer holds as many uncommitted spans as it may; the sender should retry later."""


class WriterClosed(Exception):
    """The daemon is shutting down and takes no more spans."""


@dataclass(frozen=True)
class WriteResult:
    accepted: int
    rejected: int

    @property
    def message(self) -> str:
        if not self.rejected:
            return ""
        return (
            f"{self.rejected} span(s) rejected: invalid trace_id/span_id/parent_span_id "
            "(trace ids must be 16 bytes and span ids 8 bytes, not all zero)"
        )


@dataclass
class _Pending:
    payload: bytes
    spans: int
    keys: RequestKeys
    future: Future[WriteResult]


CommitListener = Callable[[FlatBatch], None]


class SpanWriter:
    def __init__(
        self,
        path: Path,
        metrics: IngestMetrics,
        batch_max_spans: int = 20_000,
        queue_max_spans: int = 200_000,
        checkpoint_threshold_mb: int = 256,
        checkpoint_interval_seconds: float = 300.0,
    ) -> None:
        self.path = path
        self._metrics = metrics
        self._batch_max = batch_max_spans
        self._queue_max = queue_max_spans
        self._queue: deque[_Pending] = deque()
        self._queued_spans = 0
        self._cond = threading.Condition()
        self._closing = False
        self._listeners: list[CommitListener] = []
        self.con = open_database(path)
        # DuckDB checkpoints inside COMMIT whenever the WAL passes checkpoint_threshold (16 MiB by
        # default), stalling that commit for up to half a second. A large threshold plus checkpoints
        # taken by this thread when the queue is idle keeps those stalls off the acknowledgement path.
        self.con.execute(f"SET checkpoint_threshold = '{int(checkpoint_threshold_mb)}MB'")
        self._checkpoint_interval = checkpoint_interval_seconds
        self._last_checkpoint = time.monotonic()
        self._next_seq = self.con.execute("SELECT coalesce(max(seq), 0) + 1 FROM spans").fetchone()[0]
        self._resources = {r for (r,) in self.con.execute("SELECT resource_id FROM resources").fetchall()}
        self._scopes = {s for (s,) in self.con.execute("SELECT scope_id FROM scopes").fetchall()}
        self._thread = threading.Thread(target=self._run, name="span-writer", daemon=True)
        metrics.watch_queue(lambda: self._queued_spans, queue_max_spans)
        self._thread.start()

    def add_listener(self, listener: CommitListener) -> None:
        """Called in the writer thread after each commit; must be quick (hand work to another thread)."""
        self._listeners.append(listener)

    @property
    def queued_spans(self) -> int:
        return self._queued_spans

    def submit(self, payload: bytes, spans: int, keys: RequestKeys) -> Future[WriteResult]:
        """Queue one encoded ExportTraceServiceRequest that was already parsed (see ``request_keys``)."""
        future: Future[WriteResult] = Future()
        with self._cond:
            if self._closing:
                raise WriterClosed("the daemon is shutting down")
            # A request larger than the whole queue is still taken when the queue is empty,
            # otherwise it could never be accepted.
            if self._queued_spans and self._queued_spans + spans > self._queue_max:
                raise QueueFull(f"{self._queued_spans} spans are waiting to be committed")
            self._queue.append(_Pending(payload, spans, keys, future))
            self._queued_spans += spans
            self._cond.notify()
        return future

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking spans and commit everything already accepted; the connection stays open."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)

    def submit_request(self, request: ExportTraceServiceRequest) -> Future[WriteResult]:
        """Queue a request object (files, tests, CI runs); receivers use ``submit`` with the bytes."""
        spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        return self.submit(request.SerializeToString(), spans, request_keys(request))

    def close(self, timeout: float | None = None) -> None:
        """``stop``, then checkpoint and close the file."""
        self.stop(timeout)
        self.con.execute("CHECKPOINT")
        self.con.close()

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            self._write(batch)
            if not self._queue and time.monotonic() - self._last_checkpoint > self._checkpoint_interval:
                self._checkpoint()

    def _checkpoint(self) -> None:
        started = time.perf_counter()
        try:
            self.con.execute("CHECKPOINT")
        except duckdb.Error:
            log.exception("checkpoint failed; DuckDB retries at the next one")
        self._last_checkpoint = time.monotonic()
        self._metrics.checkpoint_seconds.observe(time.perf_counter() - started)

    def _take_batch(self) -> list[_Pending] | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            batch, spans = [], 0
            while self._queue and (not batch or spans + self._queue[0].spans <= self._batch_max):
                item = self._queue.popleft()
                batch.append(item)
                spans += item.spans
            self._queued_spans -= spans
            return batch

    def _write(self, batch: list[_Pending]) -> None:
        try:
            flat = self._commit([p.payload for p in batch], [p.keys for p in batch])
        except Exception:
            if len(batch) == 1:
                log.exception("could not store a request of %d spans", batch[0].spans)
                batch[0].future.set_exception(RuntimeError("internal error while storing spans"))
                return
            # Keep one bad request from failing the others it was grouped with.
            log.warning("group commit of %d requests failed; retrying them one by one", len(batch))
            for pending in batch:
                self._write([pending])
            return
        for pending, accepted, rejected in zip(batch, flat.accepted, flat.rejected):
            pending.future.set_result(WriteResult(int(accepted), int(rejected)))
        for listener in self._listeners:
            try:
                listener(flat)
            except Exception:
                log.exception("commit listener %r failed", listener)

    def _commit(self, payloads: list[bytes], keys: list[RequestKeys]) -> FlatBatch:
        started = time.perf_counter()
        flat = flatten_requests(payloads, keys, self._next_seq, self._resources, self._scopes)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for name, table in flat.tables.items():
                if table.num_rows:
                    con.register("_incoming", table)
                    columns = _INSERT_SELECT.get(name, "*")
                    con.execute(f"INSERT INTO {name} BY NAME SELECT {columns} FROM _incoming")
                    con.unregister("_incoming")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        self._next_seq = flat.next_seq
        self._resources |= flat.new_resources
        self._scopes |= flat.new_scopes
        self._metrics.observe_commit(time.perf_counter() - started, flat.span_count)
        return flat
