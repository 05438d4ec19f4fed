"""Annotation templates: Jinja2 in a sandbox, with labels, value and values; errors at load where possible."""

from __future__ import annotations

import pytest

from weavergen.rules.loader import check_rules
from weavergen.rules.templates import compile_template, render


def annotate(store, rule_file, make_manager, **annotations: str) -> dict[str, str]:
    store.signal(0, "error_rate", 0.25, "checkout", "GET /cart")
    lines = "\n".join(f"          {name}: {text!r}" for name, text in annotations.items())
    manager = make_manager(rule_file(
        "groups:\n  - name: g\n    rules:\n      - alert: Errors\n"
        "        when: {signal: error_rate, op: '>', value: 0.1}\n        labels: {severity: critical}\n"
        f"        annotations:\n{lines}\n"))
    (alert,) = manager.evaluate(store.end(0))
    return alert.annotations


def test_templates_see_labels_value_and_values(store, rule_file, make_manager):
    assert annotate(
        store, rule_file, make_manager,
        summary="{{ labels.alertname }} {{ labels.service }} {{ labels['operation'] }} {{ labels.severity }}",
        value="{{ (value * 100) | round(1) }}% {{ '%.3f' | format(values.value) }}",
        missing="[{{ labels.key }}]",
        loop="{% for k, v in labels | dictsort %}{{ k }}={{ v }};{% endfor %}",
    ) == {
        "summary": "Errors checkout GET /cart critical",
        "value": "25.0% 0.250",
        "missing": "[]",
        "loop": "alertname=Errors;operation=GET /cart;service=checkout;severity=critical;",
    }


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ labels.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('echo pwned').read() }}",
    "{{ values.update({'x': 1}) }}{{ labels.clear() }}",
    "{% for i in range(10**9) %}{% endfor %}",
])
def test_the_sandbox_refuses_unsafe_access(store, rule_file, make_manager, template):
    text = annotate(store, rule_file, make_manager, unsafe=template)["unsafe"]
    assert text.startswith("<error expanding template unsafe: "), text
    assert "pwned" not in text and "subclasses" not in text.split(": ", 1)[0]


def test_unsafe_attributes_render_empty_and_nothing_runs():
    template = compile_template("[{{ ''.__class__ }}][{{ labels.__dict__ }}]")
    assert render("t", template, {"alertname": "A"}, 1.0, {}) == "[][]"


def test_template_syntax_errors_are_reported_at_load(rule_file):
    path = rule_file("""
        groups:
          - name: g
            rules:
              - alert: A
                when: {signal: error_rate, op: ">", value: 0.1}
                annotations:
                  ok: "{{ value }}"
                  broken: "{% if value %}unclosed"
                  unknown_filter: "{{ value | no_such_filter }}"
    """)
    problems = [str(p) for p in check_rules([path])[1]]
    assert problems == [
        (f"{path}:8: group g rule A: annotations.broken: template syntax error on template line 1: Unexpected "
         "end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost "
         "block that needs to be closed is 'if'."),
        (f"{path}:9: group g rule A: annotations.unknown_filter: template syntax error on template line 1: "
         "No filter named 'no_such_filter'."),
    ]
