"""The alert state machine, with Prometheus' semantics, in telemetry time and without I/O.

Per rule and subject: inactive → pending when the condition holds, pending → firing once it held for
``for``, firing → resolved when it stopped holding for ``keep_firing_for``. A pending alert whose
condition stops holding goes back to inactive (it never fired; no resolution is sent). A resolved
alert whose condition holds again starts over as pending, with a new ``active_at``. Resolved alerts
are kept for ``RESOLVED_RETENTION`` (so ``weavergen alerts`` shows them), then forgotten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .alert import Alert, AlertState, fingerprint
from .conditions import Sample
from .loader import Rule
from .templates import render

INACTIVE = "inactive"
# Alerts are tracked per rule and fingerprint: two rules that happen to produce the same label set
# keep their own state (as each Prometheus rule does), though receivers see one alert.
Key = tuple[str, str]
RESOLVED_RETENTION = dt.timedelta(minutes=15)


@dataclass
class Tracked:
    """The mutable state of one alert instance (one fingerprint)."""

    rule: str
    labels: dict[str, str]
    state: AlertState
    active_at: dt.datetime
    last_eval: dt.datetime
    subject: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    value: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    keep_firing_since: dt.datetime | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    @property
    def key(self) -> Key:
        return self.rule, self.fingerprint

    def alert(self, actions: tuple[str, ...] = ()) -> Alert:
        return Alert(labels=dict(self.labels), state=self.state, annotations=dict(self.annotations),
                     value=self.value, values=dict(self.values), subject=dict(self.subject), rule=self.rule,
                     actions=actions, active_at=self.active_at, fired_at=self.fired_at,
                     resolved_at=self.resolved_at)


@dataclass(frozen=True)
class Change:
    """One state transition; ``before``/``after`` are AlertState values or ``inactive``."""

    before: str
    after: str
    tracked: Tracked


def step(rule: Rule, samples: list[Sample], tracked: dict[Key, Tracked], now: dt.datetime) -> tuple[
        list[Change], int]:
    """Apply one evaluation of ``rule`` to its alerts in ``tracked`` (updated in place).

    Returns the transitions and how many samples were dropped because their labels collided with an
    earlier sample's (rule labels override subject labels, so two subjects can end up the same).
    """
    changes: list[Change] = []
    current: dict[Key, tuple[dict[str, str], Sample]] = {}
    for sample in samples:
        labels = {**sample.subject, **rule.labels, "alertname": rule.name}
        current.setdefault((rule.id, fingerprint(labels)), (labels, sample))
    for key, (labels, sample) in current.items():
        changes += _holds(rule, tracked, key, labels, sample, now)
    for key, alert in list(tracked.items()):
        if alert.rule == rule.id and key not in current:
            changes += _stopped(rule.keep_firing_for_seconds, tracked, key, now)
    return changes, len(samples) - len(current)


def retire(tracked: dict[Key, Tracked], keys: list[Key], now: dt.datetime) -> list[Change]:
    """Alerts of rules that no longer exist end now, without waiting for ``keep_firing_for``."""
    changes: list[Change] = []
    for key in keys:
        changes += _stopped(0.0, tracked, key, now)
    return changes


def prune(tracked: dict[Key, Tracked], now: dt.datetime) -> list[Key]:
    """Forget alerts resolved longer than RESOLVED_RETENTION ago; returns their keys."""
    old = [key for key, a in tracked.items()
           if a.state is AlertState.resolved and a.resolved_at and now - a.resolved_at >= RESOLVED_RETENTION]
    for key in old:
        del tracked[key]
    return old


def _holds(rule: Rule, tracked: dict[Key, Tracked], key: Key, labels: dict[str, str], sample: Sample,
           now: dt.datetime) -> list[Change]:
    alert = tracked.get(key)
    before = alert.state.value if alert else INACTIVE
    if alert is None or alert.state is AlertState.resolved:
        alert = tracked[key] = Tracked(rule.id, labels, AlertState.pending, active_at=now, last_eval=now)
    alert.subject, alert.value, alert.values = dict(sample.subject), sample.value, dict(sample.values)
    alert.last_eval, alert.keep_firing_since = now, None
    alert.annotations = {name: render(name, template, labels, sample.value, sample.values)
                         for name, template in rule.annotations.items()}
    if alert.state is AlertState.pending and (now - alert.active_at).total_seconds() >= rule.for_seconds:
        alert.state, alert.fired_at = AlertState.firing, now
    return [Change(before, alert.state.value, alert)] if alert.state.value != before else []


def _stopped(keep_firing_for: float, tracked: dict[Key, Tracked], key: Key, now: dt.datetime) -> list[Change]:
    alert = tracked[key]
    if alert.state is AlertState.resolved:
        return []
    alert.last_eval = now
    if alert.state is AlertState.pending:
        del tracked[key]
        return [Change(AlertState.pending.value, INACTIVE, alert)]
    if keep_firing_for > 0:
        alert.keep_firing_since = alert.keep_firing_since or now
        if (now - alert.keep_firing_since).total_seconds() < keep_firing_for:
            return []
    alert.state, alert.resolved_at = AlertState.resolved, now
    return [Change(AlertState.firing.value, AlertState.resolved.value, alert)]
