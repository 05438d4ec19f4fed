"""YAML files as plain values plus the line of every key and list item, and pydantic errors as problems.

The rule and rule-test files are validated by pydantic models; the line map turns an error's location
(``groups.0.rules.2.when.op``) back into a line of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import Problem

Path_ = tuple[str | int, ...]
Lines = dict[Path_, int]
# Given an error location, what to name it by ("group G rule R", "test T").
Context = Callable[[Path_], str]

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()


def read_yaml(path: Path) -> tuple[Any, Lines, list[Problem]]:
    """The document in ``path``, the line of every key path, and problems (syntax, duplicate keys)."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, {}, [Problem(str(path), mark.line + 1 if mark else 0,
                                  f"invalid YAML: {exc.problem or exc.context}")]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, {}, [Problem(str(path), 0, f"cannot read file: {exc}")]
    if node is None:
        return None, {(): 1}, []
    converter = _Converter(str(path))
    return converter.convert(node, ()), converter.lines, converter.problems


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: Lines = {}
        self.problems: list[Problem] = []
        self._depth = 0

    def convert(self, node: Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self._depth += 1
        try:
            if self._depth > 64:  # recursive aliases; rule files never nest this deep
                self.problems.append(Problem(self.file, node.start_mark.line + 1, "YAML nested too deeply"))
                return None
            if isinstance(node, ScalarNode):
                return _SCALARS.construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self._mapping(node, path)
        finally:
            self._depth -= 1

    def _mapping(self, node: MappingNode, path: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is None:
                self.problems.append(Problem(self.file, line, "a mapping key must be a scalar"))
            elif key in result:
                self.problems.append(Problem(self.file, line, f"duplicate key {key!r}"))
            else:
                self.lines[(*path, key)] = line
                result[key] = self.convert(value_node, (*path, key))
        return result


def line_of(lines: Lines, path: Path_) -> int:
    """The line of ``path``, or of its nearest ancestor in the file (a missing key: its mapping)."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 0)


def validate(model: type[BaseModel], data: Any, file: str, lines: Lines,
             context: Context) -> tuple[BaseModel | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem(error, file, lines, context) for error in exc.errors()]


def _problem(error: Any, file: str, lines: Lines, context: Context) -> Problem:
    loc = tuple(error["loc"])
    field = ".".join(str(part) for part in _field_path(loc))
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        field = ".".join(str(part) for part in _field_path(loc[:-1]))
    elif error["type"] == "missing":
        message = f"missing key {loc[-1]!r}"
        field = ".".join(str(part) for part in _field_path(loc[:-1]))
    else:
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("value_error", "assertion_error") and "input" in error:
            message += f" (got {_short(error['input'])})"
    return Problem(file, line_of(lines, loc), f"{field}: {message}" if field else message, context(loc))


def _field_path(loc: Path_) -> Path_:
    """The key path inside the innermost rule or group, which the context already names."""
    loc = tuple(part for part in loc if part != "[key]")
    for marker in ("rules", "groups", "tests"):
        if marker in loc:
            index = len(loc) - 1 - loc[::-1].index(marker)
            return loc[index + 2:]
    return loc


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
