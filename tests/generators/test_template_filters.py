"""Weaver's Jinja filters, tests and functions, rendered through a target's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from weavergen.generators.config import TargetConfig
from weavergen.generators.environment import build_environment


@pytest.fixture
def render(tmp_path: Path):
    config = TargetConfig(
        target_dir=tmp_path,
        acronyms=("iOS", "API", "URL"),
        text_maps={"java": {"int": "long", "string": "String"}},
        type_mapping={"int": "i64"},
        comment_formats={
            "java": {
                "header": "/**",
                "prefix": " * ",
                "footer": " */",
                "trim": True,
                "remove_trailing_dots": True,
            },
            "go": {"prefix": "// ", "enforce_trailing_dots": True, "word_wrap": {"line_length": 20}},
            "tabs": {"prefix": "# ", "indent_type": "tab"},
        },
        default_comment_format="go",
    )
    env = build_environment(config)
    return lambda source, **context: env.from_string(source).render(**context)


@pytest.mark.parametrize(
    "text, filter_name, expected",
    [
        ("http.request.method", "snake_case", "http_request_method"),
        ("http.request.method", "screaming_snake_case", "HTTP_REQUEST_METHOD"),
        ("http.request.method", "kebab_case", "http-request-method"),
        ("http.request.method", "screaming_kebab_case", "HTTP-REQUEST-METHOD"),
        ("http.request.method", "pascal_case", "HttpRequestMethod"),
        ("http.request.method", "camel_case", "httpRequestMethod"),
        ("http.request.method", "title_case", "Http Request Method"),
        ("http.request.method", "lower_case", "http request method"),
        ("http.request.method", "upper_case", "HTTP REQUEST METHOD"),
        ("v8js.heap.space.name", "snake_case", "v8js_heap_space_name"),  # digits never split words
        ("host.cpu.cache.l2.size", "snake_case", "host_cpu_cache_l2_size"),
        ("host.cpu.cache.l2.size", "pascal_case", "HostCpuCacheL2Size"),
        ("This is a K8S TEST", "kebab_case", "this-is-a-k8s-test"),
        ("ThisIsATest", "snake_case", "this_is_a_test"),
        ("ThisIsATest", "camel_case", "thisIsATest"),
        ("HTTPServer", "snake_case", "http_server"),
        ("_OTHER", "screaming_snake_case", "OTHER"),
        ("http.request_method", "pascal_case", "HttpRequestMethod"),
        ("http.request_method", "pascal_case_const", "HttpRequestmethod"),  # `_` is not a word break
        ("http.request_method", "snake_case_const", "http_requestmethod"),
        ("http.request_method", "screaming_snake_case_const", "HTTP_REQUESTMETHOD"),
        ("http.request_method", "kebab_case_const", "http-requestmethod"),
        ("http.request_method", "camel_case_const", "httpRequestmethod"),
        ("hello world", "capitalize_first", "Hello world"),
    ],
)
def test_case_filters(render, text, filter_name, expected):
    assert render(f"{{{{ text | {filter_name} }}}}", text=text) == expected


def test_acronym_keeps_whitespace_and_punctuation(render):
    assert (
        render("{{ t | acronym }}", t="This is an - IOS - api with a url!  ")
        == "This is an - iOS - API with a URL!  "
    )


def test_map_text_and_type_mapping(render):
    assert (
        render(
            '{{ "int" | map_text("java") }} {{ "bool" | map_text("java") }} '
            '{{ "bool" | map_text("java", "Object") }} {{ "int" | type_mapping }}'
        )
        == "long bool Object i64"
    )


def test_comment_uses_the_default_format_with_wrapping_and_dots(render):
    # line_length 20 counts the prefix: at most 17 characters of text per line.
    assert (
        render("{{ t | comment }}", t="one two three four five six") == "// one two three\n// four five six."
    )


def test_comment_with_a_named_format_and_indent(render):
    assert (
        render("{{ t | comment(format='java', indent=2) }}", t="First.\nSecond...")
        == "/**\n   * First.\n   * Second\n   */"
    )


def test_comment_arguments_override_the_format(render):
    assert (
        render("{{ t | comment(prefix='-- ', indent=1, indent_type='tab', format='tabs') }}", t="a\nb")
        == "-- a\n\t-- b"
    )
    assert render("{{ t | comment(header='#!', prefix='') }}", t=["x", "y"]) == "#!\nx\ny."


def test_comment_of_undefined_is_empty(render):
    assert render("[{{ missing | comment }}]") == "[]"


def test_regex_replace_uses_weaver_replacement_syntax(render):
    assert render('{{ "1abc" | regex_replace("^([0-9])", "_$1") }}') == "_1abc"
    assert render('{{ "a.b" | regex_replace("(?P<x>\\\\w)\\\\.", "${x}$$") }}') == "a$b"


def test_split_id_flatten_and_minijinja_built_ins(render):
    assert render('{{ "a.b.c" | split_id | join("/") }}') == "a/b/c"
    assert render("{{ [[1, 2], [3]] | flatten | join(',') }}") == "1,2,3"
    assert render('{{ "a,b" | split(",") | length }} {{ "x\ny" | lines | last }}') == "2 y"
    assert (
        render(
            '{{ "abc" is startingwith("a") }} {{ "abc" is endingwith("bc") }} {{ [1, 2] is containing(2) }}'
        )
        == "true true true"
    )


def test_print_value(render):
    assert (
        render(
            '{{ "GET" | print_value }} {{ 3 | print_value }} {{ 1.5 | print_value }} '
            '{{ true | print_value }} {{ ["a", 1] | print_value }}'
        )
        == '"GET" 3 1.5 true ["a", 1]'
    )


def test_booleans_and_none_print_as_minijinja_does(render):
    assert render("{{ true }} {{ false }} {{ none }}") == "true false none"


def test_dict_keys_win_over_dict_methods(render):
    assert (
        render("{{ ctx.items }} {{ ctx.values | length }}", ctx={"items": "mine", "values": [1, 2]})
        == "mine 2"
    )


ATTRIBUTES = [
    {"name": "b.opt", "requirement_level": "opt_in"},
    {"name": "b.rec", "requirement_level": "recommended"},
    {"name": "a.cond", "requirement_level": {"conditionally_required": "if set"}},
    {"name": "z.req", "requirement_level": "required"},
    {"name": "a.req", "requirement_level": "required"},
    {"name": "a.rec", "requirement_level": {"recommended": "when known"}},
]


def test_attribute_sort_required_not_required(render):
    names = "{{ attrs | %s | map(attribute='name') | join(' ') }}"
    assert render(names % "attribute_sort", attrs=ATTRIBUTES) == "a.req z.req a.cond a.rec b.rec b.opt"
    assert render(names % "required", attrs=ATTRIBUTES) == "z.req a.req"
    assert render(names % "not_required", attrs=ATTRIBUTES) == "b.opt b.rec a.cond a.rec"


def test_namespace_filters(render):
    assert (
        render(
            '{{ "http.request.method" | attribute_namespace }} '
            '{{ "registry.user_agent.x" | attribute_registry_namespace }} '
            '{{ "registry.user_agent" | attribute_registry_title }} '
            '{{ "registry.user_agent" | attribute_registry_file }} '
            '{{ "metric.http.server.duration" | metric_namespace }}'
        )
        == "http user_agent User Agent attributes-registry/user-agent.md http"
    )


ENUM = {"members": [{"id": "a", "value": 1}, {"id": "b", "value": 2}]}


def test_types(render):
    assert render("{{ t | enum_type }} {{ t | instantiated_type }}", t=ENUM) == "int int"
    assert render("{{ t | enum_type }}", t={"members": [{"value": 1}, {"value": "x"}]}) == "string"
    assert (
        render("{{ 'template[string[]]' | instantiated_type }} {{ 'int' | instantiated_type }}")
        == "string[] int"
    )
    assert (
        render(
            "{{ t is enum_type }} {{ 'int' is simple_type }} {{ 'template[int]' is template_type }} "
            "{{ 'int[]' is array }} {{ 'template[string[]]' is array }} {{ 'int' is array }}",
            t=ENUM,
        )
        == "true true true true true false"
    )
    assert render("{{ a is enum }} {{ b is enum }}", a={"type": ENUM}, b={"type": "int"}) == "true false"


def test_stability_and_deprecation_tests(render):
    stable, dev = {"stability": "stable"}, {"stability": "development"}
    deprecated = {"deprecated": {"reason": "renamed", "renamed_to": "x"}}
    assert (
        render(
            "{{ s is stable }} {{ d is stable }} {{ s is experimental }} {{ d is experimental }} "
            "{{ x is deprecated }} {{ s is deprecated }}",
            s=stable,
            d=dev,
            x=deprecated,
        )
        == "true false false true true false"
    )


def test_concat_if(render):
    assert render("[{{ concat_if('a', b, 'c') }}]", b="B") == "[aBc]"
    assert render("[{{ concat_if('a', missing, 'c') }}]") == "[]"


def test_ansi_filters(render):
    assert render("{{ 'x' | ansi_red }}{{ 'y' | ansi_bold }}") == "\x1b[31mx\x1b[0m\x1b[1my\x1b[0m"
