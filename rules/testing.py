"""``weavergen rules test``: unit tests for rules, in the spirit of ``promtool test rules``.

A test file names rule files (relative to itself) and gives, per test, input series (one value per
analysis window), optional drift events and table rows, and the alerts expected at given times::

    rule_files: [weavergen.yaml]
    evaluation_interval: 1m      # the rules are evaluated at 0, 1m, 2m, … (each group at its interval)
    window_seconds: 60           # value i of a series is window i: [i*60 s, (i+1)*60 s), closed at (i+1)*60 s
    tests:
      - name: quality drops
        input_series:
          - series: 'quality_score{service="checkout"}'
            values: '90 90 70 70 70'          # promtool notation: 1+2x3 = 1 3 5 7, 5-1x2 = 5 4 3, _ missing
        input_drift:
          - series: 'quality_score{service="checkout"}'
            window: 2                          # the window index the event belongs to
            direction: down
            before: 90
            after: 70
        input_tables:                          # rows for SQL rules; `window: i` sets window_start/seconds
          findings:
            - {window: 0, finding_id: required_attribute_not_present, service: checkout, count: 3}
        alert_rule_test:
          - eval_time: 4m
            alertname: QualityScoreLow
            exp_alerts:                        # the firing alerts of that name, in any order
              - exp_labels: {service: checkout, severity: warning}
                exp_annotations: {summary: ...}  # compared when given

Time 0 is 1970-01-01T00:00:00Z. Expected labels are the alert's full label set (``alertname`` implied);
expected annotations, when given, must match exactly. Missing columns of the analyzer tables default
to '' or 0; other tables are created from their rows.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import pyarrow as pa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from weavergen.analyzers import results

from .alert import AlertState
from .manager import RuleManager
from .model import SERIES_LABELS, Duration
from .problems import Problem, RulesError
from .source import line_of, read_yaml, validate

EPOCH = dt.datetime(1970, 1, 1)
_SELECTOR = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_EXPAND = re.compile(rf"({_NUMBER})(?:([-+])({_NUMBER}))?x(\d+)")


def parse_selector(text: str) -> tuple[str, dict[str, str]]:
    """``quality_score{service="checkout"}`` → (signal, labels); labels are service, operation, key."""
    match = _SELECTOR.fullmatch(text)
    if not match:
        raise ValueError(f"series {text!r}: expected signal{{label=\"value\", ...}}")
    body, labels = (match.group(2) or "").strip(), {}
    while body:
        label = _LABEL.match(body)
        if not label:
            raise ValueError(f"series {text!r}: cannot read labels at {body!r}")
        if label.group(1) not in SERIES_LABELS:
            raise ValueError(f"series {text!r}: label {label.group(1)!r} must be one of "
                             f"{', '.join(SERIES_LABELS)}")
        labels[label.group(1)] = json.loads(f'"{label.group(2)}"')
        body = body[label.end():].strip()
    return match.group(1), labels


def expand_values(text: str) -> list[float | None]:
    """promtool's notation: ``1 2 _ 3``, ``1+2x3`` (1 3 5 7), ``5-1x2`` (5 4 3), ``_x3`` (three missing)."""
    values: list[float | None] = []
    for token in str(text).split():
        if token == "_":
            values.append(None)
        elif token.startswith("_x") and token[2:].isdigit():
            values += [None] * int(token[2:])
        elif expanded := _EXPAND.fullmatch(token):
            start, sign, step, count = expanded.groups()
            delta = float(step or 0) * (-1 if sign == "-" else 1)
            values += [float(start) + delta * i for i in range(int(count) + 1)]
        else:
            try:
                values.append(float(token))
            except ValueError:
                raise ValueError(f"value {token!r}: write a number, _, a+bxN, a-bxN or _xN") from None
    return values


def _selector(text: str) -> str:
    parse_selector(text)
    return text


def _values(text: Any) -> str:
    expand_values(str(text))
    return str(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Selector = Annotated[str, AfterValidator(_selector)]
Values = Annotated[str, BeforeValidator(_values)]


class InputSeries(_Strict):
    series: Selector
    values: Values


class InputDrift(_Strict):
    series: Selector
    window: int = Field(ge=0)
    direction: Literal["up", "down"]
    before: float = 0.0
    after: float = 0.0
    size: float | None = None  # default: after - before
    detector: str = "page_hinkley"


class ExpectedAlert(_Strict):
    exp_labels: dict[str, str] = {}
    exp_annotations: dict[str, str] | None = None


class AlertRuleTest(_Strict):
    eval_time: Duration
    alertname: str
    exp_alerts: list[ExpectedAlert] = []


class RuleTest(_Strict):
    name: str = ""
    input_series: list[InputSeries] = []
    input_drift: list[InputDrift] = []
    input_tables: dict[str, list[dict[str, Any]]] = {}
    alert_rule_test: list[AlertRuleTest] = []


class RuleTestFile(_Strict):
    rule_files: list[str]
    evaluation_interval: Duration = Field(default=60.0, gt=0)
    window_seconds: int = Field(default=60, gt=0)
    sql_timeout_seconds: float = Field(default=5.0, gt=0)
    tests: list[RuleTest]


@dataclass(frozen=True)
class Outcome:
    test: str
    alertname: str
    eval_time: float
    diff: str  # empty when the test passed

    @property
    def passed(self) -> bool:
        return not self.diff


def load_test_file(path: Path) -> tuple[RuleTestFile, list[Path]]:
    """The parsed test file and its rule files; raises RulesError with file:line problems."""
    data, lines, problems = read_yaml(path)
    if not problems and not isinstance(data, dict):
        problems = [Problem(str(path), 1, "a rule-test file is a mapping with rule_files and tests")]
    if problems:
        raise RulesError(problems)

    def context(loc: tuple) -> str:
        if len(loc) >= 2 and loc[0] == "tests" and isinstance(loc[1], int):
            test = data["tests"][loc[1]]
            name = test.get("name") if isinstance(test, dict) else None
            return f"test {name or '#' + str(loc[1] + 1)}"
        return ""

    spec, problems = validate(RuleTestFile, data, str(path), lines, context)
    if spec is None:
        raise RulesError(problems)
    assert isinstance(spec, RuleTestFile)
    rule_files = [path.parent / name for name in spec.rule_files]
    missing = [Problem(str(path), line_of(lines, ("rule_files", i)), f"rule file {str(f)!r} not found")
               for i, f in enumerate(rule_files) if not f.exists()]
    if missing:
        raise RulesError(missing)
    return spec, rule_files


def run_tests(spec: RuleTestFile, rule_files: list[Path]) -> list[Outcome]:
    """Run every test of ``spec``; raises RulesError when the rule files do not load."""
    outcomes = []
    for number, test in enumerate(spec.tests, 1):
        outcomes += _run_test(spec, test, test.name or f"#{number}", rule_files)
    return outcomes


def _run_test(spec: RuleTestFile, test: RuleTest, name: str, rule_files: list[Path]) -> list[Outcome]:
    with duckdb.connect() as con:
        _insert_inputs(con, spec.window_seconds, test)
        manager = RuleManager(con.cursor, rule_files, spec.sql_timeout_seconds)
        manager.load()
        checks = sorted(test.alert_rule_test, key=lambda check: check.eval_time)
        outcomes, t = [], 0.0
        for check in checks:
            while t <= check.eval_time:
                manager.evaluate(EPOCH + dt.timedelta(seconds=t))
                t += spec.evaluation_interval
            got = [a for a in manager.alerts() if a.name == check.alertname and a.state is AlertState.firing]
            outcomes.append(Outcome(name, check.alertname, check.eval_time, _diff(check, got)))
        return outcomes


def _insert_inputs(con: duckdb.DuckDBPyConnection, width: int, test: RuleTest) -> None:
    results.create_tables(con)
    rows = []
    for series in test.input_series:
        signal, labels = parse_selector(series.series)
        for i, value in enumerate(expand_values(series.values)):
            if value is not None:
                rows.append(_window(i, width) + (signal, *(labels.get(k, "") for k in SERIES_LABELS), value))
    if rows:
        con.executemany("INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    rows = []
    for event in test.input_drift:
        signal, labels = parse_selector(event.series)
        size = event.size if event.size is not None else event.after - event.before
        series = (signal, *(labels.get(k, "") for k in SERIES_LABELS))
        rows.append(_window(event.window, width) + series + (event.detector, event.direction, event.before,
                                                              event.after, size))
    if rows:
        con.executemany("INSERT INTO drift_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for table, table_rows in test.input_tables.items():
        _insert_table(con, width, table, table_rows)


def _window(index: int, width: int) -> tuple[dt.datetime, int]:
    return EPOCH + dt.timedelta(seconds=index * width), width


def _insert_table(con: duckdb.DuckDBPyConnection, width: int, table: str, rows: list[dict[str, Any]]) -> None:
    rows = [_with_window(row, width) for row in rows]
    quoted = '"' + table.replace('"', '""') + '"'
    if table not in results.TABLES:
        con.register("_weavergen_input", pa.Table.from_pylist(rows))
        con.execute(f"CREATE TABLE {quoted} AS SELECT * FROM _weavergen_input")
        con.unregister("_weavergen_input")
        return
    columns = con.execute(f"DESCRIBE {quoted}").fetchall()
    names = [c[0] for c in columns]
    for row in rows:
        unknown = set(row) - set(names)
        if unknown:
            raise ValueError(f"input_tables.{table}: unknown column(s) {sorted(unknown)}; columns: {names}")
    defaults = {c[0]: "" if c[1] == "VARCHAR" else b"" if c[1] == "BLOB" else 0 for c in columns}
    con.executemany(f"INSERT INTO {quoted} VALUES ({', '.join('?' * len(names))})",
                    [[row.get(n, defaults[n]) for n in names] for row in rows])


def _with_window(row: dict[str, Any], width: int) -> dict[str, Any]:
    if "window" not in row:
        return dict(row)
    rest = {k: v for k, v in row.items() if k != "window"}
    start, seconds = _window(int(row["window"]), width)
    return {"window_start": start, "window_seconds": seconds, **rest}


def _diff(check: AlertRuleTest, got: list) -> str:
    expected = sorted(
        ({"labels": {**e.exp_labels, "alertname": check.alertname}, "annotations": e.exp_annotations}
         for e in check.exp_alerts), key=_key)
    remaining = [{"labels": a.labels, "annotations": a.annotations} for a in got]
    actual = []
    for e in expected:  # annotations are compared only where they are expected
        match = next((a for a in remaining if a["labels"] == e["labels"]), None)
        if match is not None:
            remaining.remove(match)
            actual.append({"labels": match["labels"],
                           "annotations": match["annotations"] if e["annotations"] is not None else None})
    actual = sorted(actual + [{**a, "annotations": a["annotations"] or None} for a in remaining], key=_key)
    if actual == expected:
        return ""
    lines = difflib.unified_diff(_dump(expected), _dump(actual), "expected", "got", lineterm="")
    return "\n".join(lines)


def _key(alert: dict[str, Any]) -> str:
    return json.dumps(alert["labels"], sort_keys=True)


def _dump(alerts: list[dict[str, Any]]) -> list[str]:
    cleaned = [{k: v for k, v in a.items() if v is not None} for a in alerts]
    return json.dumps(cleaned, indent=2, sort_keys=True).splitlines()
