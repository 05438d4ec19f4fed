"""The Instrumentation Score (github.com/instrumentation-score/spec) per service and window.

score = Σ weight of the passed rules / Σ weight of the evaluated rules × 100, with weights Critical 40,
Important 30, Normal 20, Low 10, banded by ``band()``. ``RULES`` lists every rule of the spec's rules/
directory and whether this analyzer implements it. Only spec rules enter the score (the spec forbids
mixing in others), and each summary names the rules left out, because the spec requires an
implementation to say when its score may be incomplete. Log, metric and SDK rules are out of reach of
a trace receiver; SPA-003 states no criterion that could be evaluated.

Per service and window: signals ``instrumentation_score`` (0–100) and ``instrumentation_rule_passed``
(key = rule id, 1.0 or 0.0) for each evaluated rule; one finding per failed rule (id = rule id;
Critical and Important → violation, Normal → improvement, Low → information) with the evidence count
and an example; one ``instrumentation_score`` finding (information) with score, band and what was left out.

Decisions where the spec leaves room:
- Per window, not over the spec's default 30 days, and per ``service`` label: services beyond the
  label limit share "other" (SPA-001 still counts per service.name).
- A rule with nothing to look at passes: the criteria are universal statements ("no root span is
  CLIENT", "any span with a parent reference has its parent"), true when nothing contradicts them.
- Trace rules see the spans of one window. SPA-001 counts INTERNAL spans per (trace, service.name).
  SPA-005 counts spans under 5 ms per trace over all services and charges a failing trace to every
  service that sent one of its short spans. A trace cut by a window boundary is counted in parts.
- SPA-002 is decided when the window closes, over all its batches: a parent may come in a later batch
  or from another service. Parents are also looked up in the windows still open (a parent ends after
  its children, so it may fall in the next window) and in the window closed just before.
- SPA-004 exempts resources with ``telemetry.sdk.language = webjs`` (the rule exempts the browser bundle).
- RES-001/005/007 need the key on every resource the service used in the window, 005 and 007 as a
  non-empty string. RES-006 passes without ``service.criticality``. RES-003 applies to resources with
  a ``k8s.*`` attribute. RES-002 fails when one ``service.instance.id`` comes with two values of one of
  ``IDENTITY_KEYS`` (two pods, hosts, containers or processes share it).
- RES-004 needs a semantic-convention registry: a key that semconv defines only on resources (entity
  groups) must not be a span attribute, one it defines only on spans or events must not be a resource
  attribute. Without a registry the rule is not evaluated, and the summary says so.
- RES-010 and SPA-006 match ``SENSITIVE_PATTERNS`` (payment cards: 13–19 digits starting with 2–6
  that pass Luhn, ints in decimal too) and ``SENSITIVE_KEY`` with a non-empty value. A SpanBatch
  carries span names and attributes and scalar resource attributes, not status messages, events,
  links, scopes or arrays (e.g. process.command_args): the rules see what the batch has.

Cost: everything per span runs in polars. Per window the analyzer keeps a 64-bit key per span
(SPA-002, plus the keys of the window closed last), the children whose parent was not seen yet,
INTERNAL/short span counts per (service, trace), and one row per resource.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from .attribute_levels import AttributeLevels
from .base import Analyzer, Signal, SpanBatch, Window, WindowResult
from .instrumentation_evidence import Evidence, examples, rule_finding, summary_finding, with_trace_id
from .instrumentation_rules import NOT_IMPLEMENTED, RULES, RULES_BY_ID, band, completeness_notice, score
from .sensitive_data import sensitive_reason, sensitive_values

if TYPE_CHECKING:
    from .semconv import Registry

INTERNAL, CLIENT = 1, 3  # OTLP SpanKind values, as spans.kind stores them
MAX_INTERNAL_PER_SERVICE = 10
MAX_SHORT_SPANS, SHORT_NS = 20, 5_000_000
CRITICALITY = ("mission_critical", "high", "medium", "low")
IDENTITY_KEYS = ("k8s.pod.uid", "k8s.pod.name", "container.id", "host.id", "host.name", "process.pid")

# Tests and collector.ci import the rule table and the formula from here.
__all__ = ["NOT_IMPLEMENTED", "RULES", "RULES_BY_ID", "InstrumentationScoreAnalyzer", "band",
           "completeness_notice", "score"]
# Engine snapshots pickled before the helpers moved out look up _Evidence and AttributeLevels here.
_Evidence = Evidence


# -- per-window state -------------------------------------------------------------------------------

@dataclass
class _WindowState:
    spans: Counter = field(default_factory=Counter)  # service → spans
    evidence: dict[tuple[str, str], Evidence] = field(default_factory=dict)  # (rule, service) → evidence
    described: set[int] = field(default_factory=set)  # resource ids already in `resources`
    uses: list[pl.DataFrame] = field(default_factory=list)  # service, resource_id and an example span
    resources: list[pl.DataFrame] = field(default_factory=list)  # one row of facts per resource
    identities: list[pl.DataFrame] = field(default_factory=list)  # resource_id, key, value (RES-002)
    traces: list[pl.DataFrame] = field(default_factory=list)  # INTERNAL and short spans per (service, trace)
    keys: list[pl.Series] = field(default_factory=list)  # the key of every span (SPA-002)
    pending: pl.DataFrame | None = None  # children whose parent has not been seen yet

    def add(self, rule: str, rows: pl.DataFrame) -> None:
        """Count evidence. Rows: service, n, and maybe an example's trace_id, span_id, name, key, reason."""
        for row in rows.iter_rows(named=True):
            evidence = self.evidence.setdefault((rule, row["service"]), Evidence())
            if not evidence.count:
                evidence.trace_id, evidence.span_id = row.get("trace_id") or "", row.get("span_id") or ""
                evidence.span_name, evidence.attribute = row.get("name") or "", row.get("key") or ""
                evidence.detail = row.get("reason") or ""
            evidence.count += row["n"]


def _id64(column: pl.Expr) -> pl.Expr:
    """64 bits of a hex id (the store keeps ids as lowercase hex); unlike hash(), stable across versions."""
    return column.str.to_integer(base=16, dtype=pl.UInt64, strict=False)


_PARENT = pl.when(pl.col("parent_span_id") != "").then(pl.col("parent_span_id"))
_SPAN = ("trace_id", "span_id", "name")
_EXAMPLE = (*_SPAN, "key", "reason")


class InstrumentationScoreAnalyzer(Analyzer):
    name = "instrumentation_score"

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry  # for RES-004; not pickled, handed back by reattach()
        self._levels: AttributeLevels | None = None
        self._windows: dict[Window, _WindowState] = {}
        self._recent_keys: pl.Series | None = None  # span keys of the window closed last

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_registry": None}

    def reattach(self, configured: Analyzer) -> None:
        if isinstance(configured, InstrumentationScoreAnalyzer):
            self._registry, self._levels = configured._registry, None

    def levels(self) -> AttributeLevels | None:
        if self._levels is None and self._registry is not None:
            self._levels = AttributeLevels.from_registry(self._registry)
        return self._levels

    # -- update ----------------------------------------------------------------------------------

    def update(self, batch: SpanBatch) -> None:
        state = self._windows.setdefault(batch.window, _WindowState())
        spans = batch.spans.select(
            "seq", "trace_id", "span_id", "parent_span_id", "name", "kind", "service", "service_name",
            "duration_ns", "resource_id",
            _id64(pl.col("trace_id").str.slice(0, 16)).alias("trace_hi"),
            _id64(pl.col("trace_id").str.slice(16)).alias("trace_lo"),
        )
        for service, n in spans.group_by("service").len().iter_rows():
            state.spans[service] += n
        self._update_resources(state, spans, batch.resources)
        self._update_traces(state, spans)
        self._update_parents(state, spans)
        self._update_roots(state, spans, batch.resources)
        self._update_span_data(state, spans, batch.attributes)

    def _update_resources(self, state: _WindowState, spans: pl.DataFrame, resources: pl.DataFrame) -> None:
        uses = spans.unique(["service", "resource_id"], keep="first").select("service", "resource_id", *_SPAN)
        state.uses.append(uses)
        new = [r for r in uses["resource_id"].unique().to_list() if r not in state.described]
        if not new:
            return
        state.described.update(new)
        mine = resources.filter(pl.col("resource_id").is_in(pl.Series(new, dtype=pl.Int64).implode()))
        state.resources.append(self._resource_facts(new, mine))
        value = pl.coalesce(pl.col("string_value"), pl.col("int_value").cast(pl.String))
        state.identities.append(mine.filter(pl.col("key").is_in(IDENTITY_KEYS) & value.is_not_null())
                                .select("resource_id", "key", value.alias("value")))

    def _resource_facts(self, ids: list[int], resources: pl.DataFrame) -> pl.DataFrame:
        key, text = pl.col("key"), pl.col("string_value")
        filled = text.str.len_chars() > 0
        criticality = key == "service.criticality"
        valid = text.is_in(CRITICALITY).fill_null(False)
        levels = self.levels()
        misplaced = key.is_in(list(levels.span_only)) if levels else pl.lit(False)
        facts = resources.group_by("resource_id").agg(
            ((key == "service.name") & filled).any().alias("name_ok"),
            (key == "service.instance.id").any().alias("instance_ok"),
            pl.coalesce(text, pl.col("int_value").cast(pl.String)).filter(key == "service.instance.id")
            .first().alias("instance"),
            (key.str.starts_with("k8s.").any() & ~(key == "k8s.pod.uid").any()).alias("pod_uid_missing"),
            (criticality & ~valid).any().alias("criticality_bad"),
            text.filter(criticality & ~valid).first().alias("criticality"),
            ((key == "deployment.environment.name") & filled).any().alias("environment_ok"),
            key.filter(misplaced).first().alias("misplaced"),
        )
        sensitive = sensitive_values(resources, "resource_id").group_by("resource_id").agg(
            pl.col("key").first().alias("sensitive"), pl.col("reason").first())
        flags = ("name_ok", "instance_ok", "pod_uid_missing", "criticality_bad", "environment_ok")
        return (pl.DataFrame({"resource_id": ids}, schema={"resource_id": pl.Int64})
                .join(facts, on="resource_id", how="left").join(sensitive, on="resource_id", how="left")
                .with_columns(pl.col(flags).fill_null(False)))

    def _update_traces(self, state: _WindowState, spans: pl.DataFrame) -> None:
        # By service.name too, not only the label: services pooled under "other" must not add up.
        counts = spans.group_by("service", "service_name", "trace_hi", "trace_lo").agg(
            (pl.col("kind") == INTERNAL).sum().alias("internal"),
            (pl.col("duration_ns") < SHORT_NS).sum().alias("short"),
        )
        state.traces.append(counts.filter((pl.col("internal") > 0) | (pl.col("short") > 0)))

    def _update_parents(self, state: _WindowState, spans: pl.DataFrame) -> None:
        # A key mixes the span id with the low half of the trace id, so a parent matches within its trace.
        keyed = spans.select("seq", *_SPAN, "service",
                             (_id64(pl.col("span_id")) ^ pl.col("trace_lo")).alias("key"),
                             (_id64(_PARENT) ^ pl.col("trace_lo")).alias("parent"))
        keys = keyed["key"]
        state.keys.append(keys)
        unseen = ~pl.col("parent").is_in(keys.implode())
        pending = [keyed.filter(pl.col("parent").is_not_null() & unseen).drop("key")]
        if state.pending is not None:
            pending.insert(0, state.pending.filter(unseen))
        state.pending = pl.concat(pending)

    def _update_roots(self, state: _WindowState, spans: pl.DataFrame, resources: pl.DataFrame) -> None:
        browser = resources.filter((pl.col("key") == "telemetry.sdk.language")
                                   & (pl.col("string_value") == "webjs"))
        roots = spans.filter(_PARENT.is_null() & (pl.col("kind") == CLIENT)
                             & ~pl.col("resource_id").is_in(browser["resource_id"].implode()))
        state.add("SPA-004", examples(roots, *_SPAN, by="seq"))

    def _update_span_data(self, state: _WindowState, spans: pl.DataFrame, attributes: pl.DataFrame) -> None:
        names = spans["name"].unique()
        sensitive_names = pl.DataFrame({"name": names, "reason": sensitive_reason(names)}).drop_nulls()
        if sensitive_names.height:
            named = spans.join(sensitive_names, on="name").with_columns(pl.lit("span name").alias("key"))
            state.add("SPA-006", examples(named, *_EXAMPLE, by="seq"))
        found = sensitive_values(attributes, "span_seq")
        if found.height:
            hits = found.join(spans, left_on="span_seq", right_on="seq")
            state.add("SPA-006", examples(hits, *_EXAMPLE, by=["span_seq", "key"]))
        levels = self.levels()
        if levels is not None:
            misplaced = attributes.filter(pl.col("key").is_in(list(levels.resource_only)))
            hits = (misplaced.select("span_seq", "key").join(spans, left_on="span_seq", right_on="seq")
                    .with_columns(pl.lit("a resource attribute on a span").alias("reason")))
            state.add("RES-004", examples(hits, *_EXAMPLE, by=["span_seq", "key"]))

    # -- result ----------------------------------------------------------------------------------

    def result(self, window: Window) -> WindowResult:
        state = self._windows.pop(window, None)
        if state is None:
            return WindowResult()
        self._judge_resources(state)
        self._judge_traces(state)
        self._judge_parents(state)
        skipped = [] if self.levels() is not None else ["RES-004 (no semantic-convention registry)"]
        evaluated = [r.id for r in RULES if r.implemented and not (r.id == "RES-004" and skipped)]
        out = WindowResult()
        for service in sorted(state.spans):
            outcomes = {rule: (rule, service) not in state.evidence for rule in evaluated}
            total = score(outcomes)
            out.signals.append(Signal("instrumentation_score", service, total))
            out.signals += [Signal("instrumentation_rule_passed", service, float(ok), key=rule)
                            for rule, ok in outcomes.items()]
            out.findings += [rule_finding(RULES_BY_ID[rule], service, state.evidence[(rule, service)], total)
                             for rule, ok in outcomes.items() if not ok]
            out.findings.append(summary_finding(service, total, outcomes, skipped))
        return out

    def _judge_resources(self, state: _WindowState) -> None:
        if not state.uses:
            return
        uses = pl.concat(state.uses).unique(["service", "resource_id"], keep="first")
        facts = uses.join(pl.concat(state.resources), on="resource_id")
        checks = {
            "RES-001": (~pl.col("instance_ok"), pl.lit("service.instance.id"), pl.lit("missing")),
            "RES-003": (pl.col("pod_uid_missing"), pl.lit("k8s.pod.uid"),
                        pl.lit("missing on a Kubernetes resource")),
            "RES-004": (pl.col("misplaced").is_not_null(), pl.col("misplaced"),
                        pl.lit("a span attribute on a resource")),
            "RES-005": (~pl.col("name_ok"), pl.lit("service.name"), pl.lit("missing or empty")),
            "RES-006": (pl.col("criticality_bad"), pl.lit("service.criticality"),
                        pl.lit("value ") + pl.col("criticality").fill_null("of another type")),
            "RES-007": (~pl.col("environment_ok"), pl.lit("deployment.environment.name"),
                        pl.lit("missing or empty")),
            "RES-010": (pl.col("sensitive").is_not_null(), pl.col("sensitive"), pl.col("reason")),
        }
        for rule, (failed, key, reason) in checks.items():
            rows = facts.filter(failed).with_columns(key.alias("key"), reason.alias("reason"))
            state.add(rule, examples(rows, *_EXAMPLE, by="resource_id"))
        identities = (pl.concat(state.identities).sort("resource_id", "key")
                      .join(facts.select("service", "resource_id", "instance", *_SPAN), on="resource_id",
                            maintain_order="left"))
        shared = (identities.drop_nulls("instance").group_by("service", "instance", "key")
                  .agg(pl.col("value").n_unique().alias("values"), *(pl.col(c).first() for c in _SPAN))
                  .filter(pl.col("values") > 1)
                  .with_columns(pl.lit("service.instance.id").alias("key"),
                                (pl.lit("shared by different ") + pl.col("key")).alias("reason")))
        state.add("RES-002", examples(shared, *_EXAMPLE, by=["instance", "reason"],
                                       n=pl.col("instance").n_unique()))

    def _judge_traces(self, state: _WindowState) -> None:
        if not state.traces:
            return
        trace = ["trace_hi", "trace_lo"]
        counts = pl.concat(state.traces).group_by("service", "service_name", *trace).agg(
            pl.col("internal", "short").sum())
        worst_first = {"descending": [True, False, False, False]}
        busy = (counts.filter(pl.col("internal") > MAX_INTERNAL_PER_SERVICE)
                .sort("internal", "service_name", *trace, **worst_first))
        busy = busy.with_columns(
            (pl.col("internal").cast(pl.String) + " INTERNAL spans in one trace").alias("reason"))
        state.add("SPA-001", with_trace_id(examples(busy, *trace, "reason")))
        totals = counts.group_by(trace).agg(pl.col("short").sum().alias("trace_short"))
        noisy = (counts.filter(pl.col("short") > 0).join(totals, on=trace)
                 .filter(pl.col("trace_short") > MAX_SHORT_SPANS)
                 .sort("trace_short", "service_name", *trace, **worst_first)
                 .with_columns((pl.col("trace_short").cast(pl.String) + " spans under 5 ms in one trace")
                               .alias("reason")))
        state.add("SPA-005",
                  with_trace_id(examples(noisy, *trace, "reason", n=pl.struct(trace).n_unique())))

    def _judge_parents(self, state: _WindowState) -> None:
        keys = pl.concat(state.keys) if state.keys else pl.Series("key", [], dtype=pl.UInt64)
        if state.pending is not None and state.pending.height:
            known = [keys, *(k for other in self._windows.values() for k in other.keys)]
            if self._recent_keys is not None:
                known.append(self._recent_keys)
            orphans = state.pending.filter(~pl.col("parent").is_in(pl.concat(known).implode()))
            orphans = orphans.with_columns(pl.lit("its parent never arrived").alias("reason"))
            state.add("SPA-002", examples(orphans, *_SPAN, "reason", by="seq"))
        self._recent_keys = keys
