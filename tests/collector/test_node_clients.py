"""Spans from the REAL Node.js OpenTelemetry SDK and exporters, stored row by row exactly as sent.

``tests/node/send_spans.mjs`` builds a tracer provider with the pinned ``@opentelemetry/*`` packages
(``tests/node/package.json``), emits a fixed set of five spans (every span kind, every attribute type
JavaScript can produce, events, links, a remote parent with a tracestate) and exports them over gRPC,
OTLP/HTTP protobuf or OTLP/HTTP JSON. Node's HTTP exporters send chunked bodies without
Content-Length (checked on the wire by a relay) and JSON ``intValue`` as numbers; its protobuf writer
encodes int64 and fixed64 by hand. The expected values are written out here independently of the
Node program: only the random ids and the exception's stack trace come from its report.

``node`` and ``tests/node/node_modules`` are installed by ``make node-deps`` (part of ``make test``).
When they are missing the tests FAIL, they do not skip: these clients are not optional.
"""

from __future__ import annotations

import functools
import json
import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import DaemonProcess

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SEND_SPANS = NODE_DIR / "send_spans.mjs"
INSTALL_HINT = "run `make node-deps` (it runs `npm install` in tests/node; `make test` does it too)"

TRANSPORT_LABEL = {"grpc": "grpc", "http/protobuf": "http_protobuf", "http/json": "http_json"}
PROTOCOLS = list(TRANSPORT_LABEL)

# --- The fixed telemetry of send_spans.mjs, written out again ---------------------------------------
SECOND = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z in ns: every time below exceeds 2^53 on purpose
SCOPE = {
    "name": "weavergen.node-test",
    "version": "1.2.3",
    "schema_url": "https://opentelemetry.io/schemas/1.28.0",
}
RESOURCE_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
REMOTE_LINK = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "vendor1=alpha,vendor2=beta")
REMOTE_PARENT = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
REMOTE_PARENT_STATE = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
# OTLP span flags: the W3C sampled bit plus 0x100 "has is_remote" and 0x200 "is_remote" (Node sets both).
LOCAL_SAMPLED, REMOTE_SAMPLED = 0x101, 0x301
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 1, 2, 3, 4, 5
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2


def S(value: str) -> tuple:
    return ("string", value)


def I(value: int) -> tuple:  # noqa: E743
    return ("int", value)


def D(value: float) -> tuple:
    return ("double", value)


def B(value: bool) -> tuple:
    return ("bool", value)


def A(*values: dict) -> tuple:
    """An array attribute: json_value is its OTLP/JSON AnyValue (proto3 JSON: int64 as a string)."""
    return ("array", {"arrayValue": {"values": list(values)}} if values else {"arrayValue": {}})


def js(value) -> dict:
    """One element of an OTLP/JSON array; None is the empty AnyValue."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": value}


ROOT_ATTRIBUTES = [
    ("http.request.method", S("GET")),
    ("url.path", S("/api/orders/42")),
    ("string.empty", S("")),
    ("string.unicode", S("héllo wörld ✓ 日本語 🚀")),
    ("int.positive", I(42)),
    ("int.negative", I(-7)),
    ("int.zero", I(0)),
    ("int.max_safe", I(2**53 - 1)),
    ("int.min_safe", I(-(2**53 - 1))),
    ("double.pi", D(3.14159)),
    ("double.negative", D(-0.5)),
    ("double.tiny", D(1e-9)),
    ("double.sum", D(0.1 + 0.2)),
    ("double.whole", I(2)),  # JavaScript's 2.0 is the number 2: Node sends an int
    ("bool.true", B(True)),
    ("bool.false", B(False)),
    ("array.string", A(js("a"), js("b"), js(""))),
    ("array.int", A(js(1), js(-2), js(3))),
    ("array.double", A(js(1.5), js(-2.25))),
    ("array.bool", A(js(True), js(False))),
    ("array.mixed_numbers", A(js(1), js(2.5))),
    ("array.with_null", A(js("x"), js(None), js("y"))),
    ("array.empty", A()),
    ("http.response.status_code", I(200)),  # set after the start: appended last
]


def span(ids: dict, name: str, kind: int, start: int, end: int, *, parent: str | None = None,
         trace_state: str = "", flags: int = LOCAL_SAMPLED, status: tuple = (STATUS_UNSET, ""),
         attributes: list | None = None, events: list | None = None, links: list | None = None) -> dict:
    return {
        "ids": ids, "name": name, "kind": kind, "start": SECOND + start, "end": SECOND + end,
        "parent_span_id": parent, "trace_state": trace_state, "flags": flags, "status": status,
        "attributes": attributes or [], "events": events or [], "links": links or [],
    }


def expected_spans(report: dict) -> list[dict]:
    """The five spans in start-time order. Events: (name, time, attributes); links: (trace id,
    span id, trace state, flags, attributes)."""
    ids = report["spans"]
    root, producer = ids["root"], ids["producer"]
    return [
        span(producer, "orders publish", KIND_PRODUCER, 100_000_001, 200_000_002,
             attributes=[("messaging.system", S("kafka")), ("messaging.batch.message_count", I(3))]),
        span(root, "GET /api/orders/{id}", KIND_SERVER, 1_123_456_789, 1_987_654_321,
             status=(STATUS_OK, ""), attributes=ROOT_ATTRIBUTES,
             events=[
                 ("order.validated", SECOND + 1_200_000_003, [
                     ("order.id", S("A-42")),
                     ("item.count", I(3)),
                     ("order.total", D(99.95)),
                     ("order.express", B(True)),
                     ("order.tags", A(js("x"), js("y"))),
                 ]),
                 ("cache.miss", SECOND + 1_300_000_004, []),
             ],
             links=[
                 (producer["trace_id"], producer["span_id"], "", LOCAL_SAMPLED,
                  [("link.kind", S("follows_from")), ("link.batch.size", I(3))]),
                 (*REMOTE_LINK, REMOTE_SAMPLED, [("link.remote", B(True))]),
             ]),
        span(ids["client"], "GET /inventory", KIND_CLIENT, 1_400_000_005, 1_800_000_006,
             parent=root["span_id"], status=(STATUS_ERROR, "inventory unavailable"),
             attributes=[
                 ("server.address", S("inventory.internal")),
                 ("server.port", I(8080)),
                 ("http.response.status_code", I(503)),
             ],
             events=[
                 ("exception", SECOND + 1_700_000_007, [
                     ("exception.type", S("Error")),
                     ("exception.message", S("connection refused")),
                     ("exception.stacktrace", S(report["exception_stacktrace"])),
                 ]),
             ]),
        span(ids["render"], "render", KIND_INTERNAL, 1_850_000_008, 1_950_000_009, parent=root["span_id"]),
        span(ids["consumer"], "orders process", KIND_CONSUMER, 2_000_000_001, 2_999_999_999,
             parent=REMOTE_PARENT[1], trace_state=REMOTE_PARENT_STATE, flags=REMOTE_SAMPLED,
             attributes=[("messaging.operation.type", S("process"))]),
    ]


def expected_resource_attributes(service_name: str) -> list[tuple]:
    # resourceFromAttributes(ours) merged over defaultResource(): ours first, then the SDK's own.
    return [
        ("service.name", S(service_name)),
        ("service.version", S("4.5.6")),
        ("deployment.environment.name", S("test")),
        ("process.pid", I(4242)),
        ("test.resource.ratio", D(0.25)),
        ("test.resource.flag", B(True)),
        ("test.resource.tags", A(js("blue"), js("green"))),
        ("telemetry.sdk.language", S("nodejs")),
        ("telemetry.sdk.name", S("opentelemetry")),
        ("telemetry.sdk.version", S(installed_version("@opentelemetry/core"))),
    ]


# --- Running the Node program ---------------------------------------------------------------------


def pinned_packages() -> dict[str, str]:
    return json.loads((NODE_DIR / "package.json").read_text())["dependencies"]


def installed_version(package: str) -> str:
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"]


@functools.cache
def _find_node() -> tuple[str | None, str]:
    """(node binary, "") when node and the pinned packages are installed, else (None, why not)."""
    binary = shutil.which("node")
    if binary is None:
        return None, f"`node` is not on PATH: {INSTALL_HINT}"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = (int(part) for part in re.match(r"v(\d+)\.(\d+)", version).groups())
    if (major, minor) < (20, 6):
        return None, f"node {version.strip()} is older than the pinned packages need (20.6): {INSTALL_HINT}"
    problems = []
    for package, pinned in pinned_packages().items():
        try:
            found = installed_version(package)
        except FileNotFoundError:
            problems.append(f"{package} is not installed")
            continue
        if found != pinned:
            problems.append(f"{package} {found} is installed, package.json pins {pinned}")
    if problems:
        return None, f"tests/node/node_modules is not ready ({'; '.join(problems)}): {INSTALL_HINT}"
    return binary, ""


def require_node() -> str:
    """The node binary; a missing node or missing packages FAIL the calling test (never skip it)."""
    binary, problem = _find_node()
    if binary is None:
        pytest.fail(problem, pytrace=False)
    return binary


def node_env() -> dict[str, str]:
    """The test's environment minus what would change the exporters' behaviour behind our back."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTEL_") and key != "NODE_OPTIONS" and "proxy" not in key.lower()
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"  # grpc-js honours proxy variables
    return env


class TcpRelay:
    """A loopback TCP relay in front of the daemon's HTTP port that keeps a copy of the bytes the
    client sent, so a test sees how Node framed its requests (chunked, no Content-Length) while the
    daemon receives them unchanged."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._sent: list[bytearray] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._upstream, timeout=10)
            except OSError:
                client.close()
                continue
            record = bytearray()
            self._sent.append(record)
            thread = threading.Thread(target=self._relay, args=(client, upstream, record), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _relay(self, client: socket.socket, upstream: socket.socket, record: bytearray) -> None:
        peer = {client: upstream, upstream: client}
        reading = {client, upstream}
        with client, upstream:
            try:
                while reading:
                    ready, _, _ = select.select(list(reading), [], [], 0.1)
                    if not ready and self._stopping.is_set():
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:  # half-close: pass the EOF on
                            reading.discard(sock)
                            peer[sock].shutdown(socket.SHUT_WR)
                            continue
                        if sock is client:
                            record += data
                        peer[sock].sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._stopping.set()
        self._accepter.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def request_heads(self) -> list[dict[str, str]]:
        """The header block of the first request on each connection, field names lowercased."""
        heads = []
        for record in self._sent:
            lines = bytes(record).split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            fields = (line.split(":", 1) for line in lines[1:])
            heads.append({"request-line": lines[0]} | {k.strip().lower(): v.strip() for k, v in fields})
        return heads


def send_spans(
    node: str, endpoint: str, protocol: str, service_name: str, *, compression: str = "none",
    scenario: str = "all-types", timeout_ms: int = 10_000,
) -> subprocess.CompletedProcess:
    command = [
        node, str(SEND_SPANS), "--protocol", protocol, "--endpoint", endpoint, "--service-name", service_name,
        "--compression", compression, "--scenario", scenario, "--timeout-ms", str(timeout_ms),
    ]
    return subprocess.run(command, cwd=NODE_DIR, env=node_env(), capture_output=True, text=True, timeout=60)


def export_from_node(
    daemon: DaemonProcess, protocol: str, service_name: str, *, compression: str = "none",
    scenario: str = "all-types", spans: int = 5,
) -> dict:
    """Run send_spans.mjs against the daemon (HTTP through a TcpRelay) and return its report, plus
    ``request_heads``: the header blocks of its HTTP requests as they went over the wire."""
    node = require_node()
    relay = TcpRelay(daemon.http_port) if protocol != "grpc" else None
    try:
        endpoint = relay.url if relay else f"http://{daemon.grpc_endpoint}"
        result = send_spans(
            node, endpoint, protocol, service_name, compression=compression, scenario=scenario
        )
    finally:
        if relay:
            relay.close()
    if result.returncode != 0:
        pytest.fail(
            f"send_spans.mjs over {protocol} exited {result.returncode}\n--- stderr\n{result.stderr}"
            f"\n--- stdout\n{result.stdout}\n--- daemon log\n{daemon.log()}",
            pytrace=False,
        )
    report = json.loads(result.stdout)
    sent_as = (report["protocol"], report["compression"], report["scenario"])
    assert sent_as == (protocol, compression, scenario)
    assert report["diagnostics"] == [], "the Node SDK logged warnings or errors"
    assert report["flush_error"] is None
    assert report["spans_exported"] == spans
    assert all(export["code"] == 0 for export in report["exports"]), report["exports"]
    report["request_heads"] = relay.request_heads() if relay else []
    return report


# --- Checking what was stored and counted ---------------------------------------------------------

VALUE_COLUMNS = {"string": "string_value", "int": "int_value", "double": "double_value", "bool": "bool_value"}
ALL_VALUE_COLUMNS = ("string_value", "int_value", "double_value", "bool_value", "bytes_value", "json_value")


def stored_attributes(rows: list[dict]) -> list[tuple]:
    """Attribute rows (ordered by position) → [(key, (type, value))], checking each row's shape:
    positions are 0..n-1 and exactly the one value column of the row's type is set."""
    assert [row["position"] for row in rows] == list(range(len(rows))), rows
    attributes = []
    for row in rows:
        kind = row["type"]
        column = "json_value" if kind in ("array", "kvlist") else VALUE_COLUMNS.get(kind)
        assert column is not None, f"{row['key']}: unexpected stored type {kind!r}"
        set_columns = [c for c in ALL_VALUE_COLUMNS if row[c] is not None]
        assert set_columns == [column], f"{row['key']} ({kind}): value columns set: {set_columns}"
        value = json.loads(row[column]) if column == "json_value" else row[column]
        attributes.append((row["key"], (kind, value)))
    return attributes


def assert_attributes(actual: list[tuple], expected: list[tuple], what: str) -> None:
    """Exact, including the Python type of each value: True is not 1 and 2 is not 2.0 here."""
    def typed(items):
        return [(key, kind, type(value).__name__, value) for key, (kind, value) in items]

    assert typed(actual) == typed(expected), what


def attributes_of(daemon: DaemonProcess, table: str, where: str) -> list[tuple]:
    return stored_attributes(daemon.query(f"SELECT * FROM {table} WHERE {where} ORDER BY position"))


def assert_stored_exactly(daemon: DaemonProcess, report: dict, service_name: str) -> None:
    expected = expected_spans(report)
    stored = daemon.query("SELECT * FROM spans ORDER BY start_time_unix_nano")
    assert [s["name"] for s in stored] == [e["name"] for e in expected]
    resource_ids = {s["resource_id"] for s in stored}
    scope_ids = {s["scope_id"] for s in stored}
    assert len(resource_ids) == 1 and len(scope_ids) == 1, (resource_ids, scope_ids)

    for row, want in zip(stored, expected):
        label, seq = want["name"], row["seq"]
        assert re.fullmatch(r"[0-9a-f]{32}", row["trace_id"]), row
        assert re.fullmatch(r"[0-9a-f]{16}", row["span_id"]), row
        assert {
            "trace_id": row["trace_id"], "span_id": row["span_id"], "parent_span_id": row["parent_span_id"],
            "trace_state": row["trace_state"], "flags": row["flags"], "kind": row["kind"],
            "start": row["start_time_unix_nano"], "end": row["end_time_unix_nano"],
            "duration": row["duration_ns"], "status": (row["status_code"], row["status_message"]),
            "service_name": row["service_name"],
            "dropped": (
                row["dropped_attributes_count"], row["dropped_events_count"], row["dropped_links_count"]
            ),
        } == {
            "trace_id": want["ids"]["trace_id"], "span_id": want["ids"]["span_id"],
            "parent_span_id": want["parent_span_id"], "trace_state": want["trace_state"],
            "flags": want["flags"], "kind": want["kind"], "start": want["start"], "end": want["end"],
            "duration": want["end"] - want["start"], "status": want["status"],
            "service_name": service_name, "dropped": (0, 0, 0),
        }, label
        assert_attributes(attributes_of(daemon, "span_attributes", f"span_seq = {seq}"), want["attributes"],
                          f"{label}: span attributes")

        events = daemon.query(f"SELECT * FROM span_events WHERE span_seq = {seq} ORDER BY event_index")
        assert [(e["event_index"], e["name"], e["time_unix_nano"], e["dropped_attributes_count"])
                for e in events] == [
            (index, name, time_ns, 0) for index, (name, time_ns, _) in enumerate(want["events"])
        ], f"{label}: events"
        for index, (name, _, event_attributes) in enumerate(want["events"]):
            actual = attributes_of(daemon, "event_attributes", f"span_seq = {seq} AND event_index = {index}")
            assert_attributes(actual, event_attributes, f"{label}: attributes of event {name}")

        links = daemon.query(f"SELECT * FROM span_links WHERE span_seq = {seq} ORDER BY link_index")
        assert [(k["link_index"], k["trace_id"], k["span_id"], k["trace_state"], k["flags"],
                 k["dropped_attributes_count"]) for k in links] == [
            (index, trace_id, span_id, state, flags, 0)
            for index, (trace_id, span_id, state, flags, _) in enumerate(want["links"])
        ], f"{label}: links"
        for index, link in enumerate(want["links"]):
            actual = attributes_of(daemon, "link_attributes", f"span_seq = {seq} AND link_index = {index}")
            assert_attributes(actual, link[4], f"{label}: attributes of link {index}")

    # The producer span that the SERVER span links to is stored too: the link resolves.
    resolved = daemon.query(
        "SELECT s.name FROM span_links l JOIN spans s ON s.trace_id = l.trace_id AND s.span_id = l.span_id"
    )
    assert resolved == [{"name": "orders publish"}]

    # Nothing was stored beyond the above.
    tables = ["span_attributes", "span_events", "event_attributes", "span_links", "link_attributes",
              "resources", "resource_attributes", "scopes", "scope_attributes"]
    counts = daemon.query("SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in tables))[0]
    assert counts == {
        "span_attributes": sum(len(e["attributes"]) for e in expected),
        "span_events": sum(len(e["events"]) for e in expected),
        "event_attributes": sum(len(event[2]) for e in expected for event in e["events"]),
        "span_links": sum(len(e["links"]) for e in expected),
        "link_attributes": sum(len(link[4]) for e in expected for link in e["links"]),
        "resources": 1,
        "resource_attributes": len(expected_resource_attributes(service_name)),
        "scopes": 1,
        "scope_attributes": 0,
    }

    (resource,) = daemon.query("SELECT * FROM resources")
    assert resource == {
        "resource_id": resource_ids.pop(), "service_name": service_name,
        "schema_url": RESOURCE_SCHEMA_URL, "dropped_attributes_count": 0,
    }
    actual = attributes_of(daemon, "resource_attributes", f"resource_id = {resource['resource_id']}")
    assert_attributes(actual, expected_resource_attributes(service_name), "resource attributes")

    (scope,) = daemon.query("SELECT * FROM scopes")
    assert scope == {"scope_id": scope_ids.pop(), **SCOPE, "dropped_attributes_count": 0}


def assert_counted(daemon: DaemonProcess, protocol: str, spans: int) -> None:
    """/metrics counted the spans under this protocol's transport label, and under no other."""
    label = TRANSPORT_LABEL[protocol]
    accepted = {
        transport: daemon.metric("weavergen_spans_accepted_total", transport=transport)
        for transport in TRANSPORT_LABEL.values()
    }
    assert accepted == {t: (spans if t == label else 0) for t in TRANSPORT_LABEL.values()}, accepted
    assert daemon.metric("weavergen_spans_received_total", transport=label) == spans
    assert daemon.metric("weavergen_spans_rejected_total", transport=label) == 0
    assert daemon.metric("weavergen_export_requests_total", transport=label, outcome="ok") >= 1


def assert_node_http_framing(report: dict, protocol: str, compression: str = "none") -> None:
    """What sets Node's HTTP exporters apart: a chunked body with no Content-Length."""
    if protocol == "grpc":
        return
    content_type = "application/json" if protocol == "http/json" else "application/x-protobuf"
    heads = report["request_heads"]
    assert heads, "no HTTP request went through the relay"
    for head in heads:
        assert head["request-line"] == "POST /v1/traces HTTP/1.1", head
        assert head.get("transfer-encoding") == "chunked", head
        assert "content-length" not in head, head
        assert head.get("content-type") == content_type, head
        assert head.get("content-encoding") == ("gzip" if compression == "gzip" else None), head
        assert head.get("user-agent", "").startswith("OTel-OTLP-Exporter-JavaScript/"), head


# --- Tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_node_sdk_spans_are_stored_exactly(daemon, protocol):
    service_name = f"node-{TRANSPORT_LABEL[protocol]}-client"
    report = export_from_node(daemon, protocol, service_name)
    assert_node_http_framing(report, protocol)
    assert_stored_exactly(daemon, report, service_name)
    assert_counted(daemon, protocol, 5)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_node_sdk_gzip_compression(daemon, protocol):
    """``compression: 'gzip'``: Node's HTTP exporters pipe the body through zlib (still chunked, with
    Content-Encoding: gzip); the gRPC exporter turns on grpc-js' gzip message compression."""
    service_name = f"node-{TRANSPORT_LABEL[protocol]}-gzip"
    report = export_from_node(daemon, protocol, service_name, compression="gzip")
    assert_node_http_framing(report, protocol, compression="gzip")
    assert_stored_exactly(daemon, report, service_name)
    assert_counted(daemon, protocol, 5)


def test_send_spans_fails_when_the_export_fails():
    """The tests above rely on send_spans.mjs's exit status: an export that cannot be delivered must
    exit non-zero and say why."""
    node = require_node()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    started = time.monotonic()
    result = send_spans(node, f"http://127.0.0.1:{port}", "http/protobuf", "node-nowhere", timeout_ms=1_000)
    assert result.returncode == 1, result
    assert f"export over http/protobuf to http://127.0.0.1:{port} failed" in result.stderr
    assert "ECONNREFUSED" in result.stderr
    assert json.loads(result.stdout)["spans_exported"] == 0
    assert time.monotonic() - started < 30


def scenario_attributes(daemon: DaemonProcess, report: dict, scenario: str) -> list[tuple]:
    """The attributes of the one span a scenario other than all-types sends, after checking the span."""
    (row,) = daemon.query("SELECT * FROM spans")
    ids = report["spans"][scenario]
    assert (row["trace_id"], row["span_id"], row["name"], row["kind"]) == (
        ids["trace_id"], ids["span_id"], scenario, KIND_INTERNAL
    )
    assert (row["start_time_unix_nano"], row["end_time_unix_nano"]) == (
        SECOND + 3_000_000_005, SECOND + 3_000_000_006
    )
    return attributes_of(daemon, "span_attributes", f"span_seq = {row['seq']}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_node_integers_beyond_2_53(daemon, protocol):
    """Integers a double holds exactly but JSON.stringify does not write exactly.

    Over protobuf Node sends the exact int64. Over JSON it sends ``intValue`` as a JSON number in
    JSON.stringify's shortest form, which is another integer (2**60 → 1152921504606847000): the daemon
    stores the integer that is in the body, not a float's rounding of it."""
    report = export_from_node(daemon, protocol, "node-big-ints", scenario="big-ints", spans=1)
    if protocol == "http/json":
        expected = [("int.two_pow_60", I(1152921504606847000)),
                    ("int.below_two_pow_63", I(9223372036854775000))]
    else:
        expected = [("int.two_pow_60", I(2**60)), ("int.below_two_pow_63", I(2**63 - 1024))]
    assert_attributes(scenario_attributes(daemon, report, "big-ints"), expected, "big ints")
    assert_counted(daemon, protocol, 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_node_integral_numbers_outside_int64(daemon, protocol):
    """Integral JS numbers outside int64, and int64's minimum.

    Node's protobuf writer sends the out-of-range ones as double_value. Its JSON serializer sends them
    all as ``intValue`` numbers (1.5e300 → ``{"intValue": 1.5e+300}``, -(2**63) → -9223372036854776000,
    below int64's minimum): the daemon keeps such a number as the double it was, rather than refusing
    the whole request (and so every span of the batch) with 400."""
    report = export_from_node(daemon, protocol, "node-int64-edges", scenario="int64-edges", spans=1)
    minimum = D(-(2.0**63)) if protocol == "http/json" else I(-(2**63))
    expected = [
        ("int.min_int64", minimum),
        ("double.two_pow_63", D(2.0**63)),
        ("double.huge", D(1.5e300)),
        ("double.max", D(1.7976931348623157e308)),
    ]
    assert_attributes(scenario_attributes(daemon, report, "int64-edges"), expected, "int64 edges")
    assert_counted(daemon, protocol, 1)
