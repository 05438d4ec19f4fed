"""Rules engine state on /metrics, read at scrape time from the RuleManager."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .alert import AlertState
from .manager import RuleManager

# At most this many (alertname, state, service) series; further ones are summed under service="other".
MAX_ALERT_SERIES = 500


class RulesCollector(Collector):
    def __init__(self, manager: Callable[[], RuleManager | None]) -> None:
        self._manager = manager

    def collect(self):
        manager = self._manager()
        success = GaugeMetricFamily(
            "weavergen_rules_last_reload_success",
            "Whether the last rule (re)load succeeded (1) or kept the previous set (0).")
        timestamp = GaugeMetricFamily("weavergen_rules_last_reload_timestamp_seconds",
                                      "Wall-clock time of the last successful rule (re)load.")
        alerts = GaugeMetricFamily("weavergen_alerts", "Active alerts (pending or firing).",
                                   labels=["alertname", "state", "service"])
        failures = CounterMetricFamily("weavergen_rule_evaluation_failures",
                                       "Rule evaluations that failed (SQL error or timeout; see the log).")
        if manager is not None:
            success.add_metric([], 1.0 if manager.last_reload_success else 0.0)
            if manager.last_reload_timestamp is not None:
                timestamp.add_metric([], manager.last_reload_timestamp)
            for labels, count in sorted(_alert_counts(manager).items()):
                alerts.add_metric(list(labels), count)
            failures.add_metric([], manager.evaluation_failures_total)
        yield from (success, timestamp, alerts, failures)


def _alert_counts(manager: RuleManager) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for alert in manager.alerts():
        if alert.state is AlertState.resolved:
            continue
        key = (alert.name, alert.state.value, alert.labels.get("service", ""))
        if key not in counts and len(counts) >= MAX_ALERT_SERIES:
            key = (alert.name, alert.state.value, "other")
        counts[key] += 1
    return counts
