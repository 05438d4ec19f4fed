"""A real Alertmanager delivering to a webhook that uses ``handle_delivery``, as the daemon's endpoint will.

Alertmanager (Debian package prometheus-alertmanager) runs on loopback without gossip; its only receiver
is a webhook on a local http.server. Alerts are posted to its API v2: a firing notification must arrive
and parse into the right Alert, then a resolved one; a delivery answered with 500 must be retried by
Alertmanager, and the retry must be a no-op thanks to ``SeenDeliveries``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alertmanager_process import run_alertmanager

from weavergen.healers.alertmanager import (
    SeenDeliveries,
    WebhookError,
    delivery_key,
    handle_delivery,
    parse_webhook,
)
from weavergen.rules.alert import AlertState

pytestmark = pytest.mark.slow

HOOK_PATH = "/hooks/alertmanager"
ROUTES = [
    {"match": {"severity": "page"}, "actions": ["capture_traces", "webhook"]},
    {"match": {}, "actions": ["log"]},
]
TIMEOUT = 20


@dataclass
class Delivery:
    body: bytes
    answered: int
    handled: list  # what handle_delivery returned: [(Alert, actions)]


@dataclass
class WebhookServer:
    """Records every POST; ``fail_next`` alertnames get their delivery processed, then answered 500."""

    server: ThreadingHTTPServer
    seen: SeenDeliveries = field(default_factory=SeenDeliveries)
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: set[str] = field(default_factory=set)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{HOOK_PATH}"

    def receive(self, body: bytes) -> int:
        try:
            handled = handle_delivery(body, self.seen, ROUTES)
        except WebhookError:
            status, handled = 400, []
        else:
            names = {a["labels"].get("alertname") for a in json.loads(body)["alerts"]}
            status = 500 if names & self.fail_next else 200
            self.fail_next -= names
        with self.changed:
            self.deliveries.append(Delivery(body, status, handled))
            self.changed.notify_all()
        return status

    def wait_for(self, predicate, what: str, log: Path) -> list[Delivery]:
        """Deliveries of the alert(s) ``predicate`` selects, once there are some (or fail after TIMEOUT)."""
        deadline = time.monotonic() + TIMEOUT
        with self.changed:
            while True:
                found = [d for d in self.deliveries if predicate(d)]
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"no {what} after {TIMEOUT} s; deliveries: "
                                f"{[d.body[:300] for d in self.deliveries]}\nAlertmanager log:\n"
                                f"{log.read_text(errors='replace')[-3000:]}")
                self.changed.wait(remaining)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        handler.rfile.readline()
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


@pytest.fixture(scope="module")
def webhook():
    state: dict[str, WebhookServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path != HOOK_PATH:
                self.send_error(404)
                return
            status = state["server"].receive(_read_body(self))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # keep the test output clean
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    state["server"] = hook = WebhookServer(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def alertmanager(webhook, tmp_path_factory):
    with run_alertmanager(webhook.url, tmp_path_factory.mktemp("alertmanager")) as process:
        yield process


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> dt.datetime:
    moment = dt.datetime.now(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # what rfc3339() keeps


def of(alertname: str, status: str):
    """Selects deliveries that carry ``alertname`` with ``status``."""
    def predicate(delivery: Delivery) -> bool:
        return any(a["labels"].get("alertname") == alertname and a["status"] == status
                   for a in json.loads(delivery.body)["alerts"])
    return predicate


def test_firing_then_resolved_notifications_reach_the_webhook(alertmanager, webhook):
    labels = {"alertname": "WeaverGenDeliveryTest", "service": "checkout", "severity": "page"}
    annotations = {"summary": "checkout is on fire", "description": "delivered by a real Alertmanager"}
    starts = now() - dt.timedelta(minutes=1)
    posted = time.monotonic()
    alertmanager.post([{"labels": labels, "annotations": annotations, "startsAt": rfc3339(starts),
                        "endsAt": rfc3339(starts + dt.timedelta(hours=1)),
                        "generatorURL": "http://127.0.0.1/weavergen-test"}])

    (delivery,) = webhook.wait_for(of("WeaverGenDeliveryTest", "firing"), "firing notification",
                                   alertmanager.log)
    payload = json.loads(delivery.body)
    assert payload["version"] == "4" and payload["receiver"] == "weavergen"
    assert payload["externalURL"] == alertmanager.url
    (alert,) = parse_webhook(payload)
    assert alert.labels == labels and alert.annotations == annotations
    assert alert.state is AlertState.firing and alert.source == "alertmanager"
    assert alert.rule == "alertmanager/weavergen"
    assert alert.active_at == starts and alert.resolved_at is None
    assert alert.values["generatorURL"] == "http://127.0.0.1/weavergen-test"
    assert delivery.answered == 200
    ((handled, actions),) = delivery.handled
    assert handled.labels == labels and actions == ("capture_traces", "webhook") == handled.actions
    firing_after = time.monotonic() - posted

    ends = now() - dt.timedelta(seconds=1)
    alertmanager.post([{"labels": labels, "annotations": annotations, "startsAt": rfc3339(starts),
                        "endsAt": rfc3339(ends)}])
    (delivery,) = webhook.wait_for(of("WeaverGenDeliveryTest", "resolved"), "resolved notification",
                                   alertmanager.log)
    (resolved,) = parse_webhook(json.loads(delivery.body))
    assert resolved.state is AlertState.resolved and resolved.labels == labels
    assert resolved.active_at == starts and resolved.resolved_at == ends
    assert resolved.fingerprint == alert.fingerprint
    assert resolved.values["fingerprint"] == alert.values["fingerprint"]
    assert [(a.state, actions) for a, actions in delivery.handled] == [
        (AlertState.resolved, ("capture_traces", "webhook"))]
    # Firing ~group_wait after the post; resolved on a group_interval tick.
    assert firing_after < 10


def test_a_failed_delivery_is_retried_and_the_retry_is_a_no_op(alertmanager, webhook):
    labels = {"alertname": "WeaverGenRetryTest", "service": "cart", "severity": "warning"}
    webhook.fail_next.add("WeaverGenRetryTest")
    alertmanager.post([{"labels": labels, "annotations": {"summary": "retry me"},
                        "startsAt": rfc3339(now())}])

    def retried(delivery: Delivery) -> bool:
        return of("WeaverGenRetryTest", "firing")(delivery) and delivery.answered == 200

    webhook.wait_for(retried, "retried delivery answered 200", alertmanager.log)
    deliveries = [d for d in webhook.deliveries if of("WeaverGenRetryTest", "firing")(d)]
    assert [d.answered for d in deliveries][:1] == [500] and deliveries[-1].answered == 200
    assert len(deliveries) >= 2, "Alertmanager did not retry after 500"
    # The same notification each time: the same alert, same delivery key ...
    keys = {tuple(delivery_key(a) for a in parse_webhook(json.loads(d.body))) for d in deliveries}
    assert len(keys) == 1
    # ... processed by the first delivery (which then failed to answer) and by no retry.
    assert [len(d.handled) for d in deliveries] == [1] + [0] * (len(deliveries) - 1)
    ((alert, actions),) = deliveries[0].handled
    assert alert.labels == labels and alert.state is AlertState.firing and actions == ("log",)
    assert delivery_key(alert) in webhook.seen
