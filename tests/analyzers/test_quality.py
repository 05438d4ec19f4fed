"""QualityAnalyzer: weaver-style findings per window against the real snapshot and a tiny fixture registry."""

from __future__ import annotations

import itertools
import pickle
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from weavergen.analyzers.base import Finding, Level, SpanBatch, Window
from weavergen.analyzers.quality import QualityAnalyzer, own_namespaces
from weavergen.analyzers.semconv import load_registry

FIXTURE = Path(__file__).parent / "fixtures" / "quality_registry"
WINDOW = Window(0, 60)
INTERNAL, SERVER, CLIENT = 1, 2, 3
_seqs = itertools.count(1)

SPAN_SCHEMA = {
    "seq": pl.Int64,
    "trace_id": pl.String,
    "span_id": pl.String,
    "parent_span_id": pl.String,
    "name": pl.String,
    "kind": pl.UInt8,
    "service_name": pl.String,
    "service": pl.String,
    "operation": pl.String,
    "start_time_unix_nano": pl.Int64,
    "end_time_unix_nano": pl.Int64,
    "duration_ns": pl.Int64,
    "status_code": pl.UInt8,
    "resource_id": pl.Int64,
}
ATTRIBUTE_SCHEMA = {
    "span_seq": pl.Int64,
    "key": pl.String,
    "type": pl.String,
    "string_value": pl.String,
    "int_value": pl.Int64,
    "double_value": pl.Float64,
    "bool_value": pl.Boolean,
}
CLEAN_HTTP_SERVER = {
    "http.request.method": "GET",
    "url.scheme": "https",
    "url.path": "/orders/1",
    "http.route": "/orders/{id}",
    "http.response.status_code": 200,
    "network.protocol.version": "1.1",
    "server.address": "shop.example",
    "client.address": "10.0.0.1",
    "user_agent.original": "curl/8",
    "network.peer.address": "10.0.0.1",
    "network.peer.port": 5443,
}


def span(attributes: dict, kind: int = SERVER, name: str = "GET /orders", service: str = "shop") -> dict:
    return {"attributes": attributes, "kind": kind, "name": name, "service": service}


def _attribute_row(seq: int, key: str, value: object) -> dict:
    row: dict = {"span_seq": seq, "key": key}
    if isinstance(value, bool):
        return row | {"type": "bool", "bool_value": value}
    if isinstance(value, int):
        return row | {"type": "int", "int_value": value}
    if isinstance(value, float):
        return row | {"type": "double", "double_value": value}
    if isinstance(value, str):
        return row | {"type": "string", "string_value": value}
    return row | {"type": "array" if isinstance(value, list) else "empty"}


def make_batch(*spans: dict, window: Window = WINDOW) -> SpanBatch:
    """A SpanBatch from ``span(...)`` dicts; attribute types follow the Python value types."""
    span_rows, attribute_rows = [], []
    for s in spans:
        seq = next(_seqs)
        end = window.start_ns + 1_000
        span_rows.append(
            {
                "seq": seq,
                "trace_id": f"{seq:032x}",
                "span_id": f"{seq:016x}",
                "parent_span_id": None,
                "name": s["name"],
                "kind": s["kind"],
                "service_name": s["service"],
                "service": s["service"],
                "operation": s["name"],
                "start_time_unix_nano": end - 500,
                "end_time_unix_nano": end,
                "duration_ns": 500,
                "status_code": 0,
                "resource_id": 1,
            }
        )
        attribute_rows += [_attribute_row(seq, k, v) for k, v in s["attributes"].items()]
    return SpanBatch(
        window,
        pl.DataFrame(span_rows, schema=SPAN_SCHEMA),
        pl.DataFrame(attribute_rows, schema=ATTRIBUTE_SCHEMA),
        pl.DataFrame(),
    )


def run(analyzer: QualityAnalyzer, *spans: dict) -> tuple[list[Finding], dict]:
    analyzer.update(make_batch(*spans))
    result = analyzer.result(WINDOW)
    return result.findings, {(s.signal, s.service): s.value for s in result.signals}


def only(findings: list[Finding], finding_id: str, attribute: str | None = None) -> Finding:
    found = [f for f in findings if f.id == finding_id and (attribute is None or f.attribute == attribute)]
    assert len(found) == 1, (finding_id, attribute, findings)
    return found[0]


def ids(findings: list[Finding], attribute: str | None = None) -> set[str]:
    return {f.id for f in findings if attribute is None or f.attribute == attribute}


@pytest.fixture(scope="module")
def semconv(semconv_registry):
    return load_registry(semconv_registry)


@pytest.fixture
def analyzer(semconv) -> QualityAnalyzer:
    return QualityAnalyzer(semconv)


@pytest.fixture(scope="module")
def shop():
    return load_registry(FIXTURE)


@pytest.fixture
def shop_analyzer(shop) -> QualityAnalyzer:
    return QualityAnalyzer(shop)


# -- attribute findings on the real snapshot -------------------------------------------------------


def test_deprecated_attribute_suggests_its_new_name(analyzer):
    findings, _ = run(analyzer, span({"http.method": "GET"}, kind=INTERNAL))
    finding = only(findings, "deprecated", "http.method")
    assert finding.level is Level.violation
    assert finding.suggestion == "use http.request.method"
    assert "not_stable" not in ids(findings, "http.method")


def test_undefined_enum_value_is_information_naming_it(analyzer):
    findings, _ = run(analyzer, span({"http.request.method": "FETCH"}, kind=INTERNAL))
    finding = only(findings, "undefined_enum_variant", "http.request.method")
    assert finding.level is Level.information
    assert "FETCH" in finding.message


def test_defined_enum_value_gives_no_finding(analyzer):
    findings, _ = run(analyzer, span({"http.request.method": "GET"}, kind=INTERNAL))
    assert ids(findings, "http.request.method") == set()


def test_client_span_without_required_server_address(analyzer, semconv):
    group = semconv.span("span.http.client")
    assert group.attribute("server.address").is_required  # as the snapshot's YAML says
    attributes = {"http.request.method": "GET", "url.full": "https://shop.example/", "server.port": 443}
    findings, _ = run(analyzer, span(attributes, kind=CLIENT))
    finding = only(findings, "required_attribute_not_present", "server.address")
    assert finding.level is Level.violation
    assert "span.http.client" in finding.message
    assert "server.port" not in {f.attribute for f in findings if f.id == "required_attribute_not_present"}


def test_unknown_key_suggests_the_nearest_registry_name(analyzer):
    findings, _ = run(analyzer, span({"http.requst.method": "GET"}, kind=INTERNAL))
    finding = only(findings, "missing_attribute", "http.requst.method")
    assert finding.level is Level.violation
    assert finding.suggestion == "did you mean http.request.method?"


def test_unknown_key_far_from_any_name_gets_no_suggestion(analyzer):
    findings, _ = run(analyzer, span({"http.zzzzzz": "x"}, kind=INTERNAL))
    assert only(findings, "missing_attribute", "http.zzzzzz").suggestion == ""


def test_key_format_and_namespace(analyzer):
    findings, _ = run(analyzer, span({"Bad.Key": "x", "nodots": "x"}, kind=INTERNAL))
    assert only(findings, "invalid_format", "Bad.Key").level is Level.violation
    assert only(findings, "missing_namespace", "nodots").level is Level.improvement
    assert "missing_namespace" not in ids(findings, "Bad.Key")
    assert "invalid_format" not in ids(findings, "nodots")


def test_template_match(analyzer):
    findings, _ = run(analyzer, span({"http.request.header.x-foo": ["a"]}, kind=INTERNAL))
    finding = only(findings, "template_attribute", "http.request.header.x-foo")
    assert finding.level is Level.information
    assert "http.request.header" in finding.message
    # A template match is neither unknown nor badly formatted, and an array is what it expects.
    assert ids(findings, "http.request.header.x-foo") == {"template_attribute"}


def test_type_mismatch(analyzer):
    findings, _ = run(analyzer, span({"http.response.status_code": "200"}, kind=INTERNAL))
    finding = only(findings, "type_mismatch", "http.response.status_code")
    assert finding.level is Level.violation
    assert "string" in finding.message and "int" in finding.message


def test_illegal_namespace(analyzer):
    findings, _ = run(analyzer, span({"server.address.family": "ipv4"}, kind=INTERNAL))
    assert "namespace 'server.address'" in only(findings, "illegal_namespace").message
    assert "missing_attribute" in ids(findings, "server.address.family")


def test_not_stable(analyzer, semconv):
    assert semconv.attribute("url.template").stability != "stable"
    findings, _ = run(analyzer, span({"url.template": "/orders/{id}"}, kind=INTERNAL))
    assert only(findings, "not_stable", "url.template").level is Level.improvement


# -- aggregation, signals and state ----------------------------------------------------------------


def test_counts_aggregate_over_batches_of_a_window(analyzer):
    first = make_batch(span({"http.method": "GET"}), span({"http.method": "POST"}))
    second = make_batch(
        span({"http.method": "GET"}),
        span({"http.request.method": "GET"}),
        span({"http.method": "PUT"}, service="billing"),
    )
    analyzer.update(first)
    analyzer.update(second)
    findings = analyzer.result(WINDOW).findings
    deprecated = {(f.service, f.span_name): f for f in findings if f.id == "deprecated"}
    assert deprecated[("shop", "GET /orders")].count == 3
    assert deprecated[("billing", "GET /orders")].count == 1
    example = deprecated[("shop", "GET /orders")]
    assert example.example_span_id in set(first.spans["span_id"])  # the first one seen stays the example
    assert len(example.example_trace_id) == 32


def test_undefined_enum_values_aggregate_per_key(analyzer):
    analyzer.update(make_batch(span({"http.request.method": "FETCH"}), span({"http.request.method": "FOO"})))
    analyzer.update(make_batch(span({"http.request.method": "FETCH"}), span({"http.request.method": "GET"})))
    finding = only(analyzer.result(WINDOW).findings, "undefined_enum_variant")
    assert finding.count == 3
    assert "'FETCH'" in finding.message


def test_quality_score_is_100_for_a_clean_span_and_lower_for_violations(analyzer):
    findings, signals = run(analyzer, span(CLEAN_HTTP_SERVER))
    assert {f.level for f in findings} <= {Level.information}, findings
    assert signals[("quality_score", "shop")] == 100.0
    _, signals = run(analyzer, span(CLEAN_HTTP_SERVER), span(CLEAN_HTTP_SERVER | {"http.method": "GET"}))
    assert signals[("quality_score", "shop")] == pytest.approx(100 / 1.5)  # one violation over two spans
    _, signals = run(analyzer, span(CLEAN_HTTP_SERVER | {"http.method": "GET", "Bad": 1}))
    assert signals[("quality_score", "shop")] < 100 / 1.5


def test_result_forgets_the_window(analyzer):
    analyzer.update(make_batch(span({"http.method": "GET"})))
    assert analyzer.result(WINDOW).findings
    assert analyzer.result(WINDOW).findings == []
    assert analyzer.result(WINDOW).signals == []


def test_windows_are_kept_apart(analyzer):
    later = Window(60_000_000_000, 60)
    analyzer.update(make_batch(span({"http.method": "GET"}, kind=INTERNAL)))
    analyzer.update(make_batch(span({"nodots": "x"}, kind=INTERNAL), window=later))
    assert ids(analyzer.result(WINDOW).findings) == {"deprecated"}
    assert ids(analyzer.result(later).findings) == {"missing_attribute", "missing_namespace"}


def test_pickle_round_trip_keeps_behaviour(analyzer, semconv):
    analyzer.update(make_batch(span({"http.method": "GET"})))
    blob = pickle.dumps(analyzer)
    assert len(blob) < 10_000  # the registry stays out of the snapshot
    for restored in (pickle.loads(blob), pickle.loads(blob)):
        restored.update(make_batch(span({"http.method": "GET", "http.request.method": "FETCH"})))
    reattached, reloaded = pickle.loads(blob), pickle.loads(blob)
    reattached.reattach(QualityAnalyzer(semconv))
    for restored in (reattached, reloaded):  # without reattach the registry is reloaded from its directory
        restored.update(make_batch(span({"http.method": "GET", "http.request.method": "FETCH"})))
        findings = restored.result(WINDOW).findings
        assert only(findings, "deprecated", "http.method").count == 2
        assert only(findings, "undefined_enum_variant").count == 1
    assert reattached.registry is semconv


def test_update_does_not_modify_the_batch(analyzer):
    batch = make_batch(span({"http.method": "GET", "nodots": 1}), span(CLEAN_HTTP_SERVER, kind=CLIENT))
    before = (batch.spans.clone(), batch.attributes.clone())
    analyzer.update(batch)
    assert batch.spans.equals(before[0]) and batch.attributes.equals(before[1])


def test_spans_without_attributes(analyzer):
    findings, signals = run(analyzer, span({}), span({}, kind=0))
    assert findings == []
    assert signals[("quality_score", "shop")] == 100.0
    assert signals[("registry_coverage", "shop")] == 0.0


def test_realistic_batch(analyzer):
    """Mostly conforming HTTP server spans (the shape the throughput was measured on, smaller)."""
    methods = ["GET", "POST", "PUT", "DELETE", "FETCH"]
    spans = [
        span(
            CLEAN_HTTP_SERVER | {"http.request.method": methods[i % 5]},
            name=f"op{i % 7}",
            service=f"svc{i % 3}",
        )
        for i in range(3_000)
    ]
    findings, signals = run(analyzer, *spans)
    undefined = [f for f in findings if f.id == "undefined_enum_variant"]
    assert sum(f.count for f in undefined) == 600
    assert {f.id for f in findings} == {
        "undefined_enum_variant",
        "conditionally_required_attribute_not_present",
    }
    assert all(signals[("quality_score", f"svc{i}")] == 100.0 for i in range(3))


# -- logic pinned down with the fixture registry ---------------------------------------------------


def test_value_types(shop_analyzer):
    findings, _ = run(
        shop_analyzer,
        span(
            {
                "shop.order.total": 3,
                "shop.order.priority": 3,
                "shop.order.status": "closed",
                "shop.item.skus": ["a"],
            },
            kind=INTERNAL,
        ),
        span(
            {
                "shop.order.total": True,
                "shop.order.priority": "1",
                "shop.item.skus": "a",
                "shop.order.status": 1,
            },
            kind=INTERNAL,
        ),
    )
    mismatched = {f.attribute: f for f in findings if f.id == "type_mismatch"}
    assert set(mismatched) == {
        "shop.order.total",
        "shop.order.priority",
        "shop.item.skus",
        "shop.order.status",
    }
    assert all(f.count == 1 for f in mismatched.values())
    assert "enum of int" in mismatched["shop.order.priority"].message
    undefined = {f.attribute: f.message for f in findings if f.id == "undefined_enum_variant"}
    assert set(undefined) == {"shop.order.priority", "shop.order.status"}
    assert "'3'" in undefined["shop.order.priority"] and "'closed'" in undefined["shop.order.status"]


def test_defined_int_enum_value(shop_analyzer):
    findings, _ = run(
        shop_analyzer, span({"shop.order.priority": 2, "shop.order.status": "paid"}, kind=INTERNAL)
    )
    assert findings == []


def test_deprecated_without_rename_suggests_the_note(shop_analyzer):
    findings, _ = run(shop_analyzer, span({"shop.legacy_id": "x"}, kind=INTERNAL))
    assert only(findings, "deprecated").suggestion == "Orders are identified by shop.order.id alone."


def test_template_match_is_not_format_checked_but_its_prefix_is_no_illegal_namespace(shop_analyzer):
    findings, _ = run(
        shop_analyzer, span({"shop.header.X-Tier": "gold", "shop.order.id.extra": "x"}, kind=INTERNAL)
    )
    assert ids(findings, "shop.header.X-Tier") == {"template_attribute"}
    assert ids(findings, "shop.order.id.extra") == {
        "missing_attribute",
        "illegal_namespace",
    }


def test_own_namespaces(shop, semconv):
    assert own_namespaces(shop.span("span.shop.cart.checkout.server")) == ("shop.", "shop.cart.")
    assert own_namespaces(semconv.span("span.http.client")) == ("http.",)
    assert "aws.dynamodb." in own_namespaces(semconv.span("span.dynamodb.getitem.client"))
    # The kind is not a namespace: server.address alone must not claim a span for span.http.server.
    assert own_namespaces(semconv.span("span.http.server")) == ("http.",)


def test_span_definition_matching(shop_analyzer):
    findings, _ = run(
        shop_analyzer,
        span({"shop.order.id": "o"}, name="plain"),  # tie: the generic definition wins
        span({"shop.order.id": "o", "shop.cart.id": "k"}, name="cart"),  # largest overlap wins
        span({"shop.cart.id": "k"}, name="cart-only"),
        span({"shop.order.id": "o"}, kind=CLIENT, name="client"),
        span({"shop.order.id": "o"}, kind=INTERNAL, name="internal"),  # no internal definition
        span({"shop.order.id": "o"}, kind=0, name="unspecified"),
    )
    by_span = {}
    for f in findings:
        by_span.setdefault(f.span_name, set()).add((f.id, f.attribute))
    assert by_span["plain"] == {
        ("recommended_attribute_not_present", "shop.order.total"),
        ("conditionally_required_attribute_not_present", "shop.order.status"),
    }
    assert "cart" not in by_span
    required = only(findings, "required_attribute_not_present", "shop.order.id")
    assert required.span_name == "cart-only" and "span.shop.cart.checkout.server" in required.message
    assert by_span["client"] == {("required_attribute_not_present", "shop.item.skus")}
    assert "internal" not in by_span and "unspecified" not in by_span
    levels = {f.id: f.level for f in findings}
    assert levels["recommended_attribute_not_present"] is Level.improvement
    assert levels["conditionally_required_attribute_not_present"] is Level.information


def test_each_finding_names_its_own_span_definition(shop_analyzer):
    findings, _ = run(shop_analyzer, span({"shop.cart.id": "k"}, service="carts"),
                      span({"shop.item.skus": ["a"]}, kind=CLIENT, service="orders"))
    messages = {f.service: f.message for f in findings if f.id == "required_attribute_not_present"}
    assert "span.shop.cart.checkout.server" in messages["carts"]
    assert "span.shop.checkout.client" in messages["orders"]


def test_quality_score_formula(shop_analyzer):
    # Two spans, one violation (deprecated) and one improvement (not_stable): w = (1.0 + 0.1) / 2.
    _, signals = run(
        shop_analyzer,
        span({"shop.legacy_id": "x"}, kind=INTERNAL),
        span({"shop.customer": "c"}, kind=INTERNAL),
    )
    assert signals[("quality_score", "shop")] == pytest.approx(100 / (1 + 1.1 / 2))


def test_registry_coverage_is_cumulative_per_service(shop_analyzer):
    # 8 non-deprecated attributes; a template match counts for the template, deprecated ones not at all.
    _, signals = run(
        shop_analyzer,
        span(
            {
                "shop.order.id": "o",
                "shop.header.a": "x",
                "shop.header.b": "y",
                "shop.legacy_id": "x",
                "other.key": 1,
            },
            kind=INTERNAL,
        ),
    )
    assert signals[("registry_coverage", "shop")] == 2 / 8
    _, signals = run(
        shop_analyzer,
        span({"shop.cart.id": "k"}, kind=INTERNAL),
        span({"shop.cart.id": "k"}, kind=INTERNAL, service="cart"),
    )
    assert signals[("registry_coverage", "shop")] == 3 / 8
    assert signals[("registry_coverage", "cart")] == 1 / 8


def test_findings_beyond_the_limit_go_to_other(shop):
    analyzer = QualityAnalyzer(shop, max_findings=2)
    analyzer.update(make_batch(span({"x.k0": 1, "x.k1": 1, "x.k2": 1}, kind=INTERNAL, name="a")))
    analyzer.update(make_batch(span({"x.k0": 1, "x.k3": 1}, kind=INTERNAL, name="b")))
    findings = analyzer.result(WINDOW).findings
    assert [(f.span_name, f.attribute, f.count) for f in findings] == [
        ("a", "x.k0", 1), ("a", "x.k1", 1), ("other", "other", 3),
    ]  # fmt: skip
    overflow = findings[-1]
    assert overflow.id == "missing_attribute" and "2 kept per window" in overflow.message


def test_small_caches_still_give_the_same_findings(shop):
    batch = make_batch(*(span({"shop.order.id": "o", f"x.k{i}": 1}, name=f"op{i}") for i in range(10)))
    small, large = QualityAnalyzer(shop, max_cached=2), QualityAnalyzer(shop)
    small.update(batch)
    large.update(batch)
    assert small.result(WINDOW) == large.result(WINDOW)


def test_repr_shows_parameters(shop_analyzer):
    assert repr(shop_analyzer) == "QualityAnalyzer(similarity=0.8, max_findings=10000, max_cached=100000)"


# -- throughput (reported, not asserted) -----------------------------------------------------------


def realistic_batch(n: int = 100_000) -> SpanBatch:
    """``n`` HTTP server spans with 10 attributes each over 10 services and 20 routes: mostly
    conforming, 2% with an undefined method, 1% still sending the deprecated ``http.method``."""
    seq = pl.int_range(1, n + 1, eager=True).alias("seq")
    route = pl.concat_str(pl.lit("/api/res"), (pl.col("seq") % 20).cast(pl.String), pl.lit("/{id}"))
    spans = pl.DataFrame(seq).with_columns(
        pl.col("seq").cast(pl.String).str.zfill(32).alias("trace_id"),
        pl.col("seq").cast(pl.String).str.zfill(16).alias("span_id"),
        pl.lit(None, pl.String).alias("parent_span_id"),
        pl.concat_str(pl.lit("GET "), route).alias("name"),
        pl.lit(SERVER, pl.UInt8).alias("kind"),
        pl.concat_str(pl.lit("svc-"), (pl.col("seq") % 10).cast(pl.String)).alias("service_name"),
        (pl.col("seq") * 1_000).alias("start_time_unix_nano"),
        (pl.col("seq") * 1_000 + 500).alias("end_time_unix_nano"),
        pl.lit(500, pl.Int64).alias("duration_ns"),
        pl.lit(0, pl.UInt8).alias("status_code"),
        pl.lit(1, pl.Int64).alias("resource_id"),
    ).with_columns(pl.col("service_name").alias("service"), pl.col("name").alias("operation"))
    verbs = {0: "GET", 1: "POST", 2: "PUT", 3: "DELETE"}
    method = pl.when(pl.col("seq") % 50 == 0).then(pl.lit("FETCH")).otherwise(
        (pl.col("seq") % 4).replace_strict(verbs, return_dtype=pl.String))
    legacy = pl.col("seq") % 100 == 1
    method_key = pl.when(legacy).then(pl.lit("http.method")).otherwise(pl.lit("http.request.method"))
    strings = {
        "url.scheme": pl.lit("https"), "url.path": route, "http.route": route,
        "server.address": pl.lit("api.example.com"), "network.protocol.version": pl.lit("1.1"),
        "client.address": pl.concat_str(pl.lit("10.0."), (pl.col("seq") % 250).cast(pl.String), pl.lit(".7")),
        "user_agent.original": pl.lit("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
    }
    ints = {"http.response.status_code": pl.lit(200, pl.Int64), "server.port": pl.lit(443, pl.Int64)}
    frame = pl.DataFrame(seq)

    def rows(key: pl.Expr, kind: str, value: pl.Expr) -> pl.DataFrame:
        column = "int_value" if kind == "int" else "string_value"
        return frame.select(pl.col("seq").alias("span_seq"), key.alias("key"), pl.lit(kind).alias("type"),
                            value.alias(column))

    columns = [rows(method_key, "string", method)]
    columns += [rows(pl.lit(k), "string", v) for k, v in strings.items()]
    columns += [rows(pl.lit(k), "int", v) for k, v in ints.items()]
    attributes = pl.concat(columns, how="diagonal").with_columns(
        pl.lit(None, pl.Float64).alias("double_value"), pl.lit(None, pl.Boolean).alias("bool_value")
    )
    attributes = attributes.select(list(ATTRIBUTE_SCHEMA)).cast(ATTRIBUTE_SCHEMA)
    return SpanBatch(WINDOW, spans.select(list(SPAN_SCHEMA)).cast(SPAN_SCHEMA), attributes, pl.DataFrame())


def test_throughput(analyzer, capsys):
    batch = realistic_batch()
    analyzer.update(batch)  # warm-up: the first batch judges every new key set
    first = analyzer.result(WINDOW)
    rounds = 3
    started = time.perf_counter()
    for _ in range(rounds):
        analyzer.update(batch)
        result = analyzer.result(WINDOW)
    elapsed = (time.perf_counter() - started) / rounds
    assert result.findings == first.findings
    counts = Counter()
    for f in result.findings:
        counts[f.id, f.attribute] += f.count
    assert counts["undefined_enum_variant", "http.request.method"] == 2_000
    assert counts["deprecated", "http.method"] == 1_000
    assert counts["required_attribute_not_present", "http.request.method"] == 1_000
    with capsys.disabled():
        print(f"\nquality: {batch.spans.height:,} spans ({batch.attributes.height:,} attributes) "
              f"in {elapsed * 1000:.0f} ms = {batch.spans.height / elapsed:,.0f} spans/s")
