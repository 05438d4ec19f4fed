"""The ``rules`` section of the daemon config."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# The rules shipped with WeaverGen, for the analyzers' signals.
DEFAULT_RULES_DIR = Path(__file__).resolve().parent / "default"


class RulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Rule files or directories (their *.yaml / *.yml files, rule-test files excepted).
    paths: list[Path] = Field(default_factory=lambda: [DEFAULT_RULES_DIR])
    # Each SQL condition is interrupted after this long and counted as an evaluation failure.
    sql_timeout_seconds: float = Field(default=5.0, gt=0)
    # Reload the rules when a file under paths changes (a broken edit keeps the last good set).
    watch: bool = True
