"""``--rules PATHS``: the alerting rules of ``weavergen.rules``, evaluated once over the finished run.

The run is one analysis window: after the analyzers wrote ``signals``, ``findings`` and
``drift_events``, their rows are labelled with the run's own window (from the first span's start to
the last span's end, whole seconds), and the rules layer's ``RuleManager`` evaluates every group once
at the end of that window — the same ``load()`` / ``evaluate(now)`` the daemon drives. A rule fails
when any of its alerts is active (pending or firing: the condition held at the end of the run; a
``for:`` has no time to elapse in a single evaluation). A rule that cannot be evaluated (an SQL error
at run time) fails the run too, with the rules layer's message.

Rule files are parsed and validated while the check is prepared, so a broken file exits 2 before
anything runs. The rules layer's own windows are at most two days long: a run whose spans cover more
than that gives signal and drift conditions no window to look at (SQL conditions still run).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

import duckdb

from .report import RuleResult

if TYPE_CHECKING:
    from weavergen.rules.alert import Alert

UNAVAILABLE = "rules evaluation not available: weavergen.rules has no RuleManager with load() and evaluate(now)"
_RESULT_TABLES = ("signals", "findings", "drift_events")
_MAX_WINDOW_SECONDS = 2**31 - 1  # the result tables' window_seconds is an INTEGER


@dataclass(frozen=True)
class RunWindow:
    start: dt.datetime  # naive UTC, as the result tables store it
    seconds: int

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.seconds)

    @classmethod
    def of_spans(cls, con: duckdb.DuckDBPyConnection) -> RunWindow | None:
        row = con.execute("SELECT min(start_time_unix_nano), max(end_time_unix_nano) FROM spans").fetchone()
        if row is None or row[0] is None:
            return None
        first, last = int(row[0]) // 1_000_000_000, -(-int(row[1]) // 1_000_000_000)
        start = dt.datetime.fromtimestamp(first, dt.UTC).replace(tzinfo=None)
        return cls(start, min(max(last - first, 1), _MAX_WINDOW_SECONDS))

    def label(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give every analyzer result row of the run this window."""
        for table in _RESULT_TABLES:
            con.execute(f"UPDATE {table} SET window_start = ?, window_seconds = ?", [self.start, self.seconds])


class RunRules:
    """The validated rule paths of one check; ``evaluate`` runs them over the run's database."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)

    def evaluate(self, con: duckdb.DuckDBPyConnection, window: RunWindow | None) -> list[RuleResult]:
        from weavergen.rules.alert import AlertState
        from weavergen.rules.manager import RuleManager

        manager = RuleManager(con.cursor, self.paths)
        manager.load()
        now = window.end if window is not None else dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with _Errors("weavergen.rules") as errors:
            alerts = manager.evaluate(now.replace(tzinfo=dt.UTC))
        unclaimed = list(errors.messages)
        results = []
        for rule_id in manager.rules.rules:
            # The rules layer logs "rule <id> (<file>:<line>) failed: ..."; anything else stays unclaimed.
            failed = [m for m in unclaimed if m.startswith(f"rule {rule_id} (")]
            unclaimed = [m for m in unclaimed if m not in failed]
            active = [a for a in alerts if a.rule == rule_id and a.state in (AlertState.pending, AlertState.firing)]
            problems = failed + [_describe(a) for a in active]
            results.append(RuleResult(rule_id, not problems, "; ".join(problems) or "no alert at the end of the run"))
        if unclaimed:
            results.append(RuleResult("rule evaluation", False, "; ".join(unclaimed)))
        return results


def _describe(alert: Alert) -> str:
    subject = ", ".join(f"{k}={v}" for k, v in alert.subject.items())
    summary = alert.annotations.get("summary", "")
    return f"{alert.state.value}" + (f" ({subject})" if subject else "") + (f": {summary}" if summary else "")


class _Errors(logging.Handler):
    """Collects the error messages a logger tree emits while active (the rules layer logs, not raises,
    a rule it could not evaluate)."""

    def __init__(self, logger: str) -> None:
        super().__init__(logging.ERROR)
        self._logger = logging.getLogger(logger)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> Self:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)


def rules_available() -> bool:
    try:
        manager = getattr(importlib.import_module("weavergen.rules.manager"), "RuleManager", None)
    except ImportError:
        return False
    return manager is not None and all(hasattr(manager, verb) for verb in ("load", "evaluate"))


def load_rules(paths: Sequence[Path]) -> RunRules:
    """Parse and validate every rule file now; raises ValueError listing the problems (``file:line``)."""
    if not rules_available():
        raise ValueError(UNAVAILABLE)
    from weavergen.rules.loader import load_rules as load_rule_set
    from weavergen.rules.problems import RulesError

    try:
        load_rule_set(list(paths))
    except RulesError as exc:
        raise ValueError(f"invalid rules:\n{exc}") from None
    return RunRules(paths)
