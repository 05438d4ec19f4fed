"""A quality window's findings as polars frames: verdicts counted per (service, operation) and merged
batch by batch (see analyzers/quality.py)."""

from __future__ import annotations

from collections import Counter

import polars as pl

from .base import Finding
from .labels import OTHER
from .quality_checks import RegistryChecks
from .quality_verdicts import LEVELS, Judgement, Verdict

_FINDING_KEY = ("service", "operation", "id", "attribute")
_BOUNDED = ("operation", "attribute")  # what "other" replaces past max_findings
_COUNTED = {"service": pl.String, "operation": pl.String, "finding": pl.Int64, "count": pl.Int64,
             "seq": pl.Int64}  # fmt: skip


class Catalog:
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


class WindowState:
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


def span_findings(combos: pl.DataFrame, judged: dict[tuple[int, int], Judgement],
                  catalog: Catalog) -> pl.DataFrame:
    """Spans per (service, operation, finding) from the judgements joined back onto the combinations."""
    rows = {(kind, signature, catalog.index(v)) for (kind, signature), found in judged.items()
            for v in found.verdicts}  # fmt: skip
    schema: dict[str, pl.DataType | type[pl.DataType]]
    schema = {"kind": combos.schema["kind"], "signature": pl.UInt64, "finding": pl.Int64}
    verdicts = pl.DataFrame(list(rows), schema=schema, orient="row")
    return _counted(combos.join(verdicts, on=["kind", "signature"]))


def enum_findings(spans: pl.DataFrame, undefined: pl.DataFrame, checks: RegistryChecks,
                  catalog: Catalog) -> pl.DataFrame:
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
