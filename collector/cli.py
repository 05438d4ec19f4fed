"""The ``weavergen`` command line. Each flag of ``serve`` is a config key; see README.md#configuration."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.tree import Tree

from .cli_support import ConfigOption, OutputFormat, console, fail, load_cli_config, print_result, run_sql

app = typer.Typer(help="WeaverGen: an OTLP receiver into DuckDB that analyzes and reacts to telemetry.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
def _mount_subcommands() -> None:
    """Each later stage adds its own commands; the CLI mirrors the pipeline."""
    from weavergen.analyzers import cli as analyzers_cli
    from weavergen.analyzers.semconv.cli import app as registry_app
    from weavergen.collector.ci import cli as ci_cli
    from weavergen.generators import cli as generators_cli
    from weavergen.healers import cli as healers_cli
    from weavergen.rules import cli as rules_cli

    app.add_typer(registry_app, name="registry", help="Check and describe a semantic-convention registry.")
    for stage in (analyzers_cli, rules_cli, healers_cli, generators_cli, ci_cli):
        stage.register(app)


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
    from weavergen.rules.problems import RulesError

    from .server import Daemon
    from .store.schema import StoreLockedError

    cfg = load_cli_config(
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
    except RulesError as exc:
        fail(f"rules error: {exc}", 2)
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


_mount_subcommands()


def main() -> None:
    app()
