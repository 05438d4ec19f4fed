"""The webhook healer against a real HTTP server on loopback that fails the first N requests."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from healer_store import make_alert

from weavergen.healers.base import Outcome
from weavergen.healers.charter import CharterHealer
from weavergen.healers.runner import ActionRunner
from weavergen.healers.webhook import WebhookHealer
from weavergen.rules.alert import AlertState


class Receiver(ThreadingHTTPServer):
    """Answers ``fail_status`` to the first ``failures`` POSTs, then 200; keeps every body."""

    daemon_threads = True

    def __init__(self, failures: int = 0, fail_status: int = 503) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures, self.fail_status = failures, fail_status
        self.bodies: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.append(body)
            failing = len(self.server.bodies) <= self.server.failures
        status = self.server.fail_status if failing else 200
        answer = b"receiver is down for maintenance" if failing else b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve():
    servers: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        server = Receiver(**kwargs)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_retries_with_backoff_then_succeeds(serve, store):
    server = serve(failures=2)
    healer = WebhookHealer(server.url, attempts=5, backoff_seconds=0.05)

    started = time.monotonic()
    result = healer.on_alert(make_alert(actions=["webhook"]), store.cursor)

    assert result.outcome is Outcome.applied
    assert result.detail == f"HTTP 200 from {server.url} (attempt 3)"
    assert time.monotonic() - started >= 0.05 + 0.1  # waited 0.05 s, then 0.1 s
    assert len(server.bodies) == 3 and server.bodies[0] == server.bodies[2]
    body = server.bodies[-1]
    assert body["fingerprint"] == make_alert().fingerprint and body["state"] == "firing"
    assert body["labels"] == {"alertname": "HighErrorRate", "service": "checkout", "severity": "page"}
    assert body["annotations"]["summary"] == "Error rate of checkout is 90%"
    assert body["values"] == {"value": 0.9, "signal": "error_rate", "threshold": 0.5}
    assert body["rule"] == "slo/HighErrorRate" and body["value"] == 0.9
    assert body["active_at"] == "2026-01-01T12:10:00Z" and body["resolved_at"] is None
    assert body["charter_path"] is None and body["artifacts"] == {}


def test_gives_up_after_the_configured_attempts(serve, store):
    server = serve(failures=10, fail_status=500)
    result = WebhookHealer(server.url, attempts=3, backoff_seconds=0.01).on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.failed
    assert result.detail == f"{server.url}: HTTP 500: receiver is down for maintenance (after 3 attempt(s))"
    assert len(server.bodies) == 3


def test_a_client_error_is_not_retried(serve, store):
    server = serve(failures=10, fail_status=400)
    result = WebhookHealer(server.url, attempts=5, backoff_seconds=0.01).on_alert(make_alert(), store.cursor)

    assert result.outcome is Outcome.failed and "HTTP 400" in result.detail and "after 1 attempt" in result.detail
    assert len(server.bodies) == 1


def test_connection_refused_is_retried_then_failed(store):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = WebhookHealer(f"http://127.0.0.1:{port}/", attempts=2, backoff_seconds=0.01).on_alert(
        make_alert(), store.cursor)

    assert result.outcome is Outcome.failed
    assert "URLError" in result.detail and "after 2 attempt(s)" in result.detail


def test_shutdown_cuts_the_backoff_short(serve, store):
    server = serve(failures=10)
    healer = WebhookHealer(server.url, attempts=5, backoff_seconds=30)
    threading.Timer(0.2, healer.shutdown).start()

    started = time.monotonic()
    result = healer.on_alert(make_alert(), store.cursor)

    assert time.monotonic() - started < 5
    assert result.outcome is Outcome.failed and "shutting down" in result.detail
    assert len(server.bodies) == 1


def test_through_the_runner_with_a_charter_notifies_once_per_state(tmp_path, serve, store):
    server = serve(failures=1)
    healers = {"charter": CharterHealer(tmp_path / "charters"),
               "webhook": WebhookHealer(server.url, attempts=3, backoff_seconds=0.01)}
    runner = ActionRunner(healers, store.cursor)
    try:
        runner.submit(make_alert(actions=["charter", "webhook"]))
        runner.submit(make_alert(actions=["charter", "webhook"], value=0.95))  # re-evaluated while firing
        runner.submit(make_alert(AlertState.resolved, actions=["charter", "webhook"], value=0.01))
        assert runner.wait_idle(30)
    finally:
        runner.shutdown()

    (charter,) = (tmp_path / "charters").iterdir()
    delivered = server.bodies[1:]  # the first attempt got a 503
    assert [(b["state"], b["value"]) for b in delivered] == [("firing", 0.9), ("resolved", 0.01)]
    assert all(b["charter_path"] == str(charter) for b in delivered)
    assert delivered[1]["artifacts"]["charter"]["status"] == "resolved"
    assert delivered[1]["resolved_at"] == "2026-01-01T12:15:00Z"
    recorded = store.execute("""SELECT state, outcome, detail FROM alert_actions WHERE action = 'webhook'
                                ORDER BY rowid""").fetchall()
    assert recorded == [("firing", "applied", f"HTTP 200 from {server.url} (attempt 2)"),
                        ("firing", "skipped", "already notified: firing"),
                        ("resolved", "applied", f"HTTP 200 from {server.url} (attempt 1)")]


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="http:// or https://"):
        WebhookHealer("file:///etc/passwd")
