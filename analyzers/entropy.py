"""Entropy and cardinality of what services emit: span names, attribute key sets, attribute values.

Per service and window:
- ``span_count``, ``span_name_count`` (distinct names) and ``span_name_entropy``: Shannon entropy of
  the span-name distribution normalized by log(distinct names), 0 for a single name. A span-name
  explosion (ids in names) shows as many more names with near-uniform use.
- ``attribute_key_set_entropy``: the same over the set of attribute keys each span carries; a deploy
  that renames or drops attributes changes it.
- per attribute key: ``attribute_distinct_values`` (a HyperLogLog sketch updated a batch at a time,
  see sketches.py for why not river.sketch.NUnique) and ``cardinality_growth``, this window's distinct
  count over the mean of earlier windows (river.stats.Mean); an explosion on one key makes that key's
  growth jump, and the signal names the key.

Key sets are compared by an order-independent hash of each span's keys (sum of the keys' hashes), so
no per-span strings are built.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import polars as pl
from river import stats

from .base import Analyzer, Signal, SpanBatch, Window, WindowResult
from .labels import LabelLimiter
from .sketches import HyperLogLog

_VALUE_TEXT = pl.coalesce(
    pl.col("string_value"),
    pl.col("int_value").cast(pl.String),
    pl.col("double_value").cast(pl.String),
    pl.col("bool_value").cast(pl.String),
    pl.lit(""),
)


def normalized_entropy(counts: Counter | dict) -> float:
    """Shannon entropy divided by its maximum, log(n); 0 when there is one value or none."""
    total = sum(counts.values())
    n = sum(1 for c in counts.values() if c)
    if n <= 1 or total == 0:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counts.values() if c)
    return h / math.log(n)


class _WindowState:
    def __init__(self) -> None:
        self.names: dict[str, Counter] = defaultdict(Counter)
        self.key_sets: dict[str, Counter] = defaultdict(Counter)
        self.distinct: dict[tuple[str, str], HyperLogLog] = {}


class EntropyAnalyzer(Analyzer):
    name = "entropy"

    def __init__(self, max_keys_per_service: int = 64, sketch_precision: int = 12) -> None:
        self.max_keys_per_service = max_keys_per_service
        self.sketch_precision = sketch_precision
        self._keys = LabelLimiter(max_keys_per_service)
        self._windows: dict[Window, _WindowState] = {}
        self._history: dict[tuple[str, str], stats.Mean] = {}

    def update(self, batch: SpanBatch) -> None:
        state = self._windows.setdefault(batch.window, _WindowState())
        spans = batch.spans.select("seq", "service", "name")
        for service, name, n in spans.group_by("service", "name").len().iter_rows():
            state.names[service][name] += n
        attributes = batch.attributes.select("span_seq", "key", _VALUE_TEXT.alias("value")).join(
            spans.select("seq", "service"), left_on="span_seq", right_on="seq")
        key_sets = (
            spans.select("seq", "service")
            .join(attributes.group_by("span_seq").agg(pl.col("key").hash(seed=11).sum().alias("keys")),
                  left_on="seq", right_on="span_seq", how="left")
            .with_columns(pl.col("keys").fill_null(0))
        )
        for service, keys, n in key_sets.group_by("service", "keys").len().iter_rows():
            state.key_sets[service][keys] += n
        self._count_values(state, attributes)

    def _count_values(self, state: _WindowState, attributes: pl.DataFrame) -> None:
        keys = attributes.select("service", "key").unique()
        admitted = keys.with_columns(self._keys.bound(keys["key"], keys["service"]).alias("bounded")).filter(
            pl.col("bounded") == pl.col("key")).select("service", "key")
        hashed = attributes.join(admitted, on=["service", "key"]).select(
            "service", "key", pl.col("value").hash(seed=0x5EED).alias("h"))
        for (service, key), group in hashed.partition_by("service", "key", as_dict=True).items():
            counter = state.distinct.get((service, key))
            if counter is None:
                counter = state.distinct[(service, key)] = HyperLogLog(self.sketch_precision)
            counter.update_hashes(group["h"].to_numpy())

    def result(self, window: Window) -> WindowResult:
        state = self._windows.pop(window, None) or _WindowState()
        signals = []
        for service, names in state.names.items():
            signals += [
                Signal("span_count", service, float(sum(names.values()))),
                Signal("span_name_count", service, float(len(names))),
                Signal("span_name_entropy", service, normalized_entropy(names)),
                Signal("attribute_key_set_entropy", service, normalized_entropy(state.key_sets[service])),
            ]
        for (service, key), counter in sorted(state.distinct.items()):
            distinct = float(round(counter.get()))
            history = self._history.setdefault((service, key), stats.Mean())
            growth = distinct / history.get() if history.n else 1.0
            history.update(distinct)
            signals += [
                Signal("attribute_distinct_values", service, distinct, key=key),
                Signal("cardinality_growth", service, growth, key=key),
            ]
        return WindowResult(signals=signals)
