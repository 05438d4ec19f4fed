"""Trace assertions: the YAML syntax, its errors (file:line), and SQL evaluation over stored spans."""

from __future__ import annotations

import textwrap

import pytest
from ci_samples import CLIENT, ERROR, SERVER, Spans, span_hex, trace_hex
from weavergen.collector.ci.assertion_loader import load_assertions
from weavergen.collector.ci.assertion_sql import evaluate_assertions
from weavergen.collector.ci.assertions import AssertionsError, parse_duration
from weavergen.collector.ci.store import RunStore


@pytest.fixture
def store():
    with RunStore() as run:
        yield run


def _requests():
    """Trace 0: a good GET with one db.query; trace 1: a 503 GET, slow, with two db.query, one failing;
    trace 2: a GET without db.query. Resource of service "shop" has deployment.environment.name=test."""
    spans = Spans("shop", **{"deployment.environment.name": "test"})
    spans.add("HTTP GET", 0, 0, kind=SERVER, duration_ms=30,
              attributes={"http.request.method": "GET", "http.response.status_code": 200, "http.route": "/a"})
    spans.add("db.query", 0, 1, parent=0, kind=CLIENT, attributes={"db.system.name": "postgresql"})
    spans.add("HTTP GET", 1, 0, kind=SERVER, duration_ms=2500,
              attributes={"http.request.method": "GET", "http.response.status_code": 503})
    spans.add("db.query", 1, 1, parent=0, kind=CLIENT, status=ERROR)
    spans.add("db.query", 1, 2, parent=0, kind=CLIENT)
    spans.add("HTTP GET", 2, 0, kind=SERVER, duration_ms=10,
              attributes={"http.request.method": "GET", "http.response.status_code": 404, "http.route": "/b"})
    return [spans.request()]


def _evaluate(store, tmp_path, text: str, examples: int = 5):
    path = tmp_path / "assertions.yaml"
    path.write_text(textwrap.dedent(text))
    if not store.con.execute("SELECT count(*) FROM spans").fetchone()[0]:
        store.load(_requests())
    results = evaluate_assertions(store.con, load_assertions(path), examples)
    return {r.assertion.name: r for r in results}


def test_the_brief_examples(store, tmp_path):
    results = _evaluate(store, tmp_path, """
        assertions:
          - name: every HTTP GET has a status code below 500
            selector: {span_name: HTTP GET}
            assert: ["attr:http.response.status_code < 500"]
          - name: exactly one db.query per trace
            selector: {span_name: db.query}
            count: {per_trace: {eq: 1}}
          - name: no span has status error
            assert: ["status != error"]
          - name: HTTP GET takes less than 2s
            selector: {span_name: HTTP GET}
            assert: [{field: duration, op: "<", value: 2s}]
    """)
    status = results["every HTTP GET has a status code below 500"]
    assert (status.passed, status.matched, status.failing_spans) == (False, 3, 1)
    assert status.examples[0].trace_id == trace_hex(1) and status.examples[0].span_id == span_hex(1, 0)
    assert "1 of 3 span(s) fail 'attr:http.response.status_code < 500'" in status.message

    per_trace = results["exactly one db.query per trace"]
    assert not per_trace.passed
    assert {e.trace_id for e in per_trace.examples} == {trace_hex(1), trace_hex(2)}
    assert "2 of 3 trace(s)" in per_trace.message

    errors = results["no span has status error"]
    assert (errors.matched, errors.failing_spans) == (6, 1)
    assert errors.examples[0].span_id == span_hex(1, 1)

    slow = results["HTTP GET takes less than 2s"]
    assert slow.failing_spans == 1 and slow.examples[0].span_id == span_hex(1, 0)


def test_selectors_parent_child_root_regex_resource_and_operators(store, tmp_path):
    results = _evaluate(store, tmp_path, """
        assertions:
          - name: children of a failed request
            selector:
              span_name: {regex: "^db\\\\."}
              parent: {attributes: {http.response.status_code: {">=": 500}}}
            count: {total: 2}
          - name: roots with a failing child
            selector: {root: true, child: {status: error}}
            assert: ["kind == server", "name in [HTTP GET, HTTP POST]"]
            count: {total: {eq: 1}}
          - name: resource attributes
            selector: {resource: {deployment.environment.name: test}, kind: client}
            count: {total: {min: 3, max: 3}}
          - name: routes exist on good requests
            selector: {span_name: HTTP GET, attributes: {http.response.status_code: {lt: 500}}}
            assert: ["attr:http.route exists", "attr:http.route =~ ^/[ab]$", "attr:nope not exists",
                     "attr:http.request.method != POST", "resource:deployment.environment.name == test"]
          - name: an absent attribute fails every comparison
            selector: {span_name: HTTP GET}
            assert: ["attr:http.route != /zzz"]
          - name: typed equality
            selector: {span_name: HTTP GET}
            assert: ["attr:http.response.status_code in [200, 404, 503]", 'attr:http.response.status_code != "200"']
    """)
    assert results["children of a failed request"].passed
    assert results["roots with a failing child"].passed
    assert results["resource attributes"].passed
    assert results["routes exist on good requests"].passed, results["routes exist on good requests"].message
    absent = results["an absent attribute fails every comparison"]
    assert absent.failing_spans == 1 and absent.examples[0].span_id == span_hex(1, 0)
    assert results["typed equality"].passed  # the int 200 is not the string "200"


def test_an_empty_selection_fails_unless_a_count_is_stated(store, tmp_path):
    results = _evaluate(store, tmp_path, """
        assertions:
          - name: vacuous
            selector: {span_name: nothing like this}
            assert: ["status != error"]
          - name: required absence
            selector: {span_name: nothing like this}
            count: {total: {eq: 0}}
          - name: required presence
            selector: {span_name: nothing like this}
            count: {total: {min: 1}}
    """)
    assert not results["vacuous"].passed and "matched no span" in results["vacuous"].message
    assert results["required absence"].passed
    assert results["required presence"].message == "0 span(s) matched, expected at least 1"


def test_examples_are_bounded(store, tmp_path):
    results = _evaluate(store, tmp_path, """
        assertions:
          - name: all fail
            assert: ["name == nothing"]
    """, examples=2)
    assert results["all fail"].failing_spans == 6 and len(results["all fail"].examples) == 2


def test_a_retried_export_does_not_double_count(store, tmp_path):
    store.load(_requests() * 2)  # at-least-once delivery: the same spans twice
    results = _evaluate(store, tmp_path, """
        assertions:
          - name: one GET per trace
            selector: {span_name: HTTP GET}
            count: {per_trace: 1}
    """)
    assert results["one GET per trace"].passed


@pytest.mark.parametrize(("text", "line", "message"), [
    ("assertions:\n  - name: a\n    assert: [\"duration < 5\"]\n", 3, "a duration needs a unit"),
    ("assertions:\n  - name: a\n    assert:\n      - attr:x <> 5\n", 4, "cannot read the value"),
    ("assertions:\n  - name: a\n    assert:\n      - attr:x 5\n", 4, "cannot read check"),
    ("assertions:\n  - name: a\n    assert: [\"colour == red\"]\n", 3, "unknown left-hand side 'colour'"),
    ("assertions:\n  - name: a\n    selector: {kind: sideways}\n    count: {total: 1}\n", 3, "unknown kind"),
    ("assertions:\n  - name: a\n    selector:\n      span_nme: x\n    count: {total: 1}\n", 4,
     "unknown key 'span_nme'"),
    ("assertions:\n  - name: a\n    assert: [\"attr:x =~ (\"]\n", 3, "invalid regular expression"),
    ("assertions:\n  - name: a\n    assert: [\"attr:x < fast\"]\n", 3, "compares numbers"),
    ("assertions:\n  - name: a\n  - name: a\n    count: {total: 1}\n", 2, "checks nothing"),
    ("assertions:\n  - name: a\n    count: {total: 1}\n  - name: a\n    count: {total: 1}\n", 4,
     "duplicate assertion name"),
    ("assertions:\n  - name: a\n    count: {per_trace: {min: 3, max: 1}}\n", 3, "greater than max"),
    ("assertions:\n  - name: a\n    count: {total: -1}\n", 3, "whole number"),
    ("assertions:\n  - name: a\n    assert: [{attribute: x, op: '~~', value: 1}]\n", 3, "unknown operator"),
    ("assertions:\n  - name: a\n    assert: [\"name exists\"]\n", 3, "applies to attributes"),
    ("assertions:\n  - name: a\n    assert: [\"attr:x\"]\n   bad: [\n", 4, "invalid YAML"),
    ("asserts: []\n", 1, "unknown key 'asserts'"),
    ("", 1, "the file is empty"),
])
def test_errors_name_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(AssertionsError) as caught:
        load_assertions(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_string_and_structured_forms_are_the_same_check(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(textwrap.dedent("""
        assertions:
          - name: a
            assert:
              - attr:http.response.status_code < 500
              - {attribute: http.response.status_code, op: lt, value: 500}
              - "status != error"
              - {field: status, op: ne, value: ERROR}
    """))
    checks = load_assertions(path).assertions[0].checks
    assert [(c.target, c.op, c.value) for c in checks[:2]] == [(checks[0].target, "<", 500)] * 2
    assert (checks[2].op, checks[2].value) == (checks[3].op, checks[3].value) == ("!=", 2)


@pytest.mark.parametrize(("text", "ns"), [("500ms", 500_000_000), ("2s", 2_000_000_000), ("1.5 s", 1_500_000_000),
                                          ("250us", 250_000), ("3m", 180_000_000_000), ("7ns", 7)])
def test_durations(text, ns):
    assert parse_duration(text) == ns
