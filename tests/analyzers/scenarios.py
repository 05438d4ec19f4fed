"""Span streams with a known change injected at a known window, and steady streams without one.

Two services: ``checkout`` (HTTP server spans with a database client child) and ``payments``
(HTTP client spans). Timestamps are synthetic telemetry time, one window after another, with
seeded random jitter so steady streams are realistically noisy rather than constant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

NS = 1_000_000_000
START = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z, a window boundary for any window length dividing a day

CHANGES = (
    "cardinality_explosion",
    "attribute_renamed",
    "required_attribute_dropped",
    "latency_x2",
    "error_burst",
    "span_name_explosion",
)


@dataclass(frozen=True)
class Scenario:
    change: str | None  # None: steady
    windows: int = 8
    change_at: int = 5  # first window (0-based) with the change
    traces_per_window: int = 120
    window_seconds: int = 60
    seed: int = 1

    def changed(self, window: int) -> bool:
        return self.change is not None and window >= self.change_at

    def requests(self) -> list[ExportTraceServiceRequest]:
        """One request per service per window, in time order."""
        rng = random.Random(self.seed)
        out = []
        for window in range(self.windows):
            out += [self._checkout(window, rng), self._payments(window, rng)]
        return out

    def _timestamps(self, window: int, index: int, rng: random.Random, duration_ms: float) -> tuple[int, int]:
        slot = self.window_seconds * NS // (self.traces_per_window + 1)
        end = START + window * self.window_seconds * NS + (index + 1) * slot
        duration = int(duration_ms * 1e6 * rng.lognormvariate(0, 0.1))
        return end - duration, end

    def _checkout(self, window: int, rng: random.Random) -> ExportTraceServiceRequest:
        request, spans = _request("checkout")
        changed = self.changed(window)
        for i in range(self.traces_per_window):
            route = "/checkout" if i % 3 == 0 else "/cart"
            method = "POST" if route == "/checkout" else "GET"
            slow = changed and self.change == "latency_x2" and route == "/checkout"
            start, end = self._timestamps(window, i, rng, (80.0 if route == "/checkout" else 20.0) * (2 if slow else 1))
            name = f"{method} {route}"
            if changed and self.change == "span_name_explosion":
                name = f"{method} {route}/{rng.randrange(10**9)}"
            renamed = changed and self.change == "attribute_renamed"
            error = changed and self.change == "error_burst" and rng.random() < 0.3
            status = 500 if error else 200
            server = _span(rng, name, Span.SPAN_KIND_SERVER, start, end, error)
            server.attributes.extend([
                _kv("http.method" if renamed else "http.request.method", method),
                _kv("http.route", route),
                _kv("url.path", route),
                _kv("url.scheme", "https"),
                _kv("http.status_code" if renamed else "http.response.status_code", status),
                _kv("user.id", f"u{rng.randrange(10**9)}" if changed and self.change == "cardinality_explosion"
                    else f"u{rng.randrange(20)}"),
            ])
            db = _span(rng, "SELECT carts", Span.SPAN_KIND_CLIENT, start + (end - start) // 4, end - (end - start) // 4,
                       False, trace_id=server.trace_id, parent=server.span_id)
            db.attributes.extend([_kv("db.system.name", "postgresql"), _kv("db.operation.name", "SELECT"),
                                  _kv("db.collection.name", "carts")])
            spans.extend([server, db])
        return request

    def _payments(self, window: int, rng: random.Random) -> ExportTraceServiceRequest:
        request, spans = _request("payments")
        dropped = self.changed(window) and self.change == "required_attribute_dropped"
        for i in range(self.traces_per_window // 2):
            start, end = self._timestamps(window, i, rng, 40.0)
            client = _span(rng, "POST", Span.SPAN_KIND_CLIENT, start, end, False)
            attributes = [_kv("http.request.method", "POST"), _kv("url.full", "https://bank.example/pay"),
                          _kv("http.response.status_code", 200), _kv("server.port", 443)]
            if not dropped:
                attributes.append(_kv("server.address", "bank.example"))
            client.attributes.extend(attributes)
            spans.append(client)
        return request


def _request(service: str):
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend([_kv("service.name", service), _kv("service.version", "1.4.2"),
                                   _kv("deployment.environment.name", "test"),
                                   _kv("service.instance.id", f"{service}-1"),
                                   _kv("telemetry.sdk.language", "python"),
                                   _kv("telemetry.sdk.name", "opentelemetry"),
                                   _kv("telemetry.sdk.version", "1.45.1")])
    ss = rs.scope_spans.add()
    ss.scope.name = "scenario"
    return request, ss.spans


def _span(rng: random.Random, name: str, kind: int, start: int, end: int, error: bool,
          trace_id: bytes | None = None, parent: bytes = b"") -> Span:
    return Span(
        trace_id=trace_id or rng.randbytes(16), span_id=rng.randbytes(8), parent_span_id=parent, name=name,
        kind=kind, start_time_unix_nano=start, end_time_unix_nano=end,
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_UNSET),
    )


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))
