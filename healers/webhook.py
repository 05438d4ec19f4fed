"""The webhook healer: POST the alert as JSON to a configured URL, retrying with exponential backoff.

It notifies once per (fingerprint, state): a re-evaluation of an alert already notified in that state is
skipped. What was notified is read from ``alert_actions``, so it survives restarts. The body carries
the artifacts earlier actions recorded for the alert (``charter_path`` when a charter was written).
Connection errors, timeouts, 408, 429 and 5xx are retried; other statuses fail at once.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any

from weavergen.rules.alert import Alert, AlertState

from . import outcomes
from .base import ActionResult, Connect, Healer, Outcome
from .times import iso

log = logging.getLogger(__name__)

RETRYABLE = {408, 429}
EXCERPT = 200


def payload(alert: Alert, earlier: dict[str, dict[str, Any]]) -> dict[str, Any]:
    artifacts = {action: run["artifacts"] for action, run in earlier.items() if run["artifacts"]}
    return {
        "fingerprint": alert.fingerprint,
        "alertname": alert.name,
        "rule": alert.rule,
        "state": alert.state.value,
        "source": alert.source,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "subject": alert.subject,
        "value": alert.value,
        "values": alert.values,
        "active_at": iso(alert.active_at),
        "fired_at": iso(alert.fired_at),
        "resolved_at": iso(alert.resolved_at),
        "charter_path": artifacts.get("charter", {}).get("path"),
        "artifacts": artifacts,
    }


class WebhookHealer(Healer):
    name = "webhook"

    def __init__(self, url: str, attempts: int = 5, backoff_seconds: float = 0.5,
                 timeout_seconds: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http:// or https://, got {url!r}")
        self.url, self.attempts, self.backoff, self.timeout = url, attempts, backoff_seconds, timeout_seconds
        self._stopping = threading.Event()

    def on_alert(self, alert: Alert, connect: Connect) -> ActionResult:
        if alert.state is AlertState.pending:
            return ActionResult(Outcome.skipped, "pending: notified when the alert fires")
        with connect() as con:
            earlier = outcomes.latest_applied(con, alert.fingerprint)
        if earlier.get(self.name, {}).get("state") == alert.state.value:
            return ActionResult(Outcome.skipped, f"already notified: {alert.state.value}")
        earlier.pop(self.name, None)
        body = json.dumps(payload(alert, earlier), default=str).encode()
        return self.post(body)

    def post(self, body: bytes) -> ActionResult:
        problem = ""
        for attempt in range(1, self.attempts + 1):
            status, problem, retry = self._attempt(body)
            if status is not None and 200 <= status < 300:
                return ActionResult(Outcome.applied, f"HTTP {status} from {self.url} (attempt {attempt})",
                                    {"url": self.url, "status": str(status)})
            if not retry or attempt == self.attempts:
                break
            if self._stopping.wait(self.backoff * 2 ** (attempt - 1)):
                problem += "; stopped retrying: shutting down"
                break
        return ActionResult(Outcome.failed, f"{self.url}: {problem} (after {attempt} attempt(s))")

    def _attempt(self, body: bytes) -> tuple[int | None, str, bool]:
        """(status, problem, retryable)."""
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "weavergen-healer"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, "", False
        except urllib.error.HTTPError as exc:
            with exc:
                excerpt = exc.read(EXCERPT).decode("utf-8", "replace")
            retry = exc.code >= 500 or exc.code in RETRYABLE
            return exc.code, f"HTTP {exc.code}: {excerpt}", retry
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, DNS, timeout
            reason = getattr(exc, "reason", exc)
            return None, f"{type(exc).__name__}: {reason}", True

    def shutdown(self) -> None:
        self._stopping.set()
