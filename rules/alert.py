"""An alert as every stage sees it: produced by our rules or received from Alertmanager, handed to healers."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class AlertState(str, Enum):
    pending = "pending"  # condition true, waiting for `for`
    firing = "firing"
    resolved = "resolved"


def naive_utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC, as DuckDB TIMESTAMP columns hold times (an aware value would be shifted by the session
    time zone); a naive value is taken as UTC already."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def fingerprint(labels: dict[str, str]) -> str:
    """Stable id of an alert: a hash of its sorted label set (alertname included), as Prometheus does."""
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Alert:
    """One alert instance. ``labels`` always contains ``alertname``; the fingerprint derives from them.

    ``subject`` are the labels that identify what the alert is about (service, operation, key or the
    columns of a SQL rule's row), ``values`` the numbers behind it (the signal value, the SQL row).
    Times are UTC; ``active_at`` is when the condition first held, ``fired_at``/``resolved_at`` when
    those transitions happened.
    """

    labels: dict[str, str]
    state: AlertState
    annotations: dict[str, str] = field(default_factory=dict)
    value: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    subject: dict[str, str] = field(default_factory=dict)
    rule: str = ""  # "<group>/<alert>" for our rules, "alertmanager/<receiver>" for received ones
    actions: tuple[str, ...] = ()
    active_at: dt.datetime | None = None
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    source: str = "rules"  # or "alertmanager"

    @property
    def name(self) -> str:
        return self.labels["alertname"]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)
