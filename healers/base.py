"""The healer interface: what an action is told, and what it answers.

A healer is one module with one class. ``on_alert`` is called off the ingest path, once per alert
transition (firing, re-evaluated while firing, resolved), and must be idempotent: the same alert may
come again (a rule re-evaluating, Alertmanager retrying a delivery). It returns an ``ActionResult``
instead of raising; an exception escaping it is caught, logged and recorded as failed by the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

import duckdb

from weavergen.rules.alert import Alert


class Outcome(str, Enum):
    applied = "applied"
    skipped = "skipped"
    failed = "failed"


@dataclass(frozen=True)
class ActionResult:
    outcome: Outcome
    detail: str = ""
    # What the action produced, for the alert's record and for other healers (e.g. a charter path).
    artifacts: dict[str, str] = field(default_factory=dict)


# A read-only connection factory to the span store, for evidence queries.
Connect = Callable[[], duckdb.DuckDBPyConnection]


class Healer:
    """Base with do-nothing defaults; subclasses override ``on_alert``."""

    name: ClassVar[str]

    def on_alert(self, alert: Alert, connect: Connect) -> ActionResult:
        return ActionResult(Outcome.skipped, "no-op healer")

    def shutdown(self) -> None:
        """Release resources; called once when the daemon stops."""


class RecordingHealer(Healer):
    """Records what it was told and applies nothing: used by tests and by ``healers.dry_run``."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Alert]] = []

    def on_alert(self, alert: Alert, connect: Connect) -> ActionResult:
        self.calls.append((alert.fingerprint, alert))
        return ActionResult(Outcome.skipped, "dry run: recorded, not applied")
