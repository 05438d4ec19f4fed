"""The loader on fixtures/registry: both formats, cross-format refs, refinements, enums, deprecation."""

from __future__ import annotations

from pathlib import Path

import pytest

from weavergen.analyzers.semconv import (
    DeprecationReason,
    GroupType,
    Instrument,
    Registry,
    RequirementKind,
    RequirementLevel,
    SpanKind,
    Stability,
    check_registry,
    load_registry,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def shop() -> Registry:
    """fixtures/registry: v1 and v2 files that reference each other."""
    return load_registry(FIXTURES / "registry")


def test_fixture_registry_has_no_problems():
    assert check_registry(FIXTURES / "registry") == []


def test_reads_both_formats_and_the_manifest(shop: Registry):
    assert shop.schema_url == "https://example.com/schemas/shop/1.0.0"
    assert "manifest.yaml" in shop.files
    v1, v2 = shop.attribute("shop.order.id"), shop.attribute("net.peer.host")
    assert v1 is not None and v2 is not None
    assert (Path(v1.source.file).name, v1.source.line) == ("registry.yaml", 6)
    assert v1.source.file.endswith("shop/registry.yaml")
    assert v2.source.file.endswith("net/registry.yaml") and v2.source.line == 3
    assert v1.type.name == "string" and v1.stability is Stability.STABLE
    assert v1.note == "Unique within one shop."
    assert v1.examples == ("o-1", "o-2")


def test_v2_attributes_land_in_a_synthetic_group_named_after_the_file(shop: Registry):
    group = shop.group("registry.net.registry")
    assert group is not None and group.type is GroupType.ATTRIBUTE_GROUP
    assert group.brief == "<synthetic v2>"
    assert [a.name for a in group.attributes] == ["net.peer.host", "net.peer.port"]


def test_attribute_types(shop: Registry):
    types = {name: shop.attributes[name].type for name in ("shop.item.count", "shop.tags", "shop.header")}
    assert types["shop.item.count"].name == "int"
    assert types["shop.tags"].is_array and not types["shop.tags"].is_template
    assert types["shop.header"].is_template and types["shop.header"].value_type == "string"
    assert shop.attributes["shop.tags"].examples == (("gift", "express"), ("bulk",))


def test_enum_members(shop: Registry):
    status = shop.attributes["shop.order.status"]
    assert status.type.is_enum and status.type.value_type == "string"
    assert [(m.id, m.value) for m in status.type.members] == [
        ("open", "OPEN"),
        ("closed", "CLOSED"),
        ("legacy", "LEGACY"),
    ]
    legacy = status.type.member("LEGACY")
    assert legacy is not None and legacy.brief == "Old state." and legacy.stability is Stability.DEVELOPMENT
    assert legacy.deprecated is not None and legacy.deprecated.reason is DeprecationReason.OBSOLETED
    assert status.examples == ("OPEN",), "a single example is read as a one-item list"


def test_int_enum_and_experimental_alias(shop: Registry):
    priority = shop.attributes["shop.priority"].type
    assert priority.value_type == "int"
    assert [m.stability for m in priority.members] == [Stability.DEVELOPMENT, Stability.DEVELOPMENT]


def test_deprecated_forms(shop: Registry):
    renamed = shop.attributes["shop.order_id"].deprecated
    assert renamed is not None and renamed.reason is DeprecationReason.RENAMED
    assert renamed.renamed_to == "shop.order.id" and renamed.note == "Replaced by `shop.order.id`."
    old_text = shop.attributes["shop.legacy_flag"].deprecated
    assert old_text is not None and old_text.reason is DeprecationReason.UNSPECIFIED
    assert old_text.note == "Removed without replacement."
    split = shop.attributes["shop.mode"].deprecated
    assert split is not None and split.reason is DeprecationReason.UNCATEGORIZED and split.renamed_to is None


def test_deprecated_attributes_and_their_replacements(shop: Registry):
    deprecated = {a.name for a in shop.deprecated_attributes}
    assert deprecated == {"shop.order_id", "shop.orderid", "shop.legacy_flag", "shop.mode"}
    assert shop.renames == {"shop.order_id": "shop.order.id", "shop.orderid": "shop.order_id"}
    assert shop.replacement("shop.orderid") == shop.attribute("shop.order.id"), "renames are followed"
    assert shop.replacement("shop.mode") is None
    assert shop.replacement("shop.order.id") is None


def test_extends_chain_merges_ref_overrides_level_by_level(shop: Registry):
    span = shop.span("span.shop.checkout.client")
    assert span is not None and span.extends == "shop.client.common"
    order = span.attribute("shop.order.id")
    assert order is not None
    # required and brief come from the middle group, note and sampling_relevant from the span itself.
    assert order.requirement_level == RequirementLevel(RequirementKind.REQUIRED)
    assert order.brief == "The order this request is for."
    assert order.note == "Set before the request is sent."
    assert order.sampling_relevant is True
    assert order.examples == ("o-1", "o-2"), "not refined, so taken from the definition"
    names = [a.name for a in span.attributes]
    assert names == ["shop.order.id", "net.peer.host", "shop.item.count", "net.peer.port"]


def test_refinements_do_not_change_the_registry_definition(shop: Registry):
    definition = shop.attribute("shop.order.id")
    assert definition is not None
    assert definition.requirement_level.kind is RequirementKind.RECOMMENDED
    assert definition.brief == "The order id." and definition.note == "Unique within one shop."


def test_ref_overrides_of_examples_and_conditions(shop: Registry):
    span = shop.span("span.shop.checkout.client")
    assert span is not None
    count, port = span.attribute("shop.item.count"), span.attribute("net.peer.port")
    assert count is not None and count.examples == (5,)
    assert count.requirement_level.kind is RequirementKind.OPT_IN
    assert port is not None and port.requirement_level == RequirementLevel(
        RequirementKind.CONDITIONALLY_REQUIRED, "If not 443."
    )
    assert [a.name for a in span.attributes_at(RequirementKind.REQUIRED)] == ["shop.order.id"]


def test_v1_span_refs_a_v2_attribute_and_v2_group_refs_v1_attributes(shop: Registry):
    base = shop.group("shop.base")
    common = shop.group("shop.common")
    assert base is not None and common is not None
    assert base.attribute("net.peer.host") is not None
    assert common.visibility == "internal"
    status = common.attribute("shop.order.status")
    assert status is not None and status.requirement_level.condition == "If the order exists."


def test_ref_group_includes_and_inline_refs_win(shop: Registry):
    span = shop.span("shop.payment.server")
    assert span is not None and span.id == "span.shop.payment.server"
    assert span.includes == ("net.peer", "shop.common")
    levels = {a.name: a.requirement_level for a in span.attributes}
    assert levels == {
        "net.peer.host": RequirementLevel(RequirementKind.REQUIRED),
        "net.peer.port": RequirementLevel(RequirementKind.OPT_IN),
        "shop.order.id": RequirementLevel(RequirementKind.REQUIRED),
        "shop.order.status": RequirementLevel(RequirementKind.CONDITIONALLY_REQUIRED, "If the order exists."),
    }
    assert span.span_name_note == "pay {shop.order.id}"


def test_span_refinement_inherits_the_refined_span(shop: Registry):
    card = shop.span("span.shop.payment.server.card")
    assert card is not None and card.refines == "span.shop.payment.server"
    assert card.brief == "A card payment."
    assert (card.span_kind, card.stability) == (SpanKind.SERVER, Stability.STABLE)
    assert card.span_name_note == "pay {shop.order.id}"
    count = card.attribute("shop.item.count")
    assert count is not None and count.is_required
    assert card.attribute("net.peer.host") is not None


def test_metrics_events_and_metric_refinements(shop: Registry):
    orders = shop.metric("shop.orders")
    assert orders is not None and orders.id == "metric.shop.orders"
    assert orders.instrument is Instrument.COUNTER
    assert (orders.unit, orders.metric_name) == ("{order}", "shop.orders")
    duration = shop.metric("shop.payment.duration")
    assert duration is not None
    assert duration.id == "metric.shop.payment.duration", "the base, not the refinement"
    card = shop.group("metric.shop.payment.duration.card")
    assert card is not None
    assert (card.name, card.instrument, card.unit) == ("shop.payment.duration", "histogram", "s")
    status = card.attribute("shop.order.status")
    assert status is not None and status.requirement_level.kind is RequirementKind.OPT_IN
    assert {e.name for e in shop.groups_of("event")} == {"shop.refund", "shop.payment.failed"}
    event = shop.event("shop.payment.failed")
    assert event is not None and event.id == "event.shop.payment.failed"


def test_entities_from_both_formats(shop: Registry):
    v1 = shop.entity("shop")
    assert v1 is not None and v1.type is GroupType.ENTITY, "`resource` is read as `entity`"
    name = v1.attribute("shop.name")
    assert name is not None and name.role == "identifying"
    assert name.annotations == {"code_generation": {"exclude": True}}
    terminal = shop.entity("shop.terminal")
    assert terminal is not None
    assert {a.name: a.role for a in terminal.attributes} == {
        "net.peer.host": "identifying",
        "net.peer.port": "descriptive",
    }


def test_spans_by_kind(shop: Registry):
    assert [s.id for s in shop.spans(SpanKind.CLIENT)] == ["span.shop.checkout.client"]
    servers = [s.id for s in shop.spans("server")]
    assert servers == ["span.shop.payment.server", "span.shop.payment.server.card"]
    assert shop.span("shop.base") is None, "an attribute group is not a span"


def test_namespaces_and_templates(shop: Registry):
    assert [a.name for a in shop.namespaces["shop.order"]] == ["shop.order.id", "shop.order.status"]
    assert shop.attributes["net.peer.port"].namespace == "net.peer"
    header = shop.template_for("shop.header.x-request-id")
    assert header is not None and header.name == "shop.header"
    assert shop.template_for("shop.order.id") is None


def test_stats(shop: Registry):
    stats = shop.stats()
    assert stats.files == 6 and stats.attributes == 13 and stats.enums == 2 and stats.templates == 1
    assert stats.deprecated_attributes == 4
    assert stats.attributes_by_type["string"] == 6
    assert stats.groups_by_type == {"attribute_group": 7, "span": 3, "metric": 3, "event": 2, "entity": 2}
    assert stats.spans_by_kind == {"server": 2, "client": 1}
    assert stats.to_dict()["metrics"] == 3
