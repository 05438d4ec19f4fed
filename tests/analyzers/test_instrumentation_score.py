"""The Instrumentation Score analyzer: each rule passing and failing, the formula, bands, windows."""

from __future__ import annotations

import pickle
import random
import time

import polars as pl
import pytest

from weavergen.analyzers.base import ATTRIBUTE_COLUMNS, SPAN_COLUMNS, Level, SpanBatch, Window
from weavergen.analyzers.instrumentation_score import (
    NOT_IMPLEMENTED,
    RULES,
    InstrumentationScoreAnalyzer,
    band,
    completeness_notice,
    score,
)

WINDOW = Window(1_767_225_600 * 1_000_000_000, 60)
GOOD_RESOURCE = {"service.name": "checkout", "service.instance.id": "checkout-1",
                 "deployment.environment.name": "prod"}
SPAN_SCHEMA = {
    "seq": pl.Int64, "trace_id": pl.String, "span_id": pl.String, "parent_span_id": pl.String,
    "name": pl.String, "kind": pl.UInt8, "service_name": pl.String, "service": pl.String,
    "operation": pl.String, "start_time_unix_nano": pl.Int64, "end_time_unix_nano": pl.Int64,
    "duration_ns": pl.Int64, "status_code": pl.UInt8, "status_message": pl.String, "resource_id": pl.Int64,
}
VALUE_SCHEMA = {"key": pl.String, "type": pl.String, "string_value": pl.String, "int_value": pl.Int64,
                "double_value": pl.Float64, "bool_value": pl.Boolean, "json_value": pl.String}
VALUE_COLUMNS = {"string": "string_value", "int": "int_value", "double": "double_value", "bool": "bool_value"}
INTERNAL, SERVER, CLIENT = 1, 2, 3


def tid(n: int) -> str:
    return f"{n:032x}"


def sid(n: int) -> str:
    return f"{n:016x}"


def span(trace: int, span_id: int, parent: int | None = None, *, service: str = "checkout",
         kind: int = SERVER, name: str = "GET /cart", ms: float = 10.0, resource: int = 1,
         attributes: dict | None = None, service_name: str | None = None) -> dict:
    """A span row; ``service`` is the bounded label, ``service_name`` what the span carried."""
    return {"trace_id": tid(trace), "span_id": sid(span_id),
            "parent_span_id": sid(parent) if parent else None, "name": name, "kind": kind,
            "service": service, "service_name": service_name or service,
            "duration_ns": int(ms * 1e6), "resource_id": resource, "attributes": attributes or {}}


def _value(key: str, value) -> dict:
    kind = {str: "string", bool: "bool", int: "int", float: "double"}[type(value)]
    return {"key": key, "type": kind, **dict.fromkeys(VALUE_COLUMNS.values()), VALUE_COLUMNS[kind]: value}


def make_batch(spans: list[dict], resources: dict[int, dict] | None = None, first_seq: int = 1,
               window: Window = WINDOW) -> SpanBatch:
    """A SpanBatch from explicit rows; ``resources``: resource_id → its attributes."""
    resources = {1: GOOD_RESOURCE} if resources is None else resources
    end = window.start_ns + 1_000_000_000
    rows, attributes = [], []
    for seq, s in enumerate(spans, first_seq):
        rows.append({**{k: v for k, v in s.items() if k != "attributes"}, "seq": seq, "operation": s["name"],
                     "start_time_unix_nano": end - s["duration_ns"], "end_time_unix_nano": end,
                     "status_code": 0})
        attributes += [{"span_seq": seq, **_value(k, v)} for k, v in s["attributes"].items()]
    resource_rows = [{"resource_id": r, **_value(k, v)}
                     for r, attrs in resources.items() for k, v in attrs.items()]
    return SpanBatch(
        window,
        pl.DataFrame(rows, schema=SPAN_SCHEMA).select(SPAN_COLUMNS),
        pl.DataFrame(attributes, schema={"span_seq": pl.Int64, **VALUE_SCHEMA}).select(ATTRIBUTE_COLUMNS),
        pl.DataFrame(resource_rows, schema={"resource_id": pl.Int64, **VALUE_SCHEMA}),
    )


def run(*batches: SpanBatch, registry=None):
    analyzer = InstrumentationScoreAnalyzer(registry)
    for batch in batches:
        analyzer.update(batch)
    return analyzer.result(WINDOW)


def passed(result, service: str = "checkout") -> dict[str, bool]:
    return {s.key: s.value == 1.0 for s in result.signals
            if s.signal == "instrumentation_rule_passed" and s.service == service}


def score_of(result, service: str = "checkout") -> float:
    (value,) = [s.value for s in result.signals
                if s.signal == "instrumentation_score" and s.service == service]
    return value


def finding(result, rule: str, service: str = "checkout"):
    (found,) = [f for f in result.findings if f.id == rule and f.service == service]
    return found


def healthy_trace(trace: int = 1) -> list[dict]:
    root = 10 * trace + 1
    return [span(trace, root), span(trace, root + 1, root, kind=CLIENT, name="SELECT")]


# -- the score ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (100, "Excellent"), (90, "Excellent"), (89.99, "Good"), (75, "Good"), (74.9, "Needs Improvement"),
    (50, "Needs Improvement"), (49.99, "Poor"), (0, "Poor"),
])
def test_band(value, expected):
    assert band(value) == expected


def test_score_formula():
    # Evaluated: Critical 40, Important 30, Normal 20 twice; the Critical one and one Normal fail.
    outcomes = {"RES-005": False, "RES-007": True, "RES-001": True, "SPA-002": False}
    assert score(outcomes) == pytest.approx(100 * 50 / 110)
    assert score({}) == 100.0


def test_rule_table_covers_the_spec_and_says_what_is_missing():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 25
    assert {r.id for r in RULES if r.implemented} == {
        "RES-001", "RES-002", "RES-003", "RES-004", "RES-005", "RES-006", "RES-007", "RES-010",
        "SPA-001", "SPA-002", "SPA-004", "SPA-005", "SPA-006"}
    assert {r.target for r in RULES if not r.implemented and r.id != "SPA-003"} == {"Metric", "Log", "SDK"}
    notice = completeness_notice(["RES-004"])
    assert "incomplete" in notice and "RES-004" in notice and all(rule in notice for rule in NOT_IMPLEMENTED)


def test_a_healthy_service_scores_100_and_is_told_the_score_is_incomplete():
    result = run(make_batch(healthy_trace(1) + healthy_trace(2)))
    assert score_of(result) == 100.0
    assert all(passed(result).values()) and "RES-004" not in passed(result)  # no registry: not evaluated
    (summary,) = result.findings
    assert summary.id == "instrumentation_score" and summary.level is Level.information
    assert "100.0 (Excellent)" in summary.message and "RES-004" in summary.message
    assert "SPA-003" in summary.message and "incomplete" in summary.message


def test_score_on_a_known_mix():
    # No service.name (Critical) and an orphan span (Normal) fail; the other 10 evaluated rules pass.
    batch = make_batch([span(1, 11), span(1, 12, 99)],
                       {1: {"service.instance.id": "c-1", "deployment.environment.name": "prod"}})
    result = run(batch)
    assert sorted(rule for rule, ok in passed(result).items() if not ok) == ["RES-005", "SPA-002"]
    # Evaluated: Critical 3 × 40 + Important 5 × 30 + Normal 4 × 20 = 350; failed: 40 + 20.
    assert score_of(result) == pytest.approx(100 * 290 / 350)
    assert finding(result, "RES-005").level is Level.violation
    assert finding(result, "SPA-002").level is Level.improvement
    assert "82.9 (Good)" in finding(result, "instrumentation_score").message
    assert "82.9 (Good)" in finding(result, "RES-005").message


# -- resource rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, resource, ok", [
    ("RES-001", {"service.instance.id": "c-1"}, True),
    ("RES-001", {}, False),
    ("RES-005", {"service.name": "checkout"}, True),
    ("RES-005", {"service.name": ""}, False),
    ("RES-005", {}, False),
    ("RES-006", {}, True),
    ("RES-006", {"service.criticality": "mission_critical"}, True),
    ("RES-006", {"service.criticality": "HIGH"}, False),
    ("RES-006", {"service.criticality": 1}, False),
    ("RES-007", {"deployment.environment.name": "staging"}, True),
    ("RES-007", {"deployment.environment.name": ""}, False),
    ("RES-003", {"host.name": "vm-1"}, True),
    ("RES-003", {"k8s.namespace.name": "shop", "k8s.pod.uid": "5d1c"}, True),
    ("RES-003", {"k8s.namespace.name": "shop"}, False),
    ("RES-010", {"process.command_line": "java -jar app.jar --port=8080"}, True),
    ("RES-010", {"process.command_line": "java -Djavax.net.ssl.trustStorePassword=S3cret -jar a.jar"}, False),
    ("RES-010", {"owner.contact": "alice@example.com"}, False),
    ("RES-010", {"db.password": "hunter2"}, False),
])
def test_resource_rule(rule, resource, ok):
    result = run(make_batch(healthy_trace(), {1: resource}))
    assert passed(result)[rule] is ok
    if not ok:
        found = finding(result, rule)
        assert found.count == 1 and found.example_trace_id == tid(1)


def test_resource_rules_look_at_every_resource_of_the_window():
    without_id = {k: v for k, v in GOOD_RESOURCE.items() if k != "service.instance.id"}
    first = make_batch([span(1, 11, resource=1)], {1: GOOD_RESOURCE})
    second = make_batch([span(2, 21, resource=2)], {2: without_id}, first_seq=10)
    result = run(first, second)
    assert passed(result)["RES-001"] is False
    assert finding(result, "RES-001").example_trace_id == tid(2)


def test_res002_one_instance_id_on_two_hosts():
    shared = {**GOOD_RESOURCE, "service.instance.id": "same"}
    spans = [span(1, 11, resource=1), span(2, 21, resource=2)]
    result = run(make_batch(spans, {1: {**shared, "host.name": "a"}, 2: {**shared, "host.name": "b"}}))
    assert passed(result)["RES-002"] is False
    assert finding(result, "RES-002").attribute == "service.instance.id"
    # Two resources of one process (an attribute changed), on the same host: not a duplicate.
    same_host = {1: {**shared, "host.name": "a"}, 2: {**shared, "host.name": "a", "service.version": "2"}}
    assert passed(run(make_batch(spans, same_host)))["RES-002"] is True


def test_res004_with_a_registry(semconv_registry):
    from weavergen.analyzers.semconv import load_registry

    registry = load_registry(semconv_registry)
    good = run(make_batch(healthy_trace()), registry=registry)
    assert passed(good)["RES-004"] is True and score_of(good) == 100.0
    assert "RES-004" not in finding(good, "instrumentation_score").message
    result = run(make_batch([span(1, 11, attributes={"k8s.pod.name": "web-1"})]), registry=registry)
    assert passed(result)["RES-004"] is False and finding(result, "RES-004").attribute == "k8s.pod.name"
    on_resource = make_batch(healthy_trace(), {1: {**GOOD_RESOURCE, "http.request.method": "GET"}})
    assert passed(run(on_resource, registry=registry))["RES-004"] is False


# -- span rules ----------------------------------------------------------------------------------------

def internal_spans(trace: int, count: int, service: str = "checkout", first: int = 100) -> list[dict]:
    return [span(trace, first + i, 1, kind=INTERNAL, name="work", service=service) for i in range(count)]


@pytest.mark.parametrize("count, ok", [(10, True), (11, False)])
def test_spa001_internal_spans_per_trace_and_service(count, ok):
    assert passed(run(make_batch([span(1, 1)] + internal_spans(1, count))))["SPA-001"] is ok


def test_spa001_counts_per_service():
    spans = [span(1, 1)] + internal_spans(1, 6) + internal_spans(1, 6, service="payments", first=200)
    result = run(make_batch(spans))
    assert passed(result)["SPA-001"] and passed(result, "payments")["SPA-001"]


def test_spa001_does_not_pool_services_sharing_the_other_label():
    pooled = [{**s, "service": "other", "service_name": f"svc-{i % 2}"}
              for i, s in enumerate(internal_spans(1, 12))]
    assert passed(run(make_batch([span(1, 1)] + pooled)), "other")["SPA-001"]


def test_spa001_adds_up_the_batches_of_a_window():
    first = make_batch([span(1, 1)] + internal_spans(1, 6))
    second = make_batch(internal_spans(1, 5, first=200), first_seq=100)
    result = run(first, second)
    assert passed(result)["SPA-001"] is False and finding(result, "SPA-001").example_trace_id == tid(1)


def test_spa002_orphan_span():
    result = run(make_batch([span(1, 11), span(1, 12, 11), span(2, 21, 99, name="lost")]))
    assert passed(result)["SPA-002"] is False
    found = finding(result, "SPA-002")
    assert (found.count, found.example_span_id, found.span_name) == (1, sid(21), "lost")


def test_spa002_a_parent_in_another_trace_does_not_count():
    assert passed(run(make_batch([span(1, 11), span(2, 21, 11)])))["SPA-002"] is False


def test_spa002_parent_in_another_batch_or_service_is_no_orphan():
    child = make_batch([span(1, 12, 11, service="payments", kind=SERVER)])
    parent = make_batch([span(1, 11, kind=CLIENT, name="POST /pay"), span(2, 21)], first_seq=5)
    result = run(child, parent)
    assert passed(result, "payments")["SPA-002"] and passed(result)["SPA-002"]
    assert passed(run(parent, child), "payments")["SPA-002"]


def test_spa002_parent_in_the_next_open_window():
    analyzer = InstrumentationScoreAnalyzer()
    analyzer.update(make_batch([span(1, 12, 11)]))
    analyzer.update(make_batch([span(1, 11)], first_seq=5, window=Window(WINDOW.end_ns, 60)))
    assert passed(analyzer.result(WINDOW))["SPA-002"]


@pytest.mark.parametrize("root_kind, resource, ok", [
    (SERVER, GOOD_RESOURCE, True),
    (INTERNAL, GOOD_RESOURCE, True),
    (CLIENT, GOOD_RESOURCE, False),
    (CLIENT, {**GOOD_RESOURCE, "telemetry.sdk.language": "webjs"}, True),
])
def test_spa004_root_span_kind(root_kind, resource, ok):
    result = run(make_batch([span(1, 11, kind=root_kind), span(1, 12, 11, kind=CLIENT)], {1: resource}))
    assert passed(result)["SPA-004"] is ok


@pytest.mark.parametrize("short, ok", [(20, True), (21, False)])
def test_spa005_short_spans_per_trace(short, ok):
    spans = [span(1, 1, ms=50)] + [span(1, 100 + i, 1, kind=CLIENT, ms=4.9) for i in range(short)]
    spans += [span(1, 200 + i, 1, kind=CLIENT, ms=5.0) for i in range(30)]  # 5 ms is not short
    assert passed(run(make_batch(spans)))["SPA-005"] is ok


def test_spa005_counts_the_whole_trace_and_charges_services_with_short_spans():
    spans = [span(1, 1, ms=50, service="web")]
    spans += [span(1, 100 + i, 1, ms=1, service="checkout") for i in range(11)]
    spans += [span(1, 200 + i, 1, ms=1, service="payments") for i in range(10)]
    result = run(make_batch(spans))
    assert not passed(result)["SPA-005"] and not passed(result, "payments")["SPA-005"]
    assert passed(result, "web")["SPA-005"]


@pytest.mark.parametrize("name, attributes, ok", [
    ("GET /cart", {"url.full": "https://shop.example/cart?page=2", "http.response.status_code": 200}, True),
    ("GET /cart", {"url.full": "https://shop.example/cart?email=bob@example.com"}, False),
    ("login alice@example.com", {}, False),
    ("GET /cart", {"payment.card": "4111 1111 1111 1111"}, False),
    ("GET /cart", {"payment.card": "4111 1111 1111 1112"}, True),  # fails Luhn
    ("GET /cart", {"payment.card": 4111111111111111}, False),
    ("GET /cart", {"app.started_ns": 1767225600123456789}, True),  # a timestamp, not a card
    ("GET /cart", {"app.note": "id 123-45-6789"}, False),
    ("GET /cart", {"http.request.header.authorization": "Basic dXNlcjpwYXNz"}, False),
    ("GET /cart", {"db.query.text": "SELECT * FROM users WHERE password = ?"}, True),
    ("GET /cart", {"db.query.text": "UPDATE users SET password = $1"}, True),
    ("GET /cart", {"db.query.text": "UPDATE users SET password='hunter2'"}, False),
    ("GET /cart", {"app.note": "api_key=sk-proj-abc123def456"}, False),
    ("GET /cart", {"app.note": "patient_id=8812"}, False),
    ("GET /cart", {"gen_ai.usage.input_tokens": 12}, True),
])
def test_spa006_sensitive_span_data(name, attributes, ok):
    result = run(make_batch([span(1, 11, name=name, attributes=attributes)]))
    assert passed(result)["SPA-006"] is ok
    if not ok:
        found = finding(result, "SPA-006")
        assert found.level is Level.violation and found.example_span_id == sid(11) and found.count == 1


# -- windows and snapshots -----------------------------------------------------------------------------

def test_state_pickles_mid_window():
    first = make_batch([span(1, 12, 1)] + internal_spans(1, 6, first=200))
    second = make_batch([span(1, 1)] + internal_spans(1, 5, first=300), first_seq=100)
    analyzer = InstrumentationScoreAnalyzer()
    analyzer.update(first)
    restored = pickle.loads(pickle.dumps(analyzer))
    restored.reattach(InstrumentationScoreAnalyzer())
    for target in (analyzer, restored):
        target.update(second)
    original, again = analyzer.result(WINDOW), restored.result(WINDOW)
    assert original == again
    assert passed(original)["SPA-002"] and not passed(original)["SPA-001"]


def test_result_forgets_the_window():
    analyzer = InstrumentationScoreAnalyzer()
    analyzer.update(make_batch(healthy_trace()))
    assert analyzer.result(WINDOW).signals
    forgotten = analyzer.result(WINDOW)
    assert forgotten.signals == [] and forgotten.findings == []


def test_results_and_examples_do_not_depend_on_thread_scheduling():
    batch = realistic_batch(traces=3_000, spans_per_trace=25)
    first, second = run(batch), run(batch)
    assert {f.id for f in first.findings} >= {"SPA-001", "SPA-005"}
    assert first == second


def test_update_does_not_modify_the_batch():
    batch = make_batch([span(1, 11, attributes={"user.email": "a@b.example"})])
    before = (batch.spans.clone(), batch.attributes.clone(), batch.resources.clone())
    InstrumentationScoreAnalyzer().update(batch)
    assert batch.spans.equals(before[0]) and batch.attributes.equals(before[1])
    assert batch.resources.equals(before[2])


# -- throughput (reported, never asserted) -------------------------------------------------------------

SERVICES = ("frontend", "checkout", "cart", "payments", "shipping")


def realistic_batch(traces: int = 10_000, spans_per_trace: int = 10, seed: int = 7) -> SpanBatch:
    """Shop traces of 10 spans: a SERVER root with INTERNAL and CLIENT children, 8 attributes each."""
    rng = random.Random(seed)
    routes = ("/cart", "/checkout", "/product/{id}", "/user/{id}/orders")
    columns: dict[str, list] = {c: [] for c in ("trace_id", "span_id", "parent_span_id", "name", "kind",
                                                "service", "duration_ns", "route")}
    for t in range(traces):
        trace_id, root, service = rng.randbytes(16).hex(), rng.randbytes(8).hex(), SERVICES[t % len(SERVICES)]
        for i in range(spans_per_trace):
            kind = SERVER if i == 0 else rng.choice((INTERNAL, CLIENT, CLIENT))
            route = rng.choice(routes)
            row = {"trace_id": trace_id, "span_id": root if i == 0 else rng.randbytes(8).hex(),
                   "parent_span_id": None if i == 0 else root, "kind": kind, "service": service,
                   "name": "render" if kind == INTERNAL else f"GET {route}",
                   "duration_ns": int(rng.lognormvariate(15, 1.5)), "route": route}
            for column, value in row.items():
                columns[column].append(value)
    n = len(columns["trace_id"])
    end = WINDOW.start_ns + 1_000_000_000
    spans = pl.DataFrame({k: v for k, v in columns.items() if k != "route"}).with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("seq"), pl.col("kind").cast(pl.UInt8),
        pl.col("service").alias("service_name"), pl.col("name").alias("operation"),
        (end - pl.col("duration_ns")).alias("start_time_unix_nano"), pl.lit(end).alias("end_time_unix_nano"),
        pl.lit(0, pl.UInt8).alias("status_code"), pl.lit("").alias("status_message"),
        pl.col("service").replace_strict(list(SERVICES), list(range(len(SERVICES))), return_dtype=pl.Int64)
        .alias("resource_id"),
    ).select(SPAN_COLUMNS)
    seq = spans["seq"].to_list()
    strings = {
        "http.request.method": ["GET"] * n,
        "http.route": columns["route"],
        "url.full": [f"https://shop.example{r.replace('{id}', str(rng.randrange(10**6)))}"
                     f"?page={rng.randrange(20)}" for r in columns["route"]],
        "server.address": [f"{s}.shop.svc.cluster.local" for s in columns["service"]],
        "db.query.text": [f"SELECT * FROM orders WHERE id = ? LIMIT {rng.randrange(50)}" for _ in range(n)],
        "user_agent.original": ["Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"] * n,
    }
    ints = {"http.response.status_code": [200] * n,
            "network.peer.port": [rng.randrange(1024, 65535) for _ in range(n)]}
    frames = [pl.DataFrame({"span_seq": seq, "key": [k] * n, "type": ["string"] * n, "string_value": v})
              for k, v in strings.items()]
    frames += [pl.DataFrame({"span_seq": seq, "key": [k] * n, "type": ["int"] * n, "int_value": v})
               for k, v in ints.items()]
    attributes = pl.concat(frames, how="diagonal").with_columns(
        pl.lit(None, pl.Float64).alias("double_value"), pl.lit(None, pl.Boolean).alias("bool_value"),
        pl.lit(None, pl.String).alias("json_value"),
    ).cast({"span_seq": pl.Int64, "int_value": pl.Int64}).select(ATTRIBUTE_COLUMNS)
    resources = make_batch([], {
        i: {**GOOD_RESOURCE, "service.name": s, "service.instance.id": f"{s}-1", "k8s.pod.name": f"{s}-abc",
            "k8s.pod.uid": f"uid-{i}", "host.name": "node-1", "process.command_line": f"python -m {s}"}
        for i, s in enumerate(SERVICES)
    }).resources
    return SpanBatch(WINDOW, spans, attributes, resources)


def test_throughput(capsys):
    batch = realistic_batch()
    analyzer = InstrumentationScoreAnalyzer()
    analyzer.update(batch)  # warm-up
    analyzer.result(WINDOW)
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        analyzer.update(batch)
        result = analyzer.result(WINDOW)
    elapsed = (time.perf_counter() - started) / rounds
    assert {s.service for s in result.signals} == set(SERVICES)
    with capsys.disabled():
        print(f"\ninstrumentation_score: update + result of {batch.spans.height:,} spans "
              f"({batch.attributes.height:,} attributes) in {elapsed * 1000:.0f} ms "
              f"= {batch.spans.height / elapsed:,.0f} spans/s")
