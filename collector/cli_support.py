"""What every stage's commands share: config loading, SQL through the daemon or the file, output.

Stages import from here (not from cli.py), so that cli.py can mount their commands without a cycle.
"""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table

from .config import Config, ConfigError, load_config
from .store.query import QueryError, QueryResult, to_jsonable

# soft_wrap: long span names and file paths stay on one line, so output can be grepped.
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="YAML config file (default: ./config.yaml when it exists)."),
]


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int) -> NoReturn:
    """One plain line on stderr (no markup: messages quote user input) and the exit code."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def sql_literal(value: str) -> str:
    """A SQL string literal for a value given on the command line."""
    return "'" + value.replace("'", "''") + "'"


def load_cli_config(path: Path | None, **overrides) -> Config:
    """The config for a command: --config, else ./config.yaml when present, else defaults; exit 2 on errors."""
    if path is None and Path("config.yaml").exists():
        path = Path("config.yaml")
    try:
        return load_config(path, overrides=overrides)
    except ConfigError as exc:
        fail(f"config error: {exc}", 2)


def run_sql(sql, config, admin_endpoint, data_dir, max_rows) -> QueryResult:
    from .query_client import query as run

    cfg = load_cli_config(config, **{"admin.endpoint": admin_endpoint, "storage.data_dir": data_dir})
    try:
        return run(sql, cfg.admin.endpoint, cfg.storage.database_path, cfg.admin.query_timeout_seconds, max_rows)
    except QueryError as exc:
        fail(f"query error: {exc}", 1)


def print_result(result: QueryResult, output: OutputFormat) -> None:
    rows = [[to_jsonable(v) for v in row] for row in result.rows]
    if output is OutputFormat.json:
        print(json.dumps([dict(zip(result.columns, row)) for row in rows], indent=2))
    elif output is OutputFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(rows)
    else:
        table = Table(*result.columns)
        for row in rows:
            table.add_row(*("NULL" if v is None else str(v) for v in row))
        console.print(table)
    if result.truncated:
        err.print(f"(stopped after {len(rows)} rows; raise --max-rows to see more)")
