"""`weavergen registry check|stats`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from weavergen.analyzers.semconv.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_check_ok_prints_a_one_line_summary():
    result = runner.invoke(app, ["check", str(FIXTURES / "registry")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: 6 files, 13 attributes, 17 groups (3 spans, 3 metrics, 2 events)\n"


def test_check_prints_every_problem_and_exits_1():
    broken = FIXTURES / "broken"
    result = runner.invoke(app, ["check", str(broken)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 14
    assert f"{broken}/extends.yaml:5: group 'group.orphan': extends unknown group 'nope.group'" in lines
    assert result.stderr == f"14 problem(s) in {broken}\n"


def test_check_missing_directory():
    result = runner.invoke(app, ["check", "/nonexistent/registry"])
    assert result.exit_code == 1
    assert result.stdout == "/nonexistent/registry: registry directory not found\n"


def test_stats_json():
    result = runner.invoke(app, ["stats", str(FIXTURES / "registry"), "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["attributes"] == 13 and counts["enums"] == 2 and counts["namespaces"] == 4
    assert counts["attributes_by_type"]["template[string]"] == 1
    assert counts["groups_by_type"]["span"] == 3


def test_stats_table_is_the_default():
    result = runner.invoke(app, ["stats", str(FIXTURES / "registry")])
    assert result.exit_code == 0, result.output
    for title in ("Attributes by type", "Attributes by stability", "Groups by type", "Spans by kind"):
        assert title in result.stdout
    assert "template[string]" in result.stdout, "type names are not eaten as rich markup"


def test_stats_on_a_broken_registry_lists_problems_on_stderr():
    result = runner.invoke(app, ["stats", str(FIXTURES / "broken")])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 14 and result.stdout == ""


def test_stats_rejects_unknown_formats():
    result = runner.invoke(app, ["stats", str(FIXTURES / "registry"), "--format", "xml"])
    assert result.exit_code == 2
