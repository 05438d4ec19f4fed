"""Rules: alerting rules over the analyzers' signals, drift events and findings, in telemetry time.

- ``loader``: rule files (YAML, close to Prometheus rule groups) → a validated ``RuleSet``, or every
  problem as ``FILE:LINE: group G rule R: message``. The format is described in README.md here.
- ``conditions``: a rule's ``when`` (signal threshold, drift event, or read-only SQL) against the
  latest closed analysis window → one sample per alert subject.
- ``state``: Prometheus' alert state machine (pending → firing → resolved, ``for``, ``keep_firing_for``).
- ``store``: the ``alerts`` and ``alert_history`` tables.
- ``manager.RuleManager``: what the daemon drives: ``load``, ``evaluate(now)``, ``reload``, ``watch``.
- ``metrics.RulesCollector``, ``settings.RulesConfig``, ``cli`` (``rules check|test``, ``alerts``),
  ``testing`` (rule unit tests, like ``promtool test rules``).

``alert.Alert`` is the one alert type every stage shares (healers receive it).
"""
