"""The assertions file: YAML → validated ``AssertionSuite`` (syntax in assertions.py and docs/ci.md).

The YAML is composed into nodes rather than loaded into plain values, so that every problem — at any
depth, including inside a check string — is reported as ``file:line: what is wrong``. The whole file
is validated before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .assertions import (
    ALIASES,
    FIELDS,
    OPERATORS,
    Assertion,
    AssertionsError,
    AssertionSuite,
    Check,
    CountRule,
    Selector,
    Target,
    literal,
    normalize,
    split_check,
    target_of,
)

_ASSERTION_KEYS = {"name", "description", "selector", "assert", "count"}
_SELECTOR_KEYS = {"span_name", "kind", "service", "status", "root", "attributes", "resource", "parent", "child"}
_FIELD_OF_SELECTOR = {"span_name": "name", "kind": "kind", "service": "service", "status": "status"}


def load_assertions(path: Path) -> AssertionSuite:
    """Parse and validate the whole file; raises AssertionsError naming ``file:line``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AssertionsError(f"{path}: cannot read assertions: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise AssertionsError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    return _Parser(path).suite(root)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._constructor = yaml.SafeLoader("")

    # -- nodes -----------------------------------------------------------------------------------

    def error(self, node: yaml.Node | None, message: str) -> AssertionsError:
        line = node.start_mark.line + 1 if node is not None else 1
        return AssertionsError(f"{self.path}:{line}: {message}")

    def mapping(self, node: yaml.Node, what: str, allowed: set[str] | None = None) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        found: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(self.value(key))
            if allowed is not None and name not in allowed:
                raise self.error(key, f"unknown key {name!r} in {what}; expected one of {sorted(allowed)}")
            if name in found:
                raise self.error(key, f"duplicate key {name!r} in {what}")
            found[name] = value
        return found

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return list(node.value)

    def value(self, node: yaml.Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    # -- document --------------------------------------------------------------------------------

    def suite(self, root: yaml.Node | None) -> AssertionSuite:
        if root is None:
            raise AssertionsError(f"{self.path}:1: the file is empty; expected 'assertions:' with a list")
        top = self.mapping(root, "the top level", {"assertions"})
        if "assertions" not in top:
            raise self.error(root, "missing 'assertions:' (a list of assertions)")
        items = [self.assertion(node) for node in self.sequence(top["assertions"], "'assertions'")]
        seen: dict[str, int] = {}
        for item in items:
            if item.name in seen:
                raise AssertionsError(f"{self.path}:{item.line}: duplicate assertion name {item.name!r} "
                                      f"(first at line {seen[item.name]})")
            seen[item.name] = item.line
        return AssertionSuite(self.path, tuple(items))

    def assertion(self, node: yaml.Node) -> Assertion:
        keys = self.mapping(node, "an assertion", _ASSERTION_KEYS)
        line = node.start_mark.line + 1
        name = self.value(keys["name"]) if "name" in keys else None
        if not isinstance(name, str) or not name.strip():
            raise self.error(keys.get("name", node), "every assertion needs a non-empty 'name'")
        selector = self.selector(keys["selector"], "'selector'") if "selector" in keys else Selector()
        checks = tuple(self.check(n) for n in self.sequence(keys["assert"], "'assert'")) if "assert" in keys else ()
        per_trace = total = None
        if "count" in keys:
            counts = self.mapping(keys["count"], "'count'", {"per_trace", "total"})
            per_trace = self.count(counts["per_trace"]) if "per_trace" in counts else None
            total = self.count(counts["total"]) if "total" in counts else None
        if not checks and per_trace is None and total is None:
            raise self.error(node, f"assertion {name!r} checks nothing: give 'assert' or 'count'")
        description = str(self.value(keys["description"])) if "description" in keys else ""
        return Assertion(name, line, selector, checks, per_trace, total, description)

    def count(self, node: yaml.Node) -> CountRule:
        raw = self.value(node)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw, node_of = {"eq": raw}, {"eq": node}
        else:
            node_of = self.mapping(node, "a count", {"eq", "min", "max"})
            raw = {k: self.value(v) for k, v in node_of.items()}
        for key, value in raw.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise self.error(node_of[key], f"count {key} must be a whole number >= 0, got {value!r}")
        if not raw:
            raise self.error(node, "a count needs eq, min or max")
        if "eq" in raw and len(raw) > 1:
            raise self.error(node, "give either eq or min/max in a count")
        if raw.get("min", 0) > raw.get("max", raw.get("min", 0)):
            raise self.error(node, f"count min {raw['min']} is greater than max {raw['max']}")
        return CountRule(**raw)

    # -- selectors -------------------------------------------------------------------------------

    def selector(self, node: yaml.Node, what: str) -> Selector:
        if isinstance(node, yaml.ScalarNode) and self.value(node) is None:
            return Selector()
        keys = self.mapping(node, what, _SELECTOR_KEYS)
        checks: list[Check] = []
        for key, target in _FIELD_OF_SELECTOR.items():
            if key in keys:
                checks += self.matchers(Target("field", target), keys[key])
        for scope, key in (("attr", "attributes"), ("resource", "resource")):
            if key in keys:
                for name, value in self.mapping(keys[key], f"'{key}'").items():
                    checks += self.matchers(Target(scope, name), value)
        root = None
        if "root" in keys:
            root = self.value(keys["root"])
            if not isinstance(root, bool):
                raise self.error(keys["root"], f"'root' must be true or false, got {root!r}")
        parent = self.selector(keys["parent"], "'parent'") if "parent" in keys else None
        child = self.selector(keys["child"], "'child'") if "child" in keys else None
        return Selector(tuple(checks), root, parent, child)

    def matchers(self, target: Target, node: yaml.Node) -> list[Check]:
        """``value`` (==), ``[a, b]`` (in) or ``{op: value, ...}`` (all of them)."""
        if isinstance(node, yaml.MappingNode):
            return [self.make(target, op, self.value(v), v, f"{target} {op} {self.value(v)!r}")
                    for op, v in self.mapping(node, f"the matcher of {target}").items()]
        value = self.value(node)
        op = "in" if isinstance(value, list) else "=="
        return [self.make(target, op, value, node, f"{target} {op} {value!r}")]

    # -- checks ----------------------------------------------------------------------------------

    def check(self, node: yaml.Node) -> Check:
        if isinstance(node, yaml.MappingNode):
            return self.structured(node)
        text = self.value(node)
        if not isinstance(text, str):
            raise self.error(node, f"a check is a string 'LHS OP RHS' or a mapping, got {text!r}")
        parts = split_check(text)
        if parts is None:
            raise self.error(node, f"cannot read check {text!r}: expected 'LHS OP RHS', e.g. "
                                   "'attr:http.response.status_code < 500' or 'duration < 2s'")
        lhs, op, rhs = parts
        target = self.target(lhs, node)
        try:
            value = None if rhs is None else literal(rhs)
        except ValueError as exc:
            raise self.error(node, f"{text!r}: cannot read the value: {exc}") from None
        return self.make(target, op, value, node, text.strip())

    def structured(self, node: yaml.Node) -> Check:
        keys = self.mapping(node, "a check", {"attribute", "resource", "field", "op", "value"})
        named = [k for k in ("attribute", "resource", "field") if k in keys]
        if len(named) != 1:
            raise self.error(node, "a structured check names exactly one of attribute, resource or field")
        which = named[0]
        name = str(self.value(keys[which]))
        target = Target({"attribute": "attr", "resource": "resource", "field": "field"}[which], name)
        if target.scope == "field" and name not in FIELDS:
            raise self.error(keys[which], f"unknown field {name!r}; fields are {', '.join(FIELDS)}")
        if "op" not in keys:
            raise self.error(node, "a structured check needs 'op'")
        op = str(self.value(keys["op"]))
        value = self.value(keys["value"]) if "value" in keys else None
        text = f"{target} {op}" + (f" {value!r}" if "value" in keys else "")
        return self.make(target, op, value, keys.get("value", node), text)

    def target(self, lhs: str, node: yaml.Node) -> Target:
        target = target_of(lhs)
        if target is not None:
            return target
        raise self.error(node, f"unknown left-hand side {lhs!r}: use attr:KEY, resource:KEY or one of "
                               f"{', '.join(FIELDS)}")

    def make(self, target: Target, op: str, value: Any, node: yaml.Node, text: str) -> Check:
        op = ALIASES.get(op, op)
        if op == "exists" and isinstance(value, bool):  # {exists: false} is "not exists"
            op, value = ("exists" if value else "not exists"), None
        if op not in OPERATORS:
            raise self.error(node, f"unknown operator {op!r} in {text!r}; use one of {', '.join(OPERATORS)}")
        try:
            normalized = normalize(target, op, value)
        except (TypeError, ValueError) as exc:
            raise self.error(node, f"{text!r}: {exc}") from None
        return Check(target, op, normalized, text, node.start_mark.line + 1)
