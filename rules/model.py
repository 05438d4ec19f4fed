"""The rule file format, as pydantic models: unknown keys are typos, every value is checked at load.

``when`` holds exactly one condition kind:

- ``signal`` with ``labels`` matchers, ``op`` and ``value``: one alert per matching series of the
  latest closed window whose value compares true;
- ``drift`` with ``signal``, ``labels`` and ``direction``: one alert per matching series with a drift
  event in the latest closed window;
- ``sql``: one SELECT; one alert per returned row.

A label matcher is a string (equality) or a one-key mapping: ``{regex: R}``, ``{not_regex: R}``,
``{not_equals: S}``, Prometheus' ``=~ !~ !=``. Regexes match the whole value (Python ``re`` syntax).
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Annotated, Any, Literal

import duckdb
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .durations import parse_duration
from .templates import compile_template

# The analyzers' signal names (docs/analyzers.md#signals); a rule on another name only warns.
KNOWN_SIGNALS = frozenset({
    "span_count", "span_name_count", "span_name_entropy", "attribute_key_set_entropy",
    "attribute_distinct_values", "cardinality_growth", "latency_p50_seconds", "latency_p95_seconds",
    "latency_p99_seconds", "error_rate", "anomaly_score", "quality_score", "registry_coverage",
    "instrumentation_score", "instrumentation_rule_passed", "late_spans",
})
SERIES_LABELS = ("service", "operation", "key")
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq, "!=": operator.ne}
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _duration(value: Any) -> float:
    return parse_duration(value)


def _select(sql: str) -> str:
    try:
        with duckdb.connect() as con:
            statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ValueError(f"cannot parse SQL: {exc}") from None
    if len(statements) != 1 or statements[0].type is not duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name for s in statements) or "nothing"
        raise ValueError(f"sql must be exactly one SELECT statement (got {kinds})")
    return sql


def _template(source: str) -> str:
    compile_template(source)
    return source


def _label_name(name: str) -> str:
    if not _LABEL_NAME.fullmatch(name):
        raise ValueError(f"label name {name!r} must match [a-zA-Z_][a-zA-Z0-9_]*")
    if name == "alertname":
        raise ValueError("alertname is set from the rule's alert name; do not set it as a label")
    return name


def _name(name: str) -> str:
    if not name or "/" in name:
        raise ValueError(f"{name!r}: names must be non-empty and contain no '/'")
    return name


def _op(value: Any) -> str:
    if value not in OPERATORS:
        raise ValueError(f"op must be one of {' '.join(OPERATORS)} (got {value!r}); quote it in YAML, "
                         "e.g. op: \">\"")
    return value


def _matcher(value: Any) -> Any:
    if isinstance(value, str):
        return {"kind": "equals", "pattern": value}
    if isinstance(value, dict) and len(value) == 1:
        ((kind, pattern),) = value.items()
        if kind in ("regex", "not_regex", "not_equals"):
            return {"kind": kind, "pattern": pattern}
    raise ValueError("a label matcher is a string (equality) or one of {regex: R}, {not_regex: R}, "
                     "{not_equals: S}")


Duration = Annotated[float, BeforeValidator(_duration)]
Name = Annotated[str, AfterValidator(_name)]
LabelName = Annotated[str, AfterValidator(_label_name)]
Template = Annotated[str, AfterValidator(_template)]
SelectSql = Annotated[str, AfterValidator(_select)]
Operator = Annotated[str, BeforeValidator(_op)]


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class Matcher(StrictModel):
    kind: Literal["equals", "not_equals", "regex", "not_regex"]
    pattern: str

    @model_validator(mode="after")
    def _compiles(self) -> Matcher:
        if self.kind in ("regex", "not_regex"):
            try:
                _regex(self.pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {self.pattern!r}: {exc}") from None
        return self

    def matches(self, value: str) -> bool:
        if self.kind == "equals":
            return value == self.pattern
        if self.kind == "not_equals":
            return value != self.pattern
        return (_regex(self.pattern).fullmatch(value) is not None) == (self.kind == "regex")


Matchers = dict[Literal["service", "operation", "key"], Annotated[Matcher, BeforeValidator(_matcher)]]


def matches(matchers: Matchers, series: dict[str, str]) -> bool:
    return all(m.matches(series.get(label, "")) for label, m in matchers.items())


class DriftWhen(StrictModel):
    signal: str
    labels: Matchers = {}
    direction: Literal["up", "down", "any"] = "any"


class When(StrictModel):
    signal: str | None = None
    labels: Matchers = {}
    op: Operator | None = None
    value: float | None = None
    drift: DriftWhen | None = None
    sql: SelectSql | None = None

    @property
    def kind(self) -> str:
        return "signal" if self.signal is not None else "drift" if self.drift is not None else "sql"

    @model_validator(mode="after")
    def _one_kind(self) -> When:
        kinds = [k for k in ("signal", "drift", "sql") if getattr(self, k) is not None]
        if len(kinds) != 1:
            got = " and ".join(kinds) if kinds else "none"
            raise ValueError(f"when needs exactly one of signal, drift or sql (got {got})")
        if self.signal is not None and (self.op is None or self.value is None):
            raise ValueError("a signal condition needs op and value, e.g. op: \"<\", value: 80")
        if self.signal is None and (self.labels or self.op is not None or self.value is not None):
            raise ValueError(f"labels, op and value belong to a signal condition, not to {kinds[0]}")
        return self


class RuleSpec(StrictModel):
    alert: Name
    when: When
    for_: Duration = Field(default=0.0, alias="for", ge=0)
    keep_firing_for: Duration = Field(default=0.0, ge=0)
    labels: dict[LabelName, str] = {}
    annotations: dict[str, Template] = {}
    actions: list[str] = []


class GroupSpec(StrictModel):
    name: Name
    interval: Duration = Field(default=60.0, gt=0)
    rules: list[RuleSpec] = []


class RuleFileSpec(StrictModel):
    groups: list[GroupSpec] = []
