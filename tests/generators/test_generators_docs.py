"""docs/generators.md names every filter, test, function and weaver.yaml key the engine accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment

from weavergen.generators.config import TOP_KEYS, WHITESPACE_KEYS, TargetConfig
from weavergen.generators.template_entry import ENTRY_KEYS
from weavergen.generators.environment import build_environment

DOC = (Path(__file__).resolve().parents[2] / "docs" / "generators.md").read_text()
ENV = build_environment(TargetConfig(target_dir=Path(__file__).parent))
BUILT_IN = Environment()


def documented(name: str) -> bool:
    return re.search(rf"`{re.escape(name)}[`(:]", DOC) is not None


@pytest.mark.parametrize("name", sorted(set(ENV.filters) - set(BUILT_IN.filters)))
def test_every_added_filter_is_documented(name):
    if name.startswith("ansi_"):
        colour = re.sub(r"^ansi_(bg_)?(bright_)?", "", name)
        assert colour in DOC or documented(name), name
    else:
        assert documented(name), f"filter {name} is missing from docs/generators.md"


@pytest.mark.parametrize("name", sorted(set(ENV.tests) - set(BUILT_IN.tests)))
def test_every_added_test_is_documented(name):
    assert documented(name), f"test {name} is missing from docs/generators.md"


@pytest.mark.parametrize("name", sorted(set(ENV.globals) - set(BUILT_IN.globals)))
def test_every_added_function_is_documented(name):
    assert documented(name), f"function {name} is missing from docs/generators.md"


@pytest.mark.parametrize("key", sorted({*TOP_KEYS, *ENTRY_KEYS, *WHITESPACE_KEYS}))
def test_every_weaver_yaml_key_is_documented(key):
    assert documented(key), f"weaver.yaml key {key} is missing from docs/generators.md"


def test_every_jq_helper_is_documented():
    from weavergen.generators.jq_helpers import PRELUDE

    for name in set(re.findall(r"def (semconv_\w+)", PRELUDE)):
        assert documented(name), f"jq helper {name} is missing from docs/generators.md"
