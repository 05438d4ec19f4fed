"""Alertmanager webhook deliveries: parsed into ``Alert``s, routed to healer actions, each processed once.

Alertmanager POSTs a version "4" JSON payload to a ``webhook_configs`` URL for every group notification::

    {"version": "4", "status": "firing", "receiver": "weavergen", "groupLabels": {...}, "commonLabels": {...},
     "alerts": [{"status": "firing", "labels": {"alertname": ...}, "annotations": {...},
                 "startsAt": "2026-11-25T19:11:48.103Z", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": ..., "fingerprint": "231c89f6871cba2b"}, ...], ...}

It retries a delivery answered with a 5xx (not a 4xx), and re-sends every alert of a group whenever one of
them changes, so the same alert notification can arrive several times: ``handle_delivery`` keeps the keys
it has seen in a bounded ``SeenDeliveries`` and returns each (alert, status, startsAt, endsAt) once.

Everything here is pure apart from ``SeenDeliveries``' memory: the daemon's POST /hooks/alertmanager
endpoint and the tests' webhook server call the same ``handle_delivery``. A ``WebhookError`` (a
``ValueError``) means the body is not a webhook payload: answer it with 400 so Alertmanager does not retry.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from weavergen.rules.alert import Alert, AlertState

WEBHOOK_VERSION = "4"
ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: Alertmanager's endsAt of an alert still firing

_PAYLOAD_KEYS = ("version", "status", "receiver", "groupLabels", "commonLabels", "alerts")
_ALERT_KEYS = ("status", "labels", "startsAt", "endsAt", "fingerprint")
_STATES = {"firing": AlertState.firing, "resolved": AlertState.resolved}
# RFC 3339 as Go writes it: up to nanoseconds, "Z" or an offset.
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)")

# (Alertmanager's fingerprint, status, startsAt, endsAt): one notification of one alert.
DeliveryKey = tuple[str, str, str, str]
Routes = Sequence[Mapping[str, Any]]


class WebhookError(ValueError):
    """The body is not an Alertmanager version 4 webhook payload (the message says where and why)."""


class RouteError(ValueError):
    """A route is malformed: expected ``{"match": {label: value, ...}, "actions": [name, ...]}``."""


# --- parsing ----------------------------------------------------------------------------------------------


def parse_webhook(payload: Mapping[str, Any]) -> list[Alert]:
    """The alerts of one webhook payload (already decoded from JSON), in payload order.

    Each becomes an ``Alert`` with ``source="alertmanager"``, ``rule="alertmanager/<receiver>"``, its
    labels and annotations, ``state`` firing or resolved (the alert's own status, not the group's),
    ``active_at`` = startsAt and, when resolved, ``resolved_at`` = endsAt. ``subject`` are its labels
    but alertname and severity. ``values`` keeps Alertmanager's identifiers: its ``fingerprint`` (which
    differs from ``Alert.fingerprint``, our hash of the labels), ``generatorURL``, ``groupKey``,
    ``externalURL`` and ``receiver``. Raises ``WebhookError`` for anything that is not a version 4 payload.
    """
    if not isinstance(payload, Mapping):
        raise WebhookError(f"payload: expected a JSON object, got {_kind(payload)}")
    missing = [key for key in _PAYLOAD_KEYS if key not in payload]
    if missing:
        raise WebhookError(f"payload: missing {', '.join(missing)}: not an Alertmanager webhook payload")
    if payload["version"] != WEBHOOK_VERSION:
        raise WebhookError(f"payload: version {payload['version']!r} is not supported, expected "
                           f"{WEBHOOK_VERSION!r} (Alertmanager >= 0.7 webhook)")
    _status(payload["status"], "payload.status")
    receiver = payload["receiver"]
    if not isinstance(receiver, str) or not receiver:
        raise WebhookError(f"payload.receiver: expected a receiver name, got {receiver!r}")
    _labels(payload["groupLabels"], "payload.groupLabels")
    _labels(payload["commonLabels"], "payload.commonLabels")
    alerts = payload["alerts"]
    if not isinstance(alerts, list):
        raise WebhookError(f"payload.alerts: expected a list, got {_kind(alerts)}")
    context = {"receiver": receiver}
    for key in ("groupKey", "externalURL"):
        if isinstance(payload.get(key), str):
            context[key] = payload[key]
    return [_alert(item, f"payload.alerts[{i}]", context) for i, item in enumerate(alerts)]


def _alert(item: Any, where: str, context: dict[str, str]) -> Alert:
    if not isinstance(item, Mapping):
        raise WebhookError(f"{where}: expected an object, got {_kind(item)}")
    missing = [key for key in _ALERT_KEYS if key not in item]
    if missing:
        raise WebhookError(f"{where}: missing {', '.join(missing)}")
    state = _status(item["status"], f"{where}.status")
    labels = _labels(item["labels"], f"{where}.labels")
    if "alertname" not in labels:
        raise WebhookError(f"{where}.labels: no alertname")
    annotations = _labels(item.get("annotations", {}), f"{where}.annotations")
    fingerprint = item["fingerprint"]
    if not isinstance(fingerprint, str) or not fingerprint:
        raise WebhookError(f"{where}.fingerprint: expected a non-empty string, got {fingerprint!r}")
    starts_at = parse_time(item["startsAt"], f"{where}.startsAt")
    ends_at = parse_time(item["endsAt"], f"{where}.endsAt")
    if state is AlertState.resolved and ends_at is None:
        raise WebhookError(f"{where}: resolved alert with endsAt {item['endsAt']!r}")
    values: dict[str, Any] = {"fingerprint": fingerprint, **context}
    if isinstance(item.get("generatorURL"), str):
        values["generatorURL"] = item["generatorURL"]
    return Alert(
        labels=labels,
        state=state,
        annotations=annotations,
        values=values,
        subject={k: v for k, v in labels.items() if k not in ("alertname", "severity")},
        rule=f"alertmanager/{context['receiver']}",
        active_at=starts_at,
        # A firing alert's endsAt is Go's zero time, or a future "resolve timeout" in hand-made payloads.
        resolved_at=ends_at if state is AlertState.resolved else None,
        source="alertmanager",
    )


def parse_time(text: Any, where: str = "time") -> dt.datetime | None:
    """An RFC 3339 time (nanoseconds allowed, truncated to microseconds) in UTC; None for Go's zero time."""
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise WebhookError(f"{where}: expected an RFC 3339 time such as {ZERO_TIME!r}, got {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if year == "0001" and month == "01" and day == "01":
        return None
    micros = ((fraction or "") + "000000")[:6]
    zone = "+00:00" if zone in "Zz" else zone
    try:
        parsed = dt.datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micros}{zone}")
    except ValueError as exc:
        raise WebhookError(f"{where}: {text!r} is not a valid time ({exc})") from None
    return parsed.astimezone(dt.UTC)


def _status(value: Any, where: str) -> AlertState:
    if value not in _STATES:
        raise WebhookError(f"{where}: expected 'firing' or 'resolved', got {value!r}")
    return _STATES[value]


def _labels(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise WebhookError(f"{where}: expected an object of strings, got {_kind(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise WebhookError(f"{where}.{key}: expected a string, got {item!r}")
    return dict(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__)


# --- routing ----------------------------------------------------------------------------------------------


def check_routes(routes: Routes) -> None:
    """Raise ``RouteError`` unless every route is ``{"match": {label: value}, "actions": [name, ...]}``.

    ``match`` may be omitted or empty: that route matches every alert (a catch-all, put it last).
    """
    if isinstance(routes, (str, bytes)) or not isinstance(routes, Sequence):
        raise RouteError(f"routes: expected a list of routes, got {_kind(routes)}")
    for i, entry in enumerate(routes):
        where = f"routes[{i}]"
        if not isinstance(entry, Mapping):
            raise RouteError(f"{where}: expected an object with match and actions, got {_kind(entry)}")
        unknown = set(entry) - {"match", "actions"}
        if unknown:
            raise RouteError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                             "(a route has match and actions)")
        match = entry.get("match", {})
        if not isinstance(match, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in match.items()):
            raise RouteError(f"{where}.match: expected label: value strings, got {match!r}")
        actions = entry.get("actions")
        if (isinstance(actions, (str, bytes)) or not isinstance(actions, Sequence)
                or not all(isinstance(a, str) and a for a in actions)):
            raise RouteError(f"{where}.actions: expected a list of action names, got {actions!r}")


def route(alert: Alert, routes: Routes) -> tuple[str, ...]:
    """The actions of the first route whose ``match`` labels all equal the alert's; () when none does."""
    check_routes(routes)
    for entry in routes:
        if all(alert.labels.get(label) == value for label, value in entry.get("match", {}).items()):
            return tuple(entry["actions"])
    return ()


# --- idempotence ------------------------------------------------------------------------------------------


def delivery_key(alert: Alert) -> DeliveryKey:
    """(fingerprint, status, startsAt, endsAt) of one received alert notification."""
    return (
        str(alert.values.get("fingerprint") or alert.fingerprint),
        alert.state.value,
        alert.active_at.isoformat() if alert.active_at else "",
        alert.resolved_at.isoformat() if alert.resolved_at else "",
    )


class SeenDeliveries:
    """The last ``maxsize`` delivery keys, least recently seen evicted first; safe across threads.

    A key seen again (a retry, or a group re-sent because another alert in it changed) is refreshed, so a
    long-firing alert whose group keeps being re-sent stays remembered.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: Hashable) -> bool:
        """Record ``key``; True if it was not already remembered."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self.maxsize:
                self._keys.popitem(last=False)
            return True

    def forget(self, key: Hashable) -> None:
        """Drop ``key``, e.g. when handing its alert on failed and a retry should be processed again."""
        with self._lock:
            self._keys.pop(key, None)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


# --- one delivery -----------------------------------------------------------------------------------------


def handle_delivery(
    body: bytes | str, seen: SeenDeliveries, routes: Routes
) -> list[tuple[Alert, tuple[str, ...]]]:
    """Parse one webhook request body and return its not-yet-seen alerts with their routed actions.

    Each returned ``Alert`` also carries the actions in ``Alert.actions``; an alert no route matches is
    returned with (). Alerts already seen (Alertmanager retrying, or re-sending a group) are left out, so
    a repeated delivery returns []. Raises ``WebhookError`` (answer 400) for a body that is not a payload
    and ``RouteError`` for bad routes, in both cases before anything is marked as seen.
    """
    check_routes(routes)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookError(f"body is not JSON: {exc}") from None
    handled = []
    for alert in parse_webhook(payload):
        if seen.first_time(delivery_key(alert)):
            actions = route(alert, routes)
            handled.append((replace(alert, actions=actions), actions))
    return handled
