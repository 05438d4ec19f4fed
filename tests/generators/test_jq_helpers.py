"""The semconv_* jq helpers and the resolved registry document they read."""

from __future__ import annotations

import json

import pytest

from weavergen.analyzers.semconv import load_registry
from weavergen.generators import GenerationError
from weavergen.generators.document import registry_document
from weavergen.generators.jq_filter import run, when


@pytest.fixture
def document(tiny_registry) -> dict:
    return registry_document(load_registry(tiny_registry))


@pytest.fixture
def jq(document):
    text = json.dumps(document)
    return lambda expression, **params: run(expression, text, params, "test")


def names(attributes) -> list[str]:
    return [a["name"] for a in attributes]


def test_document_has_weavers_resolved_shape(document):
    assert document["registry_url"] == "https://example.com/schemas/tiny/1.0.0"
    assert [g["id"] for g in document["groups"]] == sorted(g["id"] for g in document["groups"])
    metric = next(g for g in document["groups"] if g["id"] == "metric.shop.orders")
    assert {k: metric[k] for k in ("type", "metric_name", "instrument", "unit", "stability")} == {
        "type": "metric",
        "metric_name": "shop.orders",
        "instrument": "counter",
        "unit": "{order}",
        "stability": "development",
    }
    method, total = metric["attributes"]
    assert method["requirement_level"] == "required"
    assert total["requirement_level"] == {"conditionally_required": "when the order is paid."}
    assert method["type"]["members"][0] == {
        "id": "card",
        "value": "card",
        "brief": "Card payment.",
        "stability": "stable",
    }
    span = next(g for g in document["groups"] if g["type"] == "span")
    assert span["span_kind"] == "server"


def test_absent_fields_are_left_out(document):
    registry = next(g for g in document["groups"] if g["id"] == "registry.shop")
    order_id = next(a for a in registry["attributes"] if a["name"] == "shop.order.id")
    assert set(order_id) == {"name", "type", "brief", "examples", "requirement_level", "stability"}
    renamed = next(a for a in registry["attributes"] if a["name"] == "shop.orderid")
    assert renamed["deprecated"] == {
        "reason": "renamed",
        "renamed_to": "shop.order.id",
        "note": "Replaced by `shop.order.id`.",
    }
    assert renamed["examples"] == ["o-1"] or renamed["examples"] == "o-1"


def test_semconv_attributes_sorted_and_code_generation_exclude_honoured(jq):
    assert names(jq("semconv_attributes")) == [
        "cart.items.count",
        "cart.v2.l2cache.size",
        "shop.api_key.kind",
        "shop.order.id",
        "shop.order.total",
        "shop.orderid",
        "shop.payment.method",
    ]
    kept = names(jq('semconv_attributes({"ignore_code_generation_annotations": true})'))
    assert "shop.internal.flag" in kept


def test_grouped_attributes_by_root_namespace(jq):
    grouped = jq("semconv_grouped_attributes")
    assert [g["root_namespace"] for g in grouped] == ["cart", "shop"]
    assert names(grouped[0]["attributes"]) == ["cart.items.count", "cart.v2.l2cache.size"]
    assert jq("semconv_attributes | map(.root_namespace) | unique") == ["cart", "shop"]


def test_exclude_root_namespace_from_a_param(jq):
    assert [
        g["root_namespace"]
        for g in jq('semconv_grouped_attributes({"exclude_root_namespace": $x})', x=["cart"])
    ] == ["shop"]


def test_exclude_deprecated_drops_attributes_and_enum_members(jq):
    attributes = jq('semconv_attributes({"exclude_deprecated": true})')
    assert "shop.orderid" not in names(attributes)
    method = next(a for a in attributes if a["name"] == "shop.payment.method")
    assert [m["id"] for m in method["type"]["members"]] == ["card", "cash"]


def test_exclude_stability_experimental_means_every_non_stable_level(jq):
    attributes = jq('semconv_attributes({"exclude_stability": ["experimental"]})')
    assert names(attributes) == ["cart.items.count", "shop.order.id", "shop.payment.method"]
    method = next(a for a in attributes if a["name"] == "shop.payment.method")
    assert [m["id"] for m in method["type"]["members"]] == ["card"]
    assert names(jq('semconv_attributes({"exclude_stability": ["stable"]})')) == [
        "cart.v2.l2cache.size",
        "shop.api_key.kind",
        "shop.order.total",
        "shop.orderid",
    ]


def test_stable_only(jq):
    assert names(jq('semconv_attributes({"stable_only": true})')) == [
        "cart.items.count",
        "shop.order.id",
        "shop.payment.method",
    ]
    assert [m["metric_name"] for m in jq('semconv_metrics({"stable_only": true})')] == ["cart.size"]


def test_metrics_and_signals(jq):
    metrics = jq("semconv_metrics")
    assert [(m["metric_name"], m["root_namespace"]) for m in metrics] == [
        ("cart.size", "cart"),
        ("shop.orders", "shop"),
    ]
    grouped = jq("semconv_grouped_metrics")
    assert [(g["root_namespace"], [m["metric_name"] for m in g["metrics"]]) for g in grouped] == [
        ("cart", ["cart.size"]),
        ("shop", ["shop.orders"]),
    ]
    assert [s["id"] for s in jq('semconv_signal("span"; {})')] == ["span.shop.checkout"]
    assert jq("semconv_grouped_spans | map(.root_namespace)") == ["shop"]
    assert jq("semconv_events") == []
    assert jq('semconv_metrics({"exclude_root_namespace": ["shop"]}) | map(.metric_name)') == ["cart.size"]


def test_signal_attribute_filters_apply_to_nested_attributes(jq):
    span = jq('semconv_spans({"exclude_stability": ["experimental"]})')
    assert span == []  # the span itself is development
    metric = jq('semconv_metrics({"exclude_stability": ["stable"]}) | .[0]')
    assert names(metric["attributes"]) == ["shop.order.total"]


def test_filter_results_collapse_like_weaver(jq):
    assert jq(".groups | length") == 5  # one output: the value itself
    assert jq('.groups[].id | select(startswith("metric."))') == ["metric.cart.size", "metric.shop.orders"]
    assert jq("empty") == []


def test_params_are_variables_and_params_object(jq):
    assert jq('[$a, $params.a, $params["not-an-identifier"]]', **{"a": 1, "not-an-identifier": 2}) == [
        1,
        1,
        2,
    ]


def test_when_requires_exactly_one_boolean(document):
    text = json.dumps(document)
    assert when(".groups | length > 1", text, {}, "t") is True
    for expression in ("1", "empty", "true, true", "null"):
        with pytest.raises(GenerationError, match="exactly one boolean"):
            when(expression, text, {}, "t")


def test_jq_errors_report_the_users_line(document):
    with pytest.raises(GenerationError) as caught:
        run(".groups\n| map(", json.dumps(document), {}, "t")
    assert "line 2, column 6" in str(caught.value)
    assert "semconv_attributes" not in str(caught.value)  # the helpers are not dumped into the message


def test_batched_selections_match_one_by_one_evaluation(document):
    from weavergen.generators.jq_batch import SKIPPED, Selection, select

    text = json.dumps(document)
    selections = [
        Selection("semconv_grouped_attributes | map(.root_namespace)", None, "a"),
        Selection(".groups | length  # a trailing comment", None, "b"),
        Selection('error("never evaluated")', "$flag", "c"),  # `when` false: the filter is not run
        Selection(".registry_url", "$flag | not", "d"),
        Selection("empty", None, "e"),
    ]
    assert select(selections, text, {"flag": False}) == [
        ["cart", "shop"],
        5,
        SKIPPED,
        "https://example.com/schemas/tiny/1.0.0",
        [],
    ]


def test_batched_errors_name_the_entry_at_fault(document):
    from weavergen.generators.jq_batch import Selection, select

    selections = [Selection(".groups", None, "fine"), Selection(".groups + 1", None, "broken")]
    with pytest.raises(GenerationError) as caught:
        select(selections, json.dumps(document), {})
    assert caught.value.where == "broken"
    with pytest.raises(GenerationError, match="exactly one boolean") as caught:
        select([Selection(".", "1", "bad-when")], json.dumps(document), {})
    assert caught.value.where == "bad-when"
