"""Streaming analyzers: committed spans → per-service, per-window signals and findings.

The contract (base.py): an analyzer is one class in one module with ``update(batch)`` — the spans of
one telemetry-time window as polars frames, called any number of times per window — and
``result(window)`` once the window closed, returning its signals and findings and forgetting the
window. ``__init__`` stores parameters only; state pickles (the engine snapshots it to survive
restarts); ``update`` never modifies its input. tests/analyzers/test_contract.py checks every
analyzer listed here against that contract.

Members, by configuration name (``analyzers.run``):
- ``entropy``: span-name and attribute-key-set entropy, distinct values per attribute key and growth.
- ``latency``: p50/p95/p99, error rate and an anomaly score per service and operation.
- ``quality``: semantic-convention conformance findings (Weaver live-check ids), quality score and
  registry coverage; needs ``registry.path``.
- ``instrumentation_score``: the Instrumentation Score specification's trace and resource rules.
Drift detection (drift.py) runs over every signal these produce.
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import Analyzer

# Built-ins by name, resolved when the configuration is applied; modules load only when used.
BUILTIN = {
    "entropy": "weavergen.analyzers.entropy:EntropyAnalyzer",
    "latency": "weavergen.analyzers.latency:LatencyAnalyzer",
    "quality": "weavergen.analyzers.quality:QualityAnalyzer",
    "instrumentation_score": "weavergen.analyzers.instrumentation_score:InstrumentationScoreAnalyzer",
}


def analyzer_class(name: str) -> type[Analyzer]:
    module, _, attribute = BUILTIN[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def build_analyzers(names: list[str], registry: Any = None, max_attribute_keys: int = 64) -> list[Analyzer]:
    """Instances for the configured names; ``quality`` is skipped (with the reason) without a registry."""
    built = []
    for name in names:
        if name == "quality" and registry is None:
            continue
        cls = analyzer_class(name)
        if name in ("quality", "instrumentation_score"):  # the latter uses it for RES-004 when given
            built.append(cls(registry))
        elif name == "entropy":
            built.append(cls(max_keys_per_service=max_attribute_keys))
        else:
            built.append(cls())
    return built
