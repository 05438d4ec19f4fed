"""Reading YAML with line numbers: the positions every problem message depends on."""

from __future__ import annotations

from pathlib import Path

from weavergen.analyzers.semconv.problems import Problems
from weavergen.analyzers.semconv.yaml_source import YamlMap, find_yaml_files, read_yaml


def _read(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    return read_yaml(path, "f.yaml", problems), [str(p) for p in problems.sorted()]


def test_mappings_remember_their_line_and_key_lines(tmp_path: Path):
    document, problems = _read(tmp_path, "# comment\ngroups:\n  - id: a\n    brief: b\n")
    assert problems == []
    assert isinstance(document, YamlMap) and document.line == 2
    group = document["groups"][0]
    assert isinstance(group, YamlMap)
    assert (group.line, group.line_of("brief"), group.line_of("missing")) == (3, 4, 3)


def test_scalars_keep_their_yaml_types(tmp_path: Path):
    document, _ = _read(tmp_path, "a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: [x, 2]\n")
    assert document == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1", "f": ["x", 2]}


def test_anchors_and_merge_keys(tmp_path: Path):
    text = "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\nalias: *b\n"
    document, problems = _read(tmp_path, text)
    assert problems == []
    assert document == {"base": {"x": 1, "y": 2}, "child": {"x": 1, "y": 3}, "alias": {"x": 1, "y": 2}}


def test_duplicate_keys_and_syntax_errors_become_problems(tmp_path: Path):
    _, problems = _read(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert problems == ["f.yaml:3: duplicate key 'a'"]
    document, problems = _read(tmp_path, "a: [1, 2\nb: 3\n")
    assert document is None and len(problems) == 1 and problems[0].startswith("f.yaml:2: YAML syntax error")


def test_unknown_tags_are_problems_not_tracebacks(tmp_path: Path):
    document, problems = _read(tmp_path, "a: !custom x\n")
    assert document == {"a": "x"}
    assert problems == ["f.yaml:1: unsupported YAML tag !custom"]


def test_finds_yaml_and_yml_recursively_in_order(tmp_path: Path):
    for name in ("b/z.yml", "a.yaml", "b/c/d.yaml", "notes.md", "policy.rego"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_yaml_files(tmp_path)]
    assert found == ["a.yaml", "b/c/d.yaml", "b/z.yml"]


def test_recursive_aliases_are_problems_not_recursion_errors(tmp_path: Path):
    document, problems = _read(tmp_path, "a: &x\n  - 1\n  - *x\n")
    assert document == {"a": [1, None]}
    # An alias is the anchored node itself, so the line is the anchor's.
    assert problems == ["f.yaml:1: recursive YAML alias"]
