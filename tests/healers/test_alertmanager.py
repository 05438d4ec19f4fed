"""Alertmanager webhook payloads → Alert, routing to actions, and processing each notification once.

Payloads come from a real Alertmanager (../shared/reference/alertmanager, captured on these machines) and
from hand-written fixtures here (tests/healers/fixtures) that cover what the captures do not: groups with
several alerts, mixed states, nanosecond timestamps and zone offsets.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from weavergen.healers.alertmanager import (
    RouteError,
    SeenDeliveries,
    WebhookError,
    check_routes,
    delivery_key,
    handle_delivery,
    parse_time,
    parse_webhook,
    route,
)
from weavergen.rules.alert import Alert, AlertState

REPO = Path(__file__).resolve().parents[2]
CAPTURED = REPO.parent / "shared" / "reference" / "alertmanager"
FIXTURES = Path(__file__).with_name("fixtures")
UTC = dt.UTC


def load(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture
def captured() -> Path:
    if not (CAPTURED / "webhook-firing.json").is_file():
        pytest.skip(f"captured Alertmanager payloads not found at {CAPTURED} (a checkout of the shared "
                    "reference next to the repo); tests/healers/fixtures still cover the parsing")
    return CAPTURED


@pytest.fixture
def group_firing() -> dict:
    return load(FIXTURES / "webhook-group-firing.json")


# --- parsing: payloads captured from a real Alertmanager ------------------------------------------------


def test_captured_firing_payload(captured):
    (alert,) = parse_webhook(load(captured / "webhook-firing.json"))
    assert alert.labels == {"alertname": "HighSpanErrorRate", "service": "checkout", "severity": "page"}
    assert alert.name == "HighSpanErrorRate"
    assert alert.state is AlertState.firing
    assert alert.annotations == {"runbook": "capture traces for service checkout",
                                 "summary": "Span error rate above 5% (10%)"}
    assert alert.source == "alertmanager" and alert.rule == "alertmanager/otlp-daemon"
    assert alert.active_at == dt.datetime(2026, 11, 25, 19, 11, 48, 103000, tzinfo=UTC)
    assert alert.resolved_at is None  # endsAt "0001-01-01T00:00:00Z": still firing
    assert alert.subject == {"service": "checkout"}
    assert alert.values["fingerprint"] == "231c89f6871cba2b"
    assert alert.values["externalURL"] == "http://127.0.0.1:9093"
    assert alert.values["generatorURL"].startswith("http://vm:9090/graph?")
    assert alert.values["receiver"] == "otlp-daemon"
    assert alert.fingerprint == Alert(alert.labels, AlertState.firing).fingerprint  # ours, from the labels


def test_captured_resolved_payload_is_the_same_alert_resolved(captured):
    (firing,) = parse_webhook(load(captured / "webhook-firing.json"))
    (resolved,) = parse_webhook(load(captured / "webhook-resolved.json"))
    assert resolved.state is AlertState.resolved
    assert resolved.active_at == firing.active_at
    assert resolved.resolved_at == dt.datetime(2026, 11, 25, 19, 12, 0, 103000, tzinfo=UTC)
    assert resolved.fingerprint == firing.fingerprint
    assert delivery_key(resolved) != delivery_key(firing)


# --- parsing: hand-written payloads ------------------------------------------------------------------


def test_group_with_a_firing_and_a_resolved_alert(group_firing):
    checkout, cart = parse_webhook(group_firing)
    assert (checkout.state, cart.state) == (AlertState.firing, AlertState.resolved)  # each alert's own status
    assert checkout.labels["service"] == "checkout" and cart.labels["service"] == "cart"
    assert checkout.subject == {"instance": "127.0.0.1:8888", "job": "weavergen", "service": "checkout"}
    # Nanoseconds are truncated to microseconds; offsets are converted to UTC.
    assert checkout.active_at == dt.datetime(2026, 11, 25, 19, 11, 48, 123456, tzinfo=UTC)
    assert cart.active_at == dt.datetime(2026, 11, 25, 19, 0, 0, tzinfo=UTC)
    assert cart.resolved_at == dt.datetime(2026, 11, 25, 19, 30, 0, 500000, tzinfo=UTC)
    assert checkout.resolved_at is None
    assert cart.annotations == {"summary": "Semantic-convention quality of cart is low (79)"}
    assert {a.rule for a in (checkout, cart)} == {"alertmanager/weavergen"}
    assert checkout.values["groupKey"] == '{}:{alertname="WeaverGenQualityScoreLow"}'


def test_resolved_group_payload():
    alerts = parse_webhook(load(FIXTURES / "webhook-group-resolved.json"))
    assert [a.state for a in alerts] == [AlertState.resolved, AlertState.resolved]
    assert alerts[0].resolved_at == dt.datetime(2026, 11, 25, 19, 42, tzinfo=UTC)


def test_a_firing_alert_with_a_future_ends_at_is_still_firing(group_firing):
    group_firing["alerts"][0]["endsAt"] = "2999-01-01T00:00:00Z"
    assert parse_webhook(group_firing)[0].resolved_at is None


def test_an_empty_alert_list_is_no_alert(group_firing):
    group_firing["alerts"] = []
    assert parse_webhook(group_firing) == []


def test_missing_annotations_are_empty(group_firing):
    del group_firing["alerts"][0]["annotations"]
    assert parse_webhook(group_firing)[0].annotations == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("0001-01-01T00:00:00Z", None),
    ("2026-11-25T19:11:48Z", dt.datetime(2026, 11, 25, 19, 11, 48, tzinfo=UTC)),
    ("2026-11-25T19:11:48.1Z", dt.datetime(2026, 11, 25, 19, 11, 48, 100000, tzinfo=UTC)),
    ("2026-11-25T19:11:48.999999999Z", dt.datetime(2026, 11, 25, 19, 11, 48, 999999, tzinfo=UTC)),
    ("2026-11-25T21:11:48+02:00", dt.datetime(2026, 11, 25, 19, 11, 48, tzinfo=UTC)),
    ("2026-11-25t19:11:48z", dt.datetime(2026, 11, 25, 19, 11, 48, tzinfo=UTC)),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-11-25 19:11:48", "2026-11-25T19:11:48",
                                  "2026-13-25T19:11:48Z", 1764097908, None])
def test_parse_time_rejects(text):
    with pytest.raises(WebhookError, match="time"):
        parse_time(text)


# --- malformed payloads ------------------------------------------------------------------------------


def _without(key):
    return lambda p: p.pop(key)


def _alert_without(key):
    return lambda p: p["alerts"][0].pop(key)


def _set(value, *path):
    def mutate(p):
        target = p
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return mutate


MALFORMED = {
    "version missing": (_without("version"), "missing version"),
    "version 3": (_set("3", "version"), "version '3' is not supported"),
    "version as a number": (_set(4, "version"), "version 4 is not supported"),
    "alerts missing": (_without("alerts"), "missing alerts"),
    "receiver missing": (_without("receiver"), "missing receiver"),
    "status missing": (_without("status"), "missing status"),
    "groupLabels missing": (_without("groupLabels"), "missing groupLabels"),
    "commonLabels missing": (_without("commonLabels"), "missing commonLabels"),
    "unknown group status": (_set("pending", "status"), r"payload.status: expected 'firing' or 'resolved'"),
    "empty receiver": (_set("", "receiver"), "payload.receiver"),
    "alerts not a list": (_set({"a": 1}, "alerts"), "payload.alerts: expected a list"),
    "alert not an object": (_set(["x"], "alerts"), r"payload.alerts\[0\]: expected an object"),
    "alert without labels": (_alert_without("labels"), r"payload.alerts\[0\]: missing labels"),
    "alert without status": (_alert_without("status"), r"payload.alerts\[0\]: missing status"),
    "alert without startsAt": (_alert_without("startsAt"), r"payload.alerts\[0\]: missing startsAt"),
    "alert without endsAt": (_alert_without("endsAt"), r"payload.alerts\[0\]: missing endsAt"),
    "alert without fingerprint": (_alert_without("fingerprint"), r"payload.alerts\[0\]: missing fingerprint"),
    "labels without alertname": (lambda p: p["alerts"][1]["labels"].pop("alertname"),
                                 r"payload.alerts\[1\].labels: no alertname"),
    "label value not a string": (_set(500, "alerts", 0, "labels", "code"),
                                 r"payload.alerts\[0\].labels.code: expected a string"),
    "annotations a list": (_set([], "alerts", 0, "annotations"), r"payload.alerts\[0\].annotations"),
    "alert status unknown": (_set("active", "alerts", 0, "status"), r"payload.alerts\[0\].status"),
    "startsAt not a time": (_set("now", "alerts", 0, "startsAt"), r"payload.alerts\[0\].startsAt"),
    "resolved without endsAt": (_set("0001-01-01T00:00:00Z", "alerts", 1, "endsAt"),
                                r"payload.alerts\[1\]: resolved alert with endsAt"),
    "empty fingerprint": (_set("", "alerts", 0, "fingerprint"), r"payload.alerts\[0\].fingerprint"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_payload_raises_a_clear_value_error(group_firing, case):
    mutate, message = MALFORMED[case]
    mutate(group_firing)
    with pytest.raises(WebhookError, match=message) as raised:
        parse_webhook(group_firing)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("payload", [[], "firing", None, 4])
def test_a_payload_that_is_not_an_object(payload):
    with pytest.raises(WebhookError, match="payload: expected a JSON object"):
        parse_webhook(payload)


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe\x00", b"<html>502</html>"])
def test_a_body_that_is_not_json(body):
    with pytest.raises(WebhookError, match="body is not JSON"):
        handle_delivery(body, SeenDeliveries(), [])


def test_a_malformed_delivery_marks_nothing_as_seen(group_firing):
    seen = SeenDeliveries()
    group_firing["alerts"][1]["status"] = "bogus"  # the first alert is fine, the second is not
    with pytest.raises(WebhookError):
        handle_delivery(json.dumps(group_firing).encode(), seen, [])
    assert len(seen) == 0


# --- routing -----------------------------------------------------------------------------------------

ROUTES = [
    {"match": {"alertname": "WeaverGenQualityScoreLow", "service": "checkout"},
     "actions": ["charter", "regenerate"]},
    {"match": {"alertname": "WeaverGenQualityScoreLow"}, "actions": ["charter"]},
    {"match": {"severity": "page"}, "actions": ["capture_traces", "webhook"]},
]


def _alert(**labels: str) -> Alert:
    return Alert({"alertname": "X", **labels}, AlertState.firing, source="alertmanager")


def test_route_first_match_wins():
    assert route(_alert(alertname="WeaverGenQualityScoreLow", service="checkout"), ROUTES) == (
        "charter", "regenerate")
    assert route(_alert(alertname="WeaverGenQualityScoreLow", service="cart"), ROUTES) == ("charter",)
    # Matches the third route too, but the second comes first.
    assert route(_alert(alertname="WeaverGenQualityScoreLow", severity="page"), ROUTES) == ("charter",)
    assert route(_alert(severity="page"), ROUTES) == ("capture_traces", "webhook")


def test_route_needs_every_matcher_and_returns_nothing_without_a_match():
    assert route(_alert(service="checkout"), ROUTES) == ()  # service alone is not enough
    assert route(_alert(severity="warning"), ROUTES) == ()
    assert route(_alert(severity="page"), []) == ()


def test_route_with_an_empty_match_is_a_catch_all():
    routes = [*ROUTES, {"match": {}, "actions": ["log"]}, {"actions": ["never"]}]
    assert route(_alert(severity="warning"), routes) == ("log",)
    assert route(_alert(severity="page"), routes) == ("capture_traces", "webhook")


def test_route_works_on_captured_payloads(captured):
    (alert,) = parse_webhook(load(captured / "webhook-firing.json"))
    assert route(alert, ROUTES) == ("capture_traces", "webhook")


@pytest.mark.parametrize(("routes", "message"), [
    ("charter", "routes: expected a list"),
    ([["charter"]], r"routes\[0\]: expected an object"),
    ([{"match": {"a": "b"}}], r"routes\[0\].actions"),
    ([{"match": {"a": "b"}, "actions": "charter"}], r"routes\[0\].actions"),
    ([{"match": {"a": "b"}, "actions": [""]}], r"routes\[0\].actions"),
    ([{"match": {"code": 500}, "actions": ["x"]}], r"routes\[0\].match"),
    ([{"match": ["a"], "actions": ["x"]}], r"routes\[0\].match"),
    ([{"actions": ["x"]}, {"matchers": {"a": "b"}, "actions": ["y"]}],
     r"routes\[1\]: unknown key\(s\) matchers"),
])
def test_malformed_routes(routes, message):
    with pytest.raises(RouteError, match=message) as raised:
        check_routes(routes)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(RouteError, match=message):
        route(_alert(), routes)


# --- idempotence -------------------------------------------------------------------------------------


def test_delivery_key_is_fingerprint_status_starts_and_ends(group_firing):
    checkout, cart = parse_webhook(group_firing)
    assert delivery_key(checkout) == ("0a1b2c3d4e5f6071", "firing", "2026-11-25T19:11:48.123456+00:00", "")
    assert delivery_key(cart) == ("1b2c3d4e5f607182", "resolved", "2026-11-25T19:00:00+00:00",
                                  "2026-11-25T19:30:00.500000+00:00")


def test_a_retried_delivery_is_processed_once(group_firing):
    seen, body = SeenDeliveries(), json.dumps(group_firing).encode()
    first = handle_delivery(body, seen, ROUTES)
    assert [(a.labels["service"], a.state.value, actions) for a, actions in first] == [
        ("checkout", "firing", ("charter", "regenerate")), ("cart", "resolved", ("charter",))]
    assert all(alert.actions == actions for alert, actions in first)
    assert handle_delivery(body, seen, ROUTES) == []  # Alertmanager's retry: a no-op
    assert handle_delivery(body.decode(), seen, ROUTES) == []


def test_only_the_alerts_that_changed_in_a_group_are_new(group_firing):
    seen = SeenDeliveries()
    handle_delivery(json.dumps(group_firing).encode(), seen, ROUTES)
    resolved = load(FIXTURES / "webhook-group-resolved.json")  # checkout resolved now; cart unchanged
    ((alert, actions),) = handle_delivery(json.dumps(resolved).encode(), seen, ROUTES)
    assert handle_delivery(json.dumps(resolved).encode(), seen, ROUTES) == []
    assert (alert.labels["service"], alert.state) == ("checkout", AlertState.resolved)
    assert actions == ("charter", "regenerate")


def test_the_same_alert_firing_again_is_new(group_firing):
    seen, body = SeenDeliveries(), json.dumps(group_firing).encode()
    assert len(handle_delivery(body, seen, ROUTES)) == 2
    again = copy.deepcopy(group_firing)
    again["alerts"][0]["startsAt"] = "2026-11-25T21:00:00Z"  # fired again after resolving: new startsAt
    ((alert, _),) = handle_delivery(json.dumps(again).encode(), seen, ROUTES)
    assert alert.active_at == dt.datetime(2026, 11, 25, 21, tzinfo=UTC)


def test_unrouted_alerts_are_returned_without_actions(group_firing):
    handled = handle_delivery(json.dumps(group_firing).encode(), SeenDeliveries(), [])
    assert [actions for _, actions in handled] == [(), ()]


def test_captured_retry_is_a_no_op(captured):
    seen = SeenDeliveries()
    firing = (captured / "webhook-firing.json").read_bytes()
    resolved = (captured / "webhook-resolved.json").read_bytes()
    assert len(handle_delivery(firing, seen, ROUTES)) == 1
    assert handle_delivery(firing, seen, ROUTES) == []
    ((alert, actions),) = handle_delivery(resolved, seen, ROUTES)
    assert alert.state is AlertState.resolved and actions == ("capture_traces", "webhook")
    assert handle_delivery(resolved, seen, ROUTES) == []


def test_seen_deliveries_is_a_bounded_lru():
    seen = SeenDeliveries(maxsize=2)
    assert seen.first_time("a") and seen.first_time("b")
    assert not seen.first_time("a")  # refreshed: "b" is now the oldest
    assert seen.first_time("c")  # evicts "b"
    assert len(seen) == 2 and "a" in seen and "c" in seen and "b" not in seen
    assert seen.first_time("b")  # forgotten, so new again (evicts "a")
    assert "a" not in seen
    seen.forget("c")
    assert "c" not in seen and seen.first_time("c")
    seen.forget("never-seen")  # no error
    with pytest.raises(ValueError, match="maxsize"):
        SeenDeliveries(maxsize=0)


def test_seen_deliveries_admits_each_key_once_across_threads():
    seen, admitted, lock = SeenDeliveries(maxsize=10_000), [], threading.Lock()

    def work():
        for i in range(2_000):
            if seen.first_time(("fp", i)):
                with lock:
                    admitted.append(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(admitted) == list(range(2_000))
