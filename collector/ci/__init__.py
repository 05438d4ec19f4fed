"""Spans in, spans out: validate a finished run's traces in CI (``weavergen check`` / ``live-check``).

One run, one throwaway DuckDB:

```
files (OTLP/JSON, JSONL, protobuf) ─┐                         ┌─► quality findings (registry, weaver ids)
                                    ├─► RunStore (SpanWriter) ─┼─► Instrumentation Score (information)
live-check: CMD ──OTLP──► receiver ─┘                         ├─► trace assertions (SQL over the spans)
                                                               └─► rules (weavergen.rules RuleManager)
                                                                          │
                                           Report ──► gate (exit 0 / 1) ──┴─► summary table, JUnit XML,
                                                                              verdict spans (OTLP), baseline
```

Modules: ``settings`` (one settings object; everything a check needs is loaded and validated first),
``inputs`` (trace files), ``store`` (the run's database), ``receiver`` + ``live`` (the ephemeral OTLP
listener and the command under it), ``assertions`` / ``assertion_loader`` / ``assertion_sql`` (trace
assertions: model, YAML, SQL), ``rule_seam`` (``--rules`` through ``weavergen.rules``), ``evaluate``
(analyzers, coverage, assertions, rules → ``report.Report`` and its gate), the outputs ``summary``,
``junit``, ``verdict`` (OTLP spans, sent by ``export``) and ``baseline``; ``run`` ties one flow
together and ``cli`` adds the two commands. See docs/ci.md.
"""
