"""The bundled `python` and `markdown` targets over the real semantic-conventions snapshot."""

from __future__ import annotations

import ast
import importlib
import json
import re

import pytest

from weavergen.analyzers.semconv import load_registry
from weavergen.generators import check_outputs, generate, write_outputs
from weavergen.generators.document import registry_document
from weavergen.generators.jq_filter import run


@pytest.fixture(scope="module")
def registry_attributes(semconv_registry) -> list[dict]:
    """What the templates generate from: registry attributes minus code_generation.exclude ones."""
    document = json.dumps(registry_document(load_registry(semconv_registry)))
    return run("semconv_attributes", document, {}, "test")


@pytest.fixture
def semconv_python(python_outputs, tmp_path, import_package):
    write_outputs(python_outputs, tmp_path / "semconv_generated")
    return import_package(tmp_path, "semconv_generated")


def test_python_one_module_per_root_namespace(python_outputs, registry_attributes):
    namespaces = sorted({a["root_namespace"] for a in registry_attributes})
    assert sorted(python_outputs) == sorted(["__init__.py", *(f"{ns}_attributes.py" for ns in namespaces)])


def test_python_every_generated_module_imports(semconv_python):
    modules = [importlib.import_module(f"semconv_generated.{name}") for name in semconv_python.MODULES]
    assert len(modules) == len(semconv_python.MODULES) > 50


def test_python_constants_and_enums(semconv_python):
    from semconv_generated import http_attributes

    assert http_attributes.HTTP_REQUEST_METHOD == "http.request.method"
    assert http_attributes.HttpRequestMethodValues.GET == "GET"
    assert http_attributes.HttpRequestMethodValues.GET.value == "GET"
    assert http_attributes.HttpRequestMethodValues("_OTHER") is http_attributes.HttpRequestMethodValues.OTHER
    assert http_attributes.HTTP_RESPONSE_STATUS_CODE == "http.response.status_code"


def test_python_deprecations(semconv_python, python_outputs):
    from semconv_generated import http_attributes

    assert http_attributes.DEPRECATED["http.method"] == "http.request.method"
    assert semconv_python.DEPRECATED["http.method"] == "http.request.method"
    assert "http.request.method" not in semconv_python.DEPRECATED
    assert (
        '# Deprecated: use http.request.method instead.\nHTTP_METHOD: Final = "http.method"\n'
        in python_outputs["http_attributes.py"]
    )
    obsoleted = [name for name, replacement in semconv_python.DEPRECATED.items() if replacement is None]
    assert obsoleted, "deprecations without a replacement map to None"


def test_python_has_a_constant_for_every_registry_attribute(python_outputs, registry_attributes):
    constants: dict[str, str] = {}
    for text in python_outputs.values():
        for node in ast.parse(text).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant):
                assert node.target.id not in constants, f"{node.target.id} defined twice"
                constants[node.target.id] = node.value.value
    assert sorted(constants.values()) == sorted(a["name"] for a in registry_attributes)


def test_python_docstrings_come_from_briefs(semconv_python, python_outputs):
    assert '"""HTTP request method.\n' in python_outputs["http_attributes.py"]
    from semconv_generated import http_attributes

    assert http_attributes.HttpRequestMethodValues.__doc__.startswith("Values of `http.request.method`")


def test_python_options_from_params(semconv_registry):
    outputs = generate(
        semconv_registry,
        None,
        "python",
        params={"exclude_root_namespace": ["aws", "azure"], "exclude_deprecated": True},
    )
    assert "aws_attributes.py" not in outputs and "azure_attributes.py" not in outputs
    assert "HTTP_METHOD:" not in outputs["http_attributes.py"]
    assert "DEPRECATED: Final[dict[str, str | None]] = {\n}" in outputs["__init__.py"]


BOOLEAN_AND_INT_ENUMS = """\
groups:
  - id: registry.flags
    type: attribute_group
    brief: Flags.
    attributes:
      - id: flags.state
        type:
          members:
            - {id: "on", value: true, brief: On., stability: development}
            - {id: "off", value: false, brief: Off., stability: development}
        stability: development
        brief: A boolean enum.
      - id: flags.level
        type:
          members:
            - {id: "2xx", value: 2, brief: 'Two, "quoted"', stability: development}
        stability: development
        brief: An int enum whose member id starts with a digit; a backslash \\d in its brief.
"""


def test_python_literals_for_boolean_and_int_enums(tmp_path, import_package):
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "flags.yaml").write_text(BOOLEAN_AND_INT_ENUMS)
    outputs = generate(registry, None, "python")
    write_outputs(outputs, tmp_path / "flags_generated")
    # Importing compiles the module: an invalid escape such as "\d" would be a SyntaxWarning, an error here.
    module = import_package(tmp_path, "flags_generated.flags_attributes")
    assert module.FlagsStateValues.ON.value is True
    assert module.FlagsStateValues.OFF.value is False
    assert module.FlagsLevelValues._2XX == 2
    assert "a backslash \\\\d in its brief" in outputs["flags_attributes.py"]
    assert '"""Two, "quoted\\""""' in outputs["flags_attributes.py"]  # a closing quote is escaped


def test_markdown_index_and_namespace_tables(markdown_outputs):
    readme = markdown_outputs["README.md"]
    assert "| [HTTP](attributes/http.md) |" in readme
    assert "[" in readme and "metrics](metrics.md)" in readme
    http = markdown_outputs["attributes/http.md"]
    assert http.startswith("# HTTP attributes\n")
    assert "| Attribute | Type | Stability | Requirement | Description | Examples |" in http
    row = next(
        line for line in http.splitlines() if "`http.request.method`" in line and "string enum" in line
    )
    assert "![Stable]" in row and "HTTP request method." in row and "`GET`; `POST`; `HEAD`" in row
    assert '### <a id="http-request-method-values"></a>`http.request.method`' in http
    assert "| `_OTHER` | Any HTTP method that the instrumentation has no prior knowledge of. |" in http
    deprecated = http.split("## Deprecated attributes", 1)[1]
    assert "`http.method` | `string` | `http.request.method` |" in deprecated


def test_markdown_one_page_per_root_namespace_and_metrics(markdown_outputs, python_outputs):
    pages = {
        p.removeprefix("attributes/").removesuffix(".md").replace("-", "_")
        for p in markdown_outputs
        if p.startswith("attributes/")
    }
    modules = {p.removesuffix("_attributes.py") for p in python_outputs if p != "__init__.py"}
    assert pages == modules
    metrics = markdown_outputs["metrics.md"]
    assert "| `http.server.request.duration` | histogram | `s` | ![Stable]" in metrics


def test_markdown_cells_never_break_the_table(markdown_outputs):
    # Every row has as many cell separators as its table's header: pipes and newlines in text are escaped.
    for path, text in markdown_outputs.items():
        columns = None
        for line in text.splitlines():
            if not line.startswith("|"):
                columns = None
                continue
            separators = len(re.findall(r"(?<!\\)\|", line))
            columns = columns or separators
            assert separators == columns, (path, line)


def test_markdown_metrics_page_can_be_switched_off(semconv_registry):
    outputs = generate(semconv_registry, None, "markdown", params={"metrics": False})
    assert "metrics.md" not in outputs
    assert "metrics.md" not in outputs["README.md"]


def test_bundled_output_is_deterministic_and_checks_clean(semconv_registry, python_outputs, tmp_path):
    assert generate(semconv_registry, None, "python") == python_outputs
    write_outputs(python_outputs, tmp_path)
    assert check_outputs(python_outputs, tmp_path) == []
