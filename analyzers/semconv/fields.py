"""Typed reads of one YAML mapping: each wrong or missing value becomes a problem at its line.

A bad value reads as None so parsing goes on and the rest of the file is still checked.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .problems import Problems
from .values import Source
from .yaml_source import YamlMap

def label(kind: str, name: object) -> str:
    """How messages name a mapping: `group 'span.http.client'`, or just `group` when it has no id."""
    return f"{kind} '{name}'" if name is not None else kind


_TYPE_NAMES = {str: "a string", bool: "a boolean", list: "a list", dict: "a mapping"}


class Fields:
    def __init__(self, data: YamlMap, file: str, problems: Problems, what: str) -> None:
        self.data = data
        self.file = file
        self.problems = problems
        # Names the mapping in messages, e.g. "group 'span.http.client'" or "attribute 'http.route'".
        self.what = what

    @property
    def source(self) -> Source:
        return Source(self.file, self.data.line)

    def at(self, key: str) -> Source:
        return Source(self.file, self.data.line_of(key))

    def report(self, key: str, message: str) -> None:
        self.problems.add(self.at(key), f"{self.what}: {message}")

    def check_keys(self, allowed: Collection[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.report(key, f"unknown key '{key}'")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, required: bool = False) -> str | None:
        return self._typed(key, str, required)

    def flag(self, key: str) -> bool | None:
        return self._typed(key, bool, False)

    def seq(self, key: str) -> list[Any]:
        return self._typed(key, list, False) or []

    def mapping(self, key: str) -> YamlMap | None:
        return self._typed(key, dict, False)

    def mappings(self, key: str) -> list[YamlMap]:
        """A list of mappings; items of another kind are reported and skipped."""
        items = self.seq(key)
        good = [item for item in items if isinstance(item, YamlMap)]
        if len(good) != len(items):
            self.report(key, f"every item of '{key}' must be a mapping")
        return good

    def choice(self, key: str, allowed: Collection[str], required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and value not in allowed:
            self.report(key, f"'{key}' must be one of {', '.join(sorted(allowed))}, not '{value}'")
            return None
        return value

    def _typed(self, key: str, kind: type, required: bool) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.source, f"{self.what}: missing required key '{key}'")
            return None
        if not isinstance(value, kind):
            self.report(key, f"'{key}' must be {_TYPE_NAMES[kind]}, got {_describe(value)}")
            return None
        return value


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
