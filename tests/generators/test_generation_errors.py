"""Every failure is a GenerationError naming the file (and, for templates, the line) at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from weavergen.generators import GenerationError, generate

CONFIG = """\
templates:
  - template: "*.j2"
    filter: .
    application_mode: single
"""


def make_target(root: Path, templates: dict[str, str], config: str = CONFIG) -> Path:
    target = root / "templates" / "registry" / "t"
    target.mkdir(parents=True)
    (target / "weaver.yaml").write_text(config)
    for name, text in templates.items():
        (target / name).write_text(text)
    return root / "templates"


def fails(registry: Path, templates: Path, target: str = "t") -> GenerationError:
    with pytest.raises(GenerationError) as caught:
        generate(registry, templates, target)
    return caught.value


def test_syntax_error_names_template_and_line(tiny_registry, tmp_path):
    templates = make_target(
        tmp_path, {"bad.txt.j2": "line 1\nline 2\n{% for x in ctx.groups %}\n{{ x.id }\n"}
    )
    error = fails(tiny_registry, templates)
    assert f"{templates}/registry/t/bad.txt.j2:4" in str(error)
    assert "syntax error" in str(error)


def test_unknown_filter_names_template_and_line(tiny_registry, tmp_path):
    templates = make_target(tmp_path, {"bad.txt.j2": "ok\n{{ ctx | no_such_filter }}\n"})
    assert f"{templates}/registry/t/bad.txt.j2:2" in str(fails(tiny_registry, templates))


def test_runtime_error_in_a_filter_names_template_and_line(tiny_registry, tmp_path):
    templates = make_target(tmp_path, {"bad.txt.j2": "a\nb\nc\n{{ ctx.groups[0].type | enum_type }}\n"})
    error = fails(tiny_registry, templates)
    assert error.where == f"{templates}/registry/t/bad.txt.j2:4"
    assert "enum_type" in error.message


def test_runtime_error_in_an_imported_macro_names_the_macro_file(tiny_registry, tmp_path):
    templates = make_target(
        tmp_path,
        {
            "macros.j2": "{% macro broken(x) -%}\n{{ x.missing.deeper }}\n{%- endmacro %}\n",
            "main.txt.j2": '{% import "macros.j2" as m %}\n{{ m.broken(ctx) }}\n',
        },
        CONFIG.replace('"*.j2"', "main.txt.j2"),
    )
    error = fails(tiny_registry, templates)
    assert error.where == f"{templates}/registry/t/macros.j2:2"
    assert "UndefinedError" in error.message


def test_invalid_jq_filter_names_the_weaver_yaml_entry(tiny_registry, tmp_path):
    templates = make_target(
        tmp_path, {"a.txt.j2": "x"}, CONFIG.replace("filter: .", "filter: '.groups | map('")
    )
    error = fails(tiny_registry, templates)
    assert error.where == f"{templates}/registry/t/weaver.yaml#templates[0]"
    assert "invalid jq expression" in error.message


def test_jq_runtime_error_names_the_entry(tiny_registry, tmp_path):
    templates = make_target(tmp_path, {"a.txt.j2": "x"}, CONFIG.replace("filter: .", "filter: '.groups + 1'"))
    error = fails(tiny_registry, templates)
    assert error.where.endswith("weaver.yaml#templates[0]")
    assert "jq error" in error.message


def test_when_must_be_one_boolean(tiny_registry, tmp_path):
    config = CONFIG + "    when: .groups | length\n"
    templates = make_target(tmp_path, {"a.txt.j2": "x"}, config)
    assert "'when' must produce exactly one boolean, got 5" in str(fails(tiny_registry, templates))


def test_file_name_error_names_the_weaver_yaml_entry(tiny_registry, tmp_path):
    config = CONFIG + '    file_name: "{{ ctx.groups | enum_type }}"\n'
    templates = make_target(tmp_path, {"a.txt.j2": "x"}, config)
    error = fails(tiny_registry, templates)
    assert error.where == f"{templates}/registry/t/weaver.yaml#templates[0]"
    assert "enum_type" in error.message


def test_unknown_weaver_yaml_key(tiny_registry, tmp_path):
    templates = make_target(tmp_path, {"a.txt.j2": "x"}, CONFIG + "temlates_typo: []\n")
    error = fails(tiny_registry, templates)
    assert error.where == f"{templates}/registry/t/weaver.yaml"
    assert "temlates_typo" in error.message


@pytest.mark.parametrize(
    "entry, message",
    [
        ("  - filter: .\n    application_mode: single\n", "'template' (or its alias 'pattern') is required"),
        ("  - template: a.j2\n", "'application_mode' must be one of single, each"),
        (
            "  - template: a.j2\n    application_mode: single\n    auto_escape: json\n",
            "'auto_escape' must be one of",
        ),
        ("  - template: a.j2\n    application_mode: single\n    colour: blue\n", "unknown key(s) colour"),
    ],
)
def test_bad_template_entries(tiny_registry, tmp_path, entry, message):
    templates = make_target(tmp_path, {"a.j2": "x"}, "templates:\n" + entry)
    assert message in str(fails(tiny_registry, templates))


def test_unknown_target_lists_the_available_ones(tiny_registry, fixture_templates):
    error = fails(tiny_registry, fixture_templates, "nope")
    assert "target 'nope' not found" in str(error)
    assert "available: tiny" in str(error)


@pytest.mark.parametrize("target", ["../tiny", "/etc", ""])
def test_target_must_be_a_folder_name(tiny_registry, fixture_templates, target):
    assert "target must be a folder name" in str(fails(tiny_registry, fixture_templates, target))


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", " "])
def test_output_must_stay_inside_the_output_folder(tiny_registry, tmp_path, name):
    templates = make_target(tmp_path, {"a.txt.j2": f'{{{{ template.set_file_name("{name}") }}}}x'})
    assert "must be a relative path inside the output folder" in str(fails(tiny_registry, templates))


def test_two_renders_of_one_path_must_agree(tiny_registry, tmp_path):
    config = CONFIG.replace("filter: .", "filter: .groups").replace("single", "each")
    templates = make_target(tmp_path, {"a.txt.j2": "{{ ctx.id }}"}, config)
    assert "two renders write a.txt with different content" in str(fails(tiny_registry, templates))


def test_registry_problems_name_the_overlay_not_the_temporary_copy(
    tiny_registry, fixture_templates, tmp_path
):
    overlay = tmp_path / "broken.yaml"
    overlay.write_text("groups:\n  - id: registry.broken\n    brief: no type\n    attributes: []\n")
    error = fails([tiny_registry, overlay], fixture_templates, "tiny")
    assert str(overlay) in str(error)
    assert "weavergen-registry-" not in str(error)


def test_overlay_must_be_yaml(tiny_registry, fixture_templates, tmp_path):
    overlay = tmp_path / "extra.json"
    overlay.write_text("{}")
    assert "must be a *.yaml or *.yml file" in str(fails([tiny_registry, overlay], fixture_templates, "tiny"))


def test_missing_registry(fixture_templates, tmp_path):
    assert "registry path not found" in str(fails(tmp_path / "nowhere", fixture_templates, "tiny"))
