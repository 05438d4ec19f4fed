"""`weavergen signals`, `weavergen findings` and `weavergen score`: analyzer output as tables or JSON.

They are SQL over the analyzer tables, run like `weavergen query` (through the daemon when it runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from weavergen.collector.cli_support import ConfigOption, OutputFormat, print_result, run_sql, sql_literal

AdminOption = Annotated[Optional[str], typer.Option("--admin", help="admin.endpoint")]
DataDirOption = Annotated[Optional[Path], typer.Option(help="storage.data_dir")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]
ServiceOption = Annotated[Optional[str], typer.Option("--service", "-s", help="Only this service.")]
WindowsOption = Annotated[int, typer.Option("--windows", "-n", help="How many of the latest windows.")]


def _where(**equals: str | None) -> str:
    clauses = [f"{column} = {sql_literal(value)}" for column, value in equals.items() if value]
    return " AND ".join(clauses) or "TRUE"


def _latest(windows: int) -> str:
    return f"window_start IN (SELECT DISTINCT window_start FROM signals ORDER BY 1 DESC LIMIT {int(windows)})"


def signals(
    service: ServiceOption = None,
    signal: Annotated[Optional[str], typer.Option(help="Only this signal, e.g. quality_score.")] = None,
    windows: WindowsOption = 1,
    output: FormatOption = OutputFormat.table,
    config: ConfigOption = None,
    admin_endpoint: AdminOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Signal values of the latest windows."""
    sql = f"""SELECT window_start, service, signal, operation, key, round(value, 6) AS value FROM signals
              WHERE {_where(service=service, signal=signal)} AND {_latest(windows)}
              ORDER BY window_start DESC, service, signal, operation, key"""
    print_result(run_sql(sql, config, admin_endpoint, data_dir, 100_000), output)


def findings(
    service: ServiceOption = None,
    level: Annotated[Optional[str], typer.Option(help="violation, improvement or information")] = None,
    windows: WindowsOption = 1,
    output: FormatOption = OutputFormat.table,
    config: ConfigOption = None,
    admin_endpoint: AdminOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Semantic-convention and Instrumentation Score findings of the latest windows, most frequent first."""
    sql = f"""SELECT window_start, service, level, finding_id, span_name, attribute, count, message, suggestion,
                     example_trace_id FROM findings
              WHERE {_where(service=service, level=level)} AND {_latest(windows)}
              ORDER BY window_start DESC, count DESC, service, finding_id"""
    print_result(run_sql(sql, config, admin_endpoint, data_dir, 100_000), output)


def score(
    service: ServiceOption = None,
    output: FormatOption = OutputFormat.table,
    config: ConfigOption = None,
    admin_endpoint: AdminOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Per service, the latest quality score, Instrumentation Score and registry coverage."""
    sql = f"""SELECT service, max(window_start) AS window_start,
                     arg_max(value, window_start) FILTER (signal = 'quality_score') AS quality_score,
                     arg_max(value, window_start) FILTER (signal = 'instrumentation_score') AS instrumentation_score,
                     arg_max(value, window_start) FILTER (signal = 'registry_coverage') AS registry_coverage
              FROM signals
              WHERE signal IN ('quality_score', 'instrumentation_score', 'registry_coverage')
                AND {_where(service=service)}
              GROUP BY service ORDER BY service"""
    print_result(run_sql(sql, config, admin_endpoint, data_dir, 100_000), output)


def register(app: typer.Typer) -> None:
    for command in (signals, findings, score):
        app.command()(command)
