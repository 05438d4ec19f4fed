"""`weavergen registry ...`: check a semantic-convention registry and print its counts."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .loader import load_registry
from .problems import RegistryError
from .registry import Registry
from .stats import RegistryStats

app = typer.Typer(
    help="Check and describe a semantic-convention registry (weaver's v1 and definition/2 YAML).",
    no_args_is_help=True,
)

RegistryDir = Annotated[Path, typer.Argument(help="Registry directory; every *.yaml/*.yml below it is read.")]


class OutputFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


@app.command()
def check(directory: RegistryDir) -> None:
    """Print every problem as file:line: message; exit 1 if there is any."""
    registry = load_registry(directory, strict=False)
    for problem in registry.problems:
        typer.echo(str(problem))
    if registry.problems:
        typer.echo(f"{len(registry.problems)} problem(s) in {directory}", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {_summary(registry)}")


@app.command()
def stats(
    directory: RegistryDir,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.TABLE,
) -> None:
    """Counts: files, attributes by type and stability, deprecated, groups by type, signals, namespaces."""
    try:
        registry = load_registry(directory)
    except RegistryError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    counts = registry.stats()
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(counts.to_dict(), indent=2))
    else:
        _print_tables(counts, str(directory))


def _summary(registry: Registry) -> str:
    counts = registry.stats()
    return (
        f"{counts.files} files, {counts.attributes} attributes, {counts.groups} groups "
        f"({counts.spans} spans, {counts.metrics} metrics, {counts.events} events)"
    )


def _print_tables(counts: RegistryStats, directory: str) -> None:
    console = Console()
    totals = {name: value for name, value in counts.to_dict().items() if isinstance(value, int)}
    console.print(_table(f"Registry {directory}", totals))
    console.print(_table("Attributes by type", counts.attributes_by_type))
    console.print(_table("Attributes by stability", counts.attributes_by_stability))
    console.print(_table("Groups by type", counts.groups_by_type))
    console.print(_table("Spans by kind", counts.spans_by_kind))


def _table(title: str, counts: dict[str, int]) -> Table:
    # Text() rather than str: names such as `template[string]` must not be read as rich markup.
    table = Table(title=Text(title), title_justify="left")
    table.add_column("name")
    table.add_column("count", justify="right")
    for name, value in counts.items():
        table.add_row(Text(name), str(value))
    return table
