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

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from .base import Analyzer, Finding, Level, Signal, SpanBatch, Window, WindowResult
from .labels import OTHER
from .semconv import Attribute, Group, Registry, RequirementKind, SpanKind, Stability, load_registry

NAME_FORMAT = re.compile(r"^[a-z][a-z0-9]*([._][a-z0-9]+)*$")
WEIGHTS = {Level.violation: 1.0, Level.improvement: 0.1, Level.information: 0.0}
LEVELS = {
    "missing_attribute": Level.violation,
    "template_attribute": Level.information,
    "deprecated": Level.violation,
    "not_stable": Level.improvement,
    "type_mismatch": Level.violation,
    "undefined_enum_variant": Level.information,
    "invalid_format": Level.violation,
    "missing_namespace": Level.improvement,
    "illegal_namespace": Level.violation,
    "required_attribute_not_present": Level.violation,
    "conditionally_required_attribute_not_present": Level.information,
    "recommended_attribute_not_present": Level.improvement,
}
# spans.kind holds the OTLP enum: 0 is unspecified and matches no definition.
OTLP_KINDS = {1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT, 4: SpanKind.PRODUCER,
              5: SpanKind.CONSUMER}  # fmt: skip
_EXPECTED = (RequirementKind.REQUIRED, RequirementKind.CONDITIONALLY_REQUIRED, RequirementKind.RECOMMENDED)
# Registry value type → stored value types it accepts (arrays are handled apart).
_ACCEPTS = {"string": {"string"}, "int": {"int"}, "double": {"double", "int"}, "boolean": {"bool"}}
_VALUE_TEXT = pl.coalesce(pl.col("string_value"), pl.col("int_value").cast(pl.String))
# Order-independent hash of a span's (key, type) rows: per-row hashes summed (mod 2^64) per span.
_SIGNATURE = (pl.col("key").hash(1) ^ pl.col("type").hash(2)).sum().alias("signature")
_FINDING_KEY = ("service", "operation", "id", "attribute")
_BOUNDED = ("operation", "attribute")  # what "other" replaces past max_findings
_SHOWN_MEMBERS = 8
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Verdict:
    id: str
    attribute: str
    message: str
    suggestion: str = ""

    @property
    def level(self) -> Level:
        return LEVELS[self.id]


@dataclass(frozen=True)
class Judgement:
    """What the registry says about spans of one kind and (key, type) signature."""

    verdicts: tuple[Verdict, ...]
    covered: frozenset[str]  # non-deprecated registry attributes (or templates) those spans carry


def own_namespaces(group: Group) -> tuple[str, ...]:
    """Prefixes (with the dot) of the group's attribute names that end in a segment of the group id
    other than the span kind: ``http.`` for span.http.client, ``aws.dynamodb.`` for
    span.dynamodb.getitem.client. A span must carry a key under one of them to match the group."""
    segments = set(group.id.split(".")) - {"span", str(group.span_kind)}
    found: set[str] = set()
    for attribute in group.attributes:
        parts = attribute.name.split(".")[:-1]
        found.update(".".join(parts[: i + 1]) + "." for i, part in enumerate(parts) if part in segments)
    return tuple(sorted(found))


@dataclass(frozen=True)
class SpanDefinition:
    id: str
    namespaces: tuple[str, ...]
    names: frozenset[str]
    expected: tuple[Attribute, ...]  # required, conditionally required and recommended, not deprecated

    @classmethod
    def of(cls, group: Group) -> SpanDefinition:
        expected = [a for a in group.attributes if a.requirement_level.kind in _EXPECTED and not a.deprecated]
        names = frozenset(a.name for a in group.attributes)
        return cls(group.id, own_namespaces(group), names, tuple(expected))

    def claims(self, keys: frozenset[str]) -> bool:
        return bool(self.namespaces) and any(key.startswith(self.namespaces) for key in keys)

    def absent(self, keys: frozenset[str]) -> Iterator[Verdict]:
        for attribute in self.expected:
            if attribute.name in keys or (attribute.type.is_template and _any_under(attribute.name, keys)):
                continue
            requirement = attribute.requirement_level
            text = str(requirement.kind).replace("_", " ")
            condition = requirement.condition
            suggestion = f"{text}: {condition}" if condition else f"add '{attribute.name}'"
            yield Verdict(f"{requirement.kind}_attribute_not_present", attribute.name,
                          f"'{attribute.name}' is {text} on {self.id} but not present", suggestion)


class RegistryChecks:
    """The registry's verdicts on attribute keys, enum values and span key sets, judged once and cached."""

    def __init__(self, registry: Registry, similarity: float = 0.8, max_cached: int = 100_000) -> None:
        self.registry = registry
        self.similarity = similarity
        self.max_cached = max_cached
        attributes = registry.attributes.values()
        self.enum_keys = sorted(a.name for a in attributes if a.type.is_enum)
        self.coverable = frozenset(a.name for a in attributes if a.deprecated is None)
        self._similar: dict[str, list[str]] = defaultdict(list)
        for a in attributes:
            if a.deprecated is None and not a.type.is_template:
                self._similar[a.name.split(".")[0]].append(a.name)
        self._spans = {kind: [SpanDefinition.of(g) for g in registry.spans(kind) if g.deprecated is None]
                       for kind in SpanKind}
        defined = [(a.name, str(m.value)) for a in attributes if a.type.is_enum for m in a.type.members]
        schema = {"key": pl.String, "value": pl.String}
        self._defined = pl.DataFrame(defined, schema=schema, orient="row").select(_pair_hash(pl.col("value")))
        self._attribute_cache: dict[tuple[str, str], tuple[Verdict, ...]] = {}
        self._covered_cache: dict[str, str | None] = {}
        self._span_cache: dict[tuple[int, frozenset[str]], tuple[Verdict, ...]] = {}
        self._judged: dict[tuple[int, int], Judgement] = {}

    def undefined_values(self, attributes: pl.DataFrame) -> pl.DataFrame:
        """Rows of enum keys whose string or int value is no defined member: span_seq, key, type, value."""
        enum_rows = attributes.filter(pl.col("key").is_in(self.enum_keys)).select(
            "span_seq", "key", "type", _VALUE_TEXT.alias("value"))
        defined = _pair_hash(pl.col("value")).is_in(self._defined["pair"].implode())
        return enum_rows.filter(pl.col("value").is_not_null() & ~defined)

    # -- attributes ------------------------------------------------------------------------------

    def attribute(self, key: str, observed: str) -> tuple[Verdict, ...]:
        """Findings for one attribute key with a value of type ``observed``, whatever the value."""
        return _cached(self._attribute_cache, (key, observed), self.max_cached,
                       lambda: tuple(self._judge(key, observed)))

    def enum_value(self, key: str, observed: str, value: str) -> Verdict | None:
        """``undefined_enum_variant`` for a value that is no member of enum ``key``, if its type fits."""
        attribute = self.registry.attribute(key)
        if attribute is None or not attribute.type.is_enum:
            return None
        if not _accepts(attribute.type.value_type, observed):
            return None  # a type_mismatch already
        members = [str(m.value) for m in attribute.type.members]
        if value in members:
            return None
        shown = ", ".join(members[:_SHOWN_MEMBERS]) + (", …" if len(members) > _SHOWN_MEMBERS else "")
        return Verdict("undefined_enum_variant", key, f"'{value}' is not a defined value of enum '{key}'",
                       f"defined values: {shown}")

    def covered(self, key: str) -> str | None:
        """The non-deprecated registry attribute (or template) this key counts toward in coverage."""
        def find() -> str | None:
            definition = self.registry.attribute(key) or self.registry.template_for(key)
            return definition.name if definition is not None and definition.deprecated is None else None
        return _cached(self._covered_cache, key, self.max_cached, find)

    def _judge(self, key: str, observed: str) -> Iterator[Verdict]:
        attribute = self.registry.attribute(key)
        template = None if attribute is not None else self.registry.template_for(key)
        definition = attribute or template
        if definition is None:
            yield Verdict("missing_attribute", key, f"'{key}' is not defined in the registry",
                          self._nearest(key))
            yield from self._illegal_namespace(key)
        else:
            if template is not None:
                yield Verdict("template_attribute", key,
                              f"'{key}' matches the template attribute '{template.name}'")
            yield from self._lifecycle(key, definition)
            yield from self._type(key, definition, observed)
        if template is None and not NAME_FORMAT.match(key):
            yield Verdict("invalid_format", key, f"'{key}' does not match {NAME_FORMAT.pattern}",
                          "use lowercase dot-separated namespaces, e.g. 'my_app.request.id'")
        if "." not in key:
            yield Verdict("missing_namespace", key, f"'{key}' has no namespace",
                          "prefix it with a namespace, e.g. 'my_app.'")

    def _lifecycle(self, key: str, definition: Attribute) -> Iterator[Verdict]:
        deprecation = definition.deprecated
        if deprecation is not None:
            target = self.registry.replacement(definition.name)
            renamed = target.name if target is not None else definition.renamed_to
            yield Verdict("deprecated", key, f"'{key}' is deprecated ({deprecation.reason})",
                          f"use {renamed}" if renamed else deprecation.note.strip())
        elif definition.stability is not Stability.STABLE:
            stability = definition.stability or "unspecified"
            yield Verdict("not_stable", key, f"'{key}' has stability '{stability}'")

    def _type(self, key: str, definition: Attribute, observed: str) -> Iterator[Verdict]:
        expected = definition.type.value_type
        if not _accepts(expected, observed):
            wanted = f"an enum of {expected}" if definition.type.is_enum else expected
            yield Verdict("type_mismatch", key, f"'{key}' is {observed}, the registry expects {wanted}",
                          f"send '{key}' as {wanted}")

    def _nearest(self, key: str) -> str:
        close = difflib.get_close_matches(key, self._similar.get(key.split(".")[0], ()), 1, self.similarity)
        return f"did you mean {close[0]}?" if close else ""

    def _illegal_namespace(self, key: str) -> Iterator[Verdict]:
        parts = key.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            existing = self.registry.attribute(prefix)
            if existing is not None and existing.deprecated is None:
                yield Verdict("illegal_namespace", key,
                              f"namespace '{prefix}' of '{key}' is an existing attribute")
                return

    # -- spans -----------------------------------------------------------------------------------

    def known(self, kind: int, signature: int) -> Judgement | None:
        """The cached judgement of spans of ``kind`` whose (key, type) rows hash to ``signature``."""
        return self._judged.get((kind, signature))

    def judge(self, kind: int, signature: int, profile: Iterable[tuple[str, str]]) -> Judgement:
        """Judge spans of ``kind`` with these (key, type) attributes, hashed to ``signature``."""
        def compute() -> Judgement:
            rows = tuple(profile)
            keys = frozenset(key for key, _ in rows)
            verdicts = dict.fromkeys(v for row in rows for v in self.attribute(*row))
            verdicts.update(dict.fromkeys(self.span(kind, keys)))
            covered = frozenset(name for key in keys if (name := self.covered(key)) is not None)
            return Judgement(tuple(verdicts), covered)
        return _cached(self._judged, (kind, signature), self.max_cached, compute)

    def span(self, kind: int, keys: frozenset[str]) -> tuple[Verdict, ...]:
        """Attributes the best-matching span definition expects and ``keys`` lack."""
        def compute() -> tuple[Verdict, ...]:
            definition = self.match(kind, keys)
            return tuple(definition.absent(keys)) if definition is not None else ()
        return _cached(self._span_cache, (kind, keys), self.max_cached, compute)

    def match(self, kind: int, keys: frozenset[str]) -> SpanDefinition | None:
        """The span definition these keys fit best, if any (see the module docstring)."""
        span_kind = OTLP_KINDS.get(kind)
        candidates = [d for d in self._spans[span_kind] if d.claims(keys)] if span_kind else []
        if not candidates:
            return None
        return min(candidates, key=lambda d: (-len(keys & d.names), d.id.count("."), d.id))


def _accepts(expected: str, observed: str) -> bool:
    if expected == "any":
        return True
    return observed == "array" if expected.endswith("[]") else observed in _ACCEPTS.get(expected, {expected})


def _any_under(name: str, keys: Iterable[str]) -> bool:
    prefix = name + "."
    return any(key.startswith(prefix) for key in keys)


def _pair_hash(value: pl.Expr) -> pl.Expr:
    return (pl.col("key").hash(1) ^ value.hash(3)).alias("pair")


def _cached(cache: dict[K, V], key: K, limit: int, compute: Callable[[], V]) -> V:
    if key in cache:
        return cache[key]
    if len(cache) >= limit:
        cache.clear()  # keys sent by clients are unbounded; verdicts are cheap to recompute
    found = cache[key] = compute()
    return found


class _Catalog:
    """The distinct verdicts of one batch, numbered for polars joins."""

    def __init__(self) -> None:
        self._index: dict[Verdict, int] = {}

    def index(self, verdict: Verdict) -> int:
        return self._index.setdefault(verdict, len(self._index))

    def frame(self) -> pl.DataFrame:
        rows = [(i, v.id, v.attribute, v.message, v.suggestion) for v, i in self._index.items()]
        schema = {"finding": pl.Int64, "id": pl.String, "attribute": pl.String, "message": pl.String,
                  "suggestion": pl.String}  # fmt: skip
        return pl.DataFrame(rows, schema=schema, orient="row")


class _WindowState:
    def __init__(self) -> None:
        self.spans: Counter[str] = Counter()
        # One row per (service, operation, id, attribute), first seen first; the first message and
        # example stay (an enum finding's message names the first undefined value seen).
        self.findings = pl.DataFrame(schema={
            "service": pl.String, "operation": pl.String, "id": pl.String, "attribute": pl.String,
            "count": pl.Int64, "trace_id": pl.String, "span_id": pl.String, "message": pl.String,
            "suggestion": pl.String,
        })  # fmt: skip

    def merge(self, counted: pl.DataFrame, limit: int) -> None:
        merged = _sum_counts(pl.concat([self.findings, counted.select(self.findings.columns)]))
        if merged.height > limit:  # the newest finding keys go to operation and attribute "other"
            kept = pl.int_range(pl.len()) < limit
            overflow = pl.format("more {} findings than the {} kept per window", pl.col("id"), pl.lit(limit))
            merged = _sum_counts(merged.with_columns(
                *(pl.when(kept).then(pl.col(c)).otherwise(pl.lit(OTHER)).alias(c) for c in _BOUNDED),
                pl.when(kept).then(pl.col("message")).otherwise(overflow).alias("message"),
                pl.when(kept).then(pl.col("suggestion")).otherwise(pl.lit("")).alias("suggestion"),
            ))
        self.findings = merged

    def results(self) -> list[Finding]:
        return [
            Finding(finding_id, LEVELS[finding_id], service, operation, attribute, message, count, trace_id,
                    span_id, suggestion)
            for service, operation, finding_id, attribute, count, trace_id, span_id, message, suggestion
            in self.findings.sort(_FINDING_KEY).iter_rows()
        ]  # fmt: skip


def _sum_counts(findings: pl.DataFrame) -> pl.DataFrame:
    firsts = (pl.first(c) for c in ("trace_id", "span_id", "message", "suggestion"))
    return findings.group_by(_FINDING_KEY, maintain_order=True).agg(pl.sum("count"), *firsts)


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
        state = self._windows.setdefault(batch.window, _WindowState())
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
        catalog = _Catalog()
        counted = pl.concat([
            _span_findings(combos, judged, catalog),
            _enum_findings(spans, checks.undefined_values(batch.attributes), checks, catalog),
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
        state = self._windows.pop(window, None) or _WindowState()
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


_COUNTED = {"service": pl.String, "operation": pl.String, "finding": pl.Int64, "count": pl.Int64,
            "seq": pl.Int64}  # fmt: skip


def _span_findings(combos: pl.DataFrame, judged: dict[tuple[int, int], Judgement],
                   catalog: _Catalog) -> pl.DataFrame:
    """Spans per (service, operation, finding) from the judgements joined back onto the combinations."""
    rows = {(kind, signature, catalog.index(v)) for (kind, signature), found in judged.items()
            for v in found.verdicts}  # fmt: skip
    schema: dict[str, pl.DataType | type[pl.DataType]]
    schema = {"kind": combos.schema["kind"], "signature": pl.UInt64, "finding": pl.Int64}
    verdicts = pl.DataFrame(list(rows), schema=schema, orient="row")
    return _counted(combos.join(verdicts, on=["kind", "signature"]))


def _enum_findings(spans: pl.DataFrame, undefined: pl.DataFrame, checks: RegistryChecks,
                   catalog: _Catalog) -> pl.DataFrame:
    """Spans per (service, operation, finding) for enum values that are no defined member."""
    if undefined.is_empty():
        return pl.DataFrame(schema=_COUNTED)
    # Earliest span first, so the message names the value the batch showed first.
    combos = (
        undefined.join(spans, left_on="span_seq", right_on="seq")
        .group_by("service", "operation", "key", "type", "value")
        .agg(pl.len().alias("n"), pl.min("span_seq").alias("seq"))
        .sort("seq")
    )
    rows = []
    for key, observed, value in combos.select("key", "type", "value").unique(maintain_order=True).iter_rows():
        if (verdict := checks.enum_value(key, observed, value)) is not None:
            rows.append((key, observed, value, catalog.index(verdict)))
    schema = {"key": pl.String, "type": pl.String, "value": pl.String, "finding": pl.Int64}
    return _counted(combos.join(pl.DataFrame(rows, schema=schema, orient="row"), on=["key", "type", "value"]))


def _counted(joined: pl.DataFrame) -> pl.DataFrame:
    """Spans per (service, operation, finding) and the first of them (lowest seq) as the example."""
    counted = joined.group_by("service", "operation", "finding").agg(
        pl.sum("n").alias("count"), pl.min("seq"))
    return counted.cast(_COUNTED).select(list(_COUNTED))  # type: ignore[arg-type]
