"""Trace assertions: which spans (a selector), what must hold for each (checks), how many (counts).

In the spirit of Tracetest test specs, as plain data (no expressions are evaluated as code)::

    assertions:
      - name: GET requests do not fail             # required, unique
        selector:                                  # optional; every field must hold; none = all spans
          span_name: HTTP GET                      # a value means ==; or {regex: '^HTTP '}, {in: [...]}
          kind: server                             # unspecified|internal|server|client|producer|consumer
          service: checkout
          status: error                            # unset|ok|error
          root: true                               # true: no parent; false: has one
          attributes:                              # span attributes, key: value or key: {op: value}
            http.request.method: GET
            http.response.status_code: {">=": 200, "<": 300}
            user.id: {exists: true}
          resource: {deployment.environment.name: test}   # resource attributes, same form
          parent: {span_name: checkout}            # the span's parent matches this selector
          child: {kind: client}                    # at least one child matches this selector
        assert:                                    # every selected span must pass every check
          - attr:http.response.status_code < 500
          - status != error
          - duration < 500ms
          - {attribute: http.route, op: exists}    # structured form: attribute|resource|field, op, value
        count:                                     # how many spans the selector matches
          per_trace: {eq: 1}                       # in every trace of the run (0 included); or {min, max}
          total: {min: 1}

Check strings are ``LHS OP RHS``. LHS: ``attr:KEY``, ``resource:KEY`` or a field — ``name``, ``kind``,
``status``, ``status_message``, ``duration``, ``service``. OP: ``== != < <= > >=``, ``=~`` / ``!~``
(regular-expression search; anchor with ``^…$``), ``in [a, b]``, ``exists``, ``not exists``. RHS: a
number, ``true``/``false``, a quoted or bare string, a list for ``in``; durations need a unit
(``ns us ms s m h``). Mapping operators may also be spelt ``eq ne lt le gt ge regex not_regex``.

Rules: numeric operators read int and double attribute values only (a string "200" is not 200); an
attribute check on a span that lacks the attribute fails, except ``not exists``; an assertion whose
selector matches no span fails unless it states a ``count`` (``count: {total: {eq: 0}}`` requires that
no such span exists).

This module is the model and the value syntax; assertion_loader.py reads the YAML into it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIELDS = ("name", "kind", "status", "status_message", "duration", "service")
KINDS = {"unspecified": 0, "internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
STATUSES = {"unset": 0, "ok": 1, "error": 2}
ORDERING = ("<", "<=", ">", ">=")
OPERATORS = ("==", "!=", *ORDERING, "=~", "!~", "in", "exists", "not exists")
ALIASES = {"eq": "==", "=": "==", "ne": "!=", "lt": "<", "le": "<=", "lte": "<=", "gt": ">", "ge": ">=",
           "gte": ">=", "regex": "=~", "matches": "=~", "not_regex": "!~"}  # fmt: skip
DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
                  "m": 60_000_000_000, "h": 3_600_000_000_000}  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(ns|us|µs|ms|s|m|h)\s*$")
_SYMBOLIC = re.compile(r"^\s*(?P<lhs>[^\s<>=!~]+)\s*(?P<op>==|!=|<=|>=|=~|!~|<|>|=)\s*(?P<rhs>.+?)\s*$")
_WORDS = re.compile(r"^\s*(?P<lhs>\S+)\s+(?P<op>not\s+exists|exists|in)(?:\s+(?P<rhs>.+?))?\s*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


class AssertionsError(ValueError):
    """A problem in an assertions file; the message starts with ``file:line``."""


@dataclass(frozen=True)
class Target:
    scope: str  # "field", "attr" (span attribute) or "resource" (resource attribute)
    name: str

    def __str__(self) -> str:
        return self.name if self.scope == "field" else f"{self.scope}:{self.name}"


@dataclass(frozen=True)
class Check:
    target: Target
    op: str
    value: Any  # normalized: ns for durations, numbers for kind/status, a tuple for ``in``
    text: str
    line: int


@dataclass(frozen=True)
class CountRule:
    eq: int | None = None
    min: int | None = None
    max: int | None = None

    def holds(self, n: int) -> bool:
        return ((self.eq is None or n == self.eq) and (self.min is None or n >= self.min)
                and (self.max is None or n <= self.max))

    def __str__(self) -> str:
        if self.eq is not None:
            return f"exactly {self.eq}"
        parts = ([f"at least {self.min}"] if self.min is not None else []) + (
            [f"at most {self.max}"] if self.max is not None else [])
        return " and ".join(parts)


@dataclass(frozen=True)
class Selector:
    checks: tuple[Check, ...] = ()
    root: bool | None = None
    parent: Selector | None = None
    child: Selector | None = None


@dataclass(frozen=True)
class Assertion:
    name: str
    line: int
    selector: Selector
    checks: tuple[Check, ...] = ()
    per_trace: CountRule | None = None
    total: CountRule | None = None
    description: str = ""


@dataclass(frozen=True)
class AssertionSuite:
    path: Path
    assertions: tuple[Assertion, ...] = field(default_factory=tuple)


# -- values -------------------------------------------------------------------------------------------

def literal(text: str) -> Any:
    """The right-hand side of a check string: quoted text, a list, a bool, a number or a bare word."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return json.loads(text) if text[0] == '"' else text[1:-1]
    if text[0] in "<>=!~":
        raise ValueError(f"{text!r} starts with an operator character; quote it if it is text")
    if text.startswith("["):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"invalid list {text!r}: {getattr(exc, 'problem', None) or exc}") from None
    if text in ("true", "false"):
        return text == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def parse_duration(value: Any) -> int:
    """``"500ms"`` → 500_000_000 ns; a unit is required."""
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"a duration needs a unit ({', '.join(DURATION_UNITS)}), e.g. 500ms; got {value!r}")
    return round(float(match[1]) * DURATION_UNITS[match[2]])


def normalize(target: Target, op: str, value: Any) -> Any:
    if op in ("exists", "not exists"):
        if target.scope == "field":
            raise ValueError(f"'{op}' applies to attributes; every span has a {target.name}")
        if value is not None:
            raise ValueError(f"'{op}' takes no value")
        return None
    if value is None:
        raise ValueError(f"'{op}' needs a value")
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ValueError("'in' needs a non-empty list, e.g. in [GET, POST]")
        return tuple(normalize(target, "==", v) for v in value)
    if op in ("=~", "!~"):
        return _regex(value)
    if target.scope == "field":
        return _field_value(target.name, op, value)
    if isinstance(value, list | dict):
        raise TypeError("compare attributes with a single value (use 'in' for a list)")
    if op in ORDERING and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(f"'{op}' compares numbers; got {value!r}")
    return value


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a regular expression is a string, got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


def _field_value(name: str, op: str, value: Any) -> Any:
    if name == "duration":
        return parse_duration(value)
    if op in ORDERING:
        raise ValueError(f"'{op}' does not apply to {name}; use == or !=")
    if name in ("kind", "status"):
        table = KINDS if name == "kind" else STATUSES
        key = str(value).lower()
        if key not in table:
            raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(table)}")
        return table[key]
    if not isinstance(value, str):
        raise TypeError(f"{name} is text; quote {value!r} if you mean it as text")
    return value


def split_check(text: str) -> tuple[str, str, str | None] | None:
    """``"attr:k < 5"`` → ("attr:k", "<", "5"); ``"attr:k exists"`` → ("attr:k", "exists", None)."""
    match = _SYMBOLIC.match(text) or _WORDS.match(text)
    if match is None:
        return None
    return match["lhs"], " ".join(match["op"].split()), match["rhs"]


def target_of(lhs: str) -> Target | None:
    """``attr:KEY``, ``resource:KEY`` or a field name; None for anything else."""
    scope, sep, name = lhs.partition(":")
    if sep and scope in ("attr", "attribute", "attributes", "resource") and name:
        return Target("resource" if scope == "resource" else "attr", name)
    if not sep and lhs in FIELDS:
        return Target("field", lhs)
    return None
