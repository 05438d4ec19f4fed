"""Every kind of problem is reported as file:line: message, all of them at once, never as a traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from weavergen.analyzers.semconv import Problem, RegistryError, check_registry, load_registry

BROKEN = Path(__file__).parent / "fixtures" / "broken"


def _problems(path: Path) -> list[tuple[str, int, str]]:
    return [(Path(p.file).name, p.line, p.message) for p in check_registry(path)]


def _registry(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_broken_fixture_lists_every_problem_with_its_file_and_line():
    assert _problems(BROKEN) == [
        ("duplicate.yaml", 6, f"duplicate attribute 'base.name' (first defined at {BROKEN}/base.yaml:6)"),
        ("duplicate.yaml", 11, f"duplicate group id 'registry.base' (first defined at {BROKEN}/base.yaml:2)"),
        ("extends.yaml", 5, "group 'group.orphan': extends unknown group 'nope.group'"),
        (
            "extends.yaml",
            15,
            "group 'group.b': extends 'group.a' makes a cycle: group.a -> group.b -> group.a",
        ),
        ("format.yaml", 1, "file: unknown file_format 'definition/3'"),
        ("syntax.yaml", 4, "YAML syntax error: mapping values are not allowed in this context"),
        ("unknown_ref.yaml", 9, "group 'span.unknown_ref': unknown attribute 'nope.missing' in ref"),
        (
            "v2.yaml",
            20,
            "group 'span.v2.span': attribute 'base.name' comes from both ref_group 'v2.one' and 'v2.two'",
        ),
        ("v2.yaml", 21, "group 'span.v2.span': ref_group to unknown group 'v2.missing'"),
        (
            "v2.yaml",
            22,
            "span 'v2.span': 'requirement_level' must be one of opt_in, recommended, not 'maybe'",
        ),
        ("v2.yaml", 23, "span 'v2.span': unknown key 'colour'"),
        ("wrong_type.yaml", 6, "group 'span.wrong': 'brief' must be a string, got a list"),
        (
            "wrong_type.yaml",
            9,
            "group 'span.wrong' ref 'base.name': 'sampling_relevant' must be a boolean, got str 'yes'",
        ),
        (
            "wrong_type.yaml",
            10,
            "group 'span.wrong' ref 'base.name': 'requirement_level' must be required, recommended, opt_in, "
            "or a one-key mapping {conditionally_required|recommended|opt_in: <text>}",
        ),
    ]


def test_load_registry_raises_one_error_carrying_all_problems():
    with pytest.raises(RegistryError) as caught:
        load_registry(BROKEN)
    error = caught.value
    assert error.problems == tuple(check_registry(BROKEN))
    assert str(error).startswith(f"14 problem(s) in registry {BROKEN}:\n")
    line = f"  {BROKEN}/unknown_ref.yaml:9: group 'span.unknown_ref': unknown attribute 'nope.missing' in ref"
    assert line in str(error).splitlines()


def test_lenient_load_keeps_what_resolved():
    registry = load_registry(BROKEN, strict=False)
    assert len(registry.problems) == 14
    span = registry.span("span.unknown_ref")
    assert span is not None and [a.name for a in span.attributes] == ["base.name"]


def test_problem_formats_as_file_line_message():
    assert str(Problem("a/b.yaml", 3, "boom")) == "a/b.yaml:3: boom"
    assert str(Problem("a", 0, "registry directory not found")) == "a: registry directory not found"


def test_missing_and_empty_directories(tmp_path: Path):
    assert [p.message for p in check_registry(tmp_path / "nope")] == ["registry directory not found"]
    empty = [p.message for p in check_registry(tmp_path)]
    assert empty == ["no *.yaml or *.yml files in the registry directory"]


def test_duplicate_yaml_key_is_reported(tmp_path: Path):
    path = _registry(
        tmp_path,
        dup="""\
        groups:
          - id: g
            type: attribute_group
            brief: one
            brief: two
            attributes: []
        """,
    )
    assert _problems(path) == [("dup.yaml", 5, "duplicate key 'brief'")]


def test_missing_required_keys_and_unknown_values(tmp_path: Path):
    path = _registry(
        tmp_path,
        bad="""\
        groups:
          - id: span.s
            type: span
            brief: no span_kind
            stability: someday
          - type: attribute_group
            brief: no id
          - id: registry.x
            type: attribute_group
            brief: attribute problems
            attributes:
              - id: x.a
                brief: no type
              - id: x.b
                type: str
                brief: unknown type
              - id: x.c
                type: string
              - id: x.d
                type:
                  members:
                    - value: 1
                brief: member without id
        """,
    )
    assert _problems(path) == [
        ("bad.yaml", 2, "group 'span.s': a span needs 'span_kind'"),
        ("bad.yaml", 5, "group 'span.s': unknown stability 'someday'"),
        ("bad.yaml", 6, "group: missing required key 'id'"),
        ("bad.yaml", 12, "attribute 'x.a': missing required key 'type'"),
        ("bad.yaml", 15, "attribute 'x.b': unknown attribute type 'str'"),
        ("bad.yaml", 17, "attribute 'x.c': missing required key 'brief'"),
        ("bad.yaml", 22, "attribute 'x.d' member: missing required key 'id'"),
    ]


def test_cyclic_ref_group_and_conditionally_required_without_text(tmp_path: Path):
    path = _registry(
        tmp_path,
        cycle="""\
        file_format: definition/2
        attribute_groups:
          - id: one
            visibility: internal
            attributes:
              - ref_group: two
          - id: two
            visibility: internal
            attributes:
              - ref_group: one
              - ref: a.b
                requirement_level: conditionally_required
        attributes:
          - key: a.b
            type: string
            brief: b
            stability: stable
        """,
    )
    assert _problems(path) == [
        ("cycle.yaml", 10, "group 'two': ref_group to 'one' makes a cycle: one -> two -> one"),
        (
            "cycle.yaml",
            12,
            "attribute_group 'two' ref 'a.b': 'requirement_level' must be required, recommended, opt_in, "
            "or a one-key mapping {conditionally_required|recommended|opt_in: <text>}",
        ),
    ]


def test_v2_signals_only_reference_attributes(tmp_path: Path):
    path = _registry(
        tmp_path,
        v2="""\
        file_format: definition/2
        events:
          - name: e
            brief: defines an attribute inline
            stability: stable
            attributes:
              - key: e.a
                type: string
        metric_refinements:
          - id: metric.r
            ref: nope
        """,
    )
    assert _problems(path) == [
        ("v2.yaml", 7, "event 'e': an attribute entry needs 'ref' or 'ref_group'"),
        ("v2.yaml", 11, "group 'metric.r': refines unknown group 'metric.nope'"),
    ]


def test_non_mapping_and_empty_files(tmp_path: Path):
    path = _registry(tmp_path, empty="", listed="- a\n- b\n")
    assert _problems(path) == [
        ("empty.yaml", 1, "file: expected a mapping with 'groups' or 'file_format'"),
        ("listed.yaml", 1, "file: expected a mapping with 'groups' or 'file_format'"),
    ]
