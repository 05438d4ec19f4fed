"""The daemon-facing rules engine: load, evaluate in telemetry time, hot-reload, persist alerts.

Threading: ``evaluate`` runs on the daemon's analysis thread (calls are serialized by a lock);
``reload`` may run on the watcher thread at the same time: it builds a complete new rule set and
swaps one reference, so an evaluation sees either the old or the new set, never a mix. Metrics read
the alerts published at the end of the last evaluation and never wait for one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import watchfiles

from weavergen.analyzers import results
from weavergen.collector.store.query import QueryError

from . import conditions, store
from .alert import Alert, AlertState
from .loader import Group, Rule, RuleSet, check_rules, is_rule_file, load_rules
from .problems import errors
from .state import INACTIVE, Change, Key, Tracked, prune, retire, step

log = logging.getLogger(__name__)

Connect = Callable[[], duckdb.DuckDBPyConnection]
OnTransition = Callable[[Alert], None]


class RuleManager:
    """Rules over one DuckDB database.

    ``connect()`` returns a connection of its own (a cursor of the daemon's database); it is closed
    after each use. ``load()`` once at start, then ``evaluate(now)`` at the end of every closed
    analysis window, ``reload()`` (or ``watch()``) when files change, ``close()`` at shutdown.
    ``on_transition(alert)`` runs on the evaluating thread after the state is saved; an exception
    from it is logged, never raised.
    """

    def __init__(self, connect: Connect, paths: list[Path], sql_timeout: float = 5.0,
                 on_transition: OnTransition | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.sql_timeout = sql_timeout
        self._connect = connect
        self._on_transition = on_transition
        self._rules = RuleSet()
        self._tracked: dict[Key, Tracked] = {}
        self._group_evaluated: dict[str, dt.datetime] = {}
        self._published: tuple[Alert, ...] = ()
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.watching = threading.Event()  # set once the watcher is listening for changes
        self.last_reload_success = True
        self.last_reload_error = ""
        self.last_reload_timestamp: float | None = None  # wall clock of the last successful (re)load
        self.reloads_total = 0
        self.reload_failures_total = 0
        self.evaluation_failures_total = 0

    @property
    def rules(self) -> RuleSet:
        return self._rules

    # -- loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Load the rule set (raises RulesError listing every problem), create the tables, restore alerts."""
        rule_set = load_rules(self.paths)
        for warning in rule_set.warnings:
            log.warning("%s", warning)
        con = self._connect()
        try:
            results.create_tables(con)  # rules read them; the analyzers may be disabled
            store.create_tables(con)
            tracked = store.load_alerts(con)
        finally:
            con.close()
        with self._lock:
            self._tracked = tracked
            self._published = tuple(self._alert(a, rule_set) for a in tracked.values())
        self._swap(rule_set)

    def reload(self) -> bool:
        """Parse and validate the whole set again; swap on success, keep the last good set on failure."""
        with self._reload_lock:
            self.reloads_total += 1
            rule_set, problems = check_rules(self.paths)
            if rule_set is None:
                self.reload_failures_total += 1
                self.last_reload_success = False
                self.last_reload_error = "\n".join(str(p) for p in errors(problems))
                log.error("rules not reloaded, keeping the last good set:\n%s", self.last_reload_error)
                return False
            for warning in rule_set.warnings:
                log.warning("%s", warning)
            self._swap(rule_set)
            log.info("rules reloaded: %d group(s), %d rule(s)", len(rule_set.groups), len(rule_set.rules))
            return True

    def _swap(self, rule_set: RuleSet) -> None:
        self._rules = rule_set
        self.last_reload_success, self.last_reload_error = True, ""
        self.last_reload_timestamp = time.time()

    # -- evaluation -----------------------------------------------------------------------------

    def evaluate(self, now: dt.datetime) -> list[Alert]:
        """Evaluate the groups whose interval elapsed at telemetry time ``now`` (naive means UTC).

        Returns the alerts of the evaluated rules that are pending or firing, and those resolved now.
        Calls ``on_transition`` for every transition (inactive excepted) and for every alert still firing.
        A rule that fails (SQL error, timeout) is logged and counted and keeps its alerts as they were.
        """
        now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
        rule_set = self._rules
        with self._lock:
            due = [g for g in rule_set.groups if self._due(g.name, g.interval_seconds, now)]
            gone = [key for key, a in self._tracked.items()
                    if a.rule not in rule_set.rules and a.state is not AlertState.resolved]
            if not due and not gone:
                return []
            con = self._connect()
            try:
                evaluated, changes = self._run(con, due, gone, now)
            finally:
                con.close()
            notify, current = self._outcome(rule_set, evaluated, changes)
            self._published = tuple(self._alert(a, rule_set) for a in self._tracked.values())
        for alert in notify:
            self._notify(alert)
        return current

    def _run(self, con: duckdb.DuckDBPyConnection, due: list[Group], gone: list[Key],
             now: dt.datetime) -> tuple[set[str], list[Change]]:
        """Evaluate the due groups, end the alerts of removed rules, persist; (rules evaluated, changes)."""
        evaluated: set[str] = set()
        changes: list[Change] = []
        window = conditions.latest_window(con, now) if due else None
        for group in due:
            self._group_evaluated[group.name] = now
            for rule in group.rules:
                if self._evaluate_rule(con, rule, window, now, changes):
                    evaluated.add(rule.id)
        changes += retire(self._tracked, gone, now)
        forgotten = prune(self._tracked, now) + [c.tracked.key for c in changes if c.after == INACTIVE]
        ended = [c.tracked for c in changes if c.after != INACTIVE and c.tracked.rule not in evaluated]
        touched = [a for a in self._tracked.values() if a.rule in evaluated] + ended
        store.save(con, touched, forgotten, changes, now)
        return evaluated, changes

    def _outcome(self, rule_set: RuleSet, evaluated: set[str], changes: list[Change]) -> tuple[
            list[Alert], list[Alert]]:
        """(alerts for on_transition: transitions and still firing; alerts to return)."""
        changed = {c.tracked.key for c in changes}
        ours = [a for a in self._tracked.values() if a.rule in evaluated]
        notify = [c.tracked for c in changes if c.after != INACTIVE]
        notify += [a for a in ours if a.state is AlertState.firing and a.key not in changed]
        current = [a for a in ours if a.state is not AlertState.resolved]
        current += [c.tracked for c in changes if c.after == AlertState.resolved.value]
        return [self._alert(a, rule_set) for a in notify], [self._alert(a, rule_set) for a in current]

    def _due(self, group: str, interval: float, now: dt.datetime) -> bool:
        last = self._group_evaluated.get(group)
        return last is None or (now - last).total_seconds() >= interval

    def _evaluate_rule(self, con: duckdb.DuckDBPyConnection, rule: Rule, window: conditions.Window | None,
                       now: dt.datetime, changes: list[Change]) -> bool:
        try:
            samples = conditions.evaluate(con, rule, window, now, self.sql_timeout)
        except (duckdb.Error, QueryError, ValueError) as exc:
            self.evaluation_failures_total += 1
            log.error("rule %s (%s:%d) failed: %s", rule.id, rule.file, rule.line, exc)
            return False
        rule_changes, dropped = step(rule, samples, self._tracked, now)
        if dropped:
            log.warning("rule %s: %d result(s) had the same labels as another and were dropped",
                        rule.id, dropped)
        changes += rule_changes
        return True

    def _notify(self, alert: Alert) -> None:
        if self._on_transition is None:
            return
        try:
            self._on_transition(alert)
        except Exception:
            log.exception("on_transition failed for alert %s (%s)", alert.name, alert.fingerprint)

    @staticmethod
    def _alert(tracked: Tracked, rule_set: RuleSet) -> Alert:
        rule = rule_set.rules.get(tracked.rule)
        return tracked.alert(rule.actions if rule else ())

    def alerts(self) -> list[Alert]:
        """Every known alert (pending, firing, recently resolved) as of the last evaluation."""
        return list(self._published)

    # -- watching -------------------------------------------------------------------------------

    def watch(self, debounce_ms: int = 1600) -> threading.Thread:
        """Reload on every change of a rule file, in a background thread, until ``close()``."""
        if self._watcher is not None and self._watcher.is_alive():
            return self._watcher
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, args=(debounce_ms,),
                                         name="weavergen-rules-watch", daemon=True)
        self._watcher.start()
        return self._watcher

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout)
        self.watching.clear()

    def _watch(self, debounce_ms: int) -> None:
        files = {p.resolve() for p in self.paths if not p.is_dir()}
        directories = {p.resolve() for p in self.paths if p.is_dir()}
        roots = sorted(directories | {f.parent for f in files if f.parent.is_dir()})
        if not roots:
            log.error("rules: none of %s exists; not watching", [str(p) for p in self.paths])
            return

        def relevant(_change: watchfiles.Change, name: str) -> bool:
            path = Path(name)
            return path in files or (path.parent in directories and is_rule_file(path))

        # yield_on_timeout: the first (empty) yield tells that the watcher is listening.
        try:
            for changes in watchfiles.watch(*roots, watch_filter=relevant, debounce=debounce_ms,
                                            stop_event=self._stop, rust_timeout=200, yield_on_timeout=True,
                                            recursive=False, raise_interrupt=False):
                self.watching.set()
                if changes:
                    log.info("rule files changed: %s", sorted(name for _, name in changes))
                    self.reload()
        except Exception:
            log.exception("rules: the file watcher stopped; edits are not picked up until a restart")
        finally:
            self.watching.clear()
