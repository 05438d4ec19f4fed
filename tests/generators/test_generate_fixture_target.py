"""The engine through its public format: a tiny target's weaver.yaml and templates over a tiny registry."""

from __future__ import annotations

import os

import pytest

from weavergen.analyzers.semconv import load_registry
from weavergen.generators import generate, write_outputs
from weavergen.generators import jq_filter

EXPECTED_FILES = [
    "metrics/cart-size.txt",  # each mode, named by template.set_file_name
    "metrics/shop-orders.txt",
    "ns/cart.txt",  # each mode, named by the entry's file_name expression
    "ns/shop.txt",
    "params.txt",
    "sub/nested.txt",  # a `**/` glob; default name = template path without .j2
    "summary.txt",  # single mode
]


@pytest.fixture
def outputs(tiny_registry, fixture_templates) -> dict[str, str]:
    return generate(tiny_registry, fixture_templates, "tiny")


def test_renders_exactly_the_matched_templates_in_sorted_order(outputs):
    # never.txt (`when` false), empty.txt (single mode, empty result) and unmatched.txt are not rendered.
    assert list(outputs) == EXPECTED_FILES


def test_single_mode_gets_the_filter_result_with_semconv_helpers(outputs):
    # The code_generation.exclude annotation drops shop.internal.flag: 7 of the 8 attributes.
    assert outputs["summary.txt"] == "Tiny shop: 7 attributes in cart, shop\n"


def test_each_mode_renders_once_per_root_namespace(outputs):
    shop = outputs["ns/shop.txt"]
    assert shop.startswith("namespace shop\n")
    assert (
        "SHOP_ORDER_ID: str (Shop Order ID)\n" in shop
    )  # text_maps via map_text, acronyms from the root config
    assert "SHOP_ORDER_TOTAL: float" in shop
    assert "SHOP_ORDERID: str (Shop Orderid) deprecated -> shop.order.id" in shop
    assert '  # The order total, "tax" included.\n' in shop  # comment(indent=2), default format `hash`
    assert "  /**\n   * First line of the note.\n   * Second line of the note.\n   */\n" in shop
    assert '  - Card = "card" (stable)\n  - Cash = "cash"\n' in shop
    assert "INTERNAL" not in shop
    assert "CART_V2_L2CACHE_SIZE: int" in outputs["ns/cart.txt"]  # digits never split words


def test_each_mode_per_metric_with_set_file_name_and_attribute_sort(outputs):
    assert outputs["metrics/shop-orders.txt"] == (
        "shop.orders counter {order} root=shop\n"
        "shop.payment.method required\n"
        "shop.order.total conditionally_required\n"
        "required: shop.payment.method\n"
    )


def test_entry_params_override_file_params_and_jq_sees_the_registry(outputs):
    # Root config title < target config title < entry params; `excluded` comes from the target file.
    assert outputs["params.txt"] == "Overridden by the entry / 0 excluded / 5 groups\n"
    assert outputs["sub/nested.txt"] == "https://example.com/schemas/tiny/1.0.0\n"


def test_caller_params_override_every_weaver_yaml(tiny_registry, fixture_templates):
    outputs = generate(
        tiny_registry, fixture_templates, "tiny", params={"excluded": ["cart"], "title": "CLI"}
    )
    assert "ns/cart.txt" not in outputs
    assert outputs["summary.txt"].startswith("CLI: ")
    assert outputs["params.txt"].startswith("CLI / 1 excluded")


def test_when_true_renders_the_template(tiny_registry, fixture_templates):
    outputs = generate(tiny_registry, fixture_templates, "tiny", params={"title": "nope"})
    assert outputs["never.txt"] == "never rendered\n"


def test_accepts_a_loaded_registry(tiny_registry, fixture_templates, outputs):
    assert generate(load_registry(tiny_registry), fixture_templates, "tiny") == outputs


def test_overlay_file_is_loaded_with_the_registry_without_touching_it(
    tiny_registry, overlay_file, fixture_templates, outputs
):
    before = sorted((p.relative_to(tiny_registry), p.stat().st_mtime_ns) for p in tiny_registry.rglob("*"))
    merged = generate([tiny_registry, overlay_file], fixture_templates, "tiny")
    assert "SHOP_COUPON_CODE: str" in merged["ns/shop.txt"]
    assert merged["summary.txt"] == "Tiny shop: 8 attributes in cart, shop\n"
    assert (
        sorted((p.relative_to(tiny_registry), p.stat().st_mtime_ns) for p in tiny_registry.rglob("*"))
        == before
    )
    assert "SHOP_COUPON_CODE" not in outputs["ns/shop.txt"]


def test_overlay_directory_with_its_own_manifest(tiny_registry, overlay_file, fixture_templates, tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "manifest.yaml").write_text("schema_url: https://example.com/schemas/overlay/1.0.0\n")
    (overlay / "proposed.yaml").write_text(overlay_file.read_text())
    merged = generate([tiny_registry, overlay], fixture_templates, "tiny")
    assert "SHOP_COUPON_CODE" in merged["ns/shop.txt"]
    assert merged["sub/nested.txt"] == "https://example.com/schemas/tiny/1.0.0\n"  # the user's manifest wins


def test_same_input_gives_byte_identical_files(tiny_registry, fixture_templates, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_outputs(generate(tiny_registry, fixture_templates, "tiny"), first)
    write_outputs(generate(tiny_registry, fixture_templates, "tiny"), second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes()


def test_jq_programs_are_compiled_once_per_filter(tiny_registry, fixture_templates):
    generate(tiny_registry, fixture_templates, "tiny", params={"title": "compile-once"})
    misses = jq_filter._compiled.cache_info().misses
    generate(tiny_registry, fixture_templates, "tiny", params={"title": "compile-once"})
    assert jq_filter._compiled.cache_info().misses == misses


def test_parent_weaver_yaml_files_merge_down_to_the_target(fixture_templates):
    from weavergen.generators.config import load_target_config

    config = load_target_config(fixture_templates, "tiny")
    assert [p.relative_to(fixture_templates).as_posix() for p in config.files] == [
        "weaver.yaml",
        "registry/tiny/weaver.yaml",
    ]
    assert config.acronyms == ("API", "ID")  # only in the root file
    assert config.params["title"] == "Tiny shop"  # the target's `params` replaces the root's
    # whitespace_control merges field by field.
    assert dict(config.whitespace_control) == {
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }


def test_bundled_templates_are_the_default(tiny_registry):
    outputs = generate(tiny_registry, None, "python")
    assert sorted(outputs) == ["__init__.py", "cart_attributes.py", "shop_attributes.py"]


def test_generate_does_not_write_anything(tiny_registry, fixture_templates, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    generate(tiny_registry, fixture_templates, "tiny")
    assert os.listdir(tmp_path) == []


def write_target(root, config: str, templates: dict[str, str]):
    target = root / "templates" / "registry" / "t"
    target.mkdir(parents=True)
    (target / "weaver.yaml").write_text(config)
    for name, text in templates.items():
        (target / name).write_text(text)
    return root / "templates"


def test_template_syntax_and_auto_escape(tiny_registry, tmp_path):
    templates = write_target(
        tmp_path,
        "template_syntax:\n  variable_start: '[['\n  variable_end: ']]'\n"
        "templates:\n"
        "  - template: page.html.j2\n    filter: '\"<b>\"'\n    application_mode: single\n"
        "    auto_escape: html\n"
        "  - template: raw.txt.j2\n    filter: '\"<b>\"'\n    application_mode: single\n",
        {"page.html.j2": "[[ ctx ]] {{ kept }}", "raw.txt.j2": "[[ ctx ]]"},
    )
    outputs = generate(tiny_registry, templates, "t")
    assert outputs == {"page.html": "&lt;b&gt; {{ kept }}", "raw.txt": "<b>"}


def test_target_folder_without_a_registry_level(tiny_registry, tmp_path):
    target = tmp_path / "flat" / "t"
    target.mkdir(parents=True)
    (target / "weaver.yaml").write_text("templates:\n  - template: a.j2\n    application_mode: single\n")
    (target / "a.j2").write_text("{{ ctx.groups | length }}")
    assert generate(tiny_registry, tmp_path / "flat", "t") == {"a": "5"}
