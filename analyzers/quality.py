"""Semantic-convention quality of span attributes, checked against a registry the way weaver live-check does.

Findings are aggregated per window and (service, span name, finding id, attribute): the number of spans,
one example trace/span id, a message and a suggestion. ``span_name`` is the label-bounded operation.

Attribute findings keep weaver's ids and levels (reference/weaver.md §4.2; ``LEVELS``). A key is looked
up as a registry attribute, else as the longest matching ``template[...]`` attribute:

- ``missing_attribute``: neither; suggests the most similar non-deprecated registry name of the same
  top-level namespace (difflib ratio >= ``similarity``) as "did you mean X?".
- ``template_attribute``: a template match.
- ``deprecated``: suggestion "use <new name>" when renamed, else the deprecation note.
- ``not_stable``: stability is not ``stable``; not reported for deprecated attributes.
- ``type_mismatch``: the stored value type (``type`` column) is not what the registry expects. An int
  is accepted where a double is expected, any array where an array is; an enum expects its members'
  type (string or int); ``any`` accepts everything.
- ``undefined_enum_variant``: an enum value that is no member; the message names it.
- ``invalid_format``: the key does not match ``NAME_FORMAT`` (not checked on template matches).
- ``missing_namespace``: the key has no dot.
- ``illegal_namespace``: an unknown key whose dotted prefix is a non-deprecated attribute.

Beyond weaver, a span is matched to a registry span definition: same span kind, at least one key in
one of the definition's own namespaces (``own_namespaces``: ``http.`` for span.http.client), and of
those the one sharing most attribute names with the span (ties: the more generic, shorter id). Each
attribute the definition requires, conditionally requires or recommends that the span lacks gives
``required_attribute_not_present``, ``conditionally_required_attribute_not_present`` or
``recommended_attribute_not_present``; the message names the definition. Opt-in ones are not reported.

Signals per service and window:

- ``quality_score`` = 100 / (1 + w), where w = Σ weight(level) × count / spans is the weighted number of
  findings per span, with ``WEIGHTS`` violation 1.0, improvement 0.1, information 0. 100 means no
  violation and no improvement; one violation per span on average gives 50, three give 25. Every added
  violation or improvement lowers it, and it never leaves (0, 100].
- ``registry_coverage`` = non-deprecated registry attributes the service has sent since the analyzer
  started (a template match counts for the template) / non-deprecated registry attributes, a fraction
  in [0, 1] (weaver's definition). The set kept per service is at most the registry's size.

Cost: nothing runs per span or per attribute row in Python. polars hashes each span's (key, type)
rows into one order-independent signature and reduces the batch to its distinct (service, operation,
kind, signature) combinations; each new (kind, signature) is judged once from one example span, and
the verdicts are joined back onto the combinations to count spans per finding. Enum values are
checked in polars against the defined members; only undefined ones reach Python, once per distinct
value. The window's findings stay a polars frame merged batch by batch, keeping the first message and
example (lowest seq) of each; past ``max_findings`` rows, newer ones go to operation and attribute
"other". Verdict caches are cleared at ``max_cached`` entries, since clients can send unbounded keys.

Snapshots: the registry does not pickle and is left out of the state. The engine hands it back with
``reattach(configured)``; an analyzer used without that reloads it from the directory it came from.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polars as pl

from .base import Analyzer, Level, Signal, SpanBatch, Window, WindowResult
from .quality_checks import NAME_FORMAT, RegistryChecks
from .quality_findings import Catalog, WindowState, enum_findings, span_findings
from .quality_verdicts import LEVELS, Judgement
from .semconv import Registry, load_registry
from .span_matching import own_namespaces

# Imported from here by collector/ci, healers and tests.
__all__ = ["LEVELS", "NAME_FORMAT", "QualityAnalyzer", "RegistryChecks", "own_namespaces"]
# Snapshots pickled before the helpers moved out refer to the window state by this name.
_WindowState = WindowState

WEIGHTS = {Level.violation: 1.0, Level.improvement: 0.1, Level.information: 0.0}
# Order-independent hash of a span's (key, type) rows: per-row hashes summed (mod 2^64) per span.
_SIGNATURE = (pl.col("key").hash(1) ^ pl.col("type").hash(2)).sum().alias("signature")


class QualityAnalyzer(Analyzer):
    name = "quality"

    def __init__(self, registry: Registry, similarity: float = 0.8, max_findings: int = 10_000,
                 max_cached: int = 100_000) -> None:
        self.similarity = similarity
        self.max_findings = max_findings  # per window; more go to operation and attribute "other"
        self.max_cached = max_cached  # cached verdicts, per kind of verdict
        self._registry: Registry | None = registry
        self._registry_root: Path = registry.root
        self._checks: RegistryChecks | None = None
        self._windows: dict[Window, _WindowState] = {}
        self._seen: dict[str, set[str]] = {}  # service → registry attributes seen since start

    # -- snapshots -------------------------------------------------------------------------------

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_registry": None, "_checks": None}

    def reattach(self, configured: Analyzer) -> None:
        if isinstance(configured, QualityAnalyzer) and configured._registry is not None:
            self._registry, self._registry_root = configured._registry, configured._registry_root
            self._checks = None

    @property
    def registry(self) -> Registry:
        return self.checks().registry

    def checks(self) -> RegistryChecks:
        if self._checks is None:
            if self._registry is None:
                self._registry = load_registry(self._registry_root, strict=False)
            self._checks = RegistryChecks(self._registry, self.similarity, self.max_cached)
        return self._checks

    # -- analysis --------------------------------------------------------------------------------

    def update(self, batch: SpanBatch) -> None:
        checks = self.checks()
        state = self._windows.setdefault(batch.window, WindowState())
        spans = batch.spans.select("seq", "kind", "service", "operation")
        rows = batch.attributes.select("span_seq", "key", "type")
        signatures = rows.lazy().group_by("span_seq").agg(_SIGNATURE).collect()
        combos = (
            spans.join(signatures, left_on="seq", right_on="span_seq", how="left")
            .with_columns(pl.col("signature").fill_null(0))
            .group_by("service", "operation", "kind", "signature")
            .agg(pl.len().alias("n"), pl.min("seq"))
        )
        for service, n in combos.group_by("service").agg(pl.sum("n")).iter_rows():
            state.spans[service] += n
        judged = self._judge(combos, rows, checks)
        for service, kind, signature in combos.select("service", "kind", "signature").unique().iter_rows():
            self._seen.setdefault(service, set()).update(judged[(kind, signature)].covered)
        catalog = Catalog()
        counted = pl.concat([
            span_findings(combos, judged, catalog),
            enum_findings(spans, checks.undefined_values(batch.attributes), checks, catalog),
        ]).join(catalog.frame(), on="finding").sort("seq", "finding")  # first seen first
        ids = batch.spans.select("seq", "trace_id", "span_id")
        state.merge(counted.join(ids, on="seq", maintain_order="left"), self.max_findings)

    def _judge(self, combos: pl.DataFrame, rows: pl.DataFrame,
               checks: RegistryChecks) -> dict[tuple[int, int], Judgement]:
        """The judgement of every (kind, signature) in ``combos``; unseen ones from an example span."""
        judged = {}
        unseen = []
        for kind, signature, seq in combos.group_by("kind", "signature").agg(pl.min("seq")).iter_rows():
            if (known := checks.known(kind, signature)) is not None:
                judged[(kind, signature)] = known
            else:
                unseen.append((kind, signature, seq))
        profiles: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if unseen:
            examples = rows.filter(pl.col("span_seq").is_in([seq for _, _, seq in unseen]))
            for seq, key, observed in examples.iter_rows():
                profiles[seq].append((key, observed))
        for kind, signature, seq in unseen:
            judged[(kind, signature)] = checks.judge(kind, signature, profiles.get(seq, ()))
        return judged

    # -- results ---------------------------------------------------------------------------------

    def result(self, window: Window) -> WindowResult:
        state = self._windows.pop(window, None) or WindowState()
        findings = state.results()
        penalty: dict[str, float] = defaultdict(float)
        for f in findings:
            penalty[f.service] += WEIGHTS[f.level] * f.count
        registry_size = len(self.checks().coverable) or 1
        signals = []
        for service, n in sorted(state.spans.items()):
            signals += [
                Signal("quality_score", service, 100.0 / (1.0 + penalty[service] / n)),
                Signal("registry_coverage", service, len(self._seen.get(service, ())) / registry_size),
            ]
        return WindowResult(signals=signals, findings=findings)

