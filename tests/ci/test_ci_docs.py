"""docs/ci.md stays honest: every option of both commands is documented, and the recipe is valid YAML."""

from __future__ import annotations

import re
from pathlib import Path

import typer
import yaml
from typer.main import get_command
from weavergen.collector.ci.cli import register

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def _commands() -> dict:
    app = typer.Typer()
    register(app)
    return get_command(app).commands  # type: ignore[attr-defined]


def test_register_adds_both_commands():
    assert set(_commands()) == {"check", "live-check"}


def test_every_option_is_documented():
    text = DOC.read_text()
    for name, command in _commands().items():
        assert f"weavergen {name}" in text
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"{name} {option} is not in docs/ci.md"


def test_the_ci_recipe_is_a_workflow_running_live_check():
    text = DOC.read_text()
    recipe = text[text.index("## CI recipe"):]
    (block,) = re.findall(r"```yaml\n(.*?)```", recipe, re.DOTALL)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["live-check"]["steps"]
    commands = " ".join(str(step.get("run", "")) for step in steps)
    assert "weavergen live-check" in commands and "-- pytest" in commands and "--junit" in commands
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in steps)
