"""Read registry YAML files into plain values that remember their line numbers.

The C composer builds the node tree (line marks included) and a small converter turns it into
dicts and lists. That is faster than `yaml.load` with CSafeLoader, whose constructor runs in
Python anyway, and it keeps line numbers for every mapping and key at no extra cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import Problems
from .values import Source

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Scalars other than strings (int, float, bool, null, timestamp) go through PyYAML's own constructors.
_SCALARS = yaml.constructor.SafeConstructor()


class YamlMap(dict[str, Any]):
    """A mapping read from YAML: `line` is where it starts, `key_lines[key]` where each key is."""

    __slots__ = ("line", "key_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def find_yaml_files(root: Path) -> list[Path]:
    """Every *.yaml / *.yml file under root, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_yaml(path: Path, display: str, problems: Problems) -> Any:
    """The document in `path` as plain values, or None (with a problem) if it cannot be read."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
        return _Converter(display, problems).convert(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.add(Source(display, line), f"YAML syntax error: {exc.problem or exc.context}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.add(Source(display, 0), f"cannot read file: {exc}")
    return None


class _Converter:
    def __init__(self, display: str, problems: Problems) -> None:
        self.display = display
        self.problems = problems
        # Collection nodes being converted right now (by id), to stop at recursive aliases.
        self._open: set[int] = set()

    def convert(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        # An alias may point at a collection that contains it; registries never need that.
        if id(node) in self._open:
            self.problems.add(self._at(node), "recursive YAML alias")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(item) for item in node.value]
            assert isinstance(node, MappingNode)
            return self._mapping(node)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR_TAG:
            return node.value
        construct = _SCALARS.yaml_constructors.get(node.tag)
        if construct is None:
            self.problems.add(self._at(node), f"unsupported YAML tag {node.tag}")
            return node.value
        return construct(_SCALARS, node)

    def _mapping(self, node: MappingNode) -> YamlMap:
        result = YamlMap(node.start_mark.line + 1)
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(_merged_pairs(value_node))
            else:
                self._put(result, key_node, value_node, explicit=True)
        # Merged keys (`<<: *anchor`) never override the keys written in the mapping itself.
        for key_node, value_node in merged:
            self._put(result, key_node, value_node, explicit=False)
        return result

    def _put(self, result: YamlMap, key_node: Node, value_node: Node, explicit: bool) -> None:
        key = self.convert(key_node)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            self.problems.add(self._at(key_node), "a mapping key must be a scalar")
        elif key not in result.key_lines:
            result.key_lines[key] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node)
        elif explicit:
            # PyYAML would silently keep the last value; weaver refuses duplicate keys.
            self.problems.add(self._at(key_node), f"duplicate key '{key}'")

    def _at(self, node: Node) -> Source:
        return Source(self.display, node.start_mark.line + 1)


def _merged_pairs(node: Node) -> list[tuple[Node, Node]]:
    if isinstance(node, MappingNode):
        return list(node.value)
    if isinstance(node, SequenceNode):
        return [pair for item in node.value for pair in _merged_pairs(item)]
    return []
