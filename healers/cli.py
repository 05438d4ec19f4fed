"""`weavergen charters`: the DMEDI charters the charter healer wrote, as a table or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from weavergen.collector.cli_support import ConfigOption, OutputFormat, fail, print_result
from weavergen.collector.config import ConfigError, load_config
from weavergen.collector.store.query import QueryResult

from .charter import list_charters
from .settings import HealersConfig

COLUMNS = ("id", "status", "rule", "subject", "opened_at", "updated_at", "path")


def _directory(config: Path | None) -> Path:
    """healers.charters_dir of the config file (./config.yaml when it exists), else the default."""
    if config is None and Path("config.yaml").exists():
        config = Path("config.yaml")
    try:
        healers = load_config(config).healers
    except ConfigError as exc:
        fail(f"config error: {exc}", 2)
    return Path(getattr(healers, "charters_dir", HealersConfig().charters_dir))


def _subject(subject: object) -> str:
    if isinstance(subject, dict):
        return ", ".join(f"{k}={v}" for k, v in subject.items())
    return "" if subject is None else str(subject)


def charters(
    directory: Annotated[Optional[Path], typer.Option("--dir", help="healers.charters_dir")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    config: ConfigOption = None,
) -> None:
    """The DMEDI charters opened by alerts, oldest first."""
    found = list_charters(directory or _directory(config))
    if output is OutputFormat.json:
        rows = [[c.get(column) for column in COLUMNS] for c in found]
    else:
        rows = [[_subject(c.get(column)) if column == "subject" else c.get(column) for column in COLUMNS]
                for c in found]
    print_result(QueryResult(list(COLUMNS), ["VARCHAR"] * len(COLUMNS), rows), output)


def register(app: typer.Typer) -> None:
    app.command()(charters)
