#!/usr/bin/env python3
"""OTLP/gRPC ingest benchmark: pre-encoded requests from several processes into a real daemon.

What it does, in order:

1. builds a few realistic ``ExportTraceServiceRequest`` templates with the opentelemetry.proto messages
   (4 services, traces of parent/child spans, ~10 attributes of mixed types per span) and encodes them;
   every request actually sent is a copy of a template with fresh random trace/span ids (parent links
   kept consistent) and shifted timestamps, patched straight into the encoded bytes, so no two
   requests are identical and building them costs almost nothing;
2. measures, on one core and before any load, how fast protobuf decodes those same payloads
   (``ExportTraceServiceRequest.FromString``): the ceiling any Python receiver works under;
3. starts ``weavergen serve`` on free loopback ports with a temporary data directory;
4. runs ``--clients`` processes, each with ``--inflight`` threads doing raw unary gRPC calls with the
   pre-encoded bytes for a warm-up and then ``--duration`` seconds; a call refused with UNAVAILABLE
   (queue full) is counted as refused and retried after a short sleep;
5. reports accepted spans/s (from the acks, and checked against ``SELECT count(*) FROM spans`` through
   the admin query endpoint), ack latency, refusals, the daemon's CPU and peak RSS, and the ratios to
   the decode baseline and to the 60k / 150k spans/s targets.

The daemon is always stopped with SIGTERM and the temporary directory removed, also on errors and
Ctrl-C. Run ``python benchmarks/ingest.py --help`` for the knobs; ``--quick`` is the smoke-test mode.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
TARGETS = {"60k": 60_000, "150k": 150_000}
WEAVERGEN = str(Path(sys.executable).with_name("weavergen"))

# --------------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------------

SERVICES = [
    ("frontend", "opentelemetry.instrumentation.flask", "1.8.2"),
    ("checkout", "opentelemetry.instrumentation.grpc", "3.1.0"),
    ("payments", "opentelemetry.instrumentation.requests", "2.4.1"),
    ("inventory", "opentelemetry.instrumentation.sqlalchemy", "0.9.7"),
]
_ROUTES = ["/api/cart", "/api/checkout", "/api/products/{id}", "/api/users/{id}", "/healthz", "/api/search"]
_METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
_STATUS = [200, 200, 200, 200, 201, 204, 400, 404, 500, 503]
_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
]
_DB_STATEMENTS = [
    "SELECT id, name, price FROM products WHERE id = ?",
    "UPDATE stock SET quantity = quantity - ? WHERE product_id = ?",
    "INSERT INTO orders (user_id, total) VALUES (?, ?)",
]


def _kv(key: str, value: str | int | float | bool) -> KeyValue:
    # bool before int: bool is an int subclass.
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def span_attributes(rng: random.Random, service: str, count: int) -> list[KeyValue]:
    """``count`` attributes of mixed types, current and deprecated semconv names mixed as in real traffic."""
    route = rng.choice(_ROUTES)
    pool: list[tuple[str, str | int | float | bool]] = [
        ("http.request.method", rng.choice(_METHODS)),                      # string
        ("url.path", route.replace("{id}", str(rng.randint(1, 99_999)))),   # string
        ("http.route", route),                                              # string
        ("http.response.status_code", rng.choice(_STATUS)),                 # int
        ("server.address", f"{service}.prod.svc.cluster.local"),            # string
        ("server.port", rng.choice([8080, 8443, 50051])),                   # int
        ("user_agent.original", rng.choice(_AGENTS)),                       # string
        ("app.payload.size", rng.randint(0, 2_000_000)),                    # int
        ("app.cpu.ratio", rng.random()),                                    # double
        ("app.cache.hit", rng.random() < 0.7),                              # bool
    ]
    if service == "inventory":
        pool[6] = ("db.query.text", rng.choice(_DB_STATEMENTS))
    extra = 0
    while len(pool) < count:
        extra += 1
        pool.append((f"app.extra.{extra}", rng.randint(0, 1 << 40) if extra % 2 else f"value-{rng.random():.6f}"))
    return [_kv(key, value) for key, value in pool[:count]]


@dataclass
class Template:
    """One encoded request plus where its ids and timestamps sit in the bytes."""

    payload: bytes
    spans: int
    id_positions: np.ndarray  # byte offsets in payload to overwrite with random bytes
    id_sources: np.ndarray  # for each of those bytes, its index in the per-request random block
    id_bytes: int  # size of the random block (all distinct trace and span ids, concatenated)
    id_first_bytes: np.ndarray  # index of each id's first byte in the random block (kept non-zero)
    time_positions: np.ndarray  # (n, 8) byte offsets of every fixed64 timestamp

    def variant(self, rng: np.random.Generator, now_ns: int) -> bytes:
        """A copy with fresh random ids (parent links intact) and timestamps moved to end near ``now_ns``."""
        data = np.frombuffer(self.payload, dtype=np.uint8).copy()
        block = rng.integers(0, 256, self.id_bytes, dtype=np.uint8)
        block[self.id_first_bytes] |= 1  # an all-zero id is invalid in OTLP
        data[self.id_positions] = block[self.id_sources]
        stamps = data[self.time_positions].view("<u8").reshape(-1)
        stamps += np.uint64(now_ns - _TEMPLATE_EPOCH_NS)
        data[self.time_positions] = stamps.view(np.uint8).reshape(-1, 8)
        return data.tobytes()


_TEMPLATE_EPOCH_NS = 1_000_000_000_000_000_000  # 2001-09-09: template times are offsets from here


def build_template(seed: int, spans_per_request: int, attributes: int) -> Template:
    """A request of ``spans_per_request`` spans in traces of 2–25 spans spread over the four services."""
    rng = random.Random(seed)
    by_service: dict[int, list[Span]] = {i: [] for i in range(len(SERVICES))}
    trace_ids: list[tuple[bytes, int]] = []  # (sentinel id, expected occurrences)
    span_ids: list[tuple[bytes, int]] = []
    stamps: list[int] = []
    used: set[bytes] = set()

    def sentinel(n: int) -> bytes:
        while True:
            value = rng.randbytes(n)
            if value not in used and b"\x00" not in value[:1]:
                used.add(value)
                return value

    clock = 0
    made = 0
    while made < spans_per_request:
        size = min(rng.randint(2, 25), spans_per_request - made)
        trace_id = sentinel(16)
        trace_ids.append((trace_id, size))
        clock += rng.randint(1_000, 50_000_000)
        trace_start = clock
        # Span 0 is the root; every later span picks an earlier one as parent.
        ids, children, starts, services = [], [0] * size, [], []
        for i in range(size):
            ids.append(sentinel(8))
            if i == 0:
                parent, service, start = None, 0, trace_start
            else:
                parent = rng.randrange(i)
                children[parent] += 1
                service = rng.randrange(1, len(SERVICES)) if rng.random() < 0.6 else services[parent]
                start = starts[parent] + rng.randint(10_000, 5_000_000)
            starts.append(start)
            services.append(service)
            duration = rng.randint(50_000, 900_000_000)
            start_ns, end_ns = _TEMPLATE_EPOCH_NS + start, _TEMPLATE_EPOCH_NS + start + duration
            stamps += [start_ns, end_ns]
            error = rng.random() < 0.05
            name, kind = _span_name(rng, service, i == 0)
            by_service[service].append(
                Span(
                    trace_id=trace_id,
                    span_id=ids[i],
                    parent_span_id=ids[parent] if parent is not None else b"",
                    name=name,
                    kind=kind,
                    start_time_unix_nano=start_ns,
                    end_time_unix_nano=end_ns,
                    attributes=span_attributes(rng, SERVICES[service][0], attributes),
                    status=Status(code=Status.STATUS_CODE_ERROR, message="upstream timed out")
                    if error else Status(code=Status.STATUS_CODE_UNSET),
                    flags=0x100 | 0x01,
                )
            )
        span_ids += [(span_id, 1 + n) for span_id, n in zip(ids, children)]
        made += size

    request = ExportTraceServiceRequest()
    for index, (service, scope, version) in enumerate(SERVICES):
        if not by_service[index]:
            continue
        request.resource_spans.append(
            ResourceSpans(
                resource=Resource(
                    attributes=[
                        _kv("service.name", service),
                        _kv("service.version", f"2.{index}.{seed % 7}"),
                        _kv("service.instance.id", f"{service}-{seed:04x}-{index}"),
                        _kv("deployment.environment.name", "production"),
                        _kv("host.name", f"node-{index % 3}.example.internal"),
                        _kv("telemetry.sdk.language", "python"),
                        _kv("telemetry.sdk.name", "opentelemetry"),
                        _kv("telemetry.sdk.version", "1.45.1"),
                    ]
                ),
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(name=scope, version=version),
                        spans=by_service[index],
                        schema_url="https://opentelemetry.io/schemas/1.37.0",
                    )
                ],
                schema_url="https://opentelemetry.io/schemas/1.37.0",
            )
        )
    payload = request.SerializeToString()
    return _locate(payload, made, trace_ids, span_ids, stamps)


def _span_name(rng: random.Random, service: int, root: bool) -> tuple[str, int]:
    if root:
        return f"{rng.choice(_METHODS)} {rng.choice(_ROUTES)}", Span.SPAN_KIND_SERVER
    return rng.choice(
        [
            ("oteldemo.CheckoutService/PlaceOrder", Span.SPAN_KIND_CLIENT),
            ("oteldemo.CheckoutService/PlaceOrder", Span.SPAN_KIND_SERVER),
            ("SELECT products", Span.SPAN_KIND_CLIENT),
            ("POST /charge", Span.SPAN_KIND_CLIENT),
            ("render cart", Span.SPAN_KIND_INTERNAL),
            ("publish order.created", Span.SPAN_KIND_PRODUCER),
        ]
    )


def _find_all(payload: bytes, needle: bytes) -> list[int]:
    found, start = [], payload.find(needle)
    while start >= 0:
        found.append(start)
        start = payload.find(needle, start + 1)
    return found


def _locate(payload, spans, trace_ids, span_ids, stamps) -> Template:
    """Find every occurrence of every sentinel id and timestamp; each must appear exactly as often as used."""
    positions, sources, firsts = [], [], []
    offset = 0
    for value, expected in [*trace_ids, *span_ids]:
        hits = _find_all(payload, value)
        if len(hits) != expected:
            raise RuntimeError(f"id {value.hex()} found {len(hits)} times, expected {expected}")
        for hit in hits:
            positions.extend(range(hit, hit + len(value)))
            sources.extend(range(offset, offset + len(value)))
        firsts.append(offset)
        offset += len(value)
    time_positions = []
    for value, expected in _count(stamps).items():
        hits = _find_all(payload, value.to_bytes(8, "little"))
        if len(hits) != expected:
            raise RuntimeError(f"timestamp {value} found {len(hits)} times, expected {expected}")
        time_positions += [range(hit, hit + 8) for hit in hits]
    return Template(
        payload=payload,
        spans=spans,
        id_positions=np.array(positions, dtype=np.int64),
        id_sources=np.array(sources, dtype=np.int64),
        id_bytes=offset,
        id_first_bytes=np.array(firsts, dtype=np.int64),
        time_positions=np.array(time_positions, dtype=np.int64),
    )


def _count(values: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


def check_variant(payload: bytes, expected_spans: int) -> None:
    """A patched request must still parse, with valid ids and every parent present in its trace."""
    request = ExportTraceServiceRequest.FromString(payload)
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    if len(spans) != expected_spans:
        raise RuntimeError(f"variant has {len(spans)} spans, expected {expected_spans}")
    ids = {(s.trace_id, s.span_id) for s in spans}
    if len(ids) != len(spans):
        raise RuntimeError("variant has duplicate (trace_id, span_id)")
    for s in spans:
        if len(s.trace_id) != 16 or len(s.span_id) != 8 or not any(s.trace_id) or not any(s.span_id):
            raise RuntimeError("variant has an invalid id")
        if s.parent_span_id and (s.trace_id, s.parent_span_id) not in ids:
            raise RuntimeError("variant lost a parent link")
        if not s.start_time_unix_nano < s.end_time_unix_nano:
            raise RuntimeError("variant has end before start")


class PayloadFactory:
    def __init__(self, templates: list[Template], seed: int | None = None) -> None:
        self.templates = templates
        self.rng = np.random.default_rng(seed)
        self._n = itertools.count()

    def next(self) -> tuple[bytes, int]:
        template = self.templates[next(self._n) % len(self.templates)]
        return template.variant(self.rng, time.time_ns()), template.spans


# --------------------------------------------------------------------------------------------------
# Decode baseline
# --------------------------------------------------------------------------------------------------


def decode_baseline(payloads: list[tuple[bytes, int]], seconds: float) -> dict:
    """Spans/s of ``ExportTraceServiceRequest.FromString`` alone, one core, over the same payloads."""
    decode = ExportTraceServiceRequest.FromString
    for payload, _ in payloads[:2]:  # warm
        decode(payload)
    spans = calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for payload, n in payloads:
            decode(payload)
            spans += n
            calls += 1
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    return {"spans_per_s": spans / elapsed, "requests": calls, "seconds": elapsed}


# --------------------------------------------------------------------------------------------------
# Daemon
# --------------------------------------------------------------------------------------------------


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """``weavergen serve`` on free loopback ports in its own session (Ctrl-C reaches only us)."""

    def __init__(self, workdir: Path, overrides: dict) -> None:
        self.workdir = workdir
        self.grpc_port, self.http_port, self.admin_port = free_port(), free_port(), free_port()
        config = {
            "collector": {
                "grpc_endpoint": f"127.0.0.1:{self.grpc_port}",
                "http_endpoint": f"127.0.0.1:{self.http_port}",
            },
            "storage": {"data_dir": str(workdir / "data")},
            "admin": {"endpoint": f"127.0.0.1:{self.admin_port}"},
        }
        for section, values in overrides.items():
            config.setdefault(section, {}).update(values)
        self.config_path = workdir / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / "daemon.log"
        self.process: subprocess.Popen | None = None

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [WEAVERGEN, "serve", "--config", str(self.config_path)],
                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.admin_url}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise RuntimeError(f"daemon not ready after {timeout} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 60) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"daemon did not stop within {timeout} s of SIGTERM; killing it", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def query(self, sql: str) -> list[list]:
        request = urllib.request.Request(
            f"{self.admin_url}/api/v1/query",
            data=json.dumps({"sql": sql}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["rows"]

    def count_spans(self) -> int:
        return int(self.query("SELECT count(*) FROM spans")[0][0])

    def metrics(self) -> dict[str, float]:
        """Samples of the daemon's own commit metrics (sums and counts), keyed by sample name."""
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"{self.admin_url}/metrics", timeout=30) as response:
            text = response.read().decode()
        wanted = {
            "weavergen_commit_duration_seconds_sum", "weavergen_commit_duration_seconds_count",
            "weavergen_commit_batch_spans_sum", "weavergen_commit_batch_spans_count",
        }
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in wanted:
                    values[sample.name] = values.get(sample.name, 0.0) + sample.value
        return values

    def proc_status(self, key: str) -> int | None:
        """A kB field of /proc/PID/status (VmHWM = peak RSS), in bytes."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        except (OSError, AttributeError):
            return None
        return None

    def cpu_seconds(self) -> float | None:
        """utime + stime of the daemon (all its threads) so far."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------
# Load clients (separate processes, spawned: gRPC must not be forked)
# --------------------------------------------------------------------------------------------------


@dataclass
class ClientPlan:
    index: int
    endpoint: str
    templates: list[Template]
    pool_size: int
    inflight: int
    call_timeout: float
    retry_sleep: float


@dataclass
class ClientReport:
    index: int
    pool_built: int = 0
    built_on_the_fly: int = 0
    calls: int = 0
    window_calls: int = 0
    window_spans: int = 0
    acked_spans: int = 0
    rejected_spans: int = 0
    refused: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    window_latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0


def client_main(plan: ClientPlan, ready, go, results) -> None:
    """Build a pool of unique requests, wait for the start time, then keep ``inflight`` calls going."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    import grpc  # imported here: only the load processes need it

    report = ClientReport(plan.index)
    try:
        factory = PayloadFactory(plan.templates)
        pool = [factory.next() for _ in range(plan.pool_size)]
        report.pool_built = len(pool)
        ready.put(plan.index)
        window = go.get()  # (t_warm_end, t_end) on the time.time() clock
        if window is None:
            return
        t_measure, t_end = window
        channel = grpc.insecure_channel(
            plan.endpoint,
            options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", 16 << 20)],
        )
        call = channel.unary_unary(
            EXPORT_METHOD,
            request_serializer=None,
            response_deserializer=ExportTraceServiceResponse.FromString,
        )
        counter = itertools.count()
        lock = threading.Lock()
        cpu_start = time.process_time()

        def next_payload() -> tuple[bytes, int]:
            i = next(counter)
            if i < len(pool):
                item, pool[i] = pool[i], None  # free it once sent
                return item
            with lock:
                report.built_on_the_fly += 1
                return factory.next()

        def worker() -> None:
            while time.time() < t_end:
                payload, spans = next_payload()
                while True:
                    started = time.perf_counter()
                    try:
                        response = call(payload, timeout=plan.call_timeout)
                    except grpc.RpcError as exc:
                        code = exc.code() if hasattr(exc, "code") else None
                        with lock:
                            if code == grpc.StatusCode.UNAVAILABLE:
                                report.refused += 1
                            else:
                                report.errors += 1
                                if len(report.error_samples) < 5:
                                    report.error_samples.append(f"{code}: {exc.details()}")
                        time.sleep(plan.retry_sleep)
                        if code != grpc.StatusCode.UNAVAILABLE or time.time() >= t_end:
                            break  # give up on this payload (not acked, so not counted)
                        continue
                    latency = time.perf_counter() - started
                    done = time.time()
                    rejected = response.partial_success.rejected_spans
                    with lock:
                        report.calls += 1
                        report.acked_spans += spans - rejected
                        report.rejected_spans += rejected
                        if t_measure <= done <= t_end:
                            report.window_calls += 1
                            report.window_spans += spans - rejected
                            report.window_latencies.append(latency)
                    break

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(plan.inflight)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report.cpu_seconds = time.process_time() - cpu_start
        channel.close()
    except Exception as exc:  # report instead of dying silently
        report.errors += 1
        report.error_samples.append(f"client {plan.index} crashed: {exc!r}")
        ready.put(plan.index)
    finally:
        results.put(report)


# --------------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds (after the warm-up)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    p.add_argument("--clients", type=int, default=2, help="load processes")
    p.add_argument("--inflight", type=int, default=4, help="concurrent calls per load process")
    p.add_argument("--spans-per-request", type=int, default=1000)
    p.add_argument("--attributes", type=int, default=10, help="attributes per span")
    p.add_argument("--templates", type=int, default=4, help="distinct request shapes (ids always unique)")
    p.add_argument("--decode-seconds", type=float, default=3.0, help="length of the decode baseline")
    p.add_argument("--pool-mb", type=float, default=1024.0,
                   help="memory for pre-built requests across all clients; beyond it, requests are built "
                        "on the fly (cheap, counted in the report)")
    p.add_argument("--retry-sleep", type=float, default=0.05, help="sleep before retrying a refused call")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a daemon config key, e.g. --set storage.batch_max_spans=50000")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--analyzers", choices=["both", "on", "off"], default="both",
                   help="run with the analyzers off, on, or both one after the other (and compare)")
    p.add_argument("--registry", type=Path, default=_default_registry(),
                   help="semantic-convention registry for the quality analyzer (default: "
                        "$WEAVERGEN_SEMCONV_REGISTRY or ../shared/semconv/model when present)")
    p.add_argument("--quick", action="store_true",
                   help="smoke-test mode: a few seconds, small defaults for everything not given explicitly")
    args = p.parse_args(argv)
    if args.quick:
        given = {a.split("=")[0] for a in (argv if argv is not None else sys.argv[1:]) if a.startswith("--")}
        quick = {"--duration": ("duration", 2.0), "--warmup": ("warmup", 0.5),
                 "--decode-seconds": ("decode_seconds", 0.3), "--inflight": ("inflight", 2),
                 "--spans-per-request": ("spans_per_request", 200)}
        for flag, (name, value) in quick.items():
            if flag not in given:
                setattr(args, name, value)
    for name in ("duration", "clients", "inflight", "spans_per_request", "templates"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.attributes < 0 or args.warmup < 0:
        p.error("--attributes and --warmup must not be negative")
    return args


def _default_registry() -> Path | None:
    path = Path(os.environ.get("WEAVERGEN_SEMCONV_REGISTRY", Path(__file__).resolve().parents[2] / "shared"
                               / "semconv" / "model"))
    return path if path.is_dir() else None


def _overrides(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        if not (section and name and value):
            raise SystemExit(f"--set wants SECTION.KEY=VALUE, got {item!r}")
        out.setdefault(section, {})[name] = yaml.safe_load(value)
    return out


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(np.array(values), q)) if values else None


def run(args: argparse.Namespace, analyzers: bool) -> dict:
    started_at = time.time()
    load_at_start = os.getloadavg()[0]
    print(f"building {args.templates} request template(s) of {args.spans_per_request} spans, "
          f"{args.attributes} attributes/span ...", flush=True)
    templates = [build_template(1000 + i, args.spans_per_request, args.attributes) for i in range(args.templates)]
    sample_factory = PayloadFactory(templates)
    samples = [sample_factory.next() for _ in range(max(8, 2 * args.templates))]
    for payload, spans in samples[: len(templates)]:
        check_variant(payload, spans)
    request_bytes = sum(len(p) for p, _ in samples) / len(samples)

    print(f"decode baseline ({args.decode_seconds:g} s, one core) ...", flush=True)
    decode = decode_baseline(samples, args.decode_seconds)

    # Enough unique requests for 150k spans/s over the whole run, within the memory budget.
    total_s = args.warmup + args.duration + 2
    wanted = math.ceil(TARGETS["150k"] * 1.3 * total_s / args.spans_per_request / args.clients)
    affordable = int(args.pool_mb * 1e6 / request_bytes / args.clients)
    pool_size = max(1, min(wanted, affordable))

    ctx = mp.get_context("spawn")
    tmp = Path(tempfile.mkdtemp(prefix="weavergen-bench-"))
    overrides = _overrides(args.set)
    overrides.setdefault("analyzers", {})["enabled"] = analyzers
    if analyzers and args.registry:
        overrides.setdefault("registry", {})["path"] = str(args.registry)
    daemon = Daemon(tmp, overrides)
    procs: list = []
    go_queues: list = []
    try:
        print(f"starting daemon in {tmp} ...", flush=True)
        daemon.start()
        ready, results = ctx.Queue(), ctx.Queue()
        for i in range(args.clients):
            plan = ClientPlan(i, daemon.grpc_endpoint, templates, pool_size, args.inflight,
                              call_timeout=max(60.0, args.duration), retry_sleep=args.retry_sleep)
            go = ctx.Queue()
            proc = ctx.Process(target=client_main, args=(plan, ready, go, results), name=f"load-{i}",
                               daemon=True)
            proc.start()
            procs.append(proc)
            go_queues.append(go)
        print(f"{args.clients} load process(es) building {pool_size} unique request(s) each ...", flush=True)
        for _ in procs:
            ready.get(timeout=600)

        t0 = time.time() + 0.2
        t_measure, t_end = t0 + args.warmup, t0 + args.warmup + args.duration
        for go in go_queues:
            go.put((t_measure, t_end))
        print(f"load: {args.clients} process(es) x {args.inflight} in flight, "
              f"{args.warmup:g} s warm-up + {args.duration:g} s measured ...", flush=True)

        time.sleep(max(0.0, t_measure - time.time()))
        stored_before, stored_t0 = daemon.count_spans(), time.time()
        cpu_before, machine_before = daemon.cpu_seconds(), system_cpu()
        metrics_before = daemon.metrics()
        time.sleep(max(0.0, t_end - time.time()))
        stored_after, stored_t1 = daemon.count_spans(), time.time()
        cpu_after, machine_after = daemon.cpu_seconds(), system_cpu()
        metrics_after = daemon.metrics()

        reports: list[ClientReport] = [results.get(timeout=max(120.0, args.duration * 3)) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        if not daemon.alive():
            raise RuntimeError(f"daemon died during the run:\n{daemon.log_tail()}")
        stored_final = daemon.count_spans()
        peak_rss = daemon.proc_status("VmHWM")
    finally:
        for go in go_queues:  # release clients still waiting for the start signal
            try:
                go.put_nowait(None)
            except Exception:
                pass
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)
        exit_code = daemon.stop()
        log_tail = daemon.log_tail()
        shutil.rmtree(tmp, ignore_errors=True)

    reports.sort(key=lambda r: r.index)
    latencies = [x for r in reports for x in r.window_latencies]
    window_spans = sum(r.window_spans for r in reports)
    acked = sum(r.acked_spans for r in reports)
    accepted_rate = window_spans / args.duration
    stored_rate = (stored_after - stored_before) / (stored_t1 - stored_t0)
    commit_count = metrics_after.get("weavergen_commit_duration_seconds_count", 0) - metrics_before.get(
        "weavergen_commit_duration_seconds_count", 0)
    commit_sum = metrics_after.get("weavergen_commit_duration_seconds_sum", 0) - metrics_before.get(
        "weavergen_commit_duration_seconds_sum", 0)
    batch_sum = metrics_after.get("weavergen_commit_batch_spans_sum", 0) - metrics_before.get(
        "weavergen_commit_batch_spans_sum", 0)
    daemon_cpu = (cpu_after - cpu_before) / (stored_t1 - stored_t0) if None not in (cpu_before, cpu_after) else None
    errors = sum(r.errors for r in reports)
    window = stored_t1 - stored_t0
    clients_cpu = sum(r.cpu_seconds for r in reports) / max(1e-9, args.warmup + args.duration)
    machine_busy = (machine_after[0] - machine_before[0]) / window
    others = machine_busy - (daemon_cpu or 0.0) - clients_cpu
    result = {
        "settings": {
            "analyzers": analyzers,
            "duration_s": args.duration, "warmup_s": args.warmup, "clients": args.clients,
            "inflight_per_client": args.inflight, "spans_per_request": args.spans_per_request,
            "attributes_per_span": args.attributes, "templates": args.templates, "quick": args.quick,
            "request_bytes_avg": round(request_bytes), "pool_per_client": pool_size,
            "daemon_overrides": _overrides(args.set), "workdir": str(tmp),
        },
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": load_at_start,
            # CPU the whole machine was busy during the measured window, and the part neither the daemon
            # nor the load processes account for: other work on the machine that skews the figures.
            "busy_cores_in_window": machine_busy,
            "other_processes_cores": max(0.0, others),
        },
        "accepted_spans_per_s": accepted_rate,
        "stored_spans_per_s": stored_rate,
        "acknowledged_spans": acked,
        "stored_count": stored_final,
        "stored_equals_acknowledged": stored_final == acked,
        "window_requests": sum(r.window_calls for r in reports),
        "requests_total": sum(r.calls for r in reports),
        "rejected_spans": sum(r.rejected_spans for r in reports),
        "refused_calls": sum(r.refused for r in reports),
        "errors": errors,
        "error_samples": [e for r in reports for e in r.error_samples][:10],
        "latency_ms": {
            "p50": _ms(_percentile(latencies, 50)), "p90": _ms(_percentile(latencies, 90)),
            "p99": _ms(_percentile(latencies, 99)), "max": _ms(max(latencies) if latencies else None),
        },
        "daemon": {
            "peak_rss_bytes": peak_rss,
            "cpu_cores_used": daemon_cpu,
            "commits_in_window": commit_count,
            "mean_commit_ms": commit_sum / commit_count * 1000 if commit_count else None,
            "mean_commit_spans": batch_sum / commit_count if commit_count else None,
            "commit_busy_fraction": commit_sum / window,
            "exit_code": exit_code,
        },
        "clients": {
            "cpu_cores_used": clients_cpu,
            "built_on_the_fly": sum(r.built_on_the_fly for r in reports),
        },
        "decode_baseline_spans_per_s": decode["spans_per_s"],
        "ingest_to_decode_ratio": accepted_rate / decode["spans_per_s"] if decode["spans_per_s"] else None,
        "target_ratios": {name: accepted_rate / value for name, value in TARGETS.items()},
        "wall_seconds": time.time() - started_at,
    }
    if exit_code not in (0, None):
        result["daemon_log_tail"] = log_tail
    return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def render(r: dict) -> str:
    s, d = r["settings"], r["daemon"]

    def num(value, fmt="{:,.0f}"):
        return "n/a" if value is None else fmt.format(value)

    rows = [
        ("setup", f"{s['clients']} client proc x {s['inflight_per_client']} in flight, "
                  f"{s['spans_per_request']} spans/req ({s['request_bytes_avg'] / 1024:,.0f} KiB), "
                  f"{s['attributes_per_span']} attrs/span, {s['duration_s']:g} s measured"),
        ("accepted spans/s (acks)", num(r["accepted_spans_per_s"])),
        ("stored spans/s (count(*))", num(r["stored_spans_per_s"])),
        ("acknowledged / stored", f"{r['acknowledged_spans']:,} / {r['stored_count']:,}"
                                  f" ({'equal' if r['stored_equals_acknowledged'] else 'MISMATCH'})"),
        ("ack latency p50 / p99", f"{num(r['latency_ms']['p50'], '{:,.1f}')} / "
                                  f"{num(r['latency_ms']['p99'], '{:,.1f}')} ms"),
        ("requests in window", f"{r['window_requests']:,}"),
        ("refused (UNAVAILABLE)", f"{r['refused_calls']:,}"),
        ("errors", f"{r['errors']:,}" + (f"  e.g. {r['error_samples'][0]}" if r["error_samples"] else "")),
        ("daemon peak RSS (VmHWM)", num(d["peak_rss_bytes"] and d["peak_rss_bytes"] / 2**20, "{:,.0f} MiB")),
        ("daemon CPU", num(d["cpu_cores_used"], "{:.2f} cores")
            + f" of {r['machine']['cpus']}; clients {r['clients']['cpu_cores_used']:.2f} cores"),
        ("machine CPU in window", f"{r['machine']['busy_cores_in_window']:.2f} cores busy, of which other "
                                  f"processes {r['machine']['other_processes_cores']:.2f}"),
        ("group commits", f"{d['commits_in_window']:,.0f}, mean {num(d['mean_commit_spans'])} spans, "
                          f"{num(d['mean_commit_ms'], '{:,.1f}')} ms; writer busy "
                          f"{d['commit_busy_fraction']:.0%}"),
        ("decode baseline (1 core)", num(r["decode_baseline_spans_per_s"]) + " spans/s"),
        ("ingest / decode", num(r["ingest_to_decode_ratio"], "{:.3f}")),
        ("vs 60k target", num(r["target_ratios"]["60k"], "{:.2f}x")),
        ("vs 150k target", num(r["target_ratios"]["150k"], "{:.2f}x")),
    ]
    width = max(len(k) for k, _ in rows)
    lines = ["", "WeaverGen OTLP/gRPC ingest benchmark", "-" * (width + 50)]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    if r["machine"]["other_processes_cores"] > 0.25:
        lines.append(f"(warning: other processes used {r['machine']['other_processes_cores']:.2f} cores during "
                     "the measurement: the machine was not quiet, figures are pessimistic)")
    if r["clients"]["built_on_the_fly"]:
        lines.append(f"(note: {r['clients']['built_on_the_fly']} requests were built during the run: "
                     "the pre-built pool ran out)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # Also when started in the background, where SIGINT arrives ignored: cleanup must always run.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    phases = {"both": [False, True], "off": [False], "on": [True]}[args.analyzers]
    results = {}
    try:
        for analyzers in phases:
            print(f"\n=== analyzers {'on' if analyzers else 'off'} ===", flush=True)
            results["analyzers_on" if analyzers else "analyzers_off"] = run(args, analyzers)
    except KeyboardInterrupt:
        print("interrupted; daemon stopped and temporary files removed", file=sys.stderr)
        return 130
    for name, result in results.items():
        print(f"\n[{name.replace('_', ' ')}]" + render(result))
    summary = compare(results)
    if summary:
        print("\n" + "\n".join(f"{k:<40}  {v}" for k, v in summary["lines"]))
        results["comparison"] = summary["numbers"]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nJSON written to {args.json}")
    failed = [r for r in results.values() if "errors" in r and (r["errors"] or not r["stored_equals_acknowledged"])]
    return 1 if failed else 0


def compare(results: dict) -> dict | None:
    """Analyzer cost: both rates and their ratio, measured in the same run."""
    if not {"analyzers_on", "analyzers_off"} <= set(results):
        return None
    on, off = results["analyzers_on"]["accepted_spans_per_s"], results["analyzers_off"]["accepted_spans_per_s"]
    ratio = on / off if off else None
    numbers = {"spans_per_s_analyzers_off": off, "spans_per_s_analyzers_on": on, "on_to_off_ratio": ratio,
               "analyzer_cost": None if ratio is None else 1 - ratio}
    lines = [
        ("ingest, analyzers off", f"{off:,.0f} spans/s"),
        ("ingest, analyzers on", f"{on:,.0f} spans/s"),
        ("on / off", "n/a" if ratio is None else f"{ratio:.2f} (analyzers cost {1 - ratio:.0%}; budget 25%)"),
    ]
    return {"numbers": numbers, "lines": lines}


if __name__ == "__main__":
    sys.exit(main())
