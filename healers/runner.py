"""Runs the actions an alert names, off the caller's thread, and records every outcome.

Threading: ``submit`` only queues and returns; a small pool runs the actions. Alerts with the same
fingerprint are handled one after another in submission order (a firing is never overtaken by its
resolution); different alerts run in parallel, so healers must be safe across fingerprints.

Per (fingerprint, action) the runner remembers the last alert it handled:

- the same alert again (a rule re-evaluating with unchanged values, a retried delivery) is dropped,
  unless that action failed last time, in which case it is tried again;
- a token of the (rule, action) bucket is taken when an action starts on a new state; updating it in
  the same state and closing an applied firing are free, so a charter that was opened is always closed.

``pending`` alerts are ignored: actions run when an alert fires and when it resolves. Alertmanager's
alerts arrive with the actions of their route already set (alertmanager.handle_delivery).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from weavergen.rules.alert import Alert, AlertState

from . import outcomes
from .base import ActionResult, Connect, Healer, Outcome, RecordingHealer
from .settings import HealersConfig, build_healers

log = logging.getLogger(__name__)

MAX_REMEMBERED = 10_000


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``capacity / per_seconds`` per second."""

    def __init__(self, capacity: int, per_seconds: float, clock: Callable[[], float]) -> None:
        self.capacity, self.rate, self.clock = capacity, capacity / per_seconds, clock
        self.tokens, self.at = float(capacity), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class _Handled:
    alert: Alert
    outcome: Outcome
    limited: bool = False

    def covers(self, alert: Alert) -> bool:
        """Running ``alert`` needs no new token after this."""
        if self.limited or self.outcome is Outcome.failed:  # to be tried again
            return False
        return self.alert.state == alert.state or (
            self.alert.state is AlertState.firing and alert.state is AlertState.resolved)


class ActionRunner:
    def __init__(
        self,
        healers: Mapping[str, Healer],
        connect: Connect,
        dry_run: bool = False,
        rate_limit_per_rule: tuple[int, float] = (10, 3600.0),
        max_workers: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_limit_per_rule[0] < 1 or rate_limit_per_rule[1] <= 0:
            raise ValueError(f"rate_limit_per_rule must be (N >= 1, seconds > 0), got {rate_limit_per_rule}")
        self.healers, self.connect, self.dry_run = dict(healers), connect, dry_run
        self.rate_limit, self.clock = rate_limit_per_rule, clock
        self.recorder = RecordingHealer()
        self.counts: Counter[tuple[str, str]] = Counter()  # (action, outcome) → runs, plus ("*", reason)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._handled: OrderedDict[tuple[str, str], _Handled] = OrderedDict()
        self._queues: dict[str, deque[Alert]] = {}
        self._busy = 0
        self._closed = False
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="weavergen-healer")
        with self.connect() as con:
            outcomes.create_table(con)

    @classmethod
    def from_config(cls, config: HealersConfig, connect: Connect, max_workers: int = 2) -> ActionRunner:
        limit = (config.rate_limit.max_actions, config.rate_limit.per_seconds)
        return cls(build_healers(config), connect, config.dry_run, limit, max_workers)

    def submit(self, alert: Alert) -> bool:
        """Queue ``alert``'s actions; never blocks. False when it was ignored (pending, closed)."""
        with self._lock:
            if self._closed or alert.state is AlertState.pending:
                self.counts["*", "closed" if self._closed else "pending"] += 1
                return False
            self._busy += 1
            queue = self._queues.get(alert.fingerprint)
            if queue is not None:
                queue.append(alert)
                return True
            self._queues[alert.fingerprint] = deque([alert])
        self._pool.submit(self._drain, alert.fingerprint)
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted alert was handled; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting alerts, let queued ones finish (``timeout``), then shut the healers down."""
        with self._lock:
            self._closed = True
        if not self.wait_idle(timeout):
            log.warning("healers: actions still running after %.1f s; shutting healers down", timeout)
        for name, healer in [*self.healers.items(), ("recording", self.recorder)]:
            try:
                healer.shutdown()
            except Exception:
                log.exception("healer %s failed to shut down", name)
        self._pool.shutdown(wait=True)

    def _drain(self, fingerprint: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[fingerprint]
                if not queue:
                    del self._queues[fingerprint]
                    return
                alert = queue.popleft()
            try:
                self._handle(alert)
            except Exception:  # recording itself failed; never let the worker die
                log.exception("healers: handling alert %s (%s) failed", alert.name, fingerprint)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _handle(self, alert: Alert) -> None:
        if not alert.actions:
            self._count("*", "no actions")
        for action in alert.actions:
            result = self._run(action, alert)
            if result is None:
                continue
            self._count(action, result.outcome.value)
            with self.connect() as con:
                outcomes.record(con, alert, action, result)

    def _run(self, action: str, alert: Alert) -> ActionResult | None:
        healer = self.recorder if self.dry_run and action in self.healers else self.healers.get(action)
        if healer is None:
            known = ", ".join(sorted(self.healers)) or "none"
            return ActionResult(Outcome.failed, f"unknown action {action!r} (configured healers: {known})")
        verdict = self._admit(action, alert)
        if verdict == "duplicate":
            self._count(action, "duplicate")
            return None
        if verdict == "rate limited":
            n, seconds = self.rate_limit
            return ActionResult(Outcome.skipped, f"rate limited: at most {n} per {seconds:g} s for rule "
                                                 f"{alert.rule!r} and action {action!r}")
        try:
            result = healer.on_alert(alert, self.connect)
            if not isinstance(result, ActionResult):
                raise TypeError(f"on_alert returned {type(result).__name__}, not ActionResult")
        except Exception as exc:
            log.exception("healer %s failed on alert %s (%s)", action, alert.name, alert.fingerprint)
            result = ActionResult(Outcome.failed, f"{type(exc).__name__}: {exc}")
        self._remember(action, _Handled(alert, result.outcome))
        return result

    def _admit(self, action: str, alert: Alert) -> str:
        """Returns "run", "duplicate" (drop it) or "rate limited"."""
        with self._lock:
            last = self._handled.get((alert.fingerprint, action))
            if last is not None and last.covers(alert):
                return "duplicate" if last.alert == alert else "run"
            bucket = self._buckets.get((alert.rule, action))
            if bucket is None:
                bucket = self._buckets[alert.rule, action] = TokenBucket(*self.rate_limit, self.clock)
            if bucket.take():
                return "run"
        self._remember(action, _Handled(alert, Outcome.skipped, limited=True))
        return "rate limited"

    def _count(self, action: str, outcome: str) -> None:
        with self._lock:
            self.counts[action, outcome] += 1

    def _remember(self, action: str, handled: _Handled) -> None:
        with self._lock:
            key = (handled.alert.fingerprint, action)
            self._handled[key] = handled
            self._handled.move_to_end(key)
            while len(self._handled) > MAX_REMEMBERED:
                self._handled.popitem(last=False)

