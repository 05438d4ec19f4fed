"""The ``weavergen`` command line. Each flag of ``serve`` is a config key; see README.md#configuration."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from .config import Config, ConfigError, load_config
from .store.query import QueryError, QueryResult, to_jsonable

app = typer.Typer(help="WeaverGen: an OTLP receiver into DuckDB that analyzes and reacts to telemetry.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
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


def _mount_subcommands() -> None:
    from weavergen.analyzers import cli as analyzers_cli
    from weavergen.analyzers.semconv.cli import app as registry_app

    app.add_typer(registry_app, name="registry", help="Check and describe a semantic-convention registry.")
    analyzers_cli.register(app)


def fail(message: str, code: int) -> NoReturn:
    """One plain line on stderr (no markup: messages quote user input) and the exit code."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _config(path: Path | None, **overrides) -> Config:
    if path is None and Path("config.yaml").exists():
        path = Path("config.yaml")
    try:
        return load_config(path, overrides=overrides)
    except ConfigError as exc:
        fail(f"config error: {exc}", 2)


@app.command()
def serve(
    config: ConfigOption = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="storage.data_dir")] = None,
    grpc_endpoint: Annotated[Optional[str], typer.Option("--grpc", help="collector.grpc_endpoint")] = None,
    http_endpoint: Annotated[Optional[str], typer.Option("--http", help="collector.http_endpoint")] = None,
    admin_endpoint: Annotated[Optional[str], typer.Option("--admin", help="admin.endpoint")] = None,
    registry: Annotated[Optional[Path], typer.Option(help="registry.path")] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
) -> None:
    """Run the daemon until SIGTERM or Ctrl-C."""
    from weavergen.analyzers.semconv import RegistryError

    from .server import Daemon
    from .store.schema import StoreLockedError

    cfg = _config(
        config,
        **{
            "storage.data_dir": data_dir,
            "collector.grpc_endpoint": grpc_endpoint,
            "collector.http_endpoint": http_endpoint,
            "admin.endpoint": admin_endpoint,
            "registry.path": registry,
        },
    )
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(Daemon(cfg).run())
    except RegistryError as exc:
        fail(f"registry error: {exc}", 2)
    except (OSError, StoreLockedError) as exc:
        fail(f"cannot start: {exc}", 1)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT statement.")],
    config: ConfigOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    admin_endpoint: Annotated[Optional[str], typer.Option("--admin", help="admin.endpoint")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="storage.data_dir")] = None,
    max_rows: Annotated[int, typer.Option(help="Stop after this many rows.")] = 1000,
) -> None:
    """Run read-only SQL over the spans: through the running daemon, or on the file when none runs."""
    result = run_sql(sql, config, admin_endpoint, data_dir, max_rows)
    print_result(result, output)


@app.command()
def trace(
    trace_id: Annotated[str, typer.Argument(help="32 hex characters.")],
    config: ConfigOption = None,
    admin_endpoint: Annotated[Optional[str], typer.Option("--admin", help="admin.endpoint")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="storage.data_dir")] = None,
) -> None:
    """Print one trace as a tree of spans with their durations."""
    from .trace_tree import TRACE_SQL, build_tree

    trace_id = trace_id.strip().lower()
    if len(trace_id) != 32 or any(c not in "0123456789abcdef" for c in trace_id):
        fail(f"error: {trace_id!r} is not a trace id (32 hex characters)", 2)
    result = run_sql(TRACE_SQL.format(trace_id=trace_id), config, admin_endpoint, data_dir, 100_000)
    if not result.rows:
        fail(f"no spans stored for trace {trace_id}", 1)
    console.print(build_tree(trace_id, result, Tree))


def run_sql(sql, config, admin_endpoint, data_dir, max_rows) -> QueryResult:
    from .query_client import query as run

    cfg = _config(config, **{"admin.endpoint": admin_endpoint, "storage.data_dir": data_dir})
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


# At the end of the module: the later stages' commands import the helpers defined above.
_mount_subcommands()


def main() -> None:
    app()
