"""Annotation templates: Jinja2 in a sandbox, compiled when rules load, rendered at each evaluation.

A template sees ``labels`` (every label of the alert, ``alertname`` included), ``value`` (the alert's
number, or None) and ``values`` (every number behind it). A missing label renders as an empty string.
The sandbox refuses attribute access to internals (``__class__`` …) and unsafe calls; rendering errors
become the annotation's text instead of failing the evaluation, as Prometheus does.
"""

from __future__ import annotations

import logging
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger(__name__)

# The immutable sandbox (a SandboxedEnvironment) also refuses to change lists and dicts in place.
_ENV = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


def compile_template(source: str) -> jinja2.Template:
    """Raises ValueError naming the template line when ``source`` is not a valid template."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on template line {exc.lineno}: {exc.message}") from None


def render(name: str, template: jinja2.Template, labels: dict[str, str], value: float | None,
           values: dict[str, Any]) -> str:
    try:
        return template.render(labels=dict(labels), value=value, values=dict(values))
    except Exception as exc:  # noqa: BLE001 - any failure of user template code becomes its text
        log.warning("annotation %s of alert %s: %s", name, labels.get("alertname"), exc)
        return f"<error expanding template {name}: {type(exc).__name__}: {exc}>"
