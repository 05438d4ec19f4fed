"""Facts about the real semantic-conventions snapshot.

`semconv_registry` (tests/conftest.py) finds it through WEAVERGEN_SEMCONV_REGISTRY, by default
../shared/semconv/model next to the repo, and skips with instructions when it is absent.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from weavergen.analyzers.semconv import (
    DeprecationReason,
    Instrument,
    Registry,
    RequirementKind,
    SpanKind,
    check_registry,
    load_registry,
)


@pytest.fixture(scope="module")
def snapshot(semconv_registry: Path) -> Registry:
    return load_registry(semconv_registry)


def test_check_finds_no_problems(semconv_registry: Path):
    assert check_registry(semconv_registry) == []


def test_loads_well_under_two_seconds(semconv_registry: Path):
    # Loading happens at daemon start-up; measured about 0.2 s on the development machines.
    started = time.perf_counter()
    load_registry(semconv_registry)
    assert time.perf_counter() - started < 2.0


def test_http_method_was_renamed(snapshot: Registry):
    method = snapshot.attribute("http.method")
    assert method is not None and method.deprecated is not None
    assert method.deprecated.reason is DeprecationReason.RENAMED
    assert method.renamed_to == "http.request.method"
    assert snapshot.replacement("http.method") == snapshot.attribute("http.request.method")


def test_http_request_method_is_an_enum(snapshot: Registry):
    method = snapshot.attribute("http.request.method")
    assert method is not None and method.type.is_enum and method.type.value_type == "string"
    values = {m.value for m in method.type.members}
    assert {"GET", "POST", "_OTHER"} <= values


def test_http_client_span_requires_the_method(snapshot: Registry):
    span = snapshot.span("span.http.client")
    assert span is not None and span.span_kind is SpanKind.CLIENT
    method = span.attribute("http.request.method")
    assert method is not None and method.requirement_level.kind is RequirementKind.REQUIRED
    # Defined in a v2 file, referenced from this v1 span.
    address = span.attribute("server.address")
    assert address is not None and address.source.file.endswith("server/registry.yaml")
    assert span in snapshot.spans(SpanKind.CLIENT)


def test_http_server_duration_metric(snapshot: Registry):
    metric = snapshot.metric("http.server.request.duration")
    assert metric is not None and (metric.instrument, metric.unit) == (Instrument.HISTOGRAM, "s")
    method = metric.attribute("http.request.method")
    assert method is not None and method.is_required


def test_v2_refinement_of_a_v2_span(snapshot: Registry):
    kafka = snapshot.span("span.messaging.kafka.create.producer")
    assert kafka is not None and kafka.refines == "span.messaging.create.producer"
    assert kafka.span_kind is SpanKind.PRODUCER
    system = kafka.attribute("messaging.system")
    assert system is not None and system.is_required and system.examples == ("kafka",)


def test_templates_match_real_keys(snapshot: Registry):
    header = snapshot.template_for("http.request.header.content-type")
    assert header is not None and header.name == "http.request.header"


def test_counts_are_plausible(snapshot: Registry):
    stats = snapshot.stats()
    assert stats.files > 200
    assert 500 < stats.attributes < 5000
    assert stats.deprecated_attributes > 100 and stats.enums > 100
    assert stats.spans > 50 and stats.metrics > 300 and stats.events > 20 and stats.entities > 30
    assert stats.namespaces > 100
    assert set(stats.spans_by_kind) == {k.value for k in SpanKind}
