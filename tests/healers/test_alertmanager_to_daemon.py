"""A real Alertmanager delivering to the daemon's own POST /hooks/alertmanager: routed to the charter
healer, opened then resolved, and a retried delivery handled once."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from alertmanager_process import run_alertmanager

pytestmark = pytest.mark.slow
LABELS = {"alertname": "CheckoutDown", "service": "checkout", "severity": "page"}


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---")[1])


def wait_for(check, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def daemon_with_routes(make_daemon, tmp_path):
    daemon = make_daemon(healers={"charters_dir": str(tmp_path / "charters"),
                                  "routes": [{"match": {"severity": "page"}, "actions": ["charter"]}]},
                         analyzers={"enabled": False})
    daemon.charters_dir = tmp_path / "charters"
    return daemon


def test_alertmanager_notifications_open_and_resolve_one_charter(daemon_with_routes, tmp_path):
    daemon = daemon_with_routes
    hook = f"{daemon.admin_url}/hooks/alertmanager"
    starts = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with run_alertmanager(hook, tmp_path / "alertmanager") as alertmanager:
        alertmanager.post([{"labels": LABELS, "annotations": {"summary": "checkout is down"},
                            "startsAt": rfc3339(starts), "endsAt": rfc3339(starts + dt.timedelta(hours=1))}])
        (charter,) = wait_for(lambda: list(daemon.charters_dir.glob("*.md")), "a charter from Alertmanager")
        assert front_matter(charter)["status"] == "open"
        assert "checkout is down" in charter.read_text()
        alertmanager.post([{"labels": LABELS, "annotations": {"summary": "checkout is down"},
                            "startsAt": rfc3339(starts), "endsAt": rfc3339(dt.datetime.now(dt.UTC))}])
        wait_for(lambda: front_matter(charter)["status"] == "resolved", "the charter resolved")
    assert list(daemon.charters_dir.glob("*.md")) == [charter]
    outcomes = daemon.query("SELECT state, outcome FROM alert_actions WHERE alertname = 'CheckoutDown' ORDER BY recorded_at")
    assert [(o["state"], o["outcome"]) for o in outcomes] == [("firing", "applied"), ("resolved", "applied")]


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_a_retried_delivery_is_handled_once_and_bad_payloads_are_refused(daemon_with_routes):
    daemon = daemon_with_routes
    hook = f"{daemon.admin_url}/hooks/alertmanager"
    payload = {"version": "4", "status": "firing", "receiver": "weavergen", "groupLabels": {},
               "commonLabels": LABELS, "commonAnnotations": {}, "externalURL": "http://127.0.0.1:9093",
               "groupKey": "{}:{}", "truncatedAlerts": 0,
               "alerts": [{"status": "firing", "labels": LABELS, "annotations": {"summary": "down"},
                           "startsAt": "2026-11-25T19:11:48.103Z", "endsAt": "0001-01-01T00:00:00Z",
                           "generatorURL": "", "fingerprint": "231c89f6871cba2b"}]}
    body = json.dumps(payload).encode()
    assert post(hook, body) == (200, {"accepted": 1})
    assert post(hook, body) == (200, {"accepted": 0})  # Alertmanager retrying: nothing new
    wait_for(lambda: list(daemon.charters_dir.glob("*.md")), "a charter")
    time.sleep(1)
    assert len(list(daemon.charters_dir.glob("*.md"))) == 1
    status, answer = post(hook, b'{"version": "4", "alerts": "nope"}')
    assert status == 400 and "not an Alertmanager webhook payload" in answer["error"]
