"""Load a rule set: every file parsed and validated, every problem collected, nothing half-loaded.

Paths are files or directories; a directory contributes its ``*.yaml`` and ``*.yml`` files (not
recursively), except rule-test files (``*.test.yaml``, ``*.test.yml``), in name order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .model import KNOWN_SIGNALS, RuleFileSpec, RuleSpec, When
from .problems import Problem, RulesError, errors
from .source import Lines, Path_, line_of, read_yaml, validate
from .templates import compile_template

_KNOWN = ", ".join(sorted(KNOWN_SIGNALS))


@dataclass(frozen=True)
class Rule:
    group: str
    name: str
    when: When
    for_seconds: float
    keep_firing_for_seconds: float
    labels: dict[str, str]
    annotations: dict[str, jinja2.Template]
    actions: tuple[str, ...]
    file: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.group}/{self.name}"


@dataclass(frozen=True)
class Group:
    name: str
    interval_seconds: float
    rules: tuple[Rule, ...]
    file: str


@dataclass(frozen=True)
class RuleSet:
    groups: tuple[Group, ...] = ()
    files: tuple[Path, ...] = ()
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def rules(self) -> dict[str, Rule]:
        return {rule.id: rule for group in self.groups for rule in group.rules}


def rule_files(paths: list[Path]) -> list[Path]:
    """The files ``paths`` stand for; a missing path is kept so loading reports it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if is_rule_file(p) and p.is_file())
        else:
            found.append(path)
    return found


def is_rule_file(path: Path) -> bool:
    name = path.name
    return path.suffix in (".yaml", ".yml") and not name.endswith((".test.yaml", ".test.yml"))


def check_rules(paths: list[Path]) -> tuple[RuleSet | None, list[Problem]]:
    """Every problem (errors and warnings) in the files of ``paths``; the rule set when there is no error."""
    problems: list[Problem] = []
    groups: list[Group] = []
    seen_groups: dict[str, str] = {}
    files = rule_files(paths)
    for path in files:
        file_groups, file_problems = _load_file(path)
        problems += file_problems
        for group, line in file_groups:
            if group.name in seen_groups:
                message = f"duplicate group name (also in {seen_groups[group.name]})"
                problems.append(Problem(group.file, line, message, f"group {group.name}"))
            seen_groups.setdefault(group.name, f"{group.file}:{line}")
            groups.append(group)
    if errors(problems):
        return None, problems
    return RuleSet(tuple(groups), tuple(files), tuple(problems)), problems


def load_rules(paths: list[Path]) -> RuleSet:
    """The rule set of ``paths``; raises RulesError listing every error (warnings are kept on the set)."""
    rule_set, problems = check_rules(paths)
    if rule_set is None:
        raise RulesError(errors(problems))
    return rule_set


def _load_file(path: Path) -> tuple[list[tuple[Group, int]], list[Problem]]:
    file = str(path)
    data, lines, problems = read_yaml(path)
    if problems:
        return [], problems
    if data is None:
        # Refused rather than read as "no rules": an editor truncating the file mid-write would
        # otherwise make a hot reload drop every rule for a moment.
        return [], [Problem(file, 1, "empty rule file (write `groups: []` for a file without rules)")]
    if not isinstance(data, dict):
        return [], [Problem(file, 1, "a rule file is a mapping with a 'groups' list")]
    # Name checks and warnings read the raw data, so they are reported next to validation errors.
    problems = _duplicates_and_warnings(data, file, lines)
    spec, invalid = validate(RuleFileSpec, data, file, lines, lambda loc: _names(data, loc))
    if spec is None:
        return [], sorted(problems + invalid)
    assert isinstance(spec, RuleFileSpec)
    groups = []
    for g, group in enumerate(spec.groups):
        rules = tuple(_compile(rule, group.name, file, line_of(lines, ("groups", g, "rules", r)))
                      for r, rule in enumerate(group.rules))
        groups.append((Group(group.name, group.interval, rules, file), line_of(lines, ("groups", g))))
    return groups, sorted(problems)


def _compile(rule: RuleSpec, group: str, file: str, line: int) -> Rule:
    return Rule(group, rule.alert, rule.when, rule.for_, rule.keep_firing_for, dict(rule.labels),
                {name: compile_template(text) for name, text in rule.annotations.items()},
                tuple(rule.actions), file, line)


def _duplicates_and_warnings(data: dict[str, Any], file: str, lines: Lines) -> list[Problem]:
    problems = []
    for g, group in _items(data.get("groups")):
        seen: set[str] = set()
        for r, rule in _items(group.get("rules")):
            at = ("groups", g, "rules", r)
            name = rule.get("alert")
            if isinstance(name, str) and name in seen:
                problems.append(Problem(file, line_of(lines, (*at, "alert")),
                                        "duplicate alert name in this group", _names(data, at)))
            seen.add(name)
            when = rule.get("when")
            for where in (("signal",), ("drift", "signal")):
                signal = _get(when, where)
                if isinstance(signal, str) and signal not in KNOWN_SIGNALS:
                    problems.append(Problem(
                        file, line_of(lines, (*at, "when", *where)),
                        f"unknown signal {signal!r} (the analyzers write: {_KNOWN})",
                        _names(data, at), warning=True))
    return problems


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _get(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _names(data: Any, loc: Path_) -> str:
    """``group G rule R`` around an error location, as far as the raw data has the names."""
    names = []
    try:
        if len(loc) >= 2 and loc[0] == "groups":
            raw_group = data["groups"][loc[1]]
            names.append(f"group {raw_group.get('name', f'#{int(loc[1]) + 1}')}")
            if len(loc) >= 4 and loc[2] == "rules":
                names.append(f"rule {raw_group['rules'][loc[3]].get('alert', f'#{int(loc[3]) + 1}')}")
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return " ".join(names)
